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
from dataclasses import dataclass, field
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
from strategy_app.services.evaluation import metrics
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


def _counting_plans(objective_ids: set[int]) -> list[sa.Row]:
    """Live plans of live objectives, cancelled ones left out."""
    rows = db.session.execute(
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
    return [r for r in rows if r.objective_id in objective_ids]


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


def _objective_findings(objectives, plans, measured, names) -> dict[str, list[Finding]]:
    departments_of: dict[int, set[int]] = defaultdict(set)
    for p in plans:
        departments_of[p.objective_id].add(p.department_id)
    found: dict[str, list[Finding]] = defaultdict(list)
    for o in objectives:
        view = Target("objectives.view", {"id": o.id})
        add_plan = (Target("plans.new", {"objective_id": o.id}), view)
        if o.id not in measured:
            message = f"“{o.title}” has no indicator: nothing says what result is expected."
            fix = (Target("objectives.indicator_new", {"id": o.id}), view)
            found["objective_without_indicator"].append(
                Finding("objective_without_indicator", o.title, message, fix)
            )
        departments = departments_of.get(o.id, set())
        if not departments:
            message = f"“{o.title}” has no action plan."
            found["objective_without_plan"].append(
                Finding("objective_without_plan", o.title, message, add_plan)
            )
        elif len(departments) == 1:
            message = f"Only {names[next(iter(departments))]} has plans for “{o.title}”."
            found["single_department_objective"].append(
                Finding("single_department_objective", o.title, message, add_plan)
            )
    return found


def _plan_findings(plans) -> list[Finding]:
    found = []
    for p in plans:
        missing = [
            w for w, absent in (("owner", p.owner_id), ("due date", p.due_date)) if not absent
        ]
        if missing:
            message = f"“{p.title}” has no {' and no '.join(missing)}."
            fix = (Target("plans.edit", {"id": p.id}), Target("plans.view", {"id": p.id}))
            found.append(Finding("plan_missing_owner_or_due", p.title, message, fix))
    return found


def _indicator_findings(indicators, as_of: date) -> list[Finding]:
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
            found.append(Finding("stale_indicator", i.name, message, fix))
    return found


def _department_findings(objectives, plans, departments) -> list[Finding]:
    active = set(
        db.session.scalars(
            sa.select(ServiceStrategy.id).where(
                ServiceStrategy.archived_at.is_(None), ServiceStrategy.status == "active"
            )
        )
    )
    if not active:
        return []
    under_active = {o.id for o in objectives if o.service_strategy_id in active}
    busy = {p.department_id for p in plans if p.objective_id in under_active}
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


def findings(as_of: date) -> Report:
    """The alignment report at as_of, in a fixed number of queries over plain rows.

    Plain data only, so it is kept under the data version (services.data_version) and
    computed again only after a change; callers read it, never change it.
    """
    return data_version.cache().get_or_compute(("alignment", as_of), lambda: _findings(as_of))


def _findings(as_of: date) -> Report:
    objectives = db.session.execute(_live_objectives()).all()
    objective_ids = {o.id for o in objectives}
    plans = _counting_plans(objective_ids)
    plan_objective = {p.id: p.objective_id for p in plans}
    indicators = [
        i
        for i in db.session.execute(
            sa.select(
                Indicator.id,
                Indicator.name,
                Indicator.objective_id,
                Indicator.action_plan_id,
                Indicator.baseline_date,
                Indicator.target_date,
            )
            .where(Indicator.archived_at.is_(None))
            .order_by(Indicator.id)
        )
        if i.objective_id in objective_ids or i.action_plan_id in plan_objective
    ]
    measured = {i.objective_id or plan_objective[i.action_plan_id] for i in indicators}
    departments = db.session.execute(
        sa.select(Department.id, Department.name, Department.slug, Department.archived_at).order_by(
            Department.position, Department.id
        )
    ).all()
    names = {d.id: d.name for d in departments}
    unsupported, conflicting = _service_findings()
    by_kind: dict[str, list[Finding]] = {
        "unsupported_service": unsupported,
        "conflicting_service": conflicting,
        **_objective_findings(objectives, plans, measured, names),
        "plan_missing_owner_or_due": _plan_findings(plans),
        "stale_indicator": _indicator_findings(indicators, as_of),
        "idle_department": _department_findings(objectives, plans, departments),
    }
    return Report(as_of=as_of, findings={k: by_kind.get(k, []) for k in KIND_KEYS})
