"""What waits on one person: plans overdue or quiet, indicators due an actual, open follow-ups.

- Plans: the live plans they own (a lead: also every plan of their department), still open
  (neither done nor cancelled), that are overdue (rules.plan_overdue) or have had no check-in
  for rules.CHECK_IN_DAYS days: counted from the last check-in, or, with none, from the plan's start
  date (its creation date when it has none); a plan that has not started yet is not quiet.
- Indicators: the live indicators of those plans (cancelled ones left out, done ones kept)
  and of the live objectives they own that are due an actual (rules.due_an_actual:
  a period has ended and no actual is dated since the current period started).
- Follow-ups: the NPS detractor follow-ups they own that are not resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CheckIn,
    FollowUp,
    Indicator,
    Measurement,
    Milestone,
    NpsResponse,
    Objective,
    ServiceStrategy,
    User,
)
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.evaluation.rules import (
    checkpoints,
    current_period_start,
    due_an_actual,
)
from strategy_app.services.plumbing import data_version, per_version
from strategy_app.services.reads.alignment import IN_LIST_LIMIT, milestone_dates

LIMIT = 100  # items listed per kind; the totals count them all


@dataclass(frozen=True)
class PlanItem:
    """A plan waiting on its owner: overdue, quiet (rules.plan_quiet), or both."""

    plan: ActionPlan
    overdue: bool
    quiet: bool
    last_check_in: date | None
    quiet_days: int


@dataclass(frozen=True)
class IndicatorItem:
    """An indicator due an actual since period_start."""

    indicator_id: int
    name: str
    parent_title: str
    period_start: date
    last_actual: date | None


@dataclass
class MyUpdates:
    """What waits on one person at as_of (the first LIMIT items of each kind, and totals)."""

    as_of: date
    plans: list[PlanItem]
    plan_total: int
    indicators: list[IndicatorItem]
    indicator_total: int
    follow_ups: list[FollowUp]

    @property
    def empty(self) -> bool:
        """Nothing waits on them."""
        return not (self.plan_total or self.indicator_total or self.follow_ups)


def _live_plans(user: User, *columns) -> sa.Select:
    """Their live, non-cancelled plans (joined to objective and service strategy)."""
    mine = ActionPlan.owner_id == user.id
    if user.role == "lead" and user.department_id is not None:
        mine = sa.or_(mine, ActionPlan.department_id == user.department_id)
    return (
        sa.select(*columns)
        .select_from(ActionPlan)
        .join(ActionPlan.objective)
        .join(Objective.service_strategy)
        .where(
            mine,
            ActionPlan.archived_at.is_(None),
            ActionPlan.state != "cancelled",
            Objective.archived_at.is_(None),
            ServiceStrategy.archived_at.is_(None),
        )
    )


def _last_check_ins(plan_ids: sa.Select, as_of: date) -> dict[int, date]:
    """The date of each plan's latest check-in on or before as_of (one aggregate query)."""
    query = sa.select(CheckIn.action_plan_id, sa.func.max(CheckIn.created_at)).where(
        CheckIn.action_plan_id.in_(plan_ids)
    )
    if as_of < date.max:
        end = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC)
        query = query.where(CheckIn.created_at < end)
    rows = db.session.execute(query.group_by(CheckIn.action_plan_id))
    return {plan_id: _as_date(at) for plan_id, at in rows if at is not None}


def _as_date(value: datetime | str) -> date:
    """The UTC date of a timestamp (SQLite may hand back text for an aggregate)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.date()


def _plan_items(user: User, as_of: date) -> tuple[list[PlanItem], int]:
    """Their open plans that are overdue or quiet: the first LIMIT of them, and how many."""
    open_plans = _live_plans(
        user,
        ActionPlan.id,
        ActionPlan.state,
        ActionPlan.due_date,
        ActionPlan.start_date,
        ActionPlan.created_at,
    ).where(ActionPlan.state.not_in(rules.CLOSED_STATES))

    def waiting() -> tuple[list[tuple], int, dict[int, date]]:
        """(the first LIMIT waiting, as plain tuples; how many; their last check-ins)."""
        rows = db.session.execute(open_plans).all()
        last = _last_check_ins(open_plans.with_only_columns(ActionPlan.id), as_of)
        found = []
        for p in rows:
            overdue = rules.plan_overdue(p.due_date, p.state, as_of)
            since = last.get(p.id) or p.start_date or _as_date(p.created_at)
            days = (as_of - since).days
            quiet = rules.plan_quiet(p.start_date, since, as_of)
            if overdue or quiet:
                found.append((p.due_date is None, p.due_date, p.id, overdue, quiet, days))
        found.sort()
        shown = found[:LIMIT]
        return shown, len(found), {w[2]: last[w[2]] for w in shown if w[2] in last}

    # Worked out once per data version: every open plan of theirs is read and judged.
    shown, total, last = per_version.memo("my_plans", (user.id, as_of), waiting, reads=_PLAN_READS)
    plans = {
        p.id: p
        for p in db.session.scalars(
            sa.select(ActionPlan)
            .options(joinedload(ActionPlan.objective), joinedload(ActionPlan.department))
            .where(ActionPlan.id.in_([w[2] for w in shown]))
        )
    }
    items = [
        PlanItem(plans[plan_id], overdue, quiet, last.get(plan_id), days)
        for _, _, plan_id, overdue, quiet, days in shown
    ]
    return items, total


def _indicator_items(user: User, as_of: date) -> tuple[list[IndicatorItem], int]:
    """Indicators of their plans and objectives due an actual: the first LIMIT, and how many.

    Worked out once per data version (every indicator of theirs is read and judged).
    """
    items, total, _ = per_version.memo(
        "my_indicators",
        (user.id, as_of),
        lambda: _due(user, as_of),
        reads=_INDICATOR_READS,
        refresh=_unless_their_actuals,
    )
    return items, total


# The kinds of rows a person's waiting plans and indicators are read from: a change of any
# other kind leaves them as they were.
_PLAN_READS = frozenset({"ActionPlan", "CheckIn", "Objective", "ServiceStrategy", "User"})
_INDICATOR_READS = _PLAN_READS | {"Indicator", "Milestone", "Measurement"}
_FOLLOW_UP_READS = frozenset({"FollowUp", "NpsResponse"})


def _unless_their_actuals(old: tuple, touched: data_version.Touched) -> tuple | None:
    """The figures kept (whose last part is the ids of the person's indicators) after changes
    that touched only actuals: still right if none of those actuals was on one of theirs."""
    if touched.kinds <= metrics.ACTUALS_ONLY and touched.ref("indicator_id").isdisjoint(old[-1]):
        return old
    return None


def _due(user: User, as_of: date) -> tuple[list[IndicatorItem], int, frozenset[int]]:
    owned_objectives = (
        sa.select(Objective.id)
        .join(Objective.service_strategy)
        .where(
            Objective.owner_id == user.id,
            Objective.archived_at.is_(None),
            ServiceStrategy.archived_at.is_(None),
        )
    )
    rows = db.session.execute(
        sa.select(
            Indicator.id,
            Indicator.name,
            Indicator.baseline_date,
            Indicator.target_date,
            sa.func.coalesce(Objective.title, ActionPlan.title).label("parent"),
        )
        .outerjoin(Objective, Indicator.objective_id == Objective.id)
        .outerjoin(ActionPlan, Indicator.action_plan_id == ActionPlan.id)
        .where(
            Indicator.archived_at.is_(None),
            sa.or_(
                Indicator.action_plan_id.in_(_live_plans(user, ActionPlan.id)),
                Indicator.objective_id.in_(owned_objectives),
            ),
        )
        .order_by(Indicator.id)
    ).all()
    ids = [r.id for r in rows]
    if not ids:
        return [], 0, frozenset()
    milestones = milestone_dates(ids)
    actuals = metrics.latest_actuals(ids if len(ids) <= IN_LIST_LIMIT else None, as_of)
    items = []
    for r in rows:
        points = checkpoints(r.baseline_date, r.target_date, milestones.get(r.id, ()))
        last = actuals[r.id][0] if r.id in actuals else None
        if due_an_actual(points, last, as_of):
            start = current_period_start(points, as_of)
            items.append(IndicatorItem(r.id, r.name, r.parent, start, last))
    return items[:LIMIT], len(items), frozenset(ids)


def _open_follow_ups(user: User) -> list[FollowUp]:
    return list(
        db.session.scalars(
            sa.select(FollowUp)
            .join(FollowUp.response)
            .options(contains_eager(FollowUp.response), joinedload(FollowUp.action_plan))
            .where(
                FollowUp.owner_id == user.id,
                FollowUp.state != "resolved",
                FollowUp.archived_at.is_(None),
                NpsResponse.archived_at.is_(None),
            )
            .order_by(NpsResponse.date, FollowUp.id)
        )
    )


def my_updates(user: User, as_of: date) -> MyUpdates:
    """What waits on user at as_of, in a fixed number of queries."""
    plans, plan_total = _plan_items(user, as_of)
    indicators, indicator_total = _indicator_items(user, as_of)
    return MyUpdates(as_of, plans, plan_total, indicators, indicator_total, _open_follow_ups(user))


def waiting_count(user: User, as_of: date) -> int:
    """How many things wait on user (the navigation's badge on every page): the totals of
    my_updates, counted once per data version (then one query while nothing changes)."""
    total, _ = per_version.memo(
        "waiting_count",
        (user.id, as_of),
        lambda: _waiting(user, as_of),
        reads=_INDICATOR_READS | _FOLLOW_UP_READS,
        refresh=_unless_their_actuals,
    )
    return total


def _waiting(user: User, as_of: date) -> tuple[int, frozenset[int]]:
    """waiting_count read in two queries (plans with their follow-ups count, then indicators)."""
    end = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC)
    last_check_in = (
        sa.select(sa.func.max(CheckIn.created_at))
        .where(CheckIn.action_plan_id == ActionPlan.id, CheckIn.created_at < end)
        .scalar_subquery()
    )
    follow_ups = (
        sa.select(sa.func.count(FollowUp.id))
        .join(FollowUp.response)
        .where(
            FollowUp.owner_id == user.id,
            FollowUp.state != "resolved",
            FollowUp.archived_at.is_(None),
            NpsResponse.archived_at.is_(None),
        )
        .scalar_subquery()
    )
    plans = (
        _live_plans(
            user,
            ActionPlan.state,
            ActionPlan.due_date,
            ActionPlan.start_date,
            ActionPlan.created_at,
            last_check_in.label("last"),
        )
        .where(ActionPlan.state.not_in(rules.CLOSED_STATES))
        .subquery()
    )
    # One row even with no plan: the follow-ups count rides on a one-row anchor.
    anchor = sa.select(sa.literal(1).label("one")).subquery()
    rows = db.session.execute(
        sa.select(follow_ups.label("follow_ups"), plans)
        .select_from(anchor)
        .outerjoin(plans, sa.true())
    ).all()
    total = rows[0].follow_ups or 0
    for p in rows:
        if p.state is None:
            continue
        since = _as_date(p.last) if p.last else (p.start_date or _as_date(p.created_at))
        overdue = rules.plan_overdue(p.due_date, p.state, as_of)
        if overdue or rules.plan_quiet(p.start_date, since, as_of):
            total += 1
    owned_objectives = (
        sa.select(Objective.id)
        .join(Objective.service_strategy)
        .where(
            Objective.owner_id == user.id,
            Objective.archived_at.is_(None),
            ServiceStrategy.archived_at.is_(None),
        )
    )
    last_actual = (
        sa.select(sa.func.max(Measurement.date))
        .where(Measurement.indicator_id == Indicator.id, Measurement.date <= as_of)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(
            Indicator.id,
            Indicator.baseline_date,
            Indicator.target_date,
            Milestone.date,
            last_actual.label("last"),
        )
        .outerjoin(Milestone, Milestone.indicator_id == Indicator.id)
        .where(
            Indicator.archived_at.is_(None),
            sa.or_(
                Indicator.action_plan_id.in_(_live_plans(user, ActionPlan.id)),
                Indicator.objective_id.in_(owned_objectives),
            ),
        )
    ).all()
    indicators: dict[int, tuple] = {}
    milestones: dict[int, list[date]] = {}
    for iid, baseline, target, milestone, last in rows:
        indicators[iid] = (baseline, target, last)
        if milestone is not None:
            milestones.setdefault(iid, []).append(milestone)
    for iid, (baseline, target, last) in indicators.items():
        points = checkpoints(baseline, target, milestones.get(iid, ()))
        if due_an_actual(points, last, as_of):
            total += 1
    return total, frozenset(indicators)
