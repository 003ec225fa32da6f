"""The indicator form (expected result with milestone rows), shared by objectives and plans.

A view builds the form with `indicator_form(indicator)`, re-renders it with one more row when
`add_row_requested(form)`, and saves it with `create_indicator_from(form, actor, ...)` or
`update_indicator_from(form, actor, indicator)`; the template includes
"objectives/_indicator_fields.html" inside its <form>.
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import NumberRange, Optional

from strategy_app.forms import NumberField
from strategy_app.models import Indicator, User
from strategy_app.objectives.forms import changed, strip
from strategy_app.objectives.saving import save
from strategy_app.schemas import IndicatorIn, IndicatorPatch
from strategy_app.services.writes import cascade

BLANK_ROWS = 3  # blank milestone rows offered below the existing ones
ADD_ROW = "add_row"  # name of the "Add another row" submit button
DEFAULT_TOLERANCE = IndicatorIn.model_fields["tolerance"].default
DIRECTION_CHOICES = [
    SelectChoice("increase", "Increase (higher is better)"),
    SelectChoice("decrease", "Decrease (lower is better)"),
    SelectChoice("maintain", "Maintain (stay close to the target)"),
]
_ROW_KEY = re.compile(r"milestones-(\d{1,6})-(date|expected_value)")
_ROW_FIELDS = ("date", "expected_value")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class MilestoneRow(Form):
    """One milestone row: a date and the value expected on it (both blank: no milestone)."""

    date = DateField("Date", validators=[Optional()])
    expected_value = NumberField("Expected value", validators=[Optional()])


class IndicatorForm(FlaskForm):
    """An expected result: the rules live in schemas.IndicatorIn and services.rules."""

    name = StringField("Name", filters=[strip])
    unit = StringField("Unit", filters=[strip], description="For example %, days, orders, €.")
    direction = SelectField(
        "Direction", choices=DIRECTION_CHOICES, default="increase", validate_choice=False
    )
    baseline_value = NumberField("Baseline value", validators=[Optional()])
    baseline_date = DateField("Baseline date", validators=[Optional()])
    target_value = NumberField("Target value", validators=[Optional()])
    target_date = DateField(
        "Target date",
        validators=[Optional()],
        description="After the baseline date.",
    )
    tolerance = NumberField(
        "Tolerance (%)",
        default=round(DEFAULT_TOLERANCE * 100),
        validators=[
            Optional(),
            NumberRange(min=0, max=100, message="Enter a percentage between 0 and 100."),
        ],
        description="A percentage from 0 to 100, converted to a fraction from 0 to 1 when saved"
        " (10 becomes 0.10), of the distance from baseline to target: an actual up to this far"
        " behind what is expected is at risk, further behind is off track. Blank means 10.",
    )
    external_key = StringField(
        "External key",
        filters=[strip],
        description="Optional: the name a CRM or BI system uses to send actuals for this"
        " indicator through the API. Unique.",
    )
    display_precision = IntegerField(
        "Decimals shown (optional)",
        validators=[
            Optional(),
            NumberRange(min=0, max=6, message="Enter a whole number of decimals from 0 to 6."),
        ],
        description="How many decimals its numbers are shown with on pages, charts and"
        " exports. Blank: chosen from its unit and values.",
    )
    milestones = FieldList(FormField(MilestoneRow), label="Milestones")


def _plain(value: float | None) -> float | int | None:
    """A number as a person would type it: 100 rather than 100.0."""
    if value is None:
        return None
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def indicator_form_data(indicator: Indicator) -> dict[str, Any]:
    """An indicator's values for the form (tolerance as a percentage)."""
    return {
        "name": indicator.name,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "baseline_value": _plain(indicator.baseline_value),
        "baseline_date": indicator.baseline_date,
        "target_value": _plain(indicator.target_value),
        "target_date": indicator.target_date,
        "tolerance": _plain(round(indicator.tolerance * 100, 6)),
        "external_key": indicator.external_key or "",
        "display_precision": indicator.display_precision,
        "milestones": [
            {"date": m.date, "expected_value": _plain(m.expected_value)}
            for m in indicator.milestones
        ],
    }


def compact_rows(formdata: MultiDict) -> MultiDict:
    """The posted data with milestone rows renumbered: filled rows first, blank rows last.

    Blank rows are ignored, so the n-th milestone sent to the schema is row n of the form
    and an error about "milestones.n" lands beside that row.
    """
    out: MultiDict = MultiDict()
    rows: dict[int, dict[str, str]] = {}
    for key, value in formdata.items(multi=True):
        match = _ROW_KEY.fullmatch(key)
        if match:
            rows.setdefault(int(match[1]), {}).setdefault(match[2], value)
        elif not key.startswith("milestones-"):
            out.add(key, value)
    ordered = [rows[i] for i in sorted(rows)]
    filled = [r for r in ordered if any(v.strip() for v in r.values())]
    blank = [r for r in ordered if not any(v.strip() for v in r.values())]
    for n, row in enumerate(filled + blank):
        for name in _ROW_FIELDS:
            out.add(f"milestones-{n}-{name}", row.get(name, ""))
    return out


def indicator_form(indicator: Indicator | None = None) -> IndicatorForm:
    """The form for this request: what was posted, or the indicator's values plus blank rows."""
    if request.method == "POST":
        return IndicatorForm(formdata=compact_rows(request.form))
    form = IndicatorForm(data=indicator_form_data(indicator) if indicator else None)
    for _ in range(BLANK_ROWS):
        form.milestones.append_entry()
    return form


def add_row_requested(form: IndicatorForm) -> bool:
    """Whether "Add another row" was pressed; if so the form now has one more blank row."""
    if ADD_ROW not in request.form:
        return False
    form.milestones.append_entry()
    return True


def _blank(row: FormField) -> bool:
    return all(
        not (f.raw_data and str(f.raw_data[0]).strip()) and f.data is None
        for f in (row.form.date, row.form.expected_value)
    )


def _ensure_blank_row(form: IndicatorForm) -> None:
    if not form.milestones.entries or not _blank(form.milestones.entries[-1]):
        form.milestones.append_entry()


def indicator_data(form: IndicatorForm, **parent: int) -> dict[str, Any]:
    """The form's values in the shape of schemas.IndicatorIn (parent: objective_id= or
    action_plan_id=); blank milestone rows are left out, the tolerance becomes a fraction."""
    percent = form.tolerance.data
    return {
        **parent,
        "name": form.name.data or "",
        "unit": form.unit.data or "",
        "direction": form.direction.data,
        "baseline_value": form.baseline_value.data,
        "baseline_date": form.baseline_date.data,
        "target_value": form.target_value.data,
        "target_date": form.target_date.data,
        "tolerance": DEFAULT_TOLERANCE if percent is None else percent / 100,
        "external_key": form.external_key.data or None,
        "display_precision": form.display_precision.data,
        "milestones": [
            {"date": row.form.date.data, "expected_value": row.form.expected_value.data}
            for row in form.milestones
            if not _blank(row)
        ],
    }


def _patch_data(form: IndicatorForm, indicator: Indicator) -> dict[str, Any]:
    """Only what the form changes (milestones compared as a whole)."""
    data = indicator_data(form)
    milestones = data.pop("milestones")
    patch = changed(data, indicator)
    current = [(m.date, m.expected_value) for m in indicator.milestones]
    wanted = [(m["date"], m["expected_value"]) for m in milestones]
    if wanted != current:
        patch["milestones"] = milestones
    return patch


def place_milestone_errors(form: IndicatorForm) -> None:
    """Move a rule's message about a milestone date beside the row(s) with that date."""
    kept: list = []
    for message in form.milestones.errors:
        dates = _ISO_DATE.findall(message) if isinstance(message, str) else []
        rows = [
            row
            for row in form.milestones
            if row.form.date.data is not None and row.form.date.data.isoformat() in dates
        ]
        for row in rows:
            row.form.date.errors = [*row.form.date.errors, message]
        if not rows and isinstance(message, str):
            kept.append(message)
    form.milestones.errors = kept


def _finish(form: IndicatorForm, result: Indicator | None) -> Indicator | None:
    if result is None:
        place_milestone_errors(form)
        _ensure_blank_row(form)
    return result


def create_indicator_from(
    form: IndicatorForm,
    actor: User,
    *,
    objective_id: int | None = None,
    action_plan_id: int | None = None,
) -> Indicator | None:
    """Validate and save a new indicator of an objective or a plan; None with errors shown."""
    parent = {"objective_id": objective_id} if objective_id else {"action_plan_id": action_plan_id}
    result = save(
        form,
        IndicatorIn,
        lambda data: cascade.create_indicator(actor, data),
        indicator_data(form, **parent),
    )
    return _finish(form, result)


def update_indicator_from(
    form: IndicatorForm, actor: User, indicator: Indicator
) -> Indicator | None:
    """Validate and save the changes to an indicator; None with errors shown."""
    result = save(
        form,
        IndicatorPatch,
        lambda data: cascade.update_indicator(actor, indicator, data),
        _patch_data(form, indicator),
    )
    return _finish(form, result)
