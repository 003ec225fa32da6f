"""Every live indicator with its status ("everything off track"), filtered by status,
department, objective and unit; three queries whatever the data (figures are kept)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Department, Indicator, Objective
from strategy_app.services.evaluation import history, metrics, rules
from strategy_app.services.plumbing import per_version


@dataclass(frozen=True)
class Filters:
    status: str = ""
    department: int | None = None
    objective: int | None = None
    unit: str | None = None  # None: any unit; "": indicators without a unit

    @property
    def any(self) -> bool:
        return bool(self.status or self.department or self.objective or self.unit is not None)


@dataclass(frozen=True)
class Row:
    id: int
    name: str
    unit: str
    objective_id: int
    objective_title: str
    plan_id: int | None
    plan_title: str | None
    department: str | None
    result: rules.IndicatorResult
    department_id: int | None = None


def rows(filters: Filters, as_of: date) -> list[Row]:
    """The indicators counted at as_of (DESIGN §3) that match filters, worst status first.

    Every counted indicator, in order, is worked out once per data version (one query over
    all of them); each request filters that plain list. A request showing a past day
    evaluates them at that day whatever as_of it passes: the world of that day knows nothing
    later (DESIGN §7 "As of a date").
    """
    as_of = min(as_of, history.in_past() or as_of)
    every = per_version.memo(
        "indicator_rows",
        as_of,
        lambda: _all(as_of),
        reads=_READS,
        refresh=lambda old, touched: _with_new_results(old, touched, as_of),
    )
    return [r for r in every if _fits(r, filters)]


# What the rows are read from; changes of actuals and milestones only move results.
_READS = frozenset(
    {
        "Indicator",
        "Milestone",
        "Measurement",
        "ActionPlan",
        "Objective",
        "ServiceStrategy",
        "Department",
    }
)


def _with_new_results(old: list[Row], touched, as_of: date) -> list[Row] | None:
    """The rows after changes to actuals and milestones alone: the same indicators with
    their results now, in order again (None: anything else changed, read them afresh)."""
    rows = metrics.follow_results(
        old,
        touched,
        as_of,
        lambda r, result: r if result == r.result else replace(r, result=result),
    )
    if rows is not None:
        rows.sort(key=_order)
    return rows


_WORST_FIRST = {s: n for n, s in enumerate((rules.OFF_TRACK, rules.AT_RISK, rules.NO_DATA))}


def _order(row: Row) -> tuple:
    return (_WORST_FIRST.get(row.result.status, 3), row.name.lower(), row.id)


def _fits(row: Row, filters: Filters) -> bool:
    return (
        (not filters.status or row.result.status == filters.status)
        and (not filters.department or row.department_id == filters.department)
        and (not filters.objective or row.objective_id == filters.objective)
        and (filters.unit is None or row.unit == filters.unit)
    )


def _all(as_of: date) -> list[Row]:
    figures = metrics.overview(as_of)
    own = aliased(Objective)
    of_plan = aliased(Objective)
    query = (
        sa.select(
            Indicator.id,
            Indicator.name,
            Indicator.unit,
            sa.func.coalesce(own.id, of_plan.id),
            sa.func.coalesce(own.title, of_plan.title),
            ActionPlan.id,
            ActionPlan.title,
            Department.name,
            ActionPlan.state,
            ActionPlan.archived_at,
            ActionPlan.department_id,
        )
        .outerjoin(own, Indicator.objective_id == own.id)
        .outerjoin(ActionPlan, Indicator.action_plan_id == ActionPlan.id)
        .outerjoin(of_plan, ActionPlan.objective_id == of_plan.id)
        .outerjoin(Department, ActionPlan.department_id == Department.id)
        .where(Indicator.archived_at.is_(None))
    )
    out = []
    for iid, name, unit, oid, otitle, pid, ptitle, dept, state, gone, did in db.session.execute(
        query
    ):
        facts = rules.PlanFacts(pid, state, 0, None, gone is not None, None)
        if pid is not None and not rules.plan_counts(facts):
            continue  # the indicators of a cancelled or archived plan are not counted
        result = figures.results.get(iid)
        if result is None:
            continue  # not counted (archived parent, cancelled plan)
        out.append(Row(iid, name, unit or "", oid, otitle, pid, ptitle, dept, result, did))
    out.sort(key=_order)
    return out


def units() -> list[str]:
    """The units in use by live indicators, for the filter."""
    return list(
        db.session.scalars(
            sa.select(Indicator.unit)
            .where(Indicator.archived_at.is_(None), Indicator.unit != "")
            .distinct()
            .order_by(Indicator.unit)
        )
    )
