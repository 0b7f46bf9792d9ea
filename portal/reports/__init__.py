"""Company reports for IOMAD managers and site admins: progress, reviews, usage and cost."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from . import filters, views  # noqa: E402,F401  (they register on bp)
