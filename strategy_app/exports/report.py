"""What the printable report shows, built on metrics.cascade in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Department, Indicator, Objective, ServiceStrategy
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.plumbing import numbers


@dataclass(frozen=True)
class IndicatorLine:
    """A plan's indicator with its figures at the report's date."""

    id: int
    name: str
    unit: str
    plan: ActionPlan
    result: rules.IndicatorResult
    decimals: int | None = None  # its display precision


# A section lists at most this many plans and indicators, those that most need the room's
# attention first; the exports and the department's page hold the rest. So a report reads
# in a meeting and costs the same at 500 plans as at 5,000.
MOST_LISTED = 30


@dataclass
class Section:
    """One department: its scorecard, its plans by objective, its plans' indicators."""

    department: Department
    scorecard: rules.Scorecard
    groups: list[tuple[Objective, list[ActionPlan]]] = field(default_factory=list)
    overdue: set[int] = field(default_factory=set)
    indicators: list[IndicatorLine] = field(default_factory=list)
    plans_total: int = 0  # the plans under live objectives, listed or not
    indicators_total: int = 0

    @property
    def plans_listed(self) -> int:
        return sum(len(plans) for _, plans in self.groups)


@dataclass
class Report:
    """The organization, the summary, and a section per live department in position order."""

    view: metrics.CascadeView
    by_service: list[tuple[ServiceStrategy, dict[str, int]]]
    sections: list[Section]

    @property
    def as_of(self) -> date:
        return self.view.as_of


def _plan_indicators(plan_ids: set[int]) -> list[tuple[int, str, str, int, int]]:
    """(id, name, unit, plan id, display decimals) of the live indicators of these plans, in
    one query."""
    rows = db.session.execute(
        sa.select(
            Indicator.id,
            Indicator.name,
            Indicator.unit,
            Indicator.action_plan_id,
            Indicator.baseline_value,
            Indicator.target_value,
            Indicator.display_precision,
        )
        .where(Indicator.archived_at.is_(None), Indicator.action_plan_id.is_not(None))
        .order_by(Indicator.action_plan_id, Indicator.id)
    )
    return [
        (r.id, r.name, r.unit, r.action_plan_id, numbers.decimals_of(r))
        for r in rows
        if r.action_plan_id in plan_ids
    ]


_STATE_ORDER = {"blocked": 0, "in_progress": 1, "planned": 2, "done": 3, "cancelled": 4}
_WORST_FIRST = {rules.OFF_TRACK: 0, rules.AT_RISK: 1, rules.NO_DATA: 2, rules.ON_TRACK: 3}


def _attention_first(facts: rules.PlanFacts, as_of: date) -> tuple:
    """Overdue plans first, then blocked, then by due date (none last), then in id order."""
    overdue = rules.plan_overdue(facts.due_date, facts.state, as_of)
    due = facts.due_date or date.max
    return (not overdue, _STATE_ORDER.get(facts.state, 5), due, facts.id)


def build(as_of: date, most: int | None = None) -> Report:
    """The report at as_of: every figure comes from metrics (rules of DESIGN §3). Each section
    lists the `most` plans and indicators that most need attention (overdue and blocked
    plans, indicators off track), in a fixed number of queries whatever the data's size."""
    most = MOST_LISTED if most is None else most
    org, company, services = metrics.strategies()
    figures = metrics.overview(as_of)
    departments = list(
        db.session.scalars(
            sa.select(Department)
            .where(Department.archived_at.is_(None))
            .order_by(Department.position, Department.id)
        )
    )
    view = metrics.CascadeView(  # the figures, with no objective or plan loaded: chosen below
        as_of=as_of,
        organization=org,
        company_strategies=company,
        service_strategies=services,
        links={s.id: list(s.links) for s in services},
        objectives={},
        plans={},
        indicator_results=figures.results,
        rollups=figures.rollups,
        departments=departments,
        scorecards=figures.scorecards,
    )
    sections = {
        d.id: Section(department=d, scorecard=figures.scorecards[d.id]) for d in departments
    }
    by_service = []
    for service in services:
        ids = [oid for oid, sid in figures.objective_service.items() if sid == service.id]
        by_service.append((service, view.status_counts(ids)))

    facts_by_department: dict[int, list[rules.PlanFacts]] = defaultdict(list)
    for part in figures.parts.values():
        for facts, _results in part.pairs:
            if facts.department_id in sections:
                facts_by_department[facts.department_id].append(facts)
    chosen: set[int] = set()
    live_plans: dict[int, int] = {}  # plan id -> department id, cancelled plans left out
    for department_id, all_facts in facts_by_department.items():
        sections[department_id].plans_total = len(all_facts)
        ranked = sorted(all_facts, key=lambda f: _attention_first(f, as_of))
        chosen.update(f.id for f in ranked[:most])
        live_plans.update((f.id, department_id) for f in all_facts if f.state != "cancelled")

    # The indicators of cancelled plans count nowhere (§3), so they are not listed either.
    lines: dict[int, list[tuple]] = defaultdict(list)
    for line in _plan_indicators(set(live_plans)):
        lines[live_plans[line[3]]].append(line)
    wanted: dict[int, list[tuple]] = {}
    for department_id, found in lines.items():
        sections[department_id].indicators_total = len(found)
        found.sort(key=lambda line: (_WORST_FIRST[figures.results[line[0]].status], line[0]))
        wanted[department_id] = found[:most]

    needed = chosen | {line[3] for found in wanted.values() for line in found}
    loaded = (
        {
            p.id: p
            for p in db.session.scalars(sa.select(ActionPlan).where(ActionPlan.id.in_(needed)))
        }
        if needed
        else {}
    )
    listed = [loaded[pid] for pid in sorted(chosen)]
    wanted_objectives = {p.objective_id for p in listed}
    objectives = (
        {
            o.id: o
            for o in db.session.scalars(
                sa.select(Objective).where(Objective.id.in_(wanted_objectives))
            )
        }
        if wanted_objectives
        else {}
    )
    for objective_id in sorted(
        wanted_objectives, key=lambda oid: (figures.objective_service[oid], oid)
    ):
        groups: dict[int, list[ActionPlan]] = defaultdict(list)
        for plan in (p for p in listed if p.objective_id == objective_id):
            groups[plan.department_id].append(plan)
        for department_id, mine in groups.items():
            section = sections[department_id]
            section.groups.append((objectives[objective_id], mine))
            section.overdue.update(
                p.id for p in mine if rules.plan_overdue(p.due_date, p.state, as_of)
            )
    for department_id, found in wanted.items():
        for iid, name, unit, plan_id, decimals in found:
            sections[department_id].indicators.append(
                IndicatorLine(iid, name, unit, loaded[plan_id], figures.results[iid], decimals)
            )
    return Report(view, by_service, [sections[d.id] for d in departments])
