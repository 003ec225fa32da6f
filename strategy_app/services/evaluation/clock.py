"""What "today" is: the real date, or the one fixed by configuration (tests, demos)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, date, datetime, time

from flask import current_app, has_app_context

from strategy_app.models.base import CLOCK_SHIFT

_TODAY: ContextVar[date | None] = ContextVar("travelled_today", default=None)


def today() -> date:
    """Today's date: the day the clock travelled to, else FIXED_TODAY, else the real date."""
    travelled = _TODAY.get()
    if travelled is not None:
        return travelled
    if has_app_context():
        fixed = current_app.config.get("FIXED_TODAY")
        if fixed:
            return fixed if isinstance(fixed, date) else date.fromisoformat(fixed)
    return date.today()


@contextlib.contextmanager
def travel(day: date, at: time = time(9)) -> Iterator[None]:
    """Live on `day` inside the block: today() is that day, and every change is stamped on it.

    Time goes on from `at` (UTC), so changes keep their order. For the demo's story and for
    tests that move the clock; never used while serving a request.
    """
    start = datetime.combine(day, at, tzinfo=UTC)
    shift_token = CLOCK_SHIFT.set(start - datetime.now(UTC))
    today_token = _TODAY.set(day)
    try:
        yield
    finally:
        _TODAY.reset(today_token)
        CLOCK_SHIFT.reset(shift_token)
