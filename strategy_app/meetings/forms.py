"""The review form: date, attendees, notes, and decision rows that may become action plans.

WTForms renders the fields and keeps what was typed; the rules live in
schemas.reviews.ReviewIn and services.reviews. Decision rows work like the indicator form's
milestone rows: blank rows are ignored, "Add another decision" posts the form back with one
more row (static/js/review-form.js adds it in the page instead).
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)

from strategy_app.plans.common import objective_choices, plannable_departments
from strategy_app.services.evaluation.clock import today

ADD_ROW = "add_row"  # name of the "Add another decision" submit button
BLANK_ROWS = 2  # blank decision rows offered on a new form
_ROW_KEY = re.compile(r"decisions-(\d{1,6})-(\w{1,20})")
_TYPED = ("text", "plan_title", "due_date")  # a row with any of these (or make_plan) is filled
_FALSE = ("", "false", "n", "no", "off", "0")


class DecisionRow(Form):
    """One decision; with "make it an action plan" ticked, the plan's objective and department."""

    text = TextAreaField("Decision", render_kw={"rows": 2})
    make_plan = BooleanField("Make it an action plan", false_values=_FALSE)
    plan_title = StringField("Plan title", description="Blank: the decision's first line.")
    objective_id = SelectField("Objective", validate_choice=False)
    department_id = SelectField("Department", validate_choice=False)
    due_date = DateField("Due date (optional)")


class ReviewForm(FlaskForm):
    """A review meeting: the rules live in schemas.reviews.ReviewIn."""

    date = DateField("Date of the review")
    attendees = TextAreaField(
        "Attendees",
        render_kw={"rows": 2},
        description="Who took part, for example names separated by commas.",
    )
    notes = TextAreaField("Notes", render_kw={"rows": 5})
    decisions = FieldList(FormField(DecisionRow), label="Decisions")


def compact_rows(formdata: MultiDict) -> MultiDict:
    """The posted data with decision rows renumbered: filled rows first, blank rows last.

    Blank rows are left out of what is saved, so the n-th decision sent to the schema is
    row n of the form and an error about "decisions.n" lands beside that row.
    """
    out: MultiDict = MultiDict()
    rows: dict[int, dict[str, str]] = {}
    for key, value in formdata.items(multi=True):
        match = _ROW_KEY.fullmatch(key)
        if match:
            rows.setdefault(int(match[1]), {}).setdefault(match[2], value)
        elif not key.startswith("decisions-"):
            out.add(key, value)
    ordered = [rows[i] for i in sorted(rows)]
    filled = [r for r in ordered if _filled(r)]
    blank = [r for r in ordered if not _filled(r)]
    for n, row in enumerate(filled + blank):
        for name, value in row.items():
            out.add(f"decisions-{n}-{name}", value)
    return out


def _filled(row: dict[str, str]) -> bool:
    typed = any(row.get(name, "").strip() for name in _TYPED)
    return typed or row.get("make_plan", "").strip().lower() not in _FALSE


def _raw(field: Field) -> str:
    """What was typed into a field ("" when nothing), line ends normalised."""
    if not field.raw_data:
        return ""
    value = field.raw_data[0]
    return value.replace("\r\n", "\n") if isinstance(value, str) else ""


def _plan_wanted(row: FormField) -> bool:
    """Whether the row's checkbox was sent ticked (any value but a false one)."""
    return _raw(row.form.make_plan).strip().lower() not in _FALSE


def _blank(row: FormField) -> bool:
    f = row.form
    return not _plan_wanted(row) and not any(_raw(f[name]).strip() for name in _TYPED)


def fill_choices(form: ReviewForm) -> None:
    """The objective and department choices of every row (the departments the user may plan
    for: executives any, leads their own); two queries."""
    objectives = [SelectChoice("", "— choose —"), *objective_choices()]
    departments = [SelectChoice("", "— choose —")] + [
        SelectChoice(str(d.id), d.name) for d in plannable_departments()
    ]
    form.objective_choices, form.department_choices = objectives, departments
    for row in form.decisions:
        _row_choices(form, row)


def _row_choices(form: ReviewForm, row: FormField) -> None:
    row.form.objective_id.choices = form.objective_choices
    row.form.department_id.choices = form.department_choices


def review_form() -> ReviewForm:
    """The form for this request: what was posted, or today's date and blank rows."""
    if request.method == "POST":
        return ReviewForm(formdata=compact_rows(request.form))
    form = ReviewForm(data={"date": today()})
    for _ in range(BLANK_ROWS):
        form.decisions.append_entry()
    return form


def add_row_requested(form: ReviewForm) -> bool:
    """Whether "Add another decision" was pressed; if so the form now has one more blank row."""
    if ADD_ROW not in request.form:
        return False
    _row_choices(form, form.decisions.append_entry())
    return True


def ensure_blank_row(form: ReviewForm) -> None:
    """Leave a blank row at the end, to add a decision while correcting the form."""
    if not form.decisions.entries or not _blank(form.decisions.entries[-1]):
        _row_choices(form, form.decisions.append_entry())


def review_data(form: ReviewForm) -> dict[str, Any]:
    """The form's values in the shape of schemas.reviews.ReviewIn (blank rows left out; the
    plan fields of a decision only when it is to become a plan)."""
    decisions = []
    for row in form.decisions:
        if _blank(row):
            continue
        f = row.form
        decision: dict[str, Any] = {"text": _raw(f.text)}
        if _plan_wanted(row):
            # the value as sent: the schema takes a checkbox's "y" and refuses nonsense
            decision["make_plan"] = _raw(f.make_plan).strip()
            for name in ("plan_title", "objective_id", "department_id", "due_date"):
                decision[name] = _raw(f[name]).strip() or None
        decisions.append(decision)
    return {
        "date": _raw(form.date).strip() or None,
        "attendees": _raw(form.attendees),
        "notes": _raw(form.notes),
        "decisions": decisions,
    }
