"""Entering one actual result (explained when it leaves the indicator off track)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request
from flask_login import current_user

from strategy_app.actuals import bp, pages
from strategy_app.actuals.forms import ActualForm
from strategy_app.extensions import db, login_manager
from strategy_app.forms import attach_errors
from strategy_app.models import Indicator, Measurement
from strategy_app.schemas import inputs
from strategy_app.schemas.common import parse
from strategy_app.services.evaluation import rules
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing.audit import set_actor
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.services.writes import measurements, variance

ID = pages.ID
# A pasted text of up to 1 MB arrives as one multipart field (Flask's default cap is 500 kB);
# the request as a whole stays within MAX_CONTENT_LENGTH.
MAX_FIELD_BYTES = 3 * 1024 * 1024


@bp.url_value_preprocessor
def allow_pasted_csv(endpoint: str | None, _values) -> None:
    """Let the CSV field be as large as an import may be (set before CSRF reads the form)."""
    if endpoint == "actuals.upload":
        request.max_form_memory_size = MAX_FIELD_BYTES


@bp.before_request
def signed_in():
    """Every page here needs a signed-in user, who is the actor of what is written."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    set_actor(db.session, current_user.id)
    return None


def _commit(form, action) -> Any:
    """Run action and commit, or roll back and put the errors beside the fields."""
    try:
        result = action()
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        attach_errors(form, exc.fields)
        return None
    return result


def _date_arg() -> date | None:
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return None


def _saved_message(indicator: Indicator, row: Measurement, replaced: float | None) -> str:
    unit = f" {indicator.unit}" if indicator.unit else ""
    message = f"Saved {pages.number(row.value)}{unit} for {row.date.isoformat()}"
    if replaced is None:
        return message + "."
    return message + f" (it replaces {pages.number(replaced)})."


# --- one actual ---------------------------------------------------------------------------


def _save_actual(form: ActualForm, indicator: Indicator, state: dict) -> Measurement | None:
    """Save the actual, unless it leaves the indicator off track and is not yet explained."""
    widgets_ok = form.validate()  # CSRF and the widgets' own coercion (a date that is no date)
    try:
        data = parse(inputs.MeasurementIn, form.measurement_data())
    except ValidationFailed as exc:
        attach_errors(
            form, {k: v for k, v in exc.fields.items() if not (k in form and form[k].errors)}
        )
        return None
    result = variance.evaluate_with(indicator, [(data.date, data.value)], today())
    off_track = result is not None and result.status == rules.OFF_TRACK
    if off_track:
        state["off_track"] = result
    if not widgets_ok:
        return None
    if not off_track:
        return _commit(form, lambda: measurements.record(current_user, indicator, data))
    if not form.explaining.data and not (form.explanation.data or "").strip():
        form.explaining.data = "1"  # ask for the explanation first: nothing is saved
        return None

    def write():
        given = parse(variance.VarianceIn, form.explanation_data())
        row, plan = variance.record_with_explanation(
            current_user, indicator, data, given.explanation, given.corrective(), today()
        )
        state["plan"] = plan
        return row

    form.explaining.data = "1"
    return _commit(form, write)


@bp.route(f"/<{ID}:indicator_id>/new", methods=["GET", "POST"])
def new(indicator_id: int):
    """Enter one actual; the same date again replaces it; off track needs an explanation."""
    indicator = pages.writable_or_403(pages.indicator_or_404(indicator_id))
    form = ActualForm()
    if not form.is_submitted():
        form.date.data = _date_arg() or today()
    pages.set_choices(form, indicator)
    state: dict[str, Any] = {}
    closed = pages.closed_reason(indicator)
    if closed and form.is_submitted():
        form.form_errors.append(closed)
    elif form.is_submitted():
        replaced = pages.stored_on(indicator, [form.date.data]).get(form.date.data)
        old_value = replaced.value if replaced is not None else None
        row = _save_actual(form, indicator, state)
        if row is not None:
            flash(_saved_message(indicator, row, old_value), "success")
            plan = state.get("plan")
            if plan is not None and form.kind.data == variance.NEW_PLAN:
                flash(f"Created the action plan “{plan.title}”.", "success")
            elif plan is not None:
                flash(f"Posted a check-in on “{plan.title}”.", "success")
            elif state.get("off_track"):
                flash("The explanation is recorded with the actual.", "success")
            return redirect(pages.after_save_url(indicator))
    previous = pages.stored_on(indicator, [form.date.data]).get(form.date.data)
    context = pages.context(indicator, today())
    status = 422 if form.is_submitted() else 200
    return render_template(
        "actuals/new.html",
        form=form,
        previous=previous,
        off_track=state.get("off_track"),
        **context,
    ), status
