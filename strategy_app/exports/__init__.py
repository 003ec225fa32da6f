"""Exports: CSV and XLSX of plans, indicators and actuals, and a printable report."""

from flask import Blueprint, Flask

bp = Blueprint("exports", __name__, url_prefix="/exports")


def register(app: Flask) -> None:
    """Add the exports blueprint to the app."""
    app.register_blueprint(bp)


from strategy_app.exports import routes  # noqa: E402, F401
