"""Evaluate the rules of services.rules over the database, in a bounded number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CompanyStrategy,
    Department,
    Indicator,
    Measurement,
    Milestone,
    Objective,
    Organization,
    ServiceStrategy,
    StrategyLink,
)
from strategy_app.services import rules

# Above this many ids, a query loads the rows of every item and keeps those asked for.
_IN_LIST_LIMIT = 500


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
    """Evaluate indicators at as_of: one query for their actuals, one for missing milestones."""
    items = list(indicators)
    load_milestones(i for i in items if "milestones" in sa.inspect(i).unloaded)
    ids = [i.id for i in items]
    actuals = latest_actuals(ids if len(ids) <= _IN_LIST_LIMIT else None, as_of)
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


def load_milestones(indicators: Iterable[Indicator]) -> None:
    """Fill in the milestones of indicators in one query, however many there are.

    (selectinload would do it in batches of 500: a query count that grows with the data.)
    """
    items = list(indicators)
    if not items:
        return
    query = sa.select(Milestone).order_by(Milestone.indicator_id, Milestone.date)
    if len(items) <= _IN_LIST_LIMIT:
        query = query.where(Milestone.indicator_id.in_([i.id for i in items]))
    # else all of them: one plain query rather than a huge IN list (there are few per indicator)
    by_indicator: dict[int, list[Milestone]] = defaultdict(list)
    for m in db.session.scalars(query):
        by_indicator[m.indicator_id].append(m)
    for i in items:
        set_committed_value(i, "milestones", by_indicator.get(i.id, []))


def _links_of_live_services() -> dict[int, list[StrategyLink]]:
    """The links of every non-archived service strategy, by service strategy, in one query."""
    links: dict[int, list[StrategyLink]] = defaultdict(list)
    for link in db.session.scalars(
        sa.select(StrategyLink)
        .join(StrategyLink.service_strategy)
        .where(ServiceStrategy.archived_at.is_(None))
        .order_by(StrategyLink.service_strategy_id, StrategyLink.id)
    ):
        links[link.service_strategy_id].append(link)
    return links


ResultsByParent = dict[int, list[rules.IndicatorResult]]


def _results_by_parent(
    indicators: Iterable[Indicator], results: dict[int, rules.IndicatorResult]
) -> tuple[ResultsByParent, ResultsByParent]:
    """The results of indicators grouped by objective (own) and by action plan."""
    own: ResultsByParent = defaultdict(list)
    of_plan: ResultsByParent = defaultdict(list)
    for i in indicators:
        if i.objective_id is not None:
            own[i.objective_id].append(results[i.id])
        else:
            of_plan[i.action_plan_id].append(results[i.id])
    return own, of_plan


def _rollups(
    objectives: Iterable[Objective],
    plans_by_objective: dict[int, list[ActionPlan]],
    own: ResultsByParent,
    of_plan: ResultsByParent,
) -> dict[int, rules.Rollup]:
    """Each objective's roll-up from its own indicators' and its plans' results."""
    return {
        o.id: rules.objective_rollup(
            own.get(o.id, []),
            [(plan_facts(p), of_plan.get(p.id, [])) for p in plans_by_objective.get(o.id, [])],
        )
        for o in objectives
    }


def objective_rollups(objectives: Iterable[Objective], as_of: date) -> dict[int, rules.Rollup]:
    """The results, execution and status of each objective at as_of (a fixed number of queries).

    Computed from the objective's non-archived indicators and plans, whether or not the
    objective itself is archived (rules.objective_rollup leaves cancelled plans out).
    """
    items = list(objectives)
    if not items:
        return {}
    ids = {o.id for o in items}
    plan_query = sa.select(ActionPlan).where(ActionPlan.archived_at.is_(None))
    indicator_query = sa.select(Indicator).where(Indicator.archived_at.is_(None))
    if len(ids) <= _IN_LIST_LIMIT:  # else load them all and keep those asked for
        plan_query = plan_query.where(ActionPlan.objective_id.in_(ids))
        plans_of_ids = sa.select(ActionPlan.id).where(ActionPlan.objective_id.in_(ids))
        indicator_query = indicator_query.where(
            sa.or_(Indicator.objective_id.in_(ids), Indicator.action_plan_id.in_(plans_of_ids))
        )
    plans_by_objective: dict[int, list[ActionPlan]] = defaultdict(list)
    for p in db.session.scalars(plan_query.order_by(ActionPlan.objective_id, ActionPlan.id)):
        if p.objective_id in ids:
            plans_by_objective[p.objective_id].append(p)
    plan_ids = {p.id for ps in plans_by_objective.values() for p in ps}
    indicators = [
        i
        for i in db.session.scalars(indicator_query)
        if i.objective_id in ids or i.action_plan_id in plan_ids
    ]
    own, of_plan = _results_by_parent(indicators, evaluate_indicators(indicators, as_of))
    return _rollups(items, plans_by_objective, own, of_plan)


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
    """Load the whole active cascade and evaluate it at as_of (a fixed number of queries).

    Archived items are left out, and so is everything under an archived service strategy or
    objective (archiving a parent archives what hangs from it, whether or not the children
    were archived one by one). Cancelled plans are listed, but rules.* leaves them and their
    indicators out of every average and status.
    """
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
            .order_by(ServiceStrategy.id)
        )
    )
    links = _links_of_live_services()
    for service in services:  # so that service.links needs no query of its own either
        set_committed_value(service, "links", links.get(service.id, []))
    objectives = list(
        db.session.scalars(
            sa.select(Objective)
            .join(Objective.service_strategy)
            .where(Objective.archived_at.is_(None), ServiceStrategy.archived_at.is_(None))
            .order_by(Objective.service_strategy_id, Objective.id)
        )
    )
    live_objective_ids = {o.id for o in objectives}
    plans = [
        p
        for p in db.session.scalars(
            sa.select(ActionPlan)
            .where(ActionPlan.archived_at.is_(None))
            .order_by(ActionPlan.objective_id, ActionPlan.id)
        )
        if p.objective_id in live_objective_ids
    ]
    live_plan_ids = {p.id for p in plans}
    indicators = [
        i
        for i in db.session.scalars(sa.select(Indicator).where(Indicator.archived_at.is_(None)))
        if i.objective_id in live_objective_ids or i.action_plan_id in live_plan_ids
    ]
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
    own, of_plan = _results_by_parent(indicators, results)
    rollups = _rollups(objectives, plans_by_objective, own, of_plan)
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
        links={s.id: links.get(s.id, []) for s in services},
        objectives=by_objective,
        plans=plans_by_objective,
        indicator_results=results,
        rollups=rollups,
        departments=departments,
        scorecards=scorecards,
    )
