"""Forms of the objective pages: the objective itself and the filters of the list."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from strategy_app.forms import no_nul
from strategy_app.models import Objective
from strategy_app.schemas.common import MAX_ID
from strategy_app.services.evaluation.rules import STATUSES
from strategy_app.widgets import QuickSelect

# Offered in the tag input's suggestions, besides the tags already in use.
TAG_SUGGESTIONS = (
    "moment of truth: ordering",
    "moment of truth: delivery",
    "critical success factor",
    "customer",
    "cash",
    "cost",
    "people",
)
STATUS_LABELS = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "no_data": "No data",
}


def int_or_none(value) -> int | None:
    """Coerce a select's value: "" (or nothing) is None, anything else an integer id."""
    if value in (None, "", "None"):
        return None
    return int(value)


def strip(value):
    """Trim what was typed (the schemas trim too; this keeps the re-rendered form tidy)."""
    return value.strip() if isinstance(value, str) else value


def parse_tags(text: str | None) -> list[str]:
    """Split "a, b, a" into ["a", "b"]: trimmed, blanks dropped, each tag once."""
    tags: list[str] = []
    seen: set[str] = set()
    for raw in (text or "").split(","):
        tag = raw.strip()
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags


class ObjectiveForm(FlaskForm):
    """An objective under a service strategy (the rules live in schemas.ObjectiveIn)."""

    service_strategy_id = SelectField(
        "Service strategy",
        coerce=int_or_none,
        validate_choice=False,  # the service says whether it exists and is live
        validators=[InputRequired(message="Choose a service strategy.")],
    )
    title = StringField("Title", filters=[strip])
    description = TextAreaField("Description", filters=[strip], render_kw={"rows": 4})
    owner_id = SelectField("Owner", coerce=int_or_none, validate_choice=False)
    start_date = DateField("Start date", validators=[Optional()])
    due_date = DateField("Due date", validators=[Optional()])
    tags = StringField(
        "Tags",
        filters=[strip],
        description="Comma-separated, e.g. a moment of truth or a critical success factor"
        " (at most 20 tags of up to 60 characters).",
    )


def objective_data(form: ObjectiveForm) -> dict[str, Any]:
    """The form's values in the shape of schemas.ObjectiveIn."""
    return {
        "service_strategy_id": form.service_strategy_id.data,
        "title": form.title.data or "",
        "description": form.description.data or "",
        "owner_id": form.owner_id.data,
        "start_date": form.start_date.data,
        "due_date": form.due_date.data,
        "tags": parse_tags(form.tags.data),
    }


def objective_form_data(obj: Objective) -> dict[str, Any]:
    """An objective's values for the form."""
    return {
        "service_strategy_id": obj.service_strategy_id,
        "title": obj.title,
        "description": obj.description,
        "owner_id": obj.owner_id,
        "start_date": obj.start_date,
        "due_date": obj.due_date,
        "tags": ", ".join(obj.tags or ()),
    }


def changed(data: dict[str, Any], obj: Any) -> dict[str, Any]:
    """Only the values that differ from obj's: a patch leaves unchanged fields alone."""
    return {key: value for key, value in data.items() if getattr(obj, key) != value}


def id_in_range(form, field) -> None:
    """Refuse an id beyond the id columns' range: it names nothing (and overflows a query)."""
    if field.data is not None and not 1 <= field.data <= MAX_ID:
        raise ValidationError("Choose one of the listed values.")


class ObjectiveFilterForm(FlaskForm):
    """Filters of the objective list, read from the query string."""

    class Meta:
        csrf = False

    service_strategy = SelectField(
        "Service strategy", coerce=int_or_none, validate_choice=False, validators=[id_in_range]
    )
    owner = SelectField(
        "Owner",
        coerce=int_or_none,
        validate_choice=False,
        validators=[id_in_range],
        widget=QuickSelect(),
    )
    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Any status"),
            *(SelectChoice(s, STATUS_LABELS[s]) for s in STATUSES),
        ],
        default="",
    )
    tag = StringField("Tag", filters=[strip], validators=[Length(max=60), no_nul])
    q = StringField("Title contains", filters=[strip], validators=[Length(max=200), no_nul])
