"""Reminder e-mails on the account page: how often, and the signed unsubscribe link that works
without signing in (GET shows one button; POST, also RFC 8058's one-click, unsubscribes)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SubmitField

from strategy_app.account import bp
from strategy_app.extensions import csrf, db
from strategy_app.models.base import utcnow
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.services.reads.reminders import WEEKDAYS, preference
from strategy_app.services.writes import reminders

MAX_TOKEN = 500


class ReminderForm(FlaskForm):
    """How often the e-mail of what waits on me comes."""

    frequency = SelectField(
        "E-mail me what waits on me",
        choices=[
            SelectChoice("weekly", "Once a week"),
            SelectChoice("daily", "Every day"),
            SelectChoice("never", "Never"),
        ],
        description="Only when something waits on you: plans to update, actuals due, "
        "customer follow-ups open.",
    )
    weekday = SelectField(
        "On (weekly)",
        choices=[SelectChoice(str(n), day) for n, day in enumerate(WEEKDAYS)],
        description="The day of the week for the weekly e-mail.",
    )
    submit = SubmitField("Save reminder settings")


@bp.app_template_global("reminder_form")
def reminder_form() -> ReminderForm:
    """The reminder form filled with the signed-in person's choice (for the account page)."""
    pref = preference(current_user)
    return ReminderForm(
        formdata=None, data={"frequency": pref.frequency, "weekday": str(pref.weekday)}
    )


@bp.app_template_global("reminder_words")
def reminder_words() -> str:
    """The signed-in person's choice in words."""
    return preference(current_user).words


@bp.route("/reminders", methods=["POST"])
@login_required
def save_reminders():
    """Save how often I get the reminder e-mail."""
    from strategy_app.account.routes import _token_form, _tokens

    form = ReminderForm()
    if form.validate_on_submit():
        try:
            reminders.set_preference(current_user, form.frequency.data, int(form.weekday.data))
        except ValidationFailed as exc:  # pragma: no cover - the selects already refuse these
            db.session.rollback()
            form.frequency.errors = [*form.frequency.errors, *exc.fields.get("frequency", [])]
        else:
            db.session.commit()
            flash(f"Reminders: {preference(current_user).words}.", "success")
            return redirect(url_for("account.index") + "#reminders")
    page = render_template(
        "account/index.html",
        tokens=_tokens(),
        form=_token_form(),
        now=utcnow(),
        reminder_form_shown=form,
    )
    return page, 422


def _user_of(token: str):
    user = reminders.user_of_token(token) if len(token) <= MAX_TOKEN else None
    if user is None:
        abort(404, description="This unsubscribe link is not valid. Sign in to change reminders.")
    return user


@bp.route("/unsubscribe/<token>", methods=["GET"])
def unsubscribe(token: str):
    """The unsubscribe link of a reminder e-mail: one button, no sign-in needed."""
    user = _user_of(token)
    return render_template(
        "account/unsubscribe.html", token=token, done=preference(user).frequency == "never"
    )


@bp.route("/unsubscribe/<token>", methods=["POST"])
@csrf.exempt  # the signed token is the proof; mail clients' one-click POST carries no form
def unsubscribe_confirm(token: str):
    """Stop the reminder e-mails of the person the signed link was made for."""
    user = _user_of(token)
    reminders.unsubscribe(user)
    db.session.commit()
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "", 204
    return render_template("account/unsubscribe.html", token=token, done=True)
