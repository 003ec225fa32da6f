"""Forms of the plan pages; the field rules live in strategy_app.schemas (shared with the API).

The WTForms fields render the widgets and keep what was typed; `typed` hands the raw text
to the pydantic schema, which coerces and validates it (and names the field at fault).
"""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, ValidationError

from strategy_app.models import PLAN_STATES
from strategy_app.widgets import QuickSelect

STATE_LABELS = {
    "planned": "Planned",
    "in_progress": "In progress",
    "done": "Done",
    "blocked": "Blocked",
    "cancelled": "Cancelled",
}
STATE_CHOICES = [SelectChoice(s, STATE_LABELS[s]) for s in PLAN_STATES]
CONFIDENCE_CHOICES = [
    SelectChoice("1", "1 · very low"),
    SelectChoice("2", "2 · low"),
    SelectChoice("3", "3 · medium"),
    SelectChoice("4", "4 · high"),
    SelectChoice("5", "5 · very high"),
]
# Fields that may be left empty (empty means "none").
NULLABLE = frozenset({"owner_id", "start_date", "due_date", "budget"})
PLAN_FIELDS = (
    "objective_id",
    "department_id",
    "title",
    "description",
    "owner_id",
    "start_date",
    "due_date",
    "state",
    "progress_pct",
    "budget",
)


def typed(form: FlaskForm, names: tuple[str, ...]) -> dict[str, Any]:
    """What was typed into the named fields, as text for a schema.

    A field missing from the request is left out (the schema's default, or "unchanged" for
    a patch); an empty optional field is None; textarea line ends are normalised.
    """
    data: dict[str, Any] = {}
    for name in names:
        field = form[name]
        if not field.raw_data:
            continue
        value = field.raw_data[0]
        if isinstance(value, str):
            value = value.replace("\r\n", "\n")
            if name in NULLABLE and not value.strip():
                value = None
        data[name] = value
    return data


def place_form_errors(form: FlaskForm) -> None:
    """Put a whole-form message that names a field ("due_date must not be …") beside it."""
    labels = {name: field.label.text for name, field in form._fields.items()}
    kept = []
    for message in form.form_errors:
        first = message.split(" ", 1)[0] if isinstance(message, str) else ""
        if first in labels and first not in ("csrf_token", "version", "original"):
            text = message
            for name, label in labels.items():
                text = re.sub(rf"\b{name}\b", label, text)
            form[first].errors = [*form[first].errors, text]
        else:
            kept.append(message)
    form.form_errors = kept


class PlanForm(FlaskForm):
    """A department's action plan."""

    objective_id = SelectField("Objective", validate_choice=False)
    department_id = SelectField(
        "Department", validate_choice=False, description="The department that runs the plan."
    )
    title = StringField("Title", render_kw={"maxlength": 200})
    description = TextAreaField("Description", render_kw={"rows": 4})
    owner_id = SelectField(
        "Owner",
        validate_choice=False,
        description="A person of the plan's department, or an executive.",
    )
    start_date = DateField("Start date")
    due_date = DateField("Due date")
    state = SelectField("State", choices=STATE_CHOICES, default="planned", validate_choice=False)
    progress_pct = IntegerField(
        "Progress (%)", default=0, render_kw={"min": 0, "max": 100, "step": 1}
    )
    budget = StringField(
        "Budget",
        description="Optional, in the company's currency.",
        render_kw={"inputmode": "decimal"},
    )


class PlanEditForm(PlanForm):
    """A plan being edited: the version read and the values as they were when read."""

    version = HiddenField()
    original = HiddenField()  # JSON of the values loaded, to show what others changed since


class CheckInForm(FlaskForm):
    """A progress update on a plan."""

    state = SelectField("State", choices=STATE_CHOICES, validate_choice=False)
    progress_pct = IntegerField("Progress (%)", render_kw={"min": 0, "max": 100, "step": 1})
    confidence = RadioField(
        "Confidence that the plan meets its due date",
        choices=CONFIDENCE_CHOICES,
        default="3",
        validate_choice=False,
    )
    text = TextAreaField(
        "What happened, what is next", render_kw={"rows": 4}, description="Optional."
    )


class DependencyForm(FlaskForm):
    """Mark the plan as blocked by another department's plan."""

    blocked_by_id = SelectField("Blocked by", validate_choice=False)
    note = StringField("Note", description="Optional: what you are waiting for.")


class PlanFilterForm(FlaskForm):
    """Filters of the plan list (read from the query string, so no CSRF token)."""

    class Meta:
        csrf = False

    department = SelectField("Department", default="")
    state = SelectField(
        "State", choices=[SelectChoice("", "Any state"), *STATE_CHOICES], default=""
    )
    owner = SelectField("Owner", default="", widget=QuickSelect())
    objective = SelectField("Objective", default="", widget=QuickSelect())
    overdue = SelectField(
        "Overdue",
        choices=[SelectChoice("", "Overdue or not"), SelectChoice("yes", "Overdue only")],
        default="",
    )
    q = StringField(
        "Text", validators=[Length(max=200)], render_kw={"type": "search", "maxlength": 200}
    )
    archived = HiddenField()

    def validate_q(self, field):
        if "\x00" in (field.data or ""):
            raise ValidationError("Remove the NUL characters.")
