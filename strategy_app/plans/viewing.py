"""GET /plans/<id> (the plan page) and its "blocked by" form (add and remove a dependency)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.forms import submit
from strategy_app.models import ActionPlan, CheckIn, Department, Indicator, PlanDependency
from strategy_app.objectives.pages import indicator_charts
from strategy_app.plans import bp
from strategy_app.plans.common import ID, load_plan
from strategy_app.plans.forms import DependencyForm, typed
from strategy_app.services import cascade, dependencies, metrics, rules
from strategy_app.services.clock import today
from strategy_app.services.history import history

CHECK_INS_SHOWN = 100


def blocker_choices(plan: ActionPlan) -> list[SelectChoice]:
    """Live, not cancelled plans of the other departments, grouped by department."""
    rows = db.session.execute(
        sa.select(ActionPlan.id, ActionPlan.title, Department.name)
        .join(Department, Department.id == ActionPlan.department_id)
        .where(
            ActionPlan.archived_at.is_(None),
            ActionPlan.state != "cancelled",
            ActionPlan.department_id != plan.department_id,
        )
        .order_by(Department.position, Department.name, ActionPlan.title, ActionPlan.id)
    )
    return [SelectChoice("", "— choose a plan —")] + [
        SelectChoice(str(pid), title, optgroup=dept) for pid, title, dept in rows
    ]


def _dependencies(plan: ActionPlan) -> tuple[list[PlanDependency], list[PlanDependency]]:
    """What the plan waits on, and what waits on it (with each other plan's department)."""
    blocked_by = db.session.scalars(
        sa.select(PlanDependency)
        .options(joinedload(PlanDependency.blocked_by).joinedload(ActionPlan.department))
        .where(PlanDependency.plan_id == plan.id)
        .order_by(PlanDependency.id)
    ).all()
    holds_up = db.session.scalars(
        sa.select(PlanDependency)
        .options(joinedload(PlanDependency.plan).joinedload(ActionPlan.department))
        .where(PlanDependency.blocked_by_id == plan.id)
        .order_by(PlanDependency.id)
    ).all()
    return list(blocked_by), list(holds_up)


def _context(plan: ActionPlan, dep_form: DependencyForm | None = None) -> dict[str, Any]:
    as_of = today()
    indicators = db.session.scalars(
        sa.select(Indicator)
        .where(Indicator.action_plan_id == plan.id, Indicator.archived_at.is_(None))
        .order_by(Indicator.name, Indicator.id)
    ).all()
    check_ins = db.session.scalars(
        sa.select(CheckIn)
        .options(selectinload(CheckIn.author))
        .where(CheckIn.action_plan_id == plan.id)
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
        .limit(CHECK_INS_SHOWN)
    ).all()
    blocked_by, holds_up = _dependencies(plan)
    may_plan = policy.can(current_user, policy.PLAN, plan)
    if dep_form is None and may_plan and plan.archived_at is None:
        dep_form = DependencyForm(formdata=None)
    if dep_form is not None:
        dep_form.blocked_by_id.choices = blocker_choices(plan)
    return {
        "plan": plan,
        "overdue": rules.plan_overdue(plan.due_date, plan.state, as_of),
        "execution": rules.plan_execution(plan.state, plan.progress_pct),
        "indicators": indicators,
        "results": metrics.evaluate_indicators(indicators, as_of),
        "indicator_figure": indicator_charts(indicators, as_of) if indicators else None,
        "check_ins": check_ins,
        "check_ins_limited": len(check_ins) == CHECK_INS_SHOWN,
        "blocked_by": blocked_by,
        "holds_up": holds_up,
        "dep_form": dep_form,
        "entries": history(plan),
        "today": as_of,
    }


@bp.route(f"/<{ID}:id>")
def view(id: int):
    """The plan: facts, indicators, check-ins (newest first), dependencies, history."""
    return render_template("plans/view.html", **_context(load_plan(id)))


@bp.post(f"/<{ID}:id>/dependencies")
def dependency_add(id: int):
    """Mark the plan as blocked by another plan."""
    plan = load_plan(id)
    cascade.check(current_user, policy.PLAN, plan)
    form = DependencyForm()

    def add(data: dependencies.DependencyIn) -> PlanDependency:
        blocker = db.session.get(ActionPlan, data.blocked_by_id)
        return dependencies.add_dependency(current_user, plan, blocker, data.note)

    dep = submit(form, dependencies.DependencyIn, add, typed(form, ("blocked_by_id", "note")))
    if dep is None:
        return render_template("plans/view.html", **_context(plan, form)), 422
    flash(f"Marked as blocked by “{dep.blocked_by.title}”.", "success")
    return redirect(url_for("plans.view", id=plan.id, _anchor="dependencies"))


@bp.post(f"/<{ID}:id>/dependencies/<{ID}:dep_id>/remove")
def dependency_remove(id: int, dep_id: int):
    """Take away a "blocked by" mark."""
    dep = db.session.get(PlanDependency, dep_id)
    if dep is None or dep.plan_id != id:
        abort(404, description="There is no such dependency.")
    title = dep.blocked_by.title
    dependencies.remove_dependency(current_user, dep)
    db.session.commit()
    flash(f"No longer marked as blocked by “{title}”.", "success")
    return redirect(url_for("plans.view", id=id, _anchor="dependencies"))
