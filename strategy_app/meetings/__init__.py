"""Meeting mode: the slide deck for a review meeting, and the reviews recorded after it."""

from flask import Blueprint, Flask

bp = Blueprint("meetings", __name__, url_prefix="/meeting")


def register(app: Flask) -> None:
    """Add the meeting blueprint to the app."""
    app.register_blueprint(bp)


from strategy_app.meetings import routes  # noqa: E402, F401
