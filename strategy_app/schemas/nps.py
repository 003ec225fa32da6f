"""What the API, the forms and the CSV import accept for NPS responses and follow-ups."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from strategy_app.schemas.common import Day, Id, Input, Text

FIRST_DAY = date(2000, 1, 1)  # survey answers older than this are typos
FollowUpState = Literal["open", "contacted", "resolved"]
# A spreadsheet runs a cell that starts like this as a formula; such text is refused here
# (and neutralised in exports, for anything that came in another way).
_FORMULA_STARTS = ("=", "+", "@", "\t", "\r")


def formula_problem(text: str) -> str | None:
    """Why a piece of text looks like a spreadsheet formula, or None when it does not."""
    if text.startswith(_FORMULA_STARTS) or (len(text) > 1 and text[0] == "-" and text[1] != " "):
        return (
            f"Starts with “{text[0]!s}”, which spreadsheets run as a formula; "
            "reword the start (for example drop that character)."
        )
    return None


def _no_formula(value: str) -> str:
    if problem := formula_problem(value):
        raise ValueError(problem)
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Comment = Annotated[Text, AfterValidator(_no_formula)]
Segment = Annotated[str, Field(max_length=80), AfterValidator(_no_nul), AfterValidator(_no_formula)]
CustomerRef = Annotated[
    str, Field(max_length=120), AfterValidator(_no_nul), AfterValidator(_no_formula)
]
Score = Annotated[int, Field(ge=0, le=10, description="0 (not at all likely) to 10")]


class NpsResponseIn(Input):
    """One survey answer; a detractor (0–6) gets a follow-up at once.

    The date must lie between 2000-01-01 and today (the service checks "today").
    """

    date: Day
    score: Score
    segment: Segment = ""
    customer_ref: CustomerRef = ""
    comment: Comment = ""
    owner_id: Id | None = Field(
        default=None, description="Who follows up a detractor (default: who enters it)"
    )


class FollowUpPatch(Input):
    """Changes to a follow-up (only the fields sent)."""

    owner_id: Id | None = None
    state: FollowUpState | None = None
    note: Comment | None = None
    action_plan_id: Id | None = None


class NpsQuery(Input):
    """What GET /nps groups by."""

    by: Literal["month", "segment"] = "month"
