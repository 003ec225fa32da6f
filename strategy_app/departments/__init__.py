"""Each department's page and scorecard."""

from flask import Blueprint

bp = Blueprint("departments", __name__, url_prefix="/departments")

from strategy_app.departments import routes  # noqa: E402, F401
