"""The assessment form (a 0–4 score and a comment per statement) and the weak-element plan form.

WTForms renders the fields, keeps what was typed and checks CSRF; the rules live in
schemas.health (shared with the API). Errors the schema reports by answer index
("answers.3.score") are put back beside the statement they are about.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)

from strategy_app.forms import attach_errors
from strategy_app.services.evaluation import checklist

NOT_ANSWERED = ""
SCORE_CHOICES = [SelectChoice(NOT_ANSWERED, "Not answered")] + [
    SelectChoice(str(n), f"{n} · {label}") for n, label in checklist.SCORE_LABELS.items()
]


def score_name(key: str) -> str:
    """The form field of a statement's score ("systems.3" → "score_systems_3")."""
    return "score_" + key.replace(".", "_")


def comment_name(key: str) -> str:
    """The form field of a statement's comment."""
    return "comment_" + key.replace(".", "_")


class AssessmentForm(FlaskForm):
    """An assessment: date, notes, and for each statement a score and a comment (added below)."""

    date = DateField("Date of the assessment")
    notes = TextAreaField(
        "Notes",
        render_kw={"rows": 3},
        description="Who took part, what you agreed; optional.",
    )


for _statement in checklist.statements():
    setattr(
        AssessmentForm,
        score_name(_statement.key),
        RadioField(
            _statement.text, choices=SCORE_CHOICES, default=NOT_ANSWERED, validate_choice=False
        ),
    )
    setattr(AssessmentForm, comment_name(_statement.key), StringField("Comment (optional)"))


def raw(field: Field) -> str:
    """What was sent for a field ("" when nothing), line ends normalised."""
    if not field.raw_data:
        return ""
    value = field.raw_data[0]
    return value.replace("\r\n", "\n") if isinstance(value, str) else ""


def assessment_data(form: AssessmentForm) -> tuple[dict[str, Any], list[str]]:
    """The form's values in the shape of schemas.health.AssessmentIn, and the statement key of
    each answer by index (unanswered statements are left out)."""
    answers, keys = [], []
    for statement in checklist.statements():
        score = raw(form[score_name(statement.key)]).strip()
        comment = raw(form[comment_name(statement.key)])
        if score == NOT_ANSWERED:
            if comment.strip():  # a comment on an unscored statement is not thrown away
                answers.append({"statement_key": statement.key, "score": None, "comment": ""})
                keys.append(statement.key)
            continue
        answers.append({"statement_key": statement.key, "score": score, "comment": comment})
        keys.append(statement.key)
    data = {"date": raw(form.date).strip() or None, "notes": raw(form.notes), "answers": answers}
    return data, keys


def put_errors(form: AssessmentForm, fields: dict[str, list[str]], keys: list[str]) -> None:
    """Errors by answer index moved beside their statement's score or comment."""
    moved: dict[str, list[str]] = {}
    for name, messages in fields.items():
        parts = name.split(".")
        if parts[0] == "answers" and len(parts) == 3 and parts[1].isdigit():
            key = keys[int(parts[1])]
            target = comment_name(key) if parts[2] == "comment" else score_name(key)
            if target == score_name(key) and not raw(form[target]).strip():
                messages = ["Choose a score to keep the comment, or clear the comment."]
            moved.setdefault(target, []).extend(messages)
        elif name == "answers":
            form.form_errors.extend(messages)
        else:
            moved.setdefault(name, []).extend(messages)
    attach_errors(form, moved)


def statement_fields(form: AssessmentForm, statement: checklist.Statement) -> tuple[Field, Field]:
    """The score and comment fields of a statement."""
    return form[score_name(statement.key)], form[comment_name(statement.key)]


class ElementPlanForm(FlaskForm):
    """A plan to strengthen a weak element: the rules live in schemas.health.ElementPlanIn."""

    title = StringField("Plan title")
    department_id = SelectField("Department that carries it", validate_choice=False)
    objective_id = SelectField(
        "Objective it serves",
        validate_choice=False,
        description="The objective the plan contributes to; its indicators show the effect.",
    )
    due_date = DateField("Due date (optional)")


def element_plan_data(form: ElementPlanForm) -> dict[str, Any]:
    """The form's values in the shape of schemas.health.ElementPlanIn."""
    return {
        "title": raw(form.title).strip(),
        "department_id": raw(form.department_id).strip() or None,
        "objective_id": raw(form.objective_id).strip() or None,
        "due_date": raw(form.due_date).strip() or None,
    }
