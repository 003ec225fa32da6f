"""Routes of the actuals blueprint."""

from strategy_app.actuals import bp  # noqa: F401
