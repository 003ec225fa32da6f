"""Shared form plumbing: validate through the domain schemas, call a service, errors beside fields.

WTForms renders the fields and checks CSRF; the field rules themselves live once in
strategy_app.schemas (shared with the API) and the database-dependent rules in the
services, whose ValidationFailed errors are attached here to the field they name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_wtf import FlaskForm
from pydantic import BaseModel
from wtforms import Field
from wtforms.validators import ValidationError

from strategy_app.extensions import db
from strategy_app.schemas.common import parse
from strategy_app.services.plumbing.errors import ValidationFailed

T = TypeVar("T")
NOT_DATA = frozenset({"csrf_token", "submit"})


def no_nul(form: FlaskForm, field: Field) -> None:
    """A WTForms validator: refuse NUL characters (PostgreSQL can neither store nor compare
    text holding them, so they would end in a 500 there)."""
    if isinstance(field.data, str) and "\x00" in field.data:
        raise ValidationError("Must not contain NUL characters.")


def form_data(form: FlaskForm, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The form's values for a schema: blank strings of optional fields become None."""
    data = {}
    for name, value in form.data.items():
        if name in NOT_DATA or name in exclude:
            continue
        data[name] = value
    return data


def attach_errors(form: FlaskForm, fields: dict[str, list[str]]) -> None:
    """Put each error beside its field ("links.2.fit" goes to field links, entry 2, fit)."""
    for key, messages in fields.items():
        target: Any = form
        parts = key.split(".")
        for part in parts:
            nxt = None
            if part.isdigit() and hasattr(target, "entries"):
                idx = int(part)
                nxt = target.entries[idx] if idx < len(target.entries) else None
            elif isinstance(target, FlaskForm) or hasattr(target, "_fields"):
                nxt = (
                    getattr(target, part, None) if part in getattr(target, "_fields", {}) else None
                )
            elif hasattr(target, "form"):  # a FormField entry
                sub = target.form
                nxt = getattr(sub, part, None) if part in sub._fields else None
            if nxt is None:
                break
            target = nxt
        if isinstance(target, Field):
            errors = target.errors if isinstance(target.errors, list) else []
            if not isinstance(target.errors, list):
                target.errors = errors
            errors.extend(messages)
        else:
            form.form_errors.extend(f"{key}: {m}" if key != "body" else m for m in messages)


def submit(
    form: FlaskForm,
    schema: type[BaseModel],
    action: Callable[[Any], T],
    data: dict[str, Any] | None = None,
) -> T | None:
    """Validate data (default: the form's) with schema, run action, commit.

    Returns the action's result, or None with errors attached to the form's fields and the
    transaction rolled back. PermissionDenied and StaleVersion propagate to the caller.
    """
    try:
        parsed = parse(schema, form_data(form) if data is None else data)
        result = action(parsed)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        attach_errors(form, exc.fields)
        return None
    return result
