"""Routes of the strategy blueprint."""

from strategy_app.strategy import bp  # noqa: F401
