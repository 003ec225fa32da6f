"""Objectives and their indicators (expected results)."""

from flask import Blueprint

bp = Blueprint("objectives", __name__, url_prefix="/objectives")

from strategy_app.objectives import indicator_list, indicators, routes  # noqa: E402, F401
