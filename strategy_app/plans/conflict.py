"""The optimistic lock on the plan form (DESIGN §6): what others changed since the form was read.

The edit form carries the version it read and, in a hidden field, the values it showed.
When a save is refused as stale, each field whose value moved on since is reported with who
changed it (from the audit log) and what to; a field this user left alone takes the new
value in the form, a field they changed keeps what they typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_wtf import FlaskForm

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, AuditEvent, Department, Objective, User
from strategy_app.plans.forms import PLAN_FIELDS, STATE_LABELS
from strategy_app.schemas.inputs import PlanPatch

MAX_EVENTS = 50
CENT = Decimal("0.01")


def norm(name: str, value: Any) -> str | None:
    """A field's value as comparable text (ids, dates, money and text alike)."""
    if value is None:
        return None
    if name == "budget":
        try:
            return str(Decimal(str(value)).quantize(CENT))
        except (InvalidOperation, ValueError):
            return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace("\r\n", "\n")
    return str(value)


def snapshot(plan: ActionPlan) -> dict[str, str | None]:
    """The plan's editable values as comparable text."""
    return {name: norm(name, getattr(plan, name)) for name in PLAN_FIELDS}


def dump(values: dict[str, str | None]) -> str:
    """The snapshot as the hidden field's text."""
    return json.dumps(values, separators=(",", ":"))


def load(text: str | None) -> dict[str, str | None]:
    """The hidden field's snapshot; anything malformed counts as nothing known."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k in PLAN_FIELDS and (v is None or isinstance(v, str))}


def only_changed(plan: ActionPlan, data: PlanPatch) -> PlanPatch:
    """The patch reduced to the fields whose value differs from the plan's."""
    values = data.model_dump(exclude_unset=True, exclude={"version"})
    changed = {k: v for k, v in values.items() if norm(k, v) != norm(k, getattr(plan, k))}
    return PlanPatch(version=data.version, **changed)


@dataclass(frozen=True)
class Change:
    """A field someone else changed since this user read the form."""

    field: str
    label: str
    who: str
    shown: str
    outcome: str  # "taken": the form now shows it; "kept": this user's value is kept; "same"

    @property
    def sentence(self) -> str:
        return f"{self.who} changed {self.label} to {self.shown}."


def _who_changed(plan: ActionPlan, since_version: int) -> dict[str, str]:
    """Who made the latest change of each field in the updates after since_version."""
    count = max(0, min(plan.version - since_version, MAX_EVENTS))
    if not count:
        return {}
    rows = db.session.execute(
        sa.select(AuditEvent.changes, User.name)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(
            AuditEvent.entity_type == "ActionPlan",
            AuditEvent.entity_id == plan.id,
            AuditEvent.action.in_(("update", "archive", "restore")),
        )
        .order_by(AuditEvent.id.desc())
        .limit(count)
    )
    who: dict[str, str] = {}
    for changes, name in rows:  # newest first: the first seen is the latest change
        for field in changes or {}:
            who.setdefault(field, name or "The system")
    return who


def shown(plan: ActionPlan, name: str) -> str:
    """A field's current value as a person reads it."""
    value = getattr(plan, name)
    if value is None or value == "":
        return "(empty)"
    if name == "owner_id":
        user = db.session.get(User, value)
        return user.name if user else f"#{value}"
    if name == "objective_id":
        objective = db.session.get(Objective, value)
        return f"“{objective.title}”" if objective else f"#{value}"
    if name == "department_id":
        department = db.session.get(Department, value)
        return department.name if department else f"#{value}"
    if name == "state":
        return STATE_LABELS.get(value, value)
    if name == "progress_pct":
        return f"{value}%"
    text = norm(name, value) or ""
    if name in ("title", "description"):
        text = text if len(text) <= 120 else text[:119] + "…"
        return f"“{text}”"
    return text


def _put(field, text: str | None) -> None:
    field.data = text or ""
    field.raw_data = [text or ""]


def merge(
    form: FlaskForm, plan: ActionPlan, typed: PlanPatch | None, loaded_version: int | None
) -> list[Change]:
    """Report others' changes since the form was read and prepare the form for a new save.

    The hidden version becomes the current one (so a deliberate second save goes through),
    and the hidden snapshot the current values.
    """
    current = snapshot(plan)
    original = load(form.original.data)
    mine = {k: norm(k, v) for k, v in typed.model_dump(exclude_unset=True).items()} if typed else {}
    who = _who_changed(plan, loaded_version or plan.version)
    changes = []
    for name in PLAN_FIELDS:
        if name not in original or original[name] == current[name]:
            continue
        my_value = mine.get(name, original[name])
        if my_value == current[name]:
            outcome = "same"
        elif my_value == original[name]:
            outcome = "taken"
            _put(form[name], current[name])
        else:
            outcome = "kept"
        label = form[name].label.text
        change = Change(name, label, who.get(name, "Someone else"), shown(plan, name), outcome)
        changes.append(change)
        form[name].description = (
            change.sentence
            + {
                "same": " You typed the same.",
                "taken": " The form now shows their value.",
                "kept": " What you typed is kept: saving again replaces their value.",
            }[outcome]
        )
    form.version.data = str(plan.version)
    form.version.raw_data = [form.version.data]
    form.original.data = dump(current)
    form.original.raw_data = [form.original.data]
    return changes
