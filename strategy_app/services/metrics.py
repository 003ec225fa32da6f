"""Evaluate the rules of services.rules over the database, in a bounded number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CompanyStrategy,
    Department,
    Indicator,
    Measurement,
    Objective,
    Organization,
    ServiceStrategy,
    StrategyLink,
)
from strategy_app.services import rules


def latest_actuals(
    indicator_ids: Iterable[int] | None, as_of: date
) -> dict[int, tuple[date, float]]:
    """The latest measurement on or before as_of of each indicator (all when ids is None)."""
    latest = sa.select(Measurement.indicator_id, sa.func.max(Measurement.date).label("d")).where(
        Measurement.date <= as_of
    )
    ids = None if indicator_ids is None else list(indicator_ids)
    if ids is not None:
        if not ids:
            return {}
        latest = latest.where(Measurement.indicator_id.in_(ids))
    latest = latest.group_by(Measurement.indicator_id).subquery()
    rows = db.session.execute(
        sa.select(Measurement.indicator_id, Measurement.date, Measurement.value).join(
            latest,
            sa.and_(
                Measurement.indicator_id == latest.c.indicator_id, Measurement.date == latest.c.d
            ),
        )
    )
    return {r.indicator_id: (r.date, r.value) for r in rows}


def evaluate_indicators(
    indicators: Iterable[Indicator], as_of: date
) -> dict[int, rules.IndicatorResult]:
    """Evaluate indicators (milestones loaded) at as_of, with one query for their actuals."""
    items = list(indicators)
    actuals = latest_actuals([i.id for i in items], as_of)
    return {
        i.id: rules.evaluate(rules.IndicatorSpec.of(i), actuals.get(i.id), as_of) for i in items
    }


def plan_facts(plan: ActionPlan) -> rules.PlanFacts:
    """The facts of a plan the roll-ups need."""
    return rules.PlanFacts(
        id=plan.id,
        state=plan.state,
        progress_pct=plan.progress_pct,
        due_date=plan.due_date,
        archived=plan.archived_at is not None,
        department_id=plan.department_id,
    )


@dataclass
class CascadeView:
    """The live cascade with every computed figure, as of a date."""

    as_of: date
    organization: Organization | None
    company_strategies: list[CompanyStrategy]
    service_strategies: list[ServiceStrategy]
    links: dict[int, list[StrategyLink]]
    objectives: dict[int, list[Objective]]
    plans: dict[int, list[ActionPlan]]
    indicator_results: dict[int, rules.IndicatorResult]
    rollups: dict[int, rules.Rollup]
    departments: list[Department]
    scorecards: dict[int, rules.Scorecard]

    def status_counts(self) -> dict[str, int]:
        """Objectives per status."""
        counts = dict.fromkeys(rules.STATUSES, 0)
        for r in self.rollups.values():
            counts[r.status] += 1
        return counts


def cascade(as_of: date) -> CascadeView:
    """Load the whole active cascade and evaluate it at as_of (a fixed number of queries)."""
    org = db.session.scalar(sa.select(Organization).order_by(Organization.id).limit(1))
    company = list(
        db.session.scalars(
            sa.select(CompanyStrategy)
            .where(CompanyStrategy.archived_at.is_(None))
            .order_by(CompanyStrategy.position, CompanyStrategy.id)
        )
    )
    services = list(
        db.session.scalars(
            sa.select(ServiceStrategy)
            .where(ServiceStrategy.archived_at.is_(None))
            .options(selectinload(ServiceStrategy.links))
            .order_by(ServiceStrategy.id)
        )
    )
    objectives = list(
        db.session.scalars(
            sa.select(Objective)
            .where(Objective.archived_at.is_(None))
            .order_by(Objective.service_strategy_id, Objective.id)
        )
    )
    plans = list(
        db.session.scalars(
            sa.select(ActionPlan)
            .where(ActionPlan.archived_at.is_(None))
            .order_by(ActionPlan.objective_id, ActionPlan.id)
        )
    )
    indicators = list(
        db.session.scalars(
            sa.select(Indicator)
            .where(Indicator.archived_at.is_(None))
            .options(selectinload(Indicator.milestones))
        )
    )
    departments = list(
        db.session.scalars(
            sa.select(Department)
            .where(Department.archived_at.is_(None))
            .order_by(Department.position, Department.id)
        )
    )
    results = evaluate_indicators(indicators, as_of)

    by_objective: dict[int, list[Objective]] = defaultdict(list)
    for o in objectives:
        by_objective[o.service_strategy_id].append(o)
    plans_by_objective: dict[int, list[ActionPlan]] = defaultdict(list)
    plans_by_department: dict[int, list[ActionPlan]] = defaultdict(list)
    for p in plans:
        plans_by_objective[p.objective_id].append(p)
        plans_by_department[p.department_id].append(p)
    own: dict[int, list[rules.IndicatorResult]] = defaultdict(list)
    of_plan: dict[int, list[rules.IndicatorResult]] = defaultdict(list)
    for i in indicators:
        if i.objective_id is not None:
            own[i.objective_id].append(results[i.id])
        else:
            of_plan[i.action_plan_id].append(results[i.id])

    rollups = {
        o.id: rules.objective_rollup(
            own[o.id], [(plan_facts(p), of_plan[p.id]) for p in plans_by_objective[o.id]]
        )
        for o in objectives
    }
    scorecards = {
        d.id: rules.department_scorecard(
            [(plan_facts(p), of_plan[p.id]) for p in plans_by_department[d.id]], as_of
        )
        for d in departments
    }
    return CascadeView(
        as_of=as_of,
        organization=org,
        company_strategies=company,
        service_strategies=services,
        links={s.id: list(s.links) for s in services},
        objectives=by_objective,
        plans=plans_by_objective,
        indicator_results=results,
        rollups=rollups,
        departments=departments,
        scorecards=scorecards,
    )
