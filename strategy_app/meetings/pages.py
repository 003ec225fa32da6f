"""What meeting mode shows: its slides, from the dashboard's figures and reviews.changes_since.

Nothing here computes a rule of DESIGN §3: statuses, scorecards and roll-ups come from
services.metrics (through services.dashboard); overdue is rules.plan_overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from strategy_app import charts
from strategy_app.departments.pages import load_users
from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Department, Objective, ServiceStrategy, User
from strategy_app.services.evaluation import rules
from strategy_app.services.reads import dashboard
from strategy_app.services.writes import reviews

PLANS_PER_DEPARTMENT = 8  # plans listed on a department's slide (open ones first)
OVERDUE_LISTED = 20


@dataclass(frozen=True)
class Slide:
    """A slide's anchor and title (for the index and the counter)."""

    id: str
    title: str


@dataclass
class DepartmentSlide:
    """One department: its scorecard, results and first plans (open ones, soonest due first)."""

    department: Department
    scorecard: rules.Scorecard
    results: float | None
    plans: list[Any]
    overdue: set[int]

    @property
    def plan_total(self) -> int:
        """Plans of the department (every state)."""
        return sum(self.scorecard.plans.values())


@dataclass
class Deck:
    """Every slide of meeting mode at a date."""

    as_of: date
    view: dashboard.Dashboard
    changes: reviews.Changes
    overdue: list[Any]
    departments: list[DepartmentSlide]

    @property
    def overdue_total(self) -> int:
        """Overdue plans of every live department (the scorecards' count)."""
        return sum(sc.overdue for _, sc in self.view.departments)

    @property
    def troubled(self) -> list[tuple[Objective, rules.Rollup]]:
        """The objectives off track or at risk (worst first; the dashboard's first ones)."""
        wanted = (rules.OFF_TRACK, rules.AT_RISK)
        return [(o, r) for o, r in self.view.attention if r.status in wanted]

    @property
    def troubled_total(self) -> int:
        """How many objectives are off track or at risk."""
        counts = self.view.status_counts
        return counts[rules.OFF_TRACK] + counts[rules.AT_RISK]

    @cached_property
    def figures(self) -> dict[str, dict[str, Any]]:
        """The deck's charts, by name."""
        rows = [
            charts.DepartmentRow(
                name=d.name,
                execution=sc.execution,
                results=self.view.department_results.get(d.id),
                plans=sc.plans,
                overdue=sc.overdue,
            )
            for d, sc in self.view.departments
        ]
        shared = self.view.figures
        return {
            "by_service": shared["by_service"],
            "departments": charts.department_comparison(rows),
            "misses": shared["misses"],
            "overdue": shared["overdue"],
        }

    @cached_property
    def slides(self) -> list[Slide]:
        """The slides in order."""
        fixed = [
            Slide("slide-overview", "Overview"),
            Slide("slide-scorecards", "Department scorecards"),
            Slide("slide-troubled", "Off track and at risk"),
            Slide("slide-overdue", "Overdue plans"),
            Slide("slide-changes", "Changes since the last review"),
        ]
        per_department = [
            Slide(f"slide-department-{s.department.slug}", s.department.name)
            for s in self.departments
        ]
        return [*fixed, *per_department, Slide("slide-record", "Decisions and the record")]


def _live_plans() -> sa.Select:
    """Plans not archived, under a live objective and service strategy, of a live department."""
    return (
        sa.select(
            ActionPlan.id,
            ActionPlan.title,
            ActionPlan.state,
            ActionPlan.progress_pct,
            ActionPlan.due_date,
            ActionPlan.department_id,
            Department.name.label("department"),
            Objective.title.label("objective"),
            User.name.label("owner"),
        )
        .join(Department, Department.id == ActionPlan.department_id)
        .join(Objective, Objective.id == ActionPlan.objective_id)
        .join(ServiceStrategy, ServiceStrategy.id == Objective.service_strategy_id)
        .outerjoin(User, User.id == ActionPlan.owner_id)
        .where(
            ActionPlan.archived_at.is_(None),
            Objective.archived_at.is_(None),
            ServiceStrategy.archived_at.is_(None),
            Department.archived_at.is_(None),
        )
    )


def overdue_plans(as_of: date, limit: int = OVERDUE_LISTED) -> list[Any]:
    """The first overdue plans at as_of, longest overdue first (one query)."""
    rows = db.session.execute(
        _live_plans()
        # rules.plan_overdue as a condition on the rows; checked again below
        .where(ActionPlan.due_date < as_of, ActionPlan.state.not_in(rules.CLOSED_STATES))
        .order_by(ActionPlan.due_date, ActionPlan.id)
        .limit(limit)
    )
    return [r for r in rows if rules.plan_overdue(r.due_date, r.state, as_of)]


def plans_by_department(limit: int = PLANS_PER_DEPARTMENT) -> dict[int, list[Any]]:
    """The first `limit` plans of every department, open ones soonest due first (one query)."""
    closed = sa.case((ActionPlan.state.in_(rules.CLOSED_STATES), 1), else_=0)
    undated = sa.case((ActionPlan.due_date.is_(None), 1), else_=0)
    rank = sa.func.row_number().over(
        partition_by=ActionPlan.department_id,
        order_by=(closed, undated, ActionPlan.due_date, ActionPlan.id),
    )
    ranked = _live_plans().add_columns(rank.label("rank")).subquery()
    found: dict[int, list[Any]] = {}
    for row in db.session.execute(
        sa.select(ranked)
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c.department_id, ranked.c.rank)
    ):
        found.setdefault(row.department_id, []).append(row)
    return found


def build(as_of: date) -> Deck:
    """The deck at as_of, in a fixed number of queries whatever the size of the data."""
    view = dashboard.build(as_of)
    load_users(d.lead_id for d, _ in view.departments)
    plans = plans_by_department()
    departments = [
        DepartmentSlide(
            department=d,
            scorecard=sc,
            results=view.department_results.get(d.id),
            plans=plans.get(d.id, []),
            overdue={
                p.id for p in plans.get(d.id, []) if rules.plan_overdue(p.due_date, p.state, as_of)
            },
        )
        for d, sc in view.departments
    ]
    return Deck(
        as_of=as_of,
        view=view,
        changes=reviews.changes_since(as_of),
        overdue=overdue_plans(as_of),
        departments=departments,
    )
