"""forms.submit after the widgets' own checks (a number or date that does not parse)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask_wtf import FlaskForm
from pydantic import BaseModel

from strategy_app import forms

T = TypeVar("T")
_FIELD_NAME = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def _in_words(form: FlaskForm, message: str) -> str:
    """ "due_date must not be before start_date" → "Due date must not be before start date"."""

    def label(match: re.Match) -> str:
        field = form._fields.get(match.group(0))
        return field.label.text.lower() if field is not None else match.group(0)

    text = _FIELD_NAME.sub(label, message)
    return text[:1].upper() + text[1:]


def _tidy(form: FlaskForm) -> None:
    """Put a whole-form rule's message beside the field it starts with, in words."""
    kept = []
    for message in form.form_errors:
        name = message.split(" ", 1)[0]
        field = form._fields.get(name)
        if field is not None and name != "csrf_token":
            field.errors = [*field.errors, message]
        else:
            kept.append(message)
    form.form_errors[:] = kept
    for field in form:
        if isinstance(field.errors, list):
            field.errors[:] = [
                _in_words(form, m) if isinstance(m, str) else m for m in field.errors
            ]


def save(
    form: FlaskForm,
    schema: type[BaseModel],
    action: Callable[[Any], T],
    data: dict[str, Any],
) -> T | None:
    """Run forms.submit when every widget parsed what was typed.

    Otherwise nothing is written: the widgets' errors show, and so do the schema's errors
    for the other fields, so that one round trip reports everything it can.
    """
    result = forms.submit_all(form, schema, action, data)
    if result is None:
        _tidy(form)
    return result
