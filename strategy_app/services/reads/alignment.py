"""The alignment report of DESIGN §7: what in the cascade is not aligned, and where to fix it.

Eight kinds of finding, over live items only (archived items, everything under an archived
service strategy or objective, cancelled plans and their indicators are left out):

1. service strategies with no `supports` link to a live company strategy;
2. service strategies with a `conflicts` link to a live company strategy;
3. objectives with no indicator (neither their own nor one of their plans');
4. objectives whose plans all come from one department (not cross-functional);
5. objectives with no plan;
6. plans with no owner or no due date;
7. indicators with no actual in their last two expected periods (see below);
8. departments with no plan under an active service strategy (only when one is active).

Periods of an indicator: its checkpoints are the baseline date, its milestone dates and its
target date; a period runs from one checkpoint to the next. A period has ended on as_of when
its end date is on or before as_of. An actual counts for a stretch of time when it is dated
from its start to as_of, both included. An indicator is flagged (kind 7) when at least one
period has ended and no actual is dated on or after the start of the second-to-last ended
period (or of the only one, when just one has ended): an indicator with no milestones is
flagged once its target date has passed with no actual since its baseline date.
My updates uses the same periods: an indicator is due an actual when a period has ended
and it has no actual since the start of the current period. Both tests live in services.rules.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CompanyStrategy,
    Department,
    Indicator,
    Milestone,
    Objective,
    ServiceStrategy,
    StrategyLink,
)
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.evaluation.rules import checkpoints, no_recent_actual
from strategy_app.services.plumbing import data_version

# Above this many ids, a query reads every row and keeps those asked for (as metrics does).
IN_LIST_LIMIT = 500


@dataclass(frozen=True)
class Kind:
    """One kind of finding: its key (the page anchor), title and what to do about it."""

    key: str
    title: str
    advice: str


KINDS = (
    Kind(
        "unsupported_service",
        "Service strategies that support no company strategy",
        "Link each service strategy to the company strategies it complements (fit: supports).",
    ),
    Kind(
        "conflicting_service",
        "Service strategies that conflict with a company strategy",
        "Rework the service strategy, or explain and change the conflicting link.",
    ),
    Kind(
        "objective_without_indicator",
        "Objectives with no indicator (no expected result)",
        "Give each objective, or one of its plans, an indicator with a target.",
    ),
    Kind(
        "single_department_objective",
        "Objectives that only one department works on",
        "Service objectives need several areas: add a plan from another department.",
    ),
    Kind(
        "objective_without_plan",
        "Objectives with no plan",
        "Split each objective into action plans, one per department involved.",
    ),
    Kind(
        "plan_missing_owner_or_due",
        "Plans with no owner or no due date",
        "Every plan needs a manager and a date.",
    ),
    Kind(
        "stale_indicator",
        "Indicators with no actual in their last two periods",
        "Enter the actual results (periods run between baseline, milestones and target).",
    ),
    Kind(
        "idle_department",
        "Departments with no plan under an active service strategy",
        "Each area has a part in the service: give it a plan under an active strategy.",
    ),
)
KIND_KEYS = tuple(k.key for k in KINDS)


@dataclass(frozen=True)
class Target:
    """A page that fixes a finding: an endpoint and its arguments."""

    endpoint: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """One finding: what is wrong, about which item, and the pages that fix it (best first)."""

    kind: str
    subject: str
    message: str
    targets: tuple[Target, ...]

    @property
    def endpoint(self) -> str:
        """The endpoint of the page that fixes it."""
        return self.targets[0].endpoint

    @property
    def args(self) -> dict[str, Any]:
        """The arguments of that endpoint."""
        return self.targets[0].args


@dataclass
class Report:
    """Every finding at as_of, one list per kind (in the order of KINDS)."""

    as_of: date
    findings: dict[str, list[Finding]]

    def __getitem__(self, key: str) -> list[Finding]:
        return self.findings[key]

    @property
    def total(self) -> int:
        """How many findings in all."""
        return sum(len(f) for f in self.findings.values())

    def counts(self) -> dict[str, int]:
        """How many findings of each kind."""
        return {k: len(v) for k, v in self.findings.items()}


def milestone_dates(indicator_ids: list[int]) -> dict[int, list[date]]:
    """The milestone dates of these indicators, in one query."""
    query = sa.select(Milestone.indicator_id, Milestone.date)
    if len(indicator_ids) <= IN_LIST_LIMIT:  # else one plain query rather than a huge IN list
        query = query.where(Milestone.indicator_id.in_(indicator_ids))
    dates: dict[int, list[date]] = defaultdict(list)
    for indicator_id, d in db.session.execute(query):
        dates[indicator_id].append(d)
    return dates


# --- the report, from plain rows of the live cascade --------------------------------------


def _live_objectives() -> sa.Select:
    return (
        sa.select(Objective.id, Objective.title, Objective.service_strategy_id)
        .join(Objective.service_strategy)
        .where(Objective.archived_at.is_(None), ServiceStrategy.archived_at.is_(None))
        .order_by(Objective.service_strategy_id, Objective.id)
    )


def _counting_plans(objective_ids: set[int], few: bool = False) -> list[sa.Row]:
    """Live plans of live objectives, cancelled ones left out (few: those of objective_ids
    picked by the database)."""
    query = (
        sa.select(
            ActionPlan.id,
            ActionPlan.title,
            ActionPlan.objective_id,
            ActionPlan.department_id,
            ActionPlan.owner_id,
            ActionPlan.due_date,
        )
        .where(ActionPlan.archived_at.is_(None), ActionPlan.state != "cancelled")
        .order_by(ActionPlan.id)
    )
    if few:
        query = query.where(ActionPlan.objective_id.in_(objective_ids))
    return [r for r in db.session.execute(query) if r.objective_id in objective_ids]


def _service_findings() -> tuple[list[Finding], list[Finding]]:
    services = db.session.execute(
        sa.select(ServiceStrategy.id, ServiceStrategy.title)
        .where(ServiceStrategy.archived_at.is_(None))
        .order_by(ServiceStrategy.id)
    ).all()
    links: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for service_id, fit, title in db.session.execute(
        sa.select(StrategyLink.service_strategy_id, StrategyLink.fit, CompanyStrategy.title)
        .join(StrategyLink.company_strategy)
        .where(CompanyStrategy.archived_at.is_(None))
        .order_by(StrategyLink.id)
    ):
        links[service_id].append((fit, title))
    unsupported, conflicting = [], []
    for s in services:
        targets = (
            Target("strategy.service_edit", {"id": s.id}),
            Target("strategy.service_view", {"id": s.id}),
            Target("strategy.cascade"),
        )
        fits = links.get(s.id, [])
        if not any(fit == "supports" for fit, _ in fits):
            message = f"“{s.title}” is not linked to any company strategy it supports."
            unsupported.append(Finding("unsupported_service", s.title, message, targets))
        if clashes := [f"“{title}”" for fit, title in fits if fit == "conflicts"]:
            message = f"“{s.title}” conflicts with {', '.join(clashes)}."
            conflicting.append(Finding("conflicting_service", s.title, message, targets))
    return unsupported, conflicting


def _objective_findings(o, departments: set[int], measured: bool, names) -> dict[str, Finding]:
    """The findings of kinds 3-5 about one objective, by kind."""
    found: dict[str, Finding] = {}
    view = Target("objectives.view", {"id": o.id})
    add_plan = (Target("plans.new", {"objective_id": o.id}), view)
    if not measured:
        message = f"“{o.title}” has no indicator: nothing says what result is expected."
        fix = (Target("objectives.indicator_new", {"id": o.id}), view)
        found["objective_without_indicator"] = Finding(
            "objective_without_indicator", o.title, message, fix
        )
    if not departments:
        message = f"“{o.title}” has no action plan."
        found["objective_without_plan"] = Finding(
            "objective_without_plan", o.title, message, add_plan
        )
    elif len(departments) == 1:
        message = f"Only {names[next(iter(departments))]} has plans for “{o.title}”."
        found["single_department_objective"] = Finding(
            "single_department_objective", o.title, message, add_plan
        )
    return found


def _plan_finding(p) -> Finding | None:
    missing = [w for w, absent in (("owner", p.owner_id), ("due date", p.due_date)) if not absent]
    if not missing:
        return None
    message = f"“{p.title}” has no {' and no '.join(missing)}."
    fix = (Target("plans.edit", {"id": p.id}), Target("plans.view", {"id": p.id}))
    return Finding("plan_missing_owner_or_due", p.title, message, fix)


def _indicator_findings(indicators, as_of: date) -> list[tuple[int, Finding]]:
    ids = [i.id for i in indicators]
    if not ids:
        return []
    milestones = milestone_dates(ids)
    actuals = metrics.latest_actuals(ids if len(ids) <= IN_LIST_LIMIT else None, as_of)
    found = []
    for i in indicators:
        points = checkpoints(i.baseline_date, i.target_date, milestones.get(i.id, ()))
        last = actuals[i.id][0] if i.id in actuals else None
        if no_recent_actual(points, last, as_of):
            since = f"since {last.isoformat()}" if last else "at all"
            fix = (
                Target("actuals.new", {"indicator_id": i.id}),
                Target("objectives.indicator_view", {"indicator_id": i.id}),
            )
            message = f"“{i.name}” has had no actual {since}."
            found.append((i.id, Finding("stale_indicator", i.name, message, fix)))
    return found


def _department_findings(parts: dict[int, _Part], departments) -> list[Finding]:
    active = set(
        db.session.scalars(
            sa.select(ServiceStrategy.id).where(
                ServiceStrategy.archived_at.is_(None), ServiceStrategy.status == "active"
            )
        )
    )
    if not active:
        return []
    busy = {d for part in parts.values() if part.service_id in active for d in part.departments}
    return [
        Finding(
            "idle_department",
            d.name,
            f"{d.name} has no plan under an active service strategy.",
            (
                Target("departments.view", {"slug": d.slug}),
                Target("plans.new", {"department_id": d.id}),
            ),
        )
        for d in departments
        if d.archived_at is None and d.id not in busy
    ]


@dataclass(frozen=True)
class _Part:
    """What one live objective brings to the report: its own findings (kinds 3-5), those of
    its plans and indicators (kinds 6-7, by plan or indicator id), and its departments."""

    service_id: int
    departments: frozenset[int]
    own: dict[str, Finding]
    plans: tuple[tuple[int, Finding], ...]
    indicators: tuple[tuple[int, Finding], ...]


def findings(as_of: date) -> Report:
    """The alignment report at as_of, in a fixed number of queries over plain rows.

    Plain data only, so it is kept under the data version (services.data_version); after a
    change, only the objectives the change touched are looked at again (_refresh), and the
    report is put together from every objective's part. Callers read it, never change it.
    """
    return data_version.cache().get_or_compute(
        ("alignment", as_of), lambda: _assemble(as_of, _all_parts(as_of))
    )


def _all_parts(as_of: date) -> dict[int, _Part]:
    return data_version.cache().get_or_refresh(
        ("alignment parts", as_of),
        lambda: _parts(as_of, None),
        lambda old, touched: _refresh(old, touched, as_of),
    )


def _refresh(old: dict[int, _Part], touched: data_version.Touched, as_of: date):
    if touched.kinds <= metrics.ACTUALS_ONLY:
        return _with_new_actuals(old, touched.ref("indicator_id"), as_of)
    found = metrics.touched_objectives(touched)
    if found is None or len(found[0]) > IN_LIST_LIMIT // 2:
        return None
    objectives, live = found
    if not objectives:
        return old
    parts = {oid: part for oid, part in old.items() if oid not in objectives}
    parts.update(_parts(as_of, set(live)) if live else {})
    return parts


# What the stale-indicator findings read of an indicator.
_INDICATOR_COLUMNS = (
    Indicator.id,
    Indicator.name,
    Indicator.objective_id,
    Indicator.action_plan_id,
    Indicator.baseline_date,
    Indicator.target_date,
)


def _with_new_actuals(old: dict[int, _Part], moved: frozenset[int], as_of: date):
    """The parts after changes to the actuals of the indicators moved alone: only whether
    those indicators have had a recent actual is looked at again (three queries)."""
    rows = db.session.execute(
        sa.select(
            *_INDICATOR_COLUMNS,
            sa.func.coalesce(Indicator.objective_id, ActionPlan.objective_id).label("serves"),
            ActionPlan.state,
            ActionPlan.archived_at,
        )
        .outerjoin(ActionPlan, Indicator.action_plan_id == ActionPlan.id)
        .where(Indicator.id.in_(moved), Indicator.archived_at.is_(None))
        .order_by(Indicator.id)
    ).all()
    counted = [
        r
        for r in rows
        if r.serves in old
        and (
            r.action_plan_id is None
            or rules.plan_counts(
                rules.PlanFacts(r.action_plan_id, r.state, 0, None, r.archived_at is not None)
            )
        )
    ]
    found: dict[int, list[tuple[int, Finding]]] = defaultdict(list)
    serves = {r.id: r.serves for r in counted}
    for indicator_id, finding in _indicator_findings(counted, as_of):
        found[serves[indicator_id]].append((indicator_id, finding))
    parts = dict(old)
    for oid in set(serves.values()):
        part = parts[oid]
        kept = [(i, f) for i, f in part.indicators if i not in moved]
        indicators = tuple(sorted(kept + found.get(oid, []), key=lambda pair: pair[0]))
        if indicators != part.indicators:
            parts[oid] = replace(part, indicators=indicators)
    return parts


def _department_names() -> list[sa.Row]:
    return db.session.execute(
        sa.select(Department.id, Department.name, Department.slug, Department.archived_at).order_by(
            Department.position, Department.id
        )
    ).all()


def _parts(as_of: date, wanted: set[int] | None) -> dict[int, _Part]:
    """The parts of the live objectives (or of those wanted), in six queries."""
    few = wanted is not None and len(wanted) <= IN_LIST_LIMIT
    query = _live_objectives()
    if few:
        query = query.where(Objective.id.in_(wanted))
    objectives = [o for o in db.session.execute(query) if wanted is None or o.id in wanted]
    objective_ids = {o.id for o in objectives}
    plans = _counting_plans(objective_ids, few)
    plan_objective = {p.id: p.objective_id for p in plans}
    indicator_query = (
        sa.select(*_INDICATOR_COLUMNS).where(Indicator.archived_at.is_(None)).order_by(Indicator.id)
    )
    if few and len(plan_objective) <= IN_LIST_LIMIT:
        indicator_query = indicator_query.where(
            sa.or_(
                Indicator.objective_id.in_(objective_ids),
                Indicator.action_plan_id.in_(plan_objective),
            )
        )
    indicators = [
        i
        for i in db.session.execute(indicator_query)
        if i.objective_id in objective_ids or i.action_plan_id in plan_objective
    ]
    indicator_objective = {
        i.id: i.objective_id or plan_objective[i.action_plan_id] for i in indicators
    }
    names = {d.id: d.name for d in _department_names()}
    departments_of: dict[int, set[int]] = defaultdict(set)
    plan_findings: dict[int, list[tuple[int, Finding]]] = defaultdict(list)
    for p in plans:
        departments_of[p.objective_id].add(p.department_id)
        if finding := _plan_finding(p):
            plan_findings[p.objective_id].append((p.id, finding))
    stale: dict[int, list[tuple[int, Finding]]] = defaultdict(list)
    for indicator_id, finding in _indicator_findings(indicators, as_of):
        stale[indicator_objective[indicator_id]].append((indicator_id, finding))
    measured = set(indicator_objective.values())
    return {
        o.id: _Part(
            service_id=o.service_strategy_id,
            departments=frozenset(departments_of.get(o.id, ())),
            own=_objective_findings(o, departments_of.get(o.id, set()), o.id in measured, names),
            plans=tuple(plan_findings.get(o.id, ())),
            indicators=tuple(stale.get(o.id, ())),
        )
        for o in objectives
    }


def _assemble(as_of: date, parts: dict[int, _Part]) -> Report:
    """The report from every objective's part, the service strategies' findings and the
    departments' (three queries)."""
    ordered = [parts[oid] for oid in sorted(parts, key=lambda oid: (parts[oid].service_id, oid))]
    unsupported, conflicting = _service_findings()
    by_kind: dict[str, list[Finding]] = {
        "unsupported_service": unsupported,
        "conflicting_service": conflicting,
    }
    for key in ("objective_without_indicator", "single_department_objective"):
        by_kind[key] = [part.own[key] for part in ordered if key in part.own]
    by_kind["objective_without_plan"] = [
        part.own["objective_without_plan"]
        for part in ordered
        if "objective_without_plan" in part.own
    ]
    by_kind["plan_missing_owner_or_due"] = [
        f for _, f in sorted((pair for part in ordered for pair in part.plans), key=_first)
    ]
    by_kind["stale_indicator"] = [
        f for _, f in sorted((pair for part in ordered for pair in part.indicators), key=_first)
    ]
    by_kind["idle_department"] = _department_findings(parts, _department_names())
    return Report(as_of=as_of, findings={k: by_kind.get(k, []) for k in KIND_KEYS})


def _first(pair: tuple[int, Finding]) -> int:
    return pair[0]
