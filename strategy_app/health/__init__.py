"""Service health (/service-health): the checklist assessment, its radar and trend, and plans
made from weak elements."""

from flask import Blueprint, Flask

bp = Blueprint("health", __name__, url_prefix="/service-health")


def register(app: Flask) -> None:
    """Add the service-health blueprint to the app."""
    app.register_blueprint(bp)


from strategy_app.health import routes  # noqa: E402, F401
