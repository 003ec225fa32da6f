"""GET /plans/ (the filtered, paged list) and archive/restore; other pages in sibling modules."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from strategy_app import archiving, policy
from strategy_app.extensions import db
from strategy_app.main.routes import as_of_date
from strategy_app.models import (
    ActionPlan,
    Department,
    Objective,
    User,
)
from strategy_app.plans import bp
from strategy_app.plans.common import ID, load_plan, plan_addresses, plannable_departments
from strategy_app.plans.forms import PlanFilterForm
from strategy_app.services.evaluation import rules
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing import per_version
from strategy_app.services.writes import cascade

PER_PAGE = 25
MAX_PAGE = 1_000_000


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, description="page must be a whole number from 1.")
    return int(raw)


def _filter_choices(form: PlanFilterForm) -> None:
    departments = db.session.scalars(
        sa.select(Department).order_by(Department.position, Department.name, Department.id)
    )
    form.department.choices = [SelectChoice("", "Any department")] + [
        SelectChoice(d.slug, d.name + (" (archived)" if d.is_archived else "")) for d in departments
    ]
    owners = db.session.execute(
        sa.select(User.id, User.name).order_by(sa.func.lower(User.name), User.id)
    )
    form.owner.choices = [SelectChoice("", "Anyone")] + [
        SelectChoice(str(uid), name) for uid, name in owners
    ]
    form.objective.choices = per_version.memo(
        "plan_filter_objectives", None, _objectives, reads={"Objective"}
    )


def _objectives() -> list[SelectChoice]:
    """Every objective to filter by (kept per data version: there may be hundreds)."""
    objectives = db.session.execute(
        sa.select(Objective.id, Objective.title, Objective.archived_at).order_by(
            Objective.title, Objective.id
        )
    )
    return [SelectChoice("", "Any objective")] + [
        SelectChoice(str(oid), title + (" (archived)" if archived else ""))
        for oid, title, archived in objectives
    ]


def _filtered(form: PlanFilterForm, archived: bool) -> sa.Select:
    """The plans the filters ask for, soonest due first (no due date last)."""
    query = sa.select(ActionPlan).options(
        selectinload(ActionPlan.department),
        selectinload(ActionPlan.objective),
        selectinload(ActionPlan.owner),
    )
    if archived:
        query = query.where(ActionPlan.archived_at.is_not(None))
    else:
        query = query.where(ActionPlan.archived_at.is_(None))
    if form.department.data:
        query = query.join(ActionPlan.department).where(Department.slug == form.department.data)
    if form.state.data:
        query = query.where(ActionPlan.state == form.state.data)
    if form.owner.data:
        query = query.where(ActionPlan.owner_id == int(form.owner.data))
    if form.objective.data:
        query = query.where(ActionPlan.objective_id == int(form.objective.data))
    if form.overdue.data == "yes":
        # rules.plan_overdue, as a condition on the rows
        query = query.where(
            ActionPlan.due_date < as_of_date(), ActionPlan.state.not_in(rules.CLOSED_STATES)
        )
    text = (form.q.data or "").strip()
    if text:
        query = query.where(
            sa.or_(
                ActionPlan.title.icontains(text, autoescape=True),
                ActionPlan.description.icontains(text, autoescape=True),
            )
        )
    return query.order_by(ActionPlan.due_date.is_(None), ActionPlan.due_date, ActionPlan.id)


@bp.route("/")
def index():
    """Every live plan (or ?archived=1 the archived ones), filtered and paged."""
    form = PlanFilterForm(formdata=request.args)
    _filter_choices(form)
    archived = request.args.get("archived") == "1"
    can_add = bool(plannable_departments())
    context = {"form": form, "archived": archived, "can_add": can_add, "today": today()}
    if not form.validate():
        return render_template("plans/index.html", page=None, rows=[], **context), 400
    page = db.paginate(
        _filtered(form, archived), page=_page_number(), per_page=PER_PAGE, error_out=False
    )
    rows = [
        (
            p,
            rules.plan_overdue(p.due_date, p.state, context["today"]),
            rules.plan_execution(p.state, p.progress_pct),
        )
        for p in page.items
    ]
    filtered = any(request.args.get(k) for k in ("department", "state", "owner", "objective"))
    filtered = filtered or bool(request.args.get("overdue") or request.args.get("q"))
    return render_template("plans/index.html", page=page, rows=rows, filtered=filtered, **context)


@bp.route(f"/<{ID}:id>/archive", methods=["GET", "POST"])
def archive(id: int):
    """Archive a plan after a confirmation that says what goes with it; "Undo" right after."""
    plan = load_plan(id)
    cascade.check(current_user, policy.PLAN, plan)
    return archiving.confirm_or_archive(
        plan,
        plan_addresses(plan),
        lambda: cascade.archive(current_user, plan, policy.PLAN),
        where="every list, chart and computation"
        + (f" of {plan.department.name}" if plan.department else ""),
    )


@bp.post(f"/<{ID}:id>/restore")
def restore(id: int):
    """Bring an archived plan back (whoever may archive it: executives, its department's lead)."""
    plan = load_plan(id)
    return archiving.restore(plan, url_for("plans.view", id=plan.id))


from strategy_app.plans import editing, progress, viewing  # noqa: E402, F401
