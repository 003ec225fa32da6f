"""Constrained field types shared by every schema, and turning pydantic errors into fields."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
)

from strategy_app.schemas.wording import number_text, pydantic_message
from strategy_app.services.plumbing.errors import ValidationFailed

MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2200, 12, 31)
MAX_ABS_VALUE = 1e15
MAX_TEXT = 10_000
# Ids are 32-bit integers in every database we run on: a larger number names nothing (and
# PostgreSQL refuses to compare it), so it is "not found", never a 500.
MAX_ID = 2**31 - 1
ID_URL = f"int(min=1, max={MAX_ID})"  # the URL converter of an id: beyond it, a 404


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; refuse it up front rather than fail on write.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _typed_number(value: Any, info: ValidationInfo) -> Any:
    # What a person typed in a form ("12,500", "12 500"); JSON (the API) stays strict.
    return number_text(value) if info.mode == "python" else value


def _sane_date(value: date) -> date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}")
    return value


Title = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_nul)]
Name = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_no_nul)]
Short = Annotated[str, Field(max_length=40), AfterValidator(_no_nul)]
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_no_nul)]
Tag = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_no_nul)]
Day = Annotated[date, AfterValidator(_sane_date)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Number = Annotated[
    float,
    BeforeValidator(_typed_number),
    Field(allow_inf_nan=False, ge=-MAX_ABS_VALUE, le=MAX_ABS_VALUE),
]
TypedNumber = BeforeValidator(_typed_number)  # for other numbers typed in forms (a budget)
Percent = Annotated[int, Field(ge=0, le=100)]


class Input(BaseModel):
    """Base of every input: unknown fields are refused, strings trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


M = TypeVar("M", bound=BaseModel)


def errors_by_field(exc: ValidationError) -> dict[str, list[str]]:
    """pydantic's errors as {"field.sub": ["message", ...]} (the API's error shape), each
    message in words (strategy_app.schemas.wording)."""
    fields: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        # A rule of a field's own (Field(...) with a validator) reports under the field;
        # pydantic adds the validator's name to the location of some errors.
        fields.setdefault(loc, []).append(pydantic_message(err))
    return fields


def parse(schema: type[M], data: Any, *, json: bool = False) -> M:
    """Validate data (a dict, or raw JSON text/bytes when json=True) against schema.

    JSON is parsed strictly (no "1" for 1, no NaN); raises ValidationFailed with fields.
    """
    try:
        if json:
            return schema.model_validate_json(data, strict=True)
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(errors_by_field(exc)) from None
