from flask import Blueprint

bp = Blueprint("grading", __name__, url_prefix="/grading")

from . import views  # noqa: E402,F401
