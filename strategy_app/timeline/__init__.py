"""The timeline: every department's plans as a Gantt chart, with today and what is overdue."""

from flask import Blueprint, Flask

bp = Blueprint("timeline", __name__, url_prefix="/timeline")


def register(app: Flask) -> None:
    """Add the timeline blueprint to the app."""
    app.register_blueprint(bp)


from strategy_app.timeline import routes  # noqa: E402, F401
