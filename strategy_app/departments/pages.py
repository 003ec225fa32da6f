"""What the department pages show: scorecards from metrics, plans and dependencies from SQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import contains_eager, joinedload

from strategy_app.departments import indicators as charted
from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    Department,
    Objective,
    PlanDependency,
    ServiceStrategy,
    User,
)
from strategy_app.services.evaluation import metrics, rules

PLANS_PER_PAGE = 50
CHARTED = 12  # the department's indicators charted on its page, the worst first


@dataclass
class Index:
    """Every live department with its scorecard."""

    as_of: date
    departments: list[Department]
    scorecards: dict[int, rules.Scorecard]
    people: list[User] = field(default_factory=list, repr=False)  # see load_users


@dataclass(frozen=True)
class Dependency:
    """A plan held up by another department's plan."""

    plan: ActionPlan
    blocked_by: ActionPlan
    note: str


@dataclass
class DepartmentPage:
    """One department: its scorecard, a page of its plans grouped by objective, dependencies."""

    as_of: date
    department: Department
    scorecard: rules.Scorecard
    page: Pagination
    groups: list[tuple[Objective, list[ActionPlan]]]
    overdue: set[int]
    blocked: list[Dependency]
    holding_up: list[Dependency]
    plan_status: dict[int, str] = field(default_factory=dict)  # worst of its indicators
    off_track: list[tuple[int, str]] = field(default_factory=list)  # (id, name) of indicators
    off_track_total: int = 0
    figure: dict[str, Any] | None = None  # its indicators' expected vs actual
    people: list[User] = field(default_factory=list, repr=False)  # see load_users


def load_users(ids: Iterable[int | None]) -> list[User]:
    """Load these users in one query, so that relationships to them need none.

    The session holds loaded objects only weakly: keep the list returned for as long as the
    page renders, or each relationship loads its user again, one query per person.
    """
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return []
    return list(db.session.scalars(sa.select(User).where(User.id.in_(wanted))))


def live_departments() -> list[Department]:
    """The live departments in their order."""
    return list(
        db.session.scalars(
            sa.select(Department)
            .where(Department.archived_at.is_(None))
            .order_by(Department.position, Department.id)
        )
    )


def live_plans() -> sa.Select:
    """Plans that are not archived, under a live objective of a live service strategy."""
    return (
        sa.select(ActionPlan)
        .join(ActionPlan.objective)
        .join(Objective.service_strategy)
        .options(contains_eager(ActionPlan.objective))
        .where(
            ActionPlan.archived_at.is_(None),
            Objective.archived_at.is_(None),
            ServiceStrategy.archived_at.is_(None),
        )
    )


def index(as_of: date) -> Index:
    """The departments, their leads and their scorecards at as_of."""
    departments = live_departments()
    people = load_users(d.lead_id for d in departments)
    return Index(as_of, departments, metrics.overview(as_of).scorecards, people)


def _dependencies(department: Department) -> tuple[list[Dependency], list[Dependency]]:
    """(its open plans blocked by another department's, other departments' plans it blocks)."""
    own = sa.select(ActionPlan.id).where(ActionPlan.department_id == department.id)
    rows = db.session.execute(
        sa.select(PlanDependency.plan_id, PlanDependency.blocked_by_id, PlanDependency.note)
        .where(sa.or_(PlanDependency.plan_id.in_(own), PlanDependency.blocked_by_id.in_(own)))
        .order_by(PlanDependency.id)
    ).all()
    ids = {r.plan_id for r in rows} | {r.blocked_by_id for r in rows}
    plans = {
        p.id: p
        for p in db.session.scalars(
            live_plans().options(joinedload(ActionPlan.department)).where(ActionPlan.id.in_(ids))
        )
    }
    blocked, holding_up = [], []
    for plan_id, blocker_id, note in rows:
        plan, blocker = plans.get(plan_id), plans.get(blocker_id)
        if plan is None or blocker is None:  # one of them is archived
            continue
        if plan.department_id == blocker.department_id:
            continue
        if plan.state in rules.CLOSED_STATES or blocker.state == "done":
            continue  # nothing is held up any more
        dep = Dependency(plan, blocker, note)
        (blocked if plan.department_id == department.id else holding_up).append(dep)
    return blocked, holding_up


def department_page(department: Department, as_of: date) -> DepartmentPage:
    """The department's page at as_of (?page= picks the page of plans)."""
    page = db.paginate(
        live_plans()
        .where(ActionPlan.department_id == department.id)
        .order_by(Objective.service_strategy_id, Objective.id, ActionPlan.id),
        per_page=PLANS_PER_PAGE,
        max_per_page=PLANS_PER_PAGE,
    )
    blocked, holding_up = _dependencies(department)
    deps = blocked + holding_up
    people = load_users(
        [department.lead_id, *(p.owner_id for p in page.items)]
        + [p.owner_id for d in deps for p in (d.plan, d.blocked_by)]
    )
    groups: list[tuple[Objective, list[ActionPlan]]] = []
    for p in page.items:
        if not groups or groups[-1][0].id != p.objective_id:
            groups.append((p.objective, []))
        groups[-1][1].append(p)
    shown = [*page.items, *(d.plan for d in deps)]
    overdue = {p.id for p in shown if rules.plan_overdue(p.due_date, p.state, as_of)}
    scorecard = metrics.overview(as_of).scorecards[department.id]
    found = charted.lines(as_of)
    ids = charted.by_department(found, CHARTED).get(department.id, [])
    drawn = charted.figures(ids, as_of)
    off = [x.id for x in found if x.department_id == department.id and x.status == rules.OFF_TRACK]
    grids = charted.grids(ids, drawn, CHARTED, f"{department.name}: expected vs actual")
    return DepartmentPage(
        as_of,
        department,
        scorecard,
        page,
        groups,
        overdue,
        blocked,
        holding_up,
        plan_status=charted.plan_statuses(found, department.id),
        off_track=[(i, drawn[i][1]["layout"]["meta"]["name"]) for i in off if i in drawn],
        off_track_total=len(off),
        figure=grids[0] if grids else None,
        people=people,
    )
