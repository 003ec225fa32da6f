"""The contribution matrix: live objectives (by service strategy) × live departments."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import contains_eager

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Department, Indicator, Objective, ServiceStrategy
from strategy_app.services.evaluation import metrics, rules

ROWS_PER_PAGE = 50


@dataclass(frozen=True)
class Entry:
    """A plan in a cell, with the worst status of its indicators (None: it has none)."""

    plan: ActionPlan
    status: str | None


@dataclass(frozen=True)
class Row:
    """One objective's cells, one per department (in the order of the columns)."""

    objective: Objective
    active: bool
    cells: list[list[Entry]]


@dataclass
class Matrix:
    """A page of rows, grouped by service strategy, under the departments as columns."""

    as_of: date
    departments: list[Department]
    groups: list[tuple[ServiceStrategy, list[Row]]]
    page: Pagination


def objective_active(service: ServiceStrategy, objective: Objective, as_of: date) -> bool:
    """An objective is active when its service strategy is and it is not past its due date."""
    due = objective.due_date
    return service.status == "active" and (due is None or due >= as_of)


def plan_statuses(plans: list[ActionPlan], as_of: date) -> dict[int, str]:
    """The worst status of each plan's live indicators (plans with none are left out).

    The statuses are the overview's (metrics.overview, kept per data version): one small
    query finds which indicators belong to these plans; only an indicator the overview does
    not hold is evaluated here."""
    if not plans:
        return {}
    results = metrics.overview(as_of).results
    rows = db.session.execute(
        sa.select(Indicator.id, Indicator.action_plan_id).where(
            Indicator.archived_at.is_(None),
            Indicator.action_plan_id.in_([p.id for p in plans]),
        )
    ).all()
    missing = [r.id for r in rows if r.id not in results]
    if missing:
        extra = list(db.session.scalars(sa.select(Indicator).where(Indicator.id.in_(missing))))
        results = {**results, **metrics.evaluate_indicators(extra, as_of)}
    by_plan: dict[int, list[str]] = defaultdict(list)
    for r in rows:
        by_plan[r.action_plan_id].append(results[r.id].status)
    return {plan_id: rules.worst_status(statuses) for plan_id, statuses in by_plan.items()}


def matrix(as_of: date) -> Matrix:
    """The page (?page=) of the matrix at as_of; cancelled and archived plans are left out."""
    departments = list(
        db.session.scalars(
            sa.select(Department)
            .where(Department.archived_at.is_(None))
            .order_by(Department.position, Department.id)
        )
    )
    page = db.paginate(
        sa.select(Objective)
        .join(Objective.service_strategy)
        .options(contains_eager(Objective.service_strategy))
        .where(Objective.archived_at.is_(None), ServiceStrategy.archived_at.is_(None))
        .order_by(Objective.service_strategy_id, Objective.id),
        per_page=ROWS_PER_PAGE,
        max_per_page=ROWS_PER_PAGE,
    )
    plans = (
        list(
            db.session.scalars(
                sa.select(ActionPlan)
                .where(
                    ActionPlan.archived_at.is_(None),
                    ActionPlan.state != "cancelled",
                    ActionPlan.objective_id.in_([o.id for o in page.items]),
                )
                .order_by(ActionPlan.id)
            )
        )
        if page.items
        else []
    )
    statuses = plan_statuses(plans, as_of)
    column = {d.id: n for n, d in enumerate(departments)}
    cells: dict[int, list[list[Entry]]] = {o.id: [[] for _ in departments] for o in page.items}
    for p in plans:
        if p.department_id in column:
            cells[p.objective_id][column[p.department_id]].append(Entry(p, statuses.get(p.id)))
    groups: list[tuple[ServiceStrategy, list[Row]]] = []
    for o in page.items:
        service = o.service_strategy
        if not groups or groups[-1][0].id != service.id:
            groups.append((service, []))
        groups[-1][1].append(Row(o, objective_active(service, o, as_of), cells[o.id]))
    return Matrix(as_of, departments, groups, page)
