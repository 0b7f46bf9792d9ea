from flask import Blueprint

bp = Blueprint("embed", __name__, url_prefix="/embed")

from . import views  # noqa: E402,F401
