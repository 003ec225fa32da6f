"""Department action plans, check-ins and dependencies."""

from flask import Blueprint

bp = Blueprint("plans", __name__, url_prefix="/plans")

from strategy_app.plans import routes  # noqa: E402, F401
