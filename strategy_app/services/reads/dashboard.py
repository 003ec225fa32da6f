"""What the dashboard shows: the cascade at a glance, built on metrics.overview()."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from strategy_app import charts
from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CheckIn,
    CompanyStrategy,
    Department,
    Indicator,
    Measurement,
    Objective,
    Organization,
    ServiceStrategy,
    User,
)
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.plumbing import data_version, per_version

ATTENTION = 10  # objectives listed under "needs attention"
MISSES = 10  # indicators in "biggest misses"
RECENT = 10  # actuals and check-ins listed as recent
_SEVERITY = {rules.OFF_TRACK: 0, rules.AT_RISK: 1, rules.NO_DATA: 2, rules.ON_TRACK: 3}
_IN_LIST_LIMIT = 500


@dataclass
class Dashboard:
    """Everything the dashboard page renders."""

    as_of: date
    organization: Organization | None
    company_strategies: list[CompanyStrategy]
    service_strategies: list[ServiceStrategy]
    counts_by_service: dict[int, dict[str, int]]
    status_counts: dict[str, int]
    attention: list[tuple[Objective, rules.Rollup]]
    departments: list[tuple[Department, rules.Scorecard]]
    objective_total: int
    department_results: dict[int, float | None]
    misses: list[charts.Miss]

    @cached_property
    def recent_actuals(self) -> list[tuple[Any, str]]:
        """The latest actuals entered (read when the page lists them; meeting mode does not)."""
        return recent_actuals(self.as_of)

    @cached_property
    def recent_check_ins(self) -> list[Any]:
        """The latest check-ins (read when the page lists them)."""
        return recent_check_ins(self.as_of)

    @cached_property
    def department_rows(self) -> list[charts.DepartmentRow]:
        """Each live department's execution, results, plans by state and overdue count."""
        return [
            charts.DepartmentRow(
                name=d.name,
                execution=sc.execution,
                results=self.department_results.get(d.id),
                plans=sc.plans,
                overdue=sc.overdue,
            )
            for d, sc in self.departments
        ]

    @cached_property
    def figures(self) -> dict[str, dict[str, Any]]:
        """The dashboard's charts, by name."""
        rows = self.department_rows
        by_service = [
            (s.title, self.counts_by_service.get(s.id, {})) for s in self.service_strategies
        ]
        return {
            "by_service": charts.objectives_by_service(by_service),
            "execution": charts.execution_vs_results(rows),
            "overdue": charts.overdue_by_department(rows),
            "misses": charts.biggest_misses(self.misses),
        }


@dataclass(frozen=True)
class _Ranking:
    """What the dashboard derives from every objective and indicator (plain data, kept per
    data version): the worst objectives, counts, each department's results, the misses."""

    worst: list[tuple[int, rules.Rollup]]
    counts_by_service: dict[int, dict[str, int]]
    status_counts: dict[str, int]
    objective_total: int
    department_results: dict[int, float | None]
    misses: list[charts.Miss]
    every_miss: tuple[charts.Miss, ...] = ()  # all of them, for a refresh
    department_of: dict[int, int] = field(default_factory=dict)  # indicator -> department


def build(as_of: date) -> Dashboard:
    """The dashboard at as_of in a fixed number of queries, whatever the size of the data.

    The figures that walk every objective and indicator are worked out once per data
    version (services.plumbing.per_version): a warm dashboard reads only what it draws.
    """
    figures = metrics.overview(as_of)
    org, company, services = metrics.strategies()
    ranking = per_version.memo(
        "dashboard",
        as_of,
        lambda: _ranking(figures, as_of),
        refresh=lambda old, touched: _follow(old, touched, figures, as_of),
    )
    loaded = {
        o.id: o
        for o in db.session.scalars(
            sa.select(Objective).where(Objective.id.in_([oid for oid, _ in ranking.worst]))
        )
    }
    departments = list(
        db.session.scalars(
            sa.select(Department)
            .where(Department.archived_at.is_(None))
            .order_by(Department.position, Department.id)
        )
    )
    scorecards = figures.scorecards
    counts_by_service = {s.id: dict.fromkeys(rules.STATUSES, 0) for s in services}
    counts_by_service.update(ranking.counts_by_service)
    return Dashboard(
        as_of=as_of,
        organization=org,
        company_strategies=company,
        service_strategies=services,
        counts_by_service=counts_by_service,
        status_counts=ranking.status_counts,
        attention=[(loaded[oid], r) for oid, r in ranking.worst],
        departments=[(d, scorecards[d.id]) for d in departments],
        objective_total=ranking.objective_total,
        department_results=ranking.department_results,
        misses=ranking.misses,
    )


def _ranking(figures: metrics.Overview, as_of: date) -> _Ranking:
    return _ranked(figures, _departments_of_indicators(), _misses(figures, as_of))


def _follow(
    old: _Ranking, touched: data_version.Touched, figures: metrics.Overview, as_of: date
) -> _Ranking | None:
    """The ranking after changes to actuals and milestones alone: the objectives ranked
    again from the overview, and the misses of the indicators they touched worked out again
    (one query on those few); None when anything else changed."""
    if not touched.kinds <= metrics.RESULTS_ONLY:
        return None
    moved = touched.ref("indicator_id")
    kept = [m for m in old.every_miss if m.id not in moved]
    misses = sorted(kept + _misses(figures, as_of, moved), key=_miss_order)
    return _ranked(figures, old.department_of, misses)


def _ranked(
    figures: metrics.Overview, department_of: dict[int, int], misses: list[charts.Miss]
) -> _Ranking:
    by_service: dict[int, list[int]] = {}
    for oid, sid in figures.objective_service.items():
        by_service.setdefault(sid, []).append(oid)
    worst = sorted(
        figures.rollups.items(),
        key=lambda kv: (
            _SEVERITY[kv[1].status],
            kv[1].results if kv[1].results is not None else 2.0,
            kv[0],
        ),
    )
    worst = [(oid, r) for oid, r in worst if r.status != rules.ON_TRACK][:ATTENTION]
    return _Ranking(
        worst=worst,
        counts_by_service={sid: figures.status_counts(ids) for sid, ids in by_service.items()},
        status_counts=figures.status_counts(),
        objective_total=len(figures.rollups),
        department_results=_department_results(figures, department_of),
        misses=misses[:MISSES],
        every_miss=tuple(misses),
        department_of=department_of,
    )


def _departments_of_indicators() -> dict[int, int]:
    """The department of each live indicator of a plan that is not cancelled (one query)."""
    rows = db.session.execute(
        sa.select(Indicator.id, ActionPlan.department_id)
        .join(ActionPlan, Indicator.action_plan_id == ActionPlan.id)
        .where(Indicator.archived_at.is_(None), ActionPlan.state != "cancelled")
    )
    return {indicator_id: department_id for indicator_id, department_id in rows}


def _department_results(
    figures: metrics.Overview, department_of: dict[int, int]
) -> dict[int, float | None]:
    """The mean progress of each department's plans' indicators.

    As an objective's results are the mean progress of its indicators (DESIGN §3); the
    indicators of cancelled plans are left out, as everywhere.
    """
    progress: dict[int, list[float]] = defaultdict(list)
    for indicator_id, department_id in department_of.items():
        result = figures.results.get(indicator_id)
        if result is not None:
            progress[department_id].append(result.progress)
    return {did: rules.mean(values) for did, values in progress.items()}


def _miss_order(miss: charts.Miss) -> tuple:
    return (-miss.relative, -miss.shortfall, miss.id)


def _misses(
    figures: metrics.Overview, as_of: date, among: Iterable[int] | None = None
) -> list[charts.Miss]:
    """The indicators short of expected (of those among, if given), furthest short relative
    to their span first (one query).

    The overview's results carry the expected value, so the milestones need no reading.
    """
    results = figures.results
    candidates = results if among is None else [i for i in among if i in results]
    short = [i for i in candidates if results[i].status in (rules.AT_RISK, rules.OFF_TRACK)]
    if not short and among is not None:
        return []
    query = (
        sa.select(
            Indicator.id,
            Indicator.name,
            Indicator.unit,
            Indicator.direction,
            Indicator.baseline_value,
            Indicator.baseline_date,
            Indicator.target_value,
            Indicator.target_date,
            Indicator.tolerance,
            sa.func.coalesce(ActionPlan.title, Objective.title).label("parent"),
        )
        .outerjoin(ActionPlan, Indicator.action_plan_id == ActionPlan.id)
        .outerjoin(Objective, Indicator.objective_id == Objective.id)
    )
    if len(short) <= _IN_LIST_LIMIT:
        query = query.where(Indicator.id.in_(short))
    wanted = set(short)
    rows = [r for r in db.session.execute(query) if r.id in wanted]
    misses = []
    for r in rows:
        spec = rules.IndicatorSpec(
            r.direction,
            r.baseline_value,
            r.baseline_date,
            r.target_value,
            r.target_date,
            r.tolerance,
        )
        result = figures.results[r.id]
        gap = rules.shortfall_from(spec, result.expected, result.actual)
        if gap > 0:
            misses.append(
                charts.Miss(
                    name=r.name,
                    unit=r.unit,
                    status=result.status,
                    expected=result.expected,
                    actual=result.actual,
                    shortfall=gap,
                    relative=gap / rules.span(spec),
                    parent=r.parent or "",
                    id=r.id,
                )
            )
    misses.sort(key=_miss_order)
    return misses


def _end_of(d: date) -> datetime:
    """The first instant after the day d (UTC)."""
    return datetime.combine(d + timedelta(days=1), time.min, tzinfo=UTC)


def recent_actuals(as_of: date, limit: int = RECENT) -> list[tuple[Any, str]]:
    """The last actuals entered (dated on or before as_of), newest first, with who entered them.

    Each comes with its value written for people. The newest ids are picked from the
    measurements alone (walking the primary key backwards), then joined to their names:
    a join first would sort every measurement ever entered.
    """
    archived = sa.select(Indicator.id).where(Indicator.archived_at.is_not(None))
    recent = (
        sa.select(Measurement.id)
        .where(Measurement.date <= as_of, Measurement.indicator_id.not_in(archived))
        .order_by(Measurement.id.desc())
        .limit(limit)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Measurement.id,
            Measurement.date,
            Measurement.value,
            Measurement.source,
            Measurement.created_at,
            Indicator.id.label("indicator_id"),
            Indicator.name.label("indicator"),
            Indicator.unit,
            User.name.label("who"),
        )
        .join(recent, Measurement.id == recent.c.id)
        .join(Indicator, Measurement.indicator_id == Indicator.id)
        .outerjoin(User, Measurement.entered_by_id == User.id)
        .order_by(Measurement.id.desc())
    )
    return [(r, charts.fmt_number(r.value)) for r in rows]


def recent_check_ins(as_of: date, limit: int = RECENT) -> list[Any]:
    """The last check-ins posted on or before as_of, newest first, with their authors.

    Picked from the check-ins alone first, as in recent_actuals.
    """
    archived = sa.select(ActionPlan.id).where(ActionPlan.archived_at.is_not(None))
    recent = (
        sa.select(CheckIn.id)
        .where(CheckIn.created_at < _end_of(as_of), CheckIn.action_plan_id.not_in(archived))
        .order_by(CheckIn.id.desc())
        .limit(limit)
        .subquery()
    )
    return list(
        db.session.execute(
            sa.select(
                CheckIn.id,
                CheckIn.created_at,
                CheckIn.state,
                CheckIn.progress_pct,
                CheckIn.confidence,
                CheckIn.text,
                ActionPlan.id.label("plan_id"),
                ActionPlan.title.label("plan"),
                User.name.label("who"),
            )
            .join(recent, CheckIn.id == recent.c.id)
            .join(ActionPlan, CheckIn.action_plan_id == ActionPlan.id)
            .outerjoin(User, CheckIn.author_id == User.id)
            .order_by(CheckIn.id.desc())
        )
    )
