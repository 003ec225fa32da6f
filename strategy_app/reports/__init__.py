"""Cross-cutting views: alignment report, contribution matrix, my updates."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from strategy_app.reports import changes, routes  # noqa: E402, F401
