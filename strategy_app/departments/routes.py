"""Routes of the departments blueprint."""

from strategy_app.departments import bp  # noqa: F401
