"""GET/POST /plans/<id>/check-in and /plans/<id>/indicators/new: progress and expected results."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.forms import submit
from strategy_app.objectives.indicator_form import (
    add_row_requested,
    create_indicator_from,
    indicator_form,
)
from strategy_app.plans import bp
from strategy_app.plans.common import ID, load_plan
from strategy_app.plans.forms import CheckInForm, typed
from strategy_app.schemas.inputs import CheckInIn
from strategy_app.services.writes import cascade

CHECK_IN_FIELDS = ("state", "progress_pct", "confidence", "text")


@bp.route(f"/<{ID}:id>/check-in", methods=["GET", "POST"])
def check_in(id: int):
    """Post a check-in: state, progress, confidence, text; the plan takes state and progress."""
    plan = load_plan(id)
    cascade.check(current_user, policy.PROGRESS, plan)
    form = CheckInForm()
    if request.method != "POST":
        form.state.data, form.progress_pct.data = plan.state, plan.progress_pct
        return render_template("plans/check_in.html", form=form, plan=plan)
    try:
        entry = submit(
            form,
            CheckInIn,
            lambda data: cascade.add_check_in(current_user, plan, data),
            typed(form, CHECK_IN_FIELDS),
        )
    except StaleDataError:
        # Someone saved the plan between our read and this write: nothing was kept.
        db.session.rollback()
        form.form_errors.append(
            "Somebody else saved this plan at the same moment. Nothing was posted: "
            "check the plan and post again."
        )
        return render_template("plans/check_in.html", form=form, plan=plan), 409
    if entry is None:
        return render_template("plans/check_in.html", form=form, plan=plan), 422
    flash("Check-in posted.", "success")
    return redirect(url_for("plans.view", id=plan.id, _anchor="check-ins"))


@bp.route(f"/<{ID}:id>/indicators/new", methods=["GET", "POST"])
def indicator_new(id: int):
    """Add an expected result (an indicator with milestones) to the plan."""
    plan = load_plan(id)
    cascade.check(current_user, policy.PLAN, plan)
    form = indicator_form()
    if request.method != "POST":
        return render_template("plans/indicator_new.html", form=form, plan=plan)
    if add_row_requested(form):
        return render_template("plans/indicator_new.html", form=form, plan=plan)
    indicator = create_indicator_from(form, current_user, action_plan_id=plan.id)
    if indicator is None:
        return render_template("plans/indicator_new.html", form=form, plan=plan), 422
    flash(f"Indicator “{indicator.name}” added.", "success")
    return redirect(url_for("plans.view", id=plan.id, _anchor="indicators"))
