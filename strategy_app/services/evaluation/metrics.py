"""Evaluate the rules of services.rules over the database, in a bounded number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

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
from strategy_app.services.evaluation import rules

# Above this many ids, a query loads the rows of every item and keeps those asked for.
from strategy_app.services.plumbing import data_version

T = TypeVar("T")

_IN_LIST_LIMIT = 500


def latest_actuals(
    indicator_ids: Iterable[int] | None, as_of: date
) -> dict[int, tuple[date, float]]:
    """The latest measurement on or before as_of of each indicator (all when ids is None).

    One query: for each indicator an index seek on (indicator_id, date) finds its latest
    measurement, rather than grouping every measurement ever entered.
    """
    latest_id = (
        sa.select(Measurement.id)
        .where(Measurement.indicator_id == Indicator.id, Measurement.date <= as_of)
        .order_by(Measurement.date.desc())
        .limit(1)
        .correlate(Indicator)
        .scalar_subquery()
    )
    picks = sa.select(latest_id.label("mid")).select_from(Indicator)
    if indicator_ids is not None:
        ids = list(indicator_ids)
        if not ids:
            return {}
        picks = picks.where(Indicator.id.in_(ids))
    picks = picks.subquery()
    rows = db.session.execute(
        sa.select(Measurement.indicator_id, Measurement.date, Measurement.value).join(
            picks, Measurement.id == picks.c.mid
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


def objective_rollups(objectives: Iterable[Objective], as_of: date) -> dict[int, rules.Rollup]:
    """The results, execution and status of each objective at as_of (a fixed number of queries).

    Computed from the objective's non-archived indicators and plans, whether or not the
    objective itself is archived (rules.objective_rollup leaves cancelled plans out). Live
    objectives are read from the whole cascade's cached figures (the same computation);
    only when an archived one is asked for are they computed afresh.
    """
    ids = [o.id for o in objectives]
    if not ids:
        return {}
    whole = overview(as_of).rollups
    if all(i in whole for i in ids):
        return {i: whole[i] for i in ids}
    return overview(as_of, ids).rollups


def status_counts(
    rollups: dict[int, rules.Rollup], objective_ids: Iterable[int] | None = None
) -> dict[str, int]:
    """Objectives per status, in rules.STATUSES order: all in rollups, or those given."""
    counts = dict.fromkeys(rules.STATUSES, 0)
    for oid in rollups.keys() if objective_ids is None else objective_ids:
        counts[rollups[oid].status] += 1
    return counts


PlanPair = tuple[rules.PlanFacts, list[rules.IndicatorResult]]


@dataclass(frozen=True)
class _Part:
    """One live objective's share of the overview: its own indicators' ids, and its plans
    (in id order) with their indicators' ids and results."""

    own_ids: tuple[int, ...]
    plan_indicator_ids: tuple[int, ...]
    pairs: tuple[PlanPair, ...]


@dataclass
class Overview:
    """Every computed figure of the live cascade at a date, without loading display objects."""

    as_of: date
    results: dict[int, rules.IndicatorResult]
    rollups: dict[int, rules.Rollup]
    scorecards: dict[int, rules.Scorecard]
    objective_service: dict[int, int]
    # Per objective, what went into it: what a refresh after a change replaces.
    parts: dict[int, _Part] = field(default_factory=dict, repr=False)
    # Per live department, its scorecard as sums: what a refresh moves plan by plan.
    sums: dict[int, rules.ScorecardSums] = field(default_factory=dict, repr=False)

    def status_counts(self, objective_ids: Iterable[int] | None = None) -> dict[str, int]:
        """Objectives per status (all live objectives, or those given)."""
        return status_counts(self.rollups, objective_ids)


_SPEC_COLUMNS = (
    Indicator.id,
    Indicator.objective_id,
    Indicator.action_plan_id,
    Indicator.direction,
    Indicator.baseline_value,
    Indicator.baseline_date,
    Indicator.target_value,
    Indicator.target_date,
    Indicator.tolerance,
)


def _evaluate_rows(rows: list, as_of: date) -> dict[int, rules.IndicatorResult]:
    """Evaluate indicator rows (the _SPEC_COLUMNS): one query for milestones, one for actuals."""
    if not rows:
        return {}
    ids = [r.id for r in rows]
    few = len(ids) <= _IN_LIST_LIMIT
    milestones: dict[int, list[tuple[date, float]]] = defaultdict(list)
    query = sa.select(Milestone.indicator_id, Milestone.date, Milestone.expected_value)
    for m in db.session.execute(query.where(Milestone.indicator_id.in_(ids)) if few else query):
        milestones[m.indicator_id].append((m.date, m.expected_value))
    actuals = latest_actuals(ids if few else None, as_of)
    results = {}
    for r in rows:
        spec = rules.IndicatorSpec(
            r.direction,
            r.baseline_value,
            r.baseline_date,
            r.target_value,
            r.target_date,
            r.tolerance,
            tuple(sorted(milestones.get(r.id, ()))),
        )
        results[r.id] = rules.evaluate(spec, actuals.get(r.id), as_of)
    return results


def overview(as_of: date, objective_ids: Iterable[int] | None = None) -> Overview:
    """Results, roll-ups and scorecards of the live cascade at as_of, from plain rows.

    The whole cascade's figures are kept per app under the data version: one query while
    nothing has changed; after a change, only the objectives it touched are computed again
    (_refresh: a few small queries), and everything when it touched too much. objective_ids
    limits it to those objectives (archived ones included, for the API), in five queries and
    without scorecards, computed afresh. Callers read an Overview; they never change it.
    """
    if objective_ids is None:
        return data_version.cache().get_or_refresh(
            ("overview", as_of),
            lambda: _overview(as_of, None),
            lambda old, touched: _refresh(old, touched),
        )
    return _overview(as_of, objective_ids)


def _objective_rows(wanted: set[int] | None, live_only: bool) -> dict[int, int]:
    """objective id -> service strategy id, of the live objectives (or of those wanted)."""
    objectives = sa.select(Objective.id, Objective.service_strategy_id)
    if live_only:
        objectives = objectives.join(Objective.service_strategy).where(
            Objective.archived_at.is_(None), ServiceStrategy.archived_at.is_(None)
        )
    if wanted is not None and len(wanted) <= _IN_LIST_LIMIT:
        objectives = objectives.where(Objective.id.in_(wanted))
    return {
        r.id: r.service_strategy_id
        for r in db.session.execute(objectives)
        if wanted is None or r.id in wanted
    }


def _parts(
    as_of: date, objective_service: dict[int, int], everything: bool
) -> tuple[dict[int, rules.IndicatorResult], dict[int, _Part]]:
    """The results and parts of the given objectives (3-4 queries)."""
    few = not everything and len(objective_service) <= _IN_LIST_LIMIT
    plan_query = sa.select(
        ActionPlan.id,
        ActionPlan.objective_id,
        ActionPlan.department_id,
        ActionPlan.state,
        ActionPlan.progress_pct,
        ActionPlan.due_date,
    ).where(ActionPlan.archived_at.is_(None))
    if few:
        plan_query = plan_query.where(ActionPlan.objective_id.in_(objective_service))
    plans = [r for r in db.session.execute(plan_query) if r.objective_id in objective_service]
    plan_ids = {p.id for p in plans}
    indicator_query = sa.select(*_SPEC_COLUMNS).where(Indicator.archived_at.is_(None))
    if few and len(plan_ids) <= _IN_LIST_LIMIT:
        indicator_query = indicator_query.where(
            sa.or_(
                Indicator.objective_id.in_(objective_service),
                Indicator.action_plan_id.in_(plan_ids),
            )
        )
    indicators = [
        r
        for r in db.session.execute(indicator_query)
        if r.objective_id in objective_service or r.action_plan_id in plan_ids
    ]
    results = _evaluate_rows(indicators, as_of)
    own: dict[int, list[int]] = defaultdict(list)
    of_plan: dict[int, list[int]] = defaultdict(list)
    for r in sorted(indicators, key=lambda r: r.id):
        if r.objective_id is not None:
            own[r.objective_id].append(r.id)
        else:
            of_plan[r.action_plan_id].append(r.id)
    pairs: dict[int, list[PlanPair]] = defaultdict(list)
    ids_of: dict[int, list[int]] = defaultdict(list)
    for pid, objective_id, department_id, state, progress_pct, due_date in sorted(plans):
        facts = rules.PlanFacts(pid, state, progress_pct, due_date, False, department_id)
        pairs[objective_id].append((facts, [results[i] for i in of_plan.get(pid, ())]))
        ids_of[objective_id].extend(of_plan.get(pid, ()))
    parts = {
        oid: _Part(tuple(own.get(oid, ())), tuple(ids_of.get(oid, ())), tuple(pairs.get(oid, ())))
        for oid in objective_service
    }
    return results, parts


def _rollup(part: _Part, results: dict[int, rules.IndicatorResult]) -> rules.Rollup:
    return rules.objective_rollup([results[i] for i in part.own_ids], list(part.pairs))


def _scorecard_sums(
    as_of: date, parts: dict[int, _Part], departments: Iterable[int]
) -> dict[int, rules.ScorecardSums]:
    sums = {did: rules.ScorecardSums() for did in departments}
    for part in parts.values():
        for facts, indicators in part.pairs:
            kept = sums.get(facts.department_id)
            if kept is not None:
                kept.add(facts.id, rules.plan_mark(facts, indicators, as_of))
    return sums


def _moved_sums(
    old: Overview, gone: Iterable[_Part], new: Iterable[_Part]
) -> dict[int, rules.ScorecardSums]:
    """The departments' sums after the parts gone were replaced by the new ones: only the
    plans of those parts are counted out and in."""
    sums = dict(old.sums)
    copied: set[int] = set()
    for parts, sign in ((gone, -1), (new, 1)):
        for part in parts:
            for facts, indicators in part.pairs:
                did = facts.department_id
                if did not in sums:
                    continue  # not a live department: it has no scorecard
                if did not in copied:
                    sums[did] = sums[did].copy()
                    copied.add(did)
                sums[did].add(facts.id, rules.plan_mark(facts, indicators, old.as_of), sign)
    return sums


def _live_departments() -> list[int]:
    return list(
        db.session.scalars(sa.select(Department.id).where(Department.archived_at.is_(None)))
    )


def _overview(as_of: date, objective_ids: Iterable[int] | None) -> Overview:
    wanted = None if objective_ids is None else set(objective_ids)
    objective_service = _objective_rows(wanted, live_only=wanted is None)
    results, parts = _parts(as_of, objective_service, everything=wanted is None)
    rollups = {oid: _rollup(part, results) for oid, part in parts.items()}
    sums = _scorecard_sums(as_of, parts, _live_departments()) if wanted is None else {}
    scorecards = {did: kept.scorecard() for did, kept in sums.items()}
    return Overview(as_of, results, rollups, scorecards, objective_service, parts, sums)


# Changes of these kinds of rows move indicators' results and nothing else: actuals alone,
# or actuals and milestones (what figures kept beside the overview can follow).
ACTUALS_ONLY = frozenset({"Measurement"})
RESULTS_ONLY = frozenset({"Measurement", "Milestone"})


def follow_results(
    old: Sequence[T], touched: data_version.Touched, as_of: date, moved: Callable[[T, Any], T]
) -> list[T] | None:
    """Figures kept per indicator (items with an .id) after changes to actuals and
    milestones alone: moved(item, its result now) for each, from the refreshed overview;
    None when anything else changed, or an indicator is no longer counted (compute afresh)."""
    if not touched.kinds <= RESULTS_ONLY:
        return None
    results = overview(as_of).results
    out = []
    for item in old:
        result = results.get(item.id)
        if result is None:
            return None
        out.append(moved(item, result))
    return out


# The kinds of rows the overview reads; a change of any other kind leaves it as it is.
_THROUGH_OBJECTIVE = {"Objective", "ActionPlan", "Indicator", "Milestone", "Measurement"}
_EVERYTHING = data_version.WIDE_KINDS


def touched_objectives(touched: data_version.Touched) -> tuple[set[int], dict[int, int]] | None:
    """The objectives whose figures the changes may have moved, and which of them are live
    (objective id -> service strategy id), in one query; None: perhaps all of them."""
    if any(touched.of(kind) for kind in _EVERYTHING):
        return None
    if not any(touched.of(kind) for kind in _THROUGH_OBJECTIVE):
        return set(), {}
    objectives = set(touched.of("Objective")) | touched.ref("objective_id")
    plans = set(touched.of("ActionPlan")) | touched.ref("action_plan_id")
    indicators = set(touched.of("Indicator")) | touched.ref("indicator_id")
    if len(objectives) + len(plans) + len(indicators) > _IN_LIST_LIMIT:
        return None
    through: list[sa.Select] = []
    if indicators:
        through.append(
            sa.select(sa.func.coalesce(Indicator.objective_id, ActionPlan.objective_id))
            .outerjoin(ActionPlan, Indicator.action_plan_id == ActionPlan.id)
            .where(Indicator.id.in_(indicators))
        )
    if plans:
        through.append(sa.select(ActionPlan.objective_id).where(ActionPlan.id.in_(plans)))
    which = Objective.id.in_(objectives)
    if through:
        which = sa.or_(which, Objective.id.in_(sa.union(*through).scalar_subquery()))
    live = sa.and_(Objective.archived_at.is_(None), ServiceStrategy.archived_at.is_(None))
    rows = db.session.execute(
        sa.select(
            Objective.id,
            Objective.service_strategy_id,
            sa.case((live, 1), else_=0).label("live"),
        )
        .join(Objective.service_strategy)
        .where(which)
    ).all()
    objectives.update(r.id for r in rows)
    return objectives, {r.id: r.service_strategy_id for r in rows if r.live}


def _refresh(old: Overview, touched: data_version.Touched) -> Overview | None:
    """The overview after changes, from the one before: only the objectives they touched are
    computed again, with the scorecards of the departments of their plans (then and now).
    None when that is not worth it (the changes touched too much)."""
    if touched.kinds <= ACTUALS_ONLY:
        return _with_new_actuals(old, touched.ref("indicator_id"))
    found = touched_objectives(touched)
    if found is None or len(found[0]) > _IN_LIST_LIMIT // 2:
        return None
    objectives, live = found
    if not objectives:
        return old
    new_results, new_parts = _parts(old.as_of, live, everything=False)
    results = dict(old.results)
    parts = dict(old.parts)
    rollups = dict(old.rollups)
    objective_service = dict(old.objective_service)
    gone_parts: list[_Part] = []
    for oid in objectives:
        gone = parts.pop(oid, None)
        rollups.pop(oid, None)
        objective_service.pop(oid, None)
        if gone is not None:
            gone_parts.append(gone)
            for i in gone.own_ids + gone.plan_indicator_ids:
                results.pop(i, None)
    results.update(new_results)
    parts.update(new_parts)
    objective_service.update(live)
    for oid, part in new_parts.items():
        rollups[oid] = _rollup(part, results)
    sums = _moved_sums(old, gone_parts, new_parts.values())
    scorecards = dict(old.scorecards)
    for did, kept in sums.items():
        if kept is not old.sums.get(did):
            scorecards[did] = kept.scorecard()
    return Overview(old.as_of, results, rollups, scorecards, objective_service, parts, sums)


def _with_new_actuals(old: Overview, moved: frozenset[int]) -> Overview | None:
    """The overview after changes to the actuals of the indicators moved alone: those are
    evaluated again (three queries), and their objectives' roll-ups and their departments'
    scorecards follow. The objectives' parts say where each indicator counts; one none
    holds (archived, or under an archived objective) moves nothing."""
    owner: dict[int, int] = {}
    for oid, part in old.parts.items():
        for i in part.own_ids + part.plan_indicator_ids:
            if i in moved:
                owner[i] = oid
    if not owner:
        return old
    rows = db.session.execute(
        sa.select(*_SPEC_COLUMNS).where(Indicator.id.in_(owner), Indicator.archived_at.is_(None))
    ).all()
    if len(rows) != len(owner):
        return None  # not as the parts say: compute the objectives afresh
    results = dict(old.results)
    results.update(_evaluate_rows(rows, old.as_of))
    parts = dict(old.parts)
    rollups = dict(old.rollups)
    gone, new = [], []
    for oid in set(owner.values()):
        part = parts[oid]
        pairs, at = [], 0
        for facts, indicators in part.pairs:
            ids = part.plan_indicator_ids[at : at + len(indicators)]
            at += len(indicators)
            pairs.append((facts, [results[i] for i in ids]))
        moved_part = _Part(part.own_ids, part.plan_indicator_ids, tuple(pairs))
        gone.append(part)
        new.append(moved_part)
        parts[oid] = moved_part
        rollups[oid] = _rollup(moved_part, results)
    sums = _moved_sums(old, gone, new)
    scorecards = dict(old.scorecards)
    for did, kept in sums.items():
        if kept is not old.sums.get(did):
            scorecards[did] = kept.scorecard()
    return Overview(
        old.as_of, results, rollups, scorecards, dict(old.objective_service), parts, sums
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
    more_objectives: dict[int, list[int]] = field(default_factory=dict)

    def status_counts(self, objective_ids: Iterable[int] | None = None) -> dict[str, int]:
        """Objectives per status (all live objectives, or those given)."""
        return status_counts(self.rollups, objective_ids)


def strategies() -> tuple[Organization | None, list[CompanyStrategy], list[ServiceStrategy]]:
    """The organization and the live company and service strategies (links loaded): 4 queries."""
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
    return org, company, services


def cascade(as_of: date, objectives_per_service: int | None = None) -> CascadeView:
    """Load the whole active cascade and evaluate it at as_of (a fixed number of queries).

    Archived items are left out, and so is everything under an archived service strategy or
    objective (archiving a parent archives what hangs from it, whether or not the children
    were archived one by one). Cancelled plans are listed, but rules.* leaves them and their
    indicators out of every average and status. With objectives_per_service, only the first
    objectives of each service strategy are loaded with their plans; the ids of the others
    are in more_objectives (their roll-ups are in rollups all the same).
    """
    org, company, services = strategies()
    objectives = list(
        db.session.scalars(
            sa.select(Objective)
            .join(Objective.service_strategy)
            .where(Objective.archived_at.is_(None), ServiceStrategy.archived_at.is_(None))
            .order_by(Objective.service_strategy_id, Objective.id)
        )
    )
    by_objective: dict[int, list[Objective]] = defaultdict(list)
    more: dict[int, list[int]] = defaultdict(list)
    for o in objectives:
        shown = by_objective[o.service_strategy_id]
        if objectives_per_service is None or len(shown) < objectives_per_service:
            shown.append(o)
        else:
            more[o.service_strategy_id].append(o.id)
    shown_ids = {o.id for listed in by_objective.values() for o in listed}
    plan_query = (
        sa.select(ActionPlan)
        .where(ActionPlan.archived_at.is_(None))
        .order_by(ActionPlan.objective_id, ActionPlan.id)
    )
    if more and len(shown_ids) <= _IN_LIST_LIMIT:
        plan_query = plan_query.where(ActionPlan.objective_id.in_(shown_ids))
    plans = [p for p in db.session.scalars(plan_query) if p.objective_id in shown_ids]
    departments = list(
        db.session.scalars(
            sa.select(Department)
            .where(Department.archived_at.is_(None))
            .order_by(Department.position, Department.id)
        )
    )
    figures = overview(as_of)
    plans_by_objective: dict[int, list[ActionPlan]] = defaultdict(list)
    for p in plans:
        plans_by_objective[p.objective_id].append(p)
    return CascadeView(
        as_of=as_of,
        organization=org,
        company_strategies=company,
        service_strategies=services,
        links={s.id: list(s.links) for s in services},
        objectives=by_objective,
        plans=plans_by_objective,
        indicator_results=figures.results,
        rollups=figures.rollups,
        departments=departments,
        scorecards=figures.scorecards,
        more_objectives=more,
    )
