"""What a service-health assessment accepts (API and form alike); a plan for a weak element."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, field_validator

from strategy_app.schemas.common import Day, Id, Input, Text, Title
from strategy_app.services.evaluation import checklist
from strategy_app.services.evaluation.clock import today

FIRST_DATE = date(2000, 1, 1)
# More than the checklist holds: a list with repeats is refused by naming them, not cut off.
MAX_ANSWERS = 200
SCORE_HELP = "0 not at all, 1 a little, 2 partly, 3 largely, 4 fully"


def _iso_date(value: Any) -> Any:
    """A typed date must be written YYYY-MM-DD (a clearer message than pydantic's)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("Enter the date of the assessment (YYYY-MM-DD).")
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("Enter a date written YYYY-MM-DD.") from None
    return value


def _assessment_date(value: date) -> date:
    if value < FIRST_DATE:
        raise ValueError("Enter a date from 2000 onwards.")
    if value > today():
        raise ValueError("An assessment cannot be dated in the future.")
    return value


def _known_key(value: str) -> str:
    if checklist.element_of(value) is None:
        raise ValueError(
            f"The checklist has no statement {value!r}; the checklist lists every key."
        )
    return value


def _score(value: int) -> int:
    if not 0 <= value <= 4:
        raise ValueError(f"Score each statement from 0 to 4 ({SCORE_HELP}).")
    return value


AssessmentDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_assessment_date)]
StatementKey = Annotated[
    str,
    Field(
        max_length=40,
        description="A statement's key, as GET /checklist lists them",
        json_schema_extra={"enum": list(checklist.statement_keys())},
    ),
    AfterValidator(_known_key),
]
Score = Annotated[
    int,
    Field(description=SCORE_HELP, json_schema_extra={"minimum": 0, "maximum": 4}),
    AfterValidator(_score),
]


def _null_is_blank(value: Any) -> Any:
    return "" if value is None else value


# Optional text: left out, empty or null all mean "none".
OptionalText = Annotated[Text, BeforeValidator(_null_is_blank)]


class AnswerIn(Input):
    """The score given to one statement of the checklist, with an optional comment."""

    statement_key: StatementKey
    score: Score
    comment: OptionalText = ""


class AssessmentIn(Input):
    """A self-assessment against the built-in checklist: statements left out are unanswered."""

    date: AssessmentDate
    notes: OptionalText = ""
    answers: list[AnswerIn] = Field(max_length=MAX_ANSWERS)

    @field_validator("answers")
    @classmethod
    def _each_once(cls, answers: list[AnswerIn]) -> list[AnswerIn]:
        if not answers:
            raise ValueError("Score at least one statement.")
        counts = Counter(a.statement_key for a in answers)
        repeated = [key for key, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(
                "Each statement can be answered once; answered more than once: "
                + ", ".join(repeated)
                + "."
            )
        return answers


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class ElementPlanIn(Input):
    """An action plan to strengthen a weak element: who carries it, under which objective."""

    department_id: Annotated[Id | None, BeforeValidator(_blank_is_none)] = Field(
        default=None, validate_default=True
    )
    objective_id: Annotated[Id | None, BeforeValidator(_blank_is_none)] = Field(
        default=None, validate_default=True
    )
    title: Title
    due_date: Annotated[Day | None, BeforeValidator(_blank_is_none)] = None

    @field_validator("department_id")
    @classmethod
    def _department(cls, value: int | None) -> int:
        if value is None:
            raise ValueError("Choose the department that carries the plan.")
        return value

    @field_validator("objective_id")
    @classmethod
    def _objective(cls, value: int | None) -> int:
        if value is None:
            raise ValueError("Choose the objective the plan serves.")
        return value
