"""Forms of the actuals pages: one actual (with its explanation when off track), a CSV import."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileSize
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Optional

from strategy_app.services.dataio.actuals_import import MAX_BYTES

KIND_LABELS = {
    "check_in": "Post a check-in on the plan",
    "record": "Record the explanation",
    "new_plan": "Create a new action plan",
}
CONFIDENCE_CHOICES = [
    SelectChoice("1", "1 · very low"),
    SelectChoice("2", "2 · low"),
    SelectChoice("3", "3 · medium"),
    SelectChoice("4", "4 · high"),
    SelectChoice("5", "5 · very high"),
]


def int_or_none(value) -> int | None:
    """A select's value as an id: "" (or nothing) is None."""
    if value in (None, "", "None"):
        return None
    return int(value)


class _ExplanationFields(FlaskForm):
    """Why an actual leaves its indicator off track and what follows (services.variance)."""

    explanation = TextAreaField(
        "Why is it off track?", description="What happened: the cause, as far as you know it."
    )
    kind = RadioField("Corrective action", choices=[], validate_choice=False)
    action = TextAreaField(
        "What will be done?",
        description="The corrective action: who does what, by when.",
    )
    confidence = SelectField(
        "Confidence that the plan gets back on track",
        choices=CONFIDENCE_CHOICES,
        default="3",
        validate_choice=False,
    )
    department_id = SelectField(
        "Department of the new plan", coerce=int_or_none, choices=[], validate_choice=False
    )
    title = StringField("Title of the new plan")
    explaining = HiddenField()  # set once the explanation has been asked for

    def explanation_data(self) -> dict:
        """The explanation's values for services.variance.VarianceIn."""
        data = {
            "explanation": self.explanation.data or "",
            "kind": self.kind.data or None,
            "action": self.action.data or "",
            "confidence": self.confidence.data,
        }
        if self.kind.data == "new_plan":
            data["department_id"] = self.department_id.data
            data["title"] = self.title.data or None
        return data


class ActualForm(_ExplanationFields):
    """One actual result: date, value, note."""

    date = DateField("Date", validators=[Optional()])
    value = StringField("Value", render_kw={"inputmode": "decimal"})
    note = TextAreaField("Note", description="Optional: where the figure comes from, context.")
    submit = SubmitField("Save actual")

    def measurement_data(self) -> dict:
        """The actual's values for schemas.inputs.MeasurementIn."""
        return {"date": self.date.data, "value": self.value.data, "note": self.note.data or ""}


class UploadForm(_ExplanationFields):
    """Several actuals pasted or uploaded as CSV; previewed first, then saved all together."""

    csv_text = TextAreaField(
        "Paste CSV",
        description="One actual per line: date,value,note (or date;value;note). "
        "A header line is optional.",
        render_kw={"rows": 8, "spellcheck": "false"},
    )
    csv_file = FileField(
        "…or upload a .csv file",
        validators=[Optional(), FileSize(MAX_BYTES, message="The file is larger than 1 MB.")],
        description="UTF-8, at most 1 MB and 1,000 rows.",
        render_kw={"accept": ".csv,text/csv"},
    )
    checked = HiddenField()  # the text as previewed, carried to the save step
    preview = SubmitField("Preview")
    save = SubmitField("Save all")
