"""Administration for executives: users, departments and the audit log."""

from flask import Blueprint, Flask
from flask_login import current_user

from strategy_app import policy

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.app_template_global("can_admin")
def can_admin() -> bool:
    """Whether the signed-in user may open the administration pages (for the nav link)."""
    return policy.can(current_user, policy.ADMIN)


def register(app: Flask) -> None:
    """Register the blueprint on app unless the factory already did."""
    if "admin" not in app.blueprints:
        app.register_blueprint(bp)


import strategy_app.admin.reminders  # noqa: E402, F401
from strategy_app.admin import routes  # noqa: E402, F401
