"""Forms of the NPS pages: one response, a CSV import, a follow-up, the follow-up filters."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from strategy_app.forms import no_nul
from strategy_app.schemas.nps import FIRST_DAY

STATE_CHOICES = [
    SelectChoice("open", "Open"),
    SelectChoice("contacted", "Contacted"),
    SelectChoice("resolved", "Resolved"),
]


class ResponseForm(FlaskForm):
    """One customer's answer, as the survey recorded it."""

    date = DateField(
        "Date answered",
        validators=[InputRequired("Enter the date the customer answered.")],
        description=f"From {FIRST_DAY.isoformat()} to today.",
    )
    score = IntegerField(
        "Score (0–10)",
        validators=[
            InputRequired("Enter the score, a whole number from 0 to 10."),
            NumberRange(0, 10, "The score must be from 0 to 10."),
        ],
        description="How likely they are to recommend us: 0–6 detractor, 7–8 passive,"
        " 9–10 promoter.",
    )
    segment = StringField(
        "Segment or channel",
        validators=[Optional(), no_nul],
        description="For example: large chains.",
    )
    customer_ref = StringField("Customer reference", validators=[Optional(), no_nul])
    comment = TextAreaField("What they said", validators=[Optional(), no_nul])
    owner_id = SelectField(
        "Who follows up a detractor",
        choices=[],
        validate_choice=False,
        description="A score of 0–6 opens a follow-up for this person at once.",
    )


class ImportForm(FlaskForm):
    """A CSV file, or pasted lines; the checked text comes back with "save"."""

    csv_text = TextAreaField(
        "Paste CSV lines",
        validators=[Optional(), no_nul],
        description="date, score, segment, customer reference, comment — one response a line.",
    )
    csv_file = FileField("…or choose a CSV file")
    checked = HiddenField()
    save = HiddenField()


class FollowUpForm(FlaskForm):
    """Who follows up, where it stands, what was done, and the plan that fixes the cause."""

    owner_id = SelectField("Owner", choices=[], validate_choice=False)
    state = SelectField("State", choices=STATE_CHOICES)
    note = TextAreaField(
        "Note", validators=[Optional(), no_nul], description="What was said or done."
    )
    action_plan_id = SelectField(
        "Action plan that addresses the cause", choices=[], validate_choice=False
    )


class FollowUpFilterForm(FlaskForm):
    """The follow-up list's filters (a GET form, no CSRF)."""

    class Meta:
        csrf = False

    state = SelectField(
        "State", choices=[SelectChoice("", "Any state"), *STATE_CHOICES], validate_choice=False
    )
    owner = SelectField("Owner", choices=[], validate_choice=False)
    segment = SelectField("Segment", choices=[], validate_choice=False)


class FeedForm(FlaskForm):
    """Where an indicator's actuals come from."""

    source = SelectField(
        "Actuals come from",
        choices=[
            SelectChoice("manual", "Entered by people or systems"),
            SelectChoice("nps", "The monthly NPS"),
        ],
    )
    segment = SelectField("NPS of", choices=[], validate_choice=False)


class EvidenceForm(FlaskForm):
    """The customer evidence an objective shows beside its indicators."""

    nps_segment = SelectField("NPS segment", choices=[], validate_choice=False)
    health_element = SelectField("Service-health element", choices=[], validate_choice=False)
