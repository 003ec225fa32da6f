"""Routes of the plans blueprint."""

from strategy_app.plans import bp  # noqa: F401
