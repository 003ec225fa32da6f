"""The signed-in person's own account: password and API tokens."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

import strategy_app.account.reminders  # noqa: E402, F401
from strategy_app.account import routes  # noqa: E402, F401
