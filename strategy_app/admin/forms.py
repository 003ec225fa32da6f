"""Forms of the administration pages (users, departments, audit-log filters)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    ColorField,
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from strategy_app.forms import no_nul
from strategy_app.models import ROLES
from strategy_app.schemas.common import MAX_ID  # a larger number names nothing (and overflows)
from strategy_app.services.writes.admin import (
    COLOUR_RE,
    MAX_NAME,
    MAX_POSITION,
    MAX_SLUG,
    ROLES_NEEDING_DEPARTMENT,
    SLUG_RE,
)

ROLE_CHOICES = [SelectChoice(r, r.capitalize()) for r in ROLES]
NONE_CHOICE = SelectChoice("", "— none —")


def int_or_none(value) -> int | None:
    """Coerce a select's value: "" (or nothing) is None, anything else an integer id."""
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError("not an id")  # WTForms: "Invalid Choice: could not coerce"
    return number


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class _UserFields(FlaskForm):
    name = StringField(
        "Name", filters=[_strip], validators=[DataRequired(), Length(max=MAX_NAME), no_nul]
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default="member")
    department = SelectField(
        "Department",
        coerce=int_or_none,
        description="Required for leads and members.",
    )

    def validate_department(self, field):
        if self.role.data in ROLES_NEEDING_DEPARTMENT and field.data is None:
            raise ValidationError("Leads and members need a department.")


class NewUserForm(_UserFields):
    """A new user; a temporary password is made for them."""

    email = EmailField(
        "Email", filters=[_strip], validators=[DataRequired(), Length(max=254), no_nul]
    )

    def validate_email(self, field):
        local, _, domain = (field.data or "").partition("@")
        if not local or "." not in domain or any(c.isspace() for c in field.data):
            raise ValidationError("Enter a valid email address, e.g. name@example.com.")


class EditUserForm(_UserFields):
    """Name, role and department of an existing user (the email cannot change)."""


class DepartmentForm(FlaskForm):
    """A department: name, slug, its part in customer service, lead, colour, position."""

    name = StringField(
        "Name", filters=[_strip], validators=[DataRequired(), Length(max=MAX_NAME), no_nul]
    )
    slug = StringField(
        "Short name",
        filters=[_strip],
        validators=[DataRequired(), Length(max=MAX_SLUG)],
        description="Used in links and the API: lower-case letters, digits and hyphens.",
    )
    service_role = TextAreaField(
        "Part in customer service",
        filters=[_strip],
        validators=[Length(max=10_000), no_nul],
        description="What this department does for the customer (a paragraph).",
    )
    lead = SelectField(
        "Lead",
        coerce=int_or_none,
        validate_choice=False,  # checked against the department's leads with a clear message
        description="A user with the lead role in this department.",
    )
    colour = ColorField("Colour", default="#6c757d", validators=[DataRequired()])
    position = IntegerField(
        "Position",
        validators=[Optional(), NumberRange(min=0, max=MAX_POSITION)],
        description="Order in lists (smaller first); empty puts it last.",
    )

    def validate_slug(self, field):
        if field.data and not SLUG_RE.fullmatch(field.data):
            raise ValidationError(
                "Use lower-case letters, digits and single hyphens between them "
                "(e.g. customer-care)."
            )

    def validate_colour(self, field):
        if not COLOUR_RE.fullmatch(field.data or ""):
            raise ValidationError("Use a colour written #rrggbb.")


class _FilterForm(FlaskForm):
    """Filters read from the query string (GET, so no CSRF token)."""

    class Meta:
        csrf = False


class UserFilterForm(_FilterForm):
    """Filters of the user list."""

    role = SelectField("Role", choices=[SelectChoice("", "Any role"), *ROLE_CHOICES], default="")
    department = SelectField("Department", coerce=int_or_none)
    active = SelectField(
        "Active",
        choices=[
            SelectChoice("", "Active or not"),
            SelectChoice("yes", "Active"),
            SelectChoice("no", "Deactivated"),
        ],
        default="",
    )


class AuditFilterForm(_FilterForm):
    """Filters of the audit log."""

    user = SelectField("Who", coerce=int_or_none)
    # choices (the log's own words for each recorded action and kind of thing) set by the view
    action = SelectField("What", default="")
    entity_type = SelectField("About", default="")
    date_from = DateField("From (UTC)", validators=[Optional()])
    date_to = DateField("To (UTC)", validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")
