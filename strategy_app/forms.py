"""Shared form plumbing: validate through the domain schemas, call a service, errors beside fields.

WTForms renders the fields and checks CSRF; the field rules themselves live once in
strategy_app.schemas (shared with the API) and the database-dependent rules in the
services, whose ValidationFailed errors are attached here to the field they name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, before_render_template
from flask_wtf import FlaskForm
from pydantic import BaseModel
from wtforms import Field, FieldList, FloatField, FormField, RadioField
from wtforms.validators import ValidationError

from strategy_app.extensions import db
from strategy_app.schemas.common import parse
from strategy_app.schemas.wording import number_text, plain
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


def submit_all(
    form: FlaskForm,
    schema: type[BaseModel],
    action: Callable[[Any], T],
    data: dict[str, Any] | None = None,
) -> T | None:
    """submit() when the widgets read what was typed (CSRF, dates, numbers, choices);
    otherwise nothing is written and the schema's errors of the other fields show beside
    the widgets' own, so that one round trip reports every error it can."""
    if form.validate():
        return submit(form, schema, action, data)
    try:
        parse(schema, form_data(form) if data is None else data)
    except ValidationFailed as exc:
        fresh = {}
        for key, messages in exc.fields.items():
            field = _field_at(form, key)
            # A list field's errors also hold its rows' errors (dicts): count only its own.
            if field is None or not any(isinstance(e, str) for e in field.errors):
                fresh[key] = messages
        attach_errors(form, fresh)
    return None


def _field_at(form: FlaskForm, key: str) -> Field | None:
    """The field an error key names ("milestones.2.date"), or None."""
    target: Any = form
    for part in key.split("."):
        if part.isdigit() and hasattr(target, "entries"):
            idx = int(part)
            target = target.entries[idx] if idx < len(target.entries) else None
        else:
            fields = getattr(target, "_fields", None)
            if fields is None and hasattr(target, "form"):
                fields = target.form._fields
            target = fields.get(part) if fields else None
        if target is None:
            return None
    return target if isinstance(target, Field) else None


# --- errors in words, all at once, summarised at the top ------------------------------------

CHOICES = ("SelectField", "RadioField", "SelectMultipleField")
EXPIRED = "The form had expired or was sent from elsewhere: check the values and send it again."


class NumberField(FloatField):
    """A number as people type it: "12,500" and "12 500" are 12500."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [number_text(valuelist[0]), *valuelist[1:]]
        super().process_formdata(valuelist)


def _anchor(field: Field) -> str:
    # A radio group's first option is what a link to the group should focus.
    return f"{field.id}-0" if isinstance(field, RadioField) else field.id


def _leaves(field: Field, prefix: str = ""):
    """(field, its label for the summary) for every field that can carry its own errors."""
    if isinstance(field, FieldList):
        yield field, prefix + (field.label.text if field.label else field.name)
        name = (field.label.text if field.label else field.name).removesuffix("s")
        for n, entry in enumerate(field.entries, 1):
            yield from _leaves(entry, f"{prefix}{name} {n}: ")
    elif isinstance(field, FormField):
        for sub in field.form:
            yield from _leaves(sub, prefix)
    else:
        yield field, prefix + (field.label.text if field.label else field.name)


def in_words(form: FlaskForm) -> list[tuple[str | None, str, str]]:
    """Rewrite every error of form in words (in place); the summary's entries:
    (the id to link to or None, the field's label, the message)."""
    labels = {name: f.label.text for name, f in form._fields.items() if f.label}
    entries: list[tuple[str | None, str, str]] = []
    for top in form:
        for field, text in _leaves(top):
            if not isinstance(field.errors, list | tuple):
                continue
            own = [e for e in field.errors if isinstance(e, str)]
            if not own:
                continue
            if field.name == "csrf_token":
                words = [EXPIRED]
            else:
                # One message a field: the first thing to fix (a number that is no number
                # needs no word about its range).
                words = [plain(own[0], labels)]
                if field.type in CHOICES and words[0].startswith("Write a"):
                    words = ["Choose one of the listed values."]  # a choice, not a number
            rest = [e for e in field.errors if not isinstance(e, str)]
            if isinstance(field.errors, tuple):
                field.errors = [*words, *rest]
            else:
                field.errors[:] = [*words, *rest]
            if field.name == "csrf_token" or field.type in ("HiddenField", "CSRFTokenField"):
                entries += [(None, "", w) for w in words]
                continue
            target = field.entries[0] if isinstance(field, FieldList) and field.entries else field
            while isinstance(target, FormField):
                target = next(iter(target.form), target)
                if target is field:
                    break
            entries += [(_anchor(target), text, w) for w in words]
    form_errors = list(dict.fromkeys(plain(e, labels) for e in form.form_errors if e))
    if hasattr(form, "form_errors") and isinstance(form.form_errors, list):
        form.form_errors[:] = form_errors
    entries = [(None, "", m) for m in form_errors] + entries
    return entries


# The pages whose purpose is a form: the cursor starts in its first field (static/js/focus.js).
FORM_PAGES = re.compile(
    r"^(auth/login|account/password|actuals/(new|upload)|admin/(user_new|user_edit|"
    r"department_form)|meetings/review_form|objectives/(form|indicator_form)|"
    r"plans/(form|check_in|indicator_new)|strategy/\w+_form)\.html$"
)


def _has_errors(form: FlaskForm) -> bool:
    # Not form.errors: errors moved onto a list's rows (a milestone's date) are not in it.
    if form.form_errors:
        return True
    return any(
        any(isinstance(e, str) for e in (field.errors or ()))
        for top in form
        for field, _ in _leaves(top)
        if isinstance(field.errors, list | tuple)
    )


def _summarise(sender: Flask, template, context: dict, **extra) -> None:
    """Before any page renders: its forms' errors in words, and their summary."""
    if template.name and FORM_PAGES.match(template.name):
        context.setdefault("autofocus_page", True)
    summary: list[tuple[str | None, str, str]] = []
    for value in list(context.values()):
        if isinstance(value, FlaskForm) and _has_errors(value):
            summary += in_words(value)
    if summary and "error_summary" not in context:
        context["error_summary"] = list(dict.fromkeys(summary))


def register(app: Flask) -> None:
    """Show every form's errors in words and summarised at the top of its page."""
    before_render_template.connect(_summarise, app)
