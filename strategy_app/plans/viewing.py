"""GET /plans/<id> (the plan page) and its "blocked by" form (add and remove a dependency)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.forms import submit
from strategy_app.main.routes import as_of_date
from strategy_app.models import (
    ActionPlan,
    CheckIn,
    Department,
    Indicator,
    Measurement,
    PlanDependency,
)
from strategy_app.objectives.pages import indicator_charts
from strategy_app.plans import bp
from strategy_app.plans.common import ID, load_plan
from strategy_app.plans.forms import DependencyForm, typed
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.reads.history import history
from strategy_app.services.writes import cascade, dependencies

CHECK_INS_SHOWN = 100


# At most this many plans in the "blocked by" list; a search narrows a larger choice.
BLOCKERS_LISTED = 100
MAX_SEARCH = 200


@dataclass
class Blockers:
    """The choices of the "blocked by" list and how they were picked."""

    choices: list[SelectChoice]
    query: str  # "" lists the other departments' plans under the same objective
    truncated: bool  # more plans matched than are listed


def _is_number(text: str) -> bool:
    """A plan number as typed: ASCII digits, short enough for any database's integer."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def blocker_choices(plan: ActionPlan, query: str = "", keep: int | None = None) -> Blockers:
    """Live, not cancelled plans of the other departments, grouped by department.

    Without a query: those under the same objective (the usual partners). With one: those
    whose title contains it, or whose number it is ("#123" or "123"). At most
    BLOCKERS_LISTED; keep adds that plan (the one a refused form had chosen).
    """
    query = query.strip()[:MAX_SEARCH]
    base = (
        sa.select(ActionPlan.id, ActionPlan.title, Department.name)
        .join(Department, Department.id == ActionPlan.department_id)
        .where(
            ActionPlan.archived_at.is_(None),
            ActionPlan.state != "cancelled",
            ActionPlan.department_id != plan.department_id,
        )
        .order_by(Department.position, Department.name, ActionPlan.title, ActionPlan.id)
    )
    if query:
        number = query.removeprefix("#").strip()
        matches = ActionPlan.title.icontains(query, autoescape=True)
        if _is_number(number):
            matches = sa.or_(matches, ActionPlan.id == int(number))
        picked = base.where(matches)
    else:
        picked = base.where(ActionPlan.objective_id == plan.objective_id)
    rows = db.session.execute(picked.limit(BLOCKERS_LISTED + 1)).all()
    truncated = len(rows) > BLOCKERS_LISTED
    rows = rows[:BLOCKERS_LISTED]
    if keep is not None and keep not in {r.id for r in rows}:
        rows += db.session.execute(base.where(ActionPlan.id == keep)).all()
    choices = [SelectChoice("", "— choose a plan —")] + [
        SelectChoice(str(pid), f"{title} (#{pid})", optgroup=dept) for pid, title, dept in rows
    ]
    return Blockers(choices, query, truncated)


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


def _context(
    plan: ActionPlan, dep_form: DependencyForm | None = None, blocker_query: str = ""
) -> dict[str, Any]:
    as_of = as_of_date()
    indicators = db.session.scalars(
        sa.select(Indicator)
        .where(Indicator.action_plan_id == plan.id, Indicator.archived_at.is_(None))
        .order_by(Indicator.name, Indicator.id)
    ).all()
    check_ins = db.session.scalars(
        sa.select(CheckIn)
        .options(
            selectinload(CheckIn.author),
            selectinload(CheckIn.measurement).selectinload(Measurement.indicator),
        )
        .where(CheckIn.action_plan_id == plan.id)
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
        .limit(CHECK_INS_SHOWN)
    ).all()
    blocked_by, holds_up = _dependencies(plan)
    may_plan = policy.can(current_user, policy.PLAN, plan)
    if dep_form is None and may_plan and plan.archived_at is None:
        dep_form = DependencyForm(formdata=None)
    blockers = None
    if dep_form is not None:
        chosen = str(dep_form.blocked_by_id.data or "")
        keep = int(chosen) if _is_number(chosen) else None
        blockers = blocker_choices(plan, blocker_query, keep)
        dep_form.blocked_by_id.choices = blockers.choices
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
        "blockers": blockers,
        "entries": history(plan),
        "today": as_of,
    }


@bp.route(f"/<{ID}:id>")
def view(id: int):
    """The plan: facts, indicators, check-ins (newest first), dependencies, history."""
    query = request.args.get("blocker_q", "", type=str)
    if "\x00" in query:
        abort(400, description="A search cannot contain NUL characters.")
    return render_template("plans/view.html", **_context(load_plan(id), blocker_query=query))


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
