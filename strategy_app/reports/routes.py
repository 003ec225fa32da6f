"""Routes of the reports blueprint."""

from strategy_app.reports import bp  # noqa: F401
