"""GET /timeline/: the plans of every department (or one, or one objective's) as a Gantt chart."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_login import login_required
from sqlalchemy.orm import joinedload

from strategy_app import charts
from strategy_app.extensions import db
from strategy_app.main.routes import as_of_date
from strategy_app.models import ActionPlan, Department, Objective, ServiceStrategy
from strategy_app.reports.paging import ListPagination
from strategy_app.services.evaluation import rules
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing import per_version
from strategy_app.timeline import bp
from strategy_app.timeline.forms import TimelineFilterForm

PER_PAGE = 40
MAX_PAGE = 1_000_000


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, description="page must be a whole number from 1.")
    return int(raw)


def _live_plans(form: TimelineFilterForm) -> sa.Select:
    """Live plans under live objectives and departments, as the filters ask."""
    query = (
        sa.select(ActionPlan)
        .join(ActionPlan.department)
        .join(ActionPlan.objective)
        .join(Objective.service_strategy)
        .where(
            ActionPlan.archived_at.is_(None),
            Objective.archived_at.is_(None),
            ServiceStrategy.archived_at.is_(None),
            Department.archived_at.is_(None),
        )
    )
    if form.department.data:
        query = query.where(Department.slug == form.department.data)
    if form.objective.data:
        query = query.where(ActionPlan.objective_id == int(form.objective.data))
    return query


def _bar(plan: ActionPlan, as_of: date) -> charts.TimelineBar:
    """A dated plan as a bar: from its start (or the day it was made) to its due date."""
    due = plan.due_date
    start = plan.start_date or min(plan.created_at.date(), due)
    return charts.TimelineBar(
        id=plan.id,
        title=plan.title,
        department=plan.department.name,
        start=min(start, due),
        end=due,
        state=plan.state,
        overdue=rules.plan_overdue(due, plan.state, as_of),
    )


# What the order of the bars is read from: actuals and check-ins leave it as it is.
_ORDER_READS = frozenset({"ActionPlan", "Department", "Objective", "ServiceStrategy"})


def _order(form: TimelineFilterForm) -> tuple[list[int], int]:
    """The ids of the dated plans the filters ask for, department by department, soonest
    start first; and how many have no due date. Kept per data version (it sorts every plan)."""
    plans = _live_plans(form)
    order = db.session.scalars(
        plans.with_only_columns(ActionPlan.id)
        .where(ActionPlan.due_date.is_not(None))
        .order_by(
            Department.position,
            Department.name,
            sa.func.coalesce(ActionPlan.start_date, ActionPlan.due_date),
            ActionPlan.due_date,
            ActionPlan.id,
        )
    ).all()
    undated = db.session.scalar(
        plans.where(ActionPlan.due_date.is_(None))
        .with_only_columns(sa.func.count(ActionPlan.id))
        .order_by(None)
    )
    return list(order), undated or 0


@bp.route("/")
@login_required
def index():
    """The plans with a due date, department by department, soonest start first."""
    as_of = as_of_date()
    form = TimelineFilterForm(formdata=request.args)
    form.load_choices()
    context = {"form": form, "as_of": as_of, "today": today()}
    if not form.validate():
        return render_template("timeline/index.html", page=None, figure=None, **context), 400
    filters = (form.department.data or "", form.objective.data or "")
    order, undated = per_version.memo("timeline", filters, lambda: _order(form), reads=_ORDER_READS)
    page = ListPagination(
        page=_page_number(), per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False, items=order
    )
    loaded = {
        p.id: p
        for p in db.session.scalars(
            sa.select(ActionPlan)
            .options(joinedload(ActionPlan.department), joinedload(ActionPlan.objective))
            .where(ActionPlan.id.in_(page.items))
        )
    }
    bars = [_bar(loaded[i], as_of) for i in page.items]
    figure = charts.timeline(bars, as_of, today=context["today"])
    return render_template(
        "timeline/index.html",
        page=page,
        bars=bars,
        figure=figure,
        undated=undated,
        filtered=bool(form.department.data or form.objective.data),
        **context,
    )
