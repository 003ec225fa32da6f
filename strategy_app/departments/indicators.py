"""Which indicators a department's (or an objective's) charts show, worst first, and their figures.

Statuses come from metrics.overview (the cached figures of the live cascade); the charts from
objectives.pages. Four queries whatever the size of the data: the indicators' parents, the
charted indicators, their milestones, their actuals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import sqlalchemy as sa

from strategy_app import charts
from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Indicator
from strategy_app.objectives import pages as indicator_pages
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing import numbers, per_version

WORST_FIRST = {rules.OFF_TRACK: 0, rules.AT_RISK: 1, rules.NO_DATA: 2, rules.ON_TRACK: 3}


@dataclass(frozen=True)
class Line:
    """A live indicator with where it belongs and its status at the date."""

    id: int
    plan_id: int | None
    department_id: int | None  # its plan's department (None for an objective's own)
    objective_id: int  # the objective it serves, directly or through its plan
    status: str


def lines(as_of: date) -> list[Line]:
    """Every live indicator of the live cascade (not of a cancelled plan), worst first.

    Worked out once per data version (a read of every indicator); callers only read it.
    """
    return per_version.memo(
        "indicator_lines",
        as_of,
        lambda: _lines(as_of),
        reads=_READS,
        refresh=lambda old, touched: _with_new_statuses(old, touched, as_of),
    )


# What the lines are read from; changes of actuals and milestones only move statuses.
_READS = frozenset(
    {"Indicator", "Milestone", "Measurement", "ActionPlan", "Objective", "ServiceStrategy"}
)


def _with_new_statuses(old: list[Line], touched, as_of: date) -> list[Line] | None:
    """The lines after changes to actuals and milestones alone: the same indicators with
    their statuses now, worst first again (None: anything else changed)."""
    lines = metrics.follow_results(
        old,
        touched,
        as_of,
        lambda line, result: (
            line if result.status == line.status else replace(line, status=result.status)
        ),
    )
    return None if lines is None else sorted(lines, key=lambda x: (WORST_FIRST[x.status], x.id))


def _lines(as_of: date) -> list[Line]:
    results = metrics.overview(as_of).results
    rows = db.session.execute(
        sa.select(
            Indicator.id,
            Indicator.action_plan_id,
            Indicator.objective_id,
            ActionPlan.objective_id.label("plan_objective_id"),
            ActionPlan.department_id,
            ActionPlan.state,
        )
        .outerjoin(ActionPlan, ActionPlan.id == Indicator.action_plan_id)
        .where(Indicator.archived_at.is_(None))
    )
    found = [
        Line(
            r.id,
            r.action_plan_id,
            r.department_id,
            r.objective_id or r.plan_objective_id,
            results[r.id].status,
        )
        for r in rows
        if r.id in results and r.state != "cancelled"
    ]
    return sorted(found, key=lambda x: (WORST_FIRST[x.status], x.id))


def by_department(found: list[Line], limit: int) -> dict[int, list[int]]:
    """The first `limit` indicator ids of each department, worst first."""
    grouped: dict[int, list[int]] = defaultdict(list)
    for line in found:
        if line.department_id is not None and len(grouped[line.department_id]) < limit:
            grouped[line.department_id].append(line.id)
    return grouped


def by_objective(found: list[Line], objective_ids: set[int], limit: int) -> dict[int, list[int]]:
    """The first `limit` indicator ids (own and of its plans) of these objectives, worst first."""
    grouped: dict[int, list[int]] = defaultdict(list)
    for line in found:
        if line.objective_id in objective_ids and len(grouped[line.objective_id]) < limit:
            grouped[line.objective_id].append(line.id)
    return grouped


def figures(
    ids: list[int], as_of: date, surface: charts.Surface = charts.PAGE
) -> dict[int, tuple[str, dict[str, Any]]]:
    """Each indicator's (panel title, expected-vs-actual figure) on the surface, by id."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    indicators = list(db.session.scalars(sa.select(Indicator).where(Indicator.id.in_(wanted))))
    metrics.load_milestones(indicators)
    points = indicator_pages.actual_points(wanted, as_of)
    now = today()
    return {
        i.id: (
            indicator_pages.panel_title(i),
            charts.expected_vs_actual(
                rules.IndicatorSpec.of(i), points[i.id], as_of, i.name, i.unit,
                today=now, surface=surface, decimals=numbers.decimals_of(i),
            ),
        )
        for i in indicators
    }  # fmt: skip


def grids(
    ids: list[int],
    drawn: dict[int, tuple[str, dict[str, Any]]],
    per_grid: int,
    title: str,
    surface: charts.Surface = charts.PAGE,
    *,
    heading: bool = True,
) -> list[dict[str, Any]]:
    """Small multiples of the indicators in the order given, per_grid panels each."""
    items = [drawn[i] for i in ids if i in drawn]
    return [
        charts.small_multiples(
            items[k : k + per_grid], title=title, surface=surface, heading=heading
        )
        for k in range(0, len(items), per_grid)
    ]


def plan_statuses(found: list[Line], department_id: int) -> dict[int, str]:
    """The worst status of each of the department's plans' indicators (rules.worst_status)."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for line in found:
        if line.department_id == department_id and line.plan_id is not None:
            grouped[line.plan_id].append(line.status)
    return {plan_id: rules.worst_status(statuses) for plan_id, statuses in grouped.items()}
