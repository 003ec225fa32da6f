"""Pieces the strategy views share: access, owner choices, form answers, link-row errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from pydantic import BaseModel
from wtforms import SelectChoice

from strategy_app import forms, policy
from strategy_app.extensions import db
from strategy_app.models import User
from strategy_app.schemas.common import ID_URL, parse
from strategy_app.schemas.inputs import REPEATED_LINK
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.strategy.forms import NONE_CHOICE

T = TypeVar("T")
ID = ID_URL  # ids beyond the column's range are simply not found


def require(action: str = policy.STRATEGY) -> None:
    """403 (recorded) unless the signed-in user may do action; used before any form shows."""
    policy.require(current_user, action)


def owner_choices(current_owner_id: int | None = None) -> list[SelectChoice]:
    """Active users for an owner select, plus the current owner if deactivated since."""
    users = db.session.scalars(
        sa.select(User)
        .where(sa.or_(User.active.is_(True), User.id == (current_owner_id or -1)))
        .order_by(sa.func.lower(User.name), User.id)
    )
    return [NONE_CHOICE] + [
        SelectChoice(str(u.id), u.name + ("" if u.active else " (deactivated)")) for u in users
    ]


def render_form(template: str, form: FlaskForm, **context: Any):
    """The form page; after a post it carries errors (a valid post redirects): 422."""
    # Not form.errors: errors attached to a row of a FieldList do not show up there.
    return render_template(template, form=form, **context), (
        422 if request.method == "POST" else 200
    )


def _remap(form: FlaskForm, fields: dict[str, list[str]], rows: Sequence[int]):
    """Point errors of links[i] at the form row it came from, and whole-form errors at the
    field their message starts with ("period_end must not be ...", "links name ...")."""
    out: dict[str, list[str]] = {}
    for key, messages in fields.items():
        if key == "body":
            for message in messages:
                name = message.split(" ", 1)[0]
                if message.lower().startswith(REPEATED_LINK[:40]):
                    name = "links"  # beside the rows it is about
                out.setdefault(name if name in form._fields else "body", []).append(message)
            continue
        parts = key.split(".")
        if parts[0] == "links" and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(rows):
                parts[1] = str(rows[index])
        out.setdefault(".".join(parts), []).extend(messages)
    return out


def submit_rows(
    form: FlaskForm,
    schema: type[BaseModel],
    action: Callable[[Any], T],
    data: dict[str, Any],
    rows: Sequence[int],
) -> T | None:
    """forms.submit for data whose `links` holds only some of the form's rows.

    rows[i] is the form row that data["links"][i] came from, so that an error about a link
    shows beside the row the user filled in, not beside whichever row has the same index.
    """
    widgets_ok = form.validate()  # CSRF, dates, choices; the schema's errors show as well
    try:
        parse(schema, data)
    except ValidationFailed as exc:
        fields = _remap(form, exc.fields, rows)
        if not widgets_ok:
            fields = {
                key: messages
                for key, messages in fields.items()
                if not any(
                    isinstance(e, str) for e in getattr(forms._field_at(form, key), "errors", ())
                )
            }
        forms.attach_errors(form, fields)
        return None
    if not widgets_ok:
        return None

    def run(parsed: Any) -> T:
        try:
            return action(parsed)
        except ValidationFailed as exc:
            raise ValidationFailed(_remap(form, exc.fields, rows), exc.message) from None

    return forms.submit(form, schema, run, data)
