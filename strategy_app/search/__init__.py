"""Find anything: GET /search?q= (DESIGN §7), from the search box in the navigation."""

from flask import Blueprint, Flask

bp = Blueprint("search", __name__)


def register(app: Flask) -> None:
    """Add the search blueprint to the app."""
    app.register_blueprint(bp)


from strategy_app.search import routes  # noqa: E402, F401
