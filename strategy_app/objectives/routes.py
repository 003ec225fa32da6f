"""Routes of the objectives blueprint."""

from strategy_app.objectives import bp  # noqa: F401
