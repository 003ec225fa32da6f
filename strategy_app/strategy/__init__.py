"""Vision, company strategies, service strategies and their alignment: the cascade page."""

from flask import Blueprint

bp = Blueprint("strategy", __name__, url_prefix="/strategy")

from strategy_app.strategy import routes  # noqa: E402, F401
