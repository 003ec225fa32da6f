"""The dashboard and the health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from strategy_app.main import routes  # noqa: E402, F401
