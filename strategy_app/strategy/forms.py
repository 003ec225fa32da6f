"""Forms of the strategy pages: widgets and coercion only (the field rules are the schemas')."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

MAX_LINK_ROWS = 100  # as many as ServiceStrategyIn accepts

NONE_CHOICE = SelectChoice("", "— none —")
COMPANY_STATUS_CHOICES = [SelectChoice("active", "Active"), SelectChoice("archived", "Archived")]
SERVICE_STATUS_CHOICES = [SelectChoice("draft", "Draft"), SelectChoice("active", "Active")]
FIT_CHOICES = [
    SelectChoice("", "— not linked —"),
    SelectChoice("supports", "Supports"),
    SelectChoice("neutral", "Neutral"),
    SelectChoice("conflicts", "Conflicts"),
]


def int_or_none(value) -> int | None:
    """A select's value: "" (or nothing) is None, anything else an integer id."""
    if value in (None, "", "None"):
        return None
    return int(value)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class OrganizationForm(FlaskForm):
    """The organization's name, vision and mission."""

    name = StringField("Name of the organization", filters=[_strip], default="")
    vision = TextAreaField(
        "Vision",
        filters=[_strip],
        default="",
        description="Where the company wants to be: the sentence every strategy serves.",
        render_kw={"rows": 3},
    )
    mission = TextAreaField("Mission", filters=[_strip], default="", render_kw={"rows": 3})


class CompanyStrategyForm(FlaskForm):
    """A company (general) strategy."""

    title = StringField("Title", filters=[_strip], default="")
    description = TextAreaField("Description", filters=[_strip], default="", render_kw={"rows": 4})
    owner_id = SelectField("Owner", coerce=int_or_none, description="Optional.")
    status = SelectField(
        "Status",
        choices=COMPANY_STATUS_CHOICES,
        default="active",
        description="An archived strategy leaves the cascade; an executive can restore it.",
    )


class LinkForm(Form):
    """How the service strategy fits one company strategy (one row of the links)."""

    company_strategy_id = HiddenField()
    fit = SelectField("Fit", choices=FIT_CHOICES, default="")
    rationale = TextAreaField("Why", filters=[_strip], default="", render_kw={"rows": 2})


class ServiceStrategyForm(FlaskForm):
    """The customer-service strategy and how it fits each company strategy."""

    title = StringField("Title", filters=[_strip], default="")
    statement = TextAreaField(
        "Statement",
        filters=[_strip],
        default="",
        description="What the service promises the customer, in a paragraph.",
        render_kw={"rows": 4},
    )
    owner_id = SelectField("Owner", coerce=int_or_none, description="Optional.")
    period_start = DateField("Period start", validators=[Optional()])
    period_end = DateField("Period end", validators=[Optional()])
    status = SelectField("Status", choices=SERVICE_STATUS_CHOICES, default="active")
    links = FieldList(FormField(LinkForm), max_entries=MAX_LINK_ROWS)
