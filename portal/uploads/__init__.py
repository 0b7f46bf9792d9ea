from flask import Blueprint

bp = Blueprint("uploads", __name__)

from . import views  # noqa: E402,F401
