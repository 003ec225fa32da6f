"""The customer's voice: NPS responses, the trend, and the detractor follow-ups that close
the loop (DESIGN §7)."""

from flask import Blueprint, Flask

from strategy_app.security import signed_in_only

bp = Blueprint("nps", __name__, url_prefix="/nps")
bp.before_request(signed_in_only)


def register(app: Flask) -> None:
    """Add the NPS blueprint to the app."""
    app.register_blueprint(bp)


from strategy_app.nps import follow_ups, links, routes  # noqa: E402, F401
