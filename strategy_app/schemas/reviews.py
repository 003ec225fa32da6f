"""What the review form accepts: a meeting's date, attendees, notes and decisions."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field, field_validator

from strategy_app.schemas.common import Day, Id, Input, Text, Title

MAX_DECISIONS = 50


def _iso_date(value: Any) -> Any:
    """A typed date must be written YYYY-MM-DD (a clearer message than pydantic's)."""
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("Enter a date written YYYY-MM-DD.") from None
    return value


class DecisionIn(Input):
    """A decision; with make_plan it becomes an action plan of that objective and department."""

    text: Text
    make_plan: bool = False
    objective_id: Id | None = None
    department_id: Id | None = None
    plan_title: Title | None = None
    due_date: Day | None = None

    @field_validator("due_date", mode="before")
    @classmethod
    def _due(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else _iso_date(value)

    @field_validator("text")
    @classmethod
    def _written(cls, value: str) -> str:
        if not value:
            raise ValueError("Write the decision, or clear the row.")
        return value


class ReviewIn(Input):
    """A review meeting as recorded after it took place."""

    date: Day
    attendees: Text = ""
    notes: Text = ""
    decisions: list[DecisionIn] = Field(default_factory=list, max_length=MAX_DECISIONS)

    @field_validator("date", mode="before")
    @classmethod
    def _given(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError("Enter the date of the review (YYYY-MM-DD).")
        return _iso_date(value)
