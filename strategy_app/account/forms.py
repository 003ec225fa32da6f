"""Forms of the account pages."""

from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, ValidationError

from strategy_app.forms import no_nul
from strategy_app.services.writes.tokens import DEFAULT_DAYS, MAX_DAYS
from strategy_app.services.writes.users import MAX_PASSWORD, password_problems


class PasswordForm(FlaskForm):
    """Change one's own password (the current one is asked for)."""

    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(max=MAX_PASSWORD)],
        description="12 to 128 characters; a passphrase of a few words is easy to remember.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two entries differ.")],
    )
    submit = SubmitField("Change password")

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_new_password(self, field):
        problems = password_problems(field.data or "", self._email)
        if problems:
            raise ValidationError(" ".join(problems))


class TokenForm(FlaskForm):
    """A new personal API token."""

    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=120), no_nul],
        description="What uses it, e.g. “CRM nightly import”.",
    )
    scope = SelectField(
        "Scope", choices=[SelectChoice("read", "Read"), SelectChoice("write", "Read and write")]
    )
    days = IntegerField(
        "Expires after (days)",
        default=DEFAULT_DAYS,
        validators=[DataRequired(), NumberRange(min=1, max=MAX_DAYS)],
    )
    submit = SubmitField("Create token")
