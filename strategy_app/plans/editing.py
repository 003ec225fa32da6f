"""GET/POST /plans/new and /plans/<id>/edit: the plan form, with the optimistic lock."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from strategy_app import archiving, policy
from strategy_app.extensions import db
from strategy_app.forms import submit
from strategy_app.models import ActionPlan
from strategy_app.plans import bp, conflict
from strategy_app.plans.common import (
    ID,
    department_choices,
    int_arg,
    load_plan,
    objective_choices,
    owner_choices,
    plan_addresses,
    plannable_departments,
)
from strategy_app.plans.forms import (
    PLAN_FIELDS,
    PlanEditForm,
    PlanForm,
    place_form_errors,
    typed,
)
from strategy_app.schemas.inputs import PlanIn, PlanPatch
from strategy_app.services.plumbing.errors import PermissionDenied, StaleVersion
from strategy_app.services.writes import cascade


def _fill_choices(form: PlanForm, plan: ActionPlan | None = None) -> None:
    departments = plannable_departments(plan.department_id if plan else None)
    form.department_id.choices = department_choices(departments)
    form.objective_id.choices = objective_choices(plan.objective_id if plan else None)
    form.owner_id.choices = owner_choices(departments, plan.owner_id if plan else None)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Add a plan (executives for any department, leads for their own)."""
    departments = plannable_departments()
    if not departments:
        raise PermissionDenied(policy.PLAN)
    form = PlanForm()
    if not form.is_submitted():
        objective_id, department_id = int_arg("objective_id"), int_arg("department_id")
        if objective_id is not None:
            form.objective_id.data = str(objective_id)
        own = current_user.department_id if current_user.role == "lead" else None
        chosen = department_id or own
        if chosen is not None:
            form.department_id.data = str(chosen)
            if current_user.role == "lead":
                form.owner_id.data = str(current_user.id)
    _fill_choices(form)
    if form.is_submitted():
        plan = submit(
            form,
            PlanIn,
            lambda data: cascade.create_plan(current_user, data),
            typed(form, PLAN_FIELDS),
        )
        if plan is not None:
            flash(f"Plan “{plan.title}” added.", "success")
            return redirect(url_for("plans.view", id=plan.id))
        place_form_errors(form)
        return render_template("plans/form.html", form=form, plan=None), 422
    return render_template("plans/form.html", form=form, plan=None)


def _edit_form(plan: ActionPlan) -> PlanEditForm:
    """The form filled with the plan as it is now."""
    values: dict[str, Any] = conflict.snapshot(plan)
    values = {k: "" if v is None else v for k, v in values.items()}
    form = PlanEditForm(data=values)
    form.start_date.data, form.due_date.data = plan.start_date, plan.due_date
    form.progress_pct.data = plan.progress_pct
    form.version.data = str(plan.version)
    form.original.data = conflict.dump(conflict.snapshot(plan))
    return form


@bp.route(f"/<{ID}:id>/edit", methods=["GET", "POST"])
def edit(id: int):
    """Change a plan; a save over a newer version is refused and shows what changed."""
    plan = load_plan(id)
    cascade.check(current_user, policy.PLAN, plan)
    archiving.refuse_if_archived(plan, plan_addresses(plan))
    form = PlanEditForm() if request.method == "POST" else _edit_form(plan)
    _fill_choices(form, plan)
    if request.method != "POST":
        return render_template("plans/form.html", form=form, plan=plan)
    data = typed(form, (*PLAN_FIELDS, "version"))
    parsed: dict[str, PlanPatch] = {}

    def save(patch: PlanPatch) -> ActionPlan:
        parsed["patch"] = patch
        return cascade.update_plan(current_user, plan, conflict.only_changed(plan, patch))

    try:
        saved = submit(form, PlanPatch, save, data)
    except StaleVersion as exc:
        db.session.rollback()
        current = load_plan(id)
        typed_patch = parsed.get("patch")
        changes = conflict.merge(
            form, current, typed_patch, typed_patch.version if typed_patch else None
        )
        _fill_choices(form, current)  # the plan may have moved department or objective
        return render_template(
            "plans/form.html", form=form, plan=current, conflict=exc, changes=changes
        ), 409
    if saved is None:
        place_form_errors(form)
        if form.version.errors:
            form.form_errors.append(
                "This form lost the version of the plan it was opened at: reload the page."
            )
        return render_template("plans/form.html", form=form, plan=plan), 422
    flash(f"Plan “{saved.title}” saved.", "success")
    return redirect(url_for("plans.view", id=saved.id))
