"""What changed between two days, for an objective, a department or the whole company.

Each day is read as it stood at its end (services.evaluation.history), so the comparison
sees the titles, states, progress and statuses each day had: new and archived items,
objectives whose status changed, plans whose state or progress moved, and new actuals.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Indicator, Measurement, Objective, ServiceStrategy
from strategy_app.services.evaluation import history, metrics

LISTED = 50  # at most this many of each kind of change


@dataclass(frozen=True)
class Item:
    """Something that appeared or went away: "objective", "plan" or "indicator"."""

    kind: str
    id: int
    title: str


@dataclass(frozen=True)
class Move:
    """One value of an item that changed between the two days."""

    kind: str
    id: int
    title: str
    before: object
    after: object


@dataclass
class Comparison:
    """The changes from the end of `start` to the end of `end`."""

    start: date
    end: date
    new: list[Item] = field(default_factory=list)
    archived: list[Item] = field(default_factory=list)
    status_changes: list[Move] = field(default_factory=list)
    state_changes: list[Move] = field(default_factory=list)
    progress_moves: list[Move] = field(default_factory=list)
    new_actuals: list[Move] = field(default_factory=list)  # before: None, after: the value

    @property
    def empty(self) -> bool:
        return not (
            self.new
            or self.archived
            or self.status_changes
            or self.state_changes
            or self.progress_moves
            or self.new_actuals
        )


@dataclass
class _Day:
    objectives: dict[int, tuple[str, bool]]  # id → (title, live)
    plans: dict[int, tuple[str, bool, str, int]]  # id → (title, live, state, progress)
    indicators: dict[int, tuple[str, bool]]
    statuses: dict[int, str]
    actuals: dict[int, tuple[int, date, float]]  # measurement id → (indicator, date, value)


def _read(
    day: date,
    objective_id: int | None,
    department_id: int | None,
    actuals_after: date | None = None,
    actual_ids: set[int] | None = None,
) -> _Day:
    """The items in scope as they stood at the end of day (a fixed number of queries).

    Actuals: those written after the end of actuals_after (new or changed since), or those
    of actual_ids; never the whole table.
    """
    if history.shows_past(day):
        history.enter(day)
    else:
        history.leave()
    plans = {}
    plan_rows = db.session.execute(
        sa.select(
            ActionPlan.id,
            ActionPlan.title,
            ActionPlan.archived_at,
            ActionPlan.state,
            ActionPlan.progress_pct,
            ActionPlan.objective_id,
            ActionPlan.department_id,
        )
    ).all()
    for p in plan_rows:
        if objective_id is not None and p.objective_id != objective_id:
            continue
        if department_id is not None and p.department_id != department_id:
            continue
        plans[p.id] = (p.title, p.archived_at is None, p.state, p.progress_pct)
    wanted = {p.objective_id for p in plan_rows if p.id in plans}
    objectives = {
        o.id: (o.title, o.archived_at is None and o.service_archived is None)
        for o in db.session.execute(
            sa.select(
                Objective.id,
                Objective.title,
                Objective.archived_at,
                ServiceStrategy.archived_at.label("service_archived"),
            ).join(Objective.service_strategy)
        )
        if (objective_id is None or o.id == objective_id)
        and (department_id is None or o.id in wanted)
    }
    indicators = {
        i.id: (i.name, i.archived_at is None)
        for i in db.session.execute(
            sa.select(
                Indicator.id,
                Indicator.name,
                Indicator.archived_at,
                Indicator.objective_id,
                Indicator.action_plan_id,
            )
        )
        if i.action_plan_id in plans or (department_id is None and i.objective_id in objectives)
    }
    which = sa.select(Measurement.id, Measurement.indicator_id, Measurement.date, Measurement.value)
    if actual_ids is not None:
        which = which.where(Measurement.id.in_(sorted(actual_ids)))
    elif actuals_after is not None:
        since = history.end_of(actuals_after)
        which = which.where(
            sa.or_(Measurement.created_at >= since, Measurement.updated_at >= since)
        )
    actuals = {
        m.id: (m.indicator_id, m.date, m.value)
        for m in db.session.execute(which)
        if m.indicator_id in indicators
    }
    statuses = {
        oid: rollup.status
        for oid, rollup in metrics.overview(day).rollups.items()
        if oid in objectives
    }
    return _Day(objectives, plans, indicators, statuses, actuals)


def compare(
    start: date, end: date, objective_id: int | None = None, department_id: int | None = None
) -> Comparison:
    """What changed from the end of start to the end of end (within one objective or one
    department when given). The request's own day is shown again afterwards."""
    return difference(start, end, days(start, end, objective_id, department_id))


Days = tuple[_Day, _Day]  # (the end of start, the end of end)


def days(
    start: date, end: date, objective_id: int | None = None, department_id: int | None = None
) -> Days:
    """The items in scope at the end of start and at the end of end, as compare reads them."""
    shown = history.in_past()
    try:
        after = _read(end, objective_id, department_id, actuals_after=start)
        before = _read(start, objective_id, department_id, actual_ids=set(after.actuals))
    finally:
        if shown is not None:
            history.enter(shown)
        else:
            history.leave()
    return before, after


def follow_actuals(old: Days, start: date, end: date, changed: frozenset[int]) -> Days | None:
    """The two days after changes to the actuals changed alone, made today (end is today):
    the later day takes them as they are now (one query) and its objectives' statuses from
    the overview; the earlier day is as it was. None when one of those actuals already
    stood at the end of start and its value then was not read (compute afresh)."""
    before, after = old
    rows = {
        m.id: m
        for m in db.session.execute(
            sa.select(
                Measurement.id,
                Measurement.indicator_id,
                Measurement.date,
                Measurement.value,
                Measurement.created_at,
            ).where(Measurement.id.in_(sorted(changed)))
        )
    }
    since = history.end_of(start)
    actuals = dict(after.actuals)
    for mid in changed:
        row = rows.get(mid)
        if row is None:
            actuals.pop(mid, None)  # deleted
            continue
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        if created < since and mid not in before.actuals:
            return None
        if row.indicator_id in after.indicators:
            actuals[mid] = (row.indicator_id, row.date, row.value)
    statuses = {
        oid: rollup.status
        for oid, rollup in metrics.overview(end).rollups.items()
        if oid in after.objectives
    }
    return before, replace(after, actuals=actuals, statuses=statuses)


def difference(start: date, end: date, both: Days, moved: Comparison | None = None) -> Comparison:
    """The changes between the two days read. moved: the comparison before changes to
    actuals alone (follow_actuals): only the statuses and the actuals are compared again."""
    before, after = both
    if moved is not None:
        return replace(
            moved,
            status_changes=_status_changes(before, after),
            new_actuals=_new_actuals(before, after),
        )
    out = Comparison(start, end)
    for kind, then, now in (
        ("objective", before.objectives, after.objectives),
        ("plan", before.plans, after.plans),
        ("indicator", before.indicators, after.indicators),
    ):
        for item_id, values in now.items():
            title, live = values[0], values[1]
            was_live = item_id in then and then[item_id][1]
            if live and not was_live:
                out.new.append(Item(kind, item_id, title))
        for item_id, values in then.items():
            if values[1] and not (item_id in now and now[item_id][1]):
                title = now[item_id][0] if item_id in now else values[0]
                out.archived.append(Item(kind, item_id, title))
    out.status_changes = _status_changes(before, after)
    for pid, (title, live, state, progress) in after.plans.items():
        if not live or pid not in before.plans:
            continue
        old_state, old_progress = before.plans[pid][2], before.plans[pid][3]
        if old_state != state:
            out.state_changes.append(Move("plan", pid, title, old_state, state))
        if old_progress != progress:
            out.progress_moves.append(Move("plan", pid, title, old_progress, progress))
    out.new_actuals = _new_actuals(before, after)
    for kind_list in (out.new, out.archived, out.state_changes, out.progress_moves):
        del kind_list[LISTED:]
    return out


def _status_changes(before: _Day, after: _Day) -> list[Move]:
    found = []
    for oid, status in after.statuses.items():
        if oid in before.statuses and before.statuses[oid] != status:
            title = after.objectives[oid][0]
            found.append(Move("objective", oid, title, before.statuses[oid], status))
    return found[:LISTED]


def _new_actuals(before: _Day, after: _Day) -> list[Move]:
    found = []
    for mid, (indicator_id, day, value) in sorted(after.actuals.items(), key=lambda a: a[1][1]):
        if before.actuals.get(mid, (None, None, None))[2] != value:
            name = after.indicators[indicator_id][0]
            found.append(Move("indicator", indicator_id, name, day, value))
    return found[-LISTED:]
