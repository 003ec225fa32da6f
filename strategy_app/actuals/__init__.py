"""Entering actual results: one at a time or many from CSV."""

from flask import Blueprint

bp = Blueprint("actuals", __name__, url_prefix="/actuals")

from strategy_app.actuals import routes, upload  # noqa: E402, F401
