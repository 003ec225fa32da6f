"""The strategy map: vision → company strategies → service strategy → objectives → plans."""

from flask import Blueprint, Flask

bp = Blueprint("strategymap", __name__, url_prefix="/strategy-map")


def register(app: Flask) -> None:
    """Add the strategy map blueprint to the app."""
    app.register_blueprint(bp)


from strategy_app.strategymap import routes  # noqa: E402, F401
