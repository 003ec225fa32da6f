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


@dataclass
class Section:
    """One department: its scorecard, its plans by objective, its plans' indicators."""

    department: Department
    scorecard: rules.Scorecard
    groups: list[tuple[Objective, list[ActionPlan]]] = field(default_factory=list)
    overdue: set[int] = field(default_factory=set)
    indicators: list[IndicatorLine] = field(default_factory=list)


@dataclass
class Report:
    """The organization, the summary, and a section per live department in position order."""

    view: metrics.CascadeView
    by_service: list[tuple[ServiceStrategy, dict[str, int]]]
    sections: list[Section]

    @property
    def as_of(self) -> date:
        return self.view.as_of


def _plan_indicators(plans: dict[int, ActionPlan]) -> list[tuple[int, str, str, int, int]]:
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
        if r.action_plan_id in plans
    ]


def build(as_of: date) -> Report:
    """The report at as_of: every figure comes from metrics.cascade (rules of DESIGN §3)."""
    view = metrics.cascade(as_of)
    sections = {
        d.id: Section(department=d, scorecard=view.scorecards[d.id]) for d in view.departments
    }
    plans: dict[int, ActionPlan] = {}
    by_service = []
    for service in view.service_strategies:
        counts = dict.fromkeys(rules.STATUSES, 0)
        for objective in view.objectives.get(service.id, []):
            counts[view.rollups[objective.id].status] += 1
            groups: dict[int, list[ActionPlan]] = defaultdict(list)
            for plan in view.plans.get(objective.id, []):
                plans[plan.id] = plan
                groups[plan.department_id].append(plan)
            for department_id, mine in groups.items():
                section = sections.get(department_id)
                if section is None:  # an archived department: no section
                    continue
                section.groups.append((objective, mine))
                section.overdue.update(
                    p.id for p in mine if rules.plan_overdue(p.due_date, p.state, as_of)
                )
        by_service.append((service, counts))
    for iid, name, unit, plan_id, decimals in _plan_indicators(plans):
        plan = plans[plan_id]
        section = sections.get(plan.department_id)
        # The indicators of cancelled plans count nowhere (§3), so they are not listed either.
        if section is not None and plan.state != "cancelled":
            section.indicators.append(
                IndicatorLine(iid, name, unit, plan, view.indicator_results[iid], decimals)
            )
    return Report(view, by_service, [sections[d.id] for d in view.departments])
