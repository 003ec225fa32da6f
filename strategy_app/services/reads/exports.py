"""The rows of the exports (plans, indicators, actuals), every figure from services.metrics/rules.

Each function returns a Table: its columns and an iterator of plain rows, read from the
database in a fixed number of queries (the actuals through one streamed query), so that the
writers in strategy_app.exports can produce CSV or XLSX in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CheckIn,
    Department,
    Indicator,
    Measurement,
    Objective,
    ServiceStrategy,
    User,
)
from strategy_app.services.evaluation import history, metrics, rules
from strategy_app.services.plumbing import numbers

# Words for the codes, as on the pages; the codes stay in a column of their own for machines.
STATE_WORDS = {
    "planned": "Planned",
    "in_progress": "In progress",
    "done": "Done",
    "blocked": "Blocked",
    "cancelled": "Cancelled",
}
STATUS_WORDS = {
    rules.ON_TRACK: "On track",
    rules.AT_RISK: "At risk",
    rules.OFF_TRACK: "Off track",
    rules.NO_DATA: "No data",
}

# Rows fetched from the database at a time (a server-side cursor on PostgreSQL).
BATCH = 2000

# The kinds of column: how the writers put each value in a cell.
TEXT, INT, NUMBER, PERCENT, DATE, DATETIME, YES_NO = (
    "text", "int", "number", "percent", "date", "datetime", "yes_no"
)  # fmt: skip


@dataclass(frozen=True)
class Column:
    """One column: its header, the kind of value it holds and its width in a spreadsheet."""

    header: str
    kind: str = TEXT
    width: int = 14


@dataclass
class Table:
    """An export: a name (file and sheet), its columns and its rows (an iterator, read once)."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: Iterator[tuple]


_ServiceOfObjective = aliased(ServiceStrategy)
_PlanObjective = aliased(Objective)
_ServiceOfPlan = aliased(ServiceStrategy)
_ExplainedIndicator = aliased(Indicator)  # the off-track actual a check-in explains


def _live_plan() -> sa.ColumnElement[bool]:
    """The plan, its objective and its service strategy are not archived (the cascade's view)."""
    return sa.and_(
        ActionPlan.archived_at.is_(None),
        _PlanObjective.archived_at.is_(None),
        _ServiceOfPlan.archived_at.is_(None),
    )


def _with_plan_parents(stmt: sa.Select, outer: bool) -> sa.Select:
    """Join a plan's objective and service strategy (aliased) onto stmt."""
    join = stmt.outerjoin if outer else stmt.join
    stmt = join(_PlanObjective, ActionPlan.objective_id == _PlanObjective.id)
    join = stmt.outerjoin if outer else stmt.join
    return join(_ServiceOfPlan, _PlanObjective.service_strategy_id == _ServiceOfPlan.id)


def _with_indicator_parents(stmt: sa.Select) -> sa.Select:
    """Join an indicator's parents: objective (+ service), or plan (+ department, objective...)."""
    stmt = stmt.outerjoin(Objective, Indicator.objective_id == Objective.id)
    stmt = stmt.outerjoin(
        _ServiceOfObjective, Objective.service_strategy_id == _ServiceOfObjective.id
    )
    stmt = stmt.outerjoin(ActionPlan, Indicator.action_plan_id == ActionPlan.id)
    stmt = stmt.outerjoin(Department, ActionPlan.department_id == Department.id)
    return _with_plan_parents(stmt, outer=True)


def _live_indicator() -> sa.ColumnElement[bool]:
    """The indicator and everything above it are not archived (needs _with_indicator_parents)."""
    return sa.and_(
        Indicator.archived_at.is_(None),
        sa.or_(
            sa.and_(
                Indicator.objective_id.is_not(None),
                Objective.archived_at.is_(None),
                _ServiceOfObjective.archived_at.is_(None),
            ),
            sa.and_(Indicator.action_plan_id.is_not(None), _live_plan()),
        ),
    )


_INDICATOR_ARCHIVED = (
    Indicator.archived_at,
    Objective.archived_at,
    _ServiceOfObjective.archived_at,
    ActionPlan.archived_at,
    _PlanObjective.archived_at,
    _ServiceOfPlan.archived_at,
)


def _archived_flag(*columns: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """True when any of these archived_at columns is set."""
    return sa.or_(*(c.is_not(None) for c in columns)).label("archived")


def _stream(stmt: sa.Select) -> Iterator[sa.Row]:
    """The rows of stmt, BATCH at a time through one query (never all of them in memory)."""
    # A streamed response is read after its request has ended: a past day is entered again.
    day = history.in_past()

    def rows() -> Iterator[sa.Row]:
        if day is not None:
            history.enter(day)
        # Core rows on the session's connection (same transaction): no ORM work per row.
        result = db.session.connection().execute(stmt.execution_options(yield_per=BATCH))
        try:
            yield from result
        finally:
            result.close()

    return rows()


def _archived_column(archived: bool) -> tuple[Column, ...]:
    return (Column("archived", YES_NO, 10),) if archived else ()


def plans(as_of: date, archived: bool = False) -> Table:
    """Every live plan (all with archived) with its overdue and execution at as_of."""
    stmt = (
        sa.select(
            ActionPlan.id,
            Department.name.label("department"),
            _PlanObjective.title.label("objective"),
            ActionPlan.title,
            User.name.label("owner"),
            ActionPlan.start_date,
            ActionPlan.due_date,
            ActionPlan.state,
            ActionPlan.progress_pct,
            ActionPlan.budget,
            _archived_flag(
                ActionPlan.archived_at, _PlanObjective.archived_at, _ServiceOfPlan.archived_at
            ),
        )
        .select_from(ActionPlan)
        .join(Department, ActionPlan.department_id == Department.id)
        .outerjoin(User, ActionPlan.owner_id == User.id)
        .order_by(ActionPlan.id)
    )
    stmt = _with_plan_parents(stmt, outer=False)
    if not archived:
        stmt = stmt.where(_live_plan())
    columns = (
        Column("id", INT, 8),
        Column("department", TEXT, 18),
        Column("objective", TEXT, 40),
        Column("title", TEXT, 40),
        Column("owner", TEXT, 20),
        Column("start", DATE, 12),
        Column("due", DATE, 12),
        Column("state", TEXT, 12),
        Column("state code", TEXT, 12),
        Column("progress (%)", INT, 12),
        Column(f"execution (%, as of {as_of.isoformat()})", NUMBER, 14),
        Column(f"overdue (as of {as_of.isoformat()})", YES_NO, 14),
        Column("budget", NUMBER, 14),
        *_archived_column(archived),
    )

    found = _stream(stmt)  # now, while the request's day is known

    def rows() -> Iterator[tuple]:
        for r in found:
            row = (
                r.id,
                r.department,
                r.objective,
                r.title,
                r.owner,
                r.start_date,
                r.due_date,
                STATE_WORDS.get(r.state, r.state),
                r.state,
                r.progress_pct,
                numbers.percent_value(rules.plan_execution(r.state, r.progress_pct), 0),
                rules.plan_overdue(r.due_date, r.state, as_of),
                r.budget,
            )
            yield (*row, r.archived) if archived else row

    return Table("plans", "Plans", columns, rows())


def indicators(as_of: date, archived: bool = False) -> Table:
    """Every live indicator (all with archived) with expected, actual, progress, status at as_of.

    Three queries whatever the number: the indicators with their parents' names, then
    metrics.evaluate_indicators (milestones, latest actuals), as the API does.
    """
    stmt = (
        sa.select(
            Indicator,
            Objective.title.label("objective"),
            ActionPlan.title.label("plan"),
            Department.name.label("department"),
            _archived_flag(*_INDICATOR_ARCHIVED),
        )
        .select_from(Indicator)
        .order_by(Indicator.id)
    )
    stmt = _with_indicator_parents(stmt)
    if not archived:
        stmt = stmt.where(_live_indicator())
    found = db.session.execute(stmt).all()
    results = metrics.evaluate_indicators([r.Indicator for r in found], as_of)
    day = as_of.isoformat()
    columns = (
        Column("id", INT, 8),
        Column("parent type", TEXT, 12),
        Column("parent id", INT, 10),
        Column("parent title", TEXT, 40),
        Column("department", TEXT, 18),
        Column("name", TEXT, 36),
        Column("unit", TEXT, 10),
        Column("direction", TEXT, 11),
        Column("baseline value", NUMBER, 14),
        Column("baseline date", DATE, 13),
        Column("target value", NUMBER, 14),
        Column("target date", DATE, 13),
        Column("tolerance (%)", NUMBER, 11),
        Column(f"expected (as of {day})", NUMBER, 16),
        Column(f"actual (as of {day})", NUMBER, 16),
        Column("actual date", DATE, 13),
        Column(f"progress (%, as of {day})", NUMBER, 14),
        Column(f"status (as of {day})", TEXT, 14),
        Column("status code", TEXT, 12),
        Column("decimals shown", INT, 10),
        *_archived_column(archived),
    )

    def rows() -> Iterator[tuple]:
        for r in found:
            i, result = r.Indicator, results[r.Indicator.id]
            of_plan = i.action_plan_id is not None
            decimals = numbers.decimals_of(i)
            row = (
                i.id,
                "plan" if of_plan else "objective",
                i.action_plan_id if of_plan else i.objective_id,
                r.plan if of_plan else r.objective,
                r.department,
                i.name,
                i.unit,
                i.direction,
                i.baseline_value,
                i.baseline_date,
                i.target_value,
                i.target_date,
                numbers.percent_value(i.tolerance),
                numbers.rounded(result.expected, decimals),
                result.actual,
                result.actual_date,
                # No actual: no progress to show (DESIGN's 0 is for the means), as on the pages.
                None if result.actual is None else numbers.percent_value(result.progress, 0),
                STATUS_WORDS[result.status],
                result.status,
                decimals,
            )
            yield (*row, r.archived) if archived else row

    # Made now, while the request still shows its day: a streamed answer is read after the
    # request ends, and the ORM objects would then be read again, from today (and one by one).
    return Table("indicators", "Indicators", columns, iter(list(rows())))


def actuals(as_of: date | None = None, archived: bool = False) -> Table:
    """Every actual of the live indicators (all with archived), dated on or before as_of if given.

    One query, streamed BATCH rows at a time, however many actuals there are.
    """
    columns = [
        Measurement.indicator_id,
        Indicator.name,
        Measurement.date,
        Measurement.value,
        Measurement.note,
        Measurement.source,
        User.name.label("entered_by"),
        # Read as a plain timestamp: the writers put every one in UTC without its zone anyway.
        sa.type_coerce(Measurement.updated_at, sa.DateTime()).label("entered_at"),
    ]
    if archived:
        columns.append(_archived_flag(*_INDICATOR_ARCHIVED))
    stmt = (
        sa.select(*columns)
        .select_from(Measurement)
        .join(Indicator, Measurement.indicator_id == Indicator.id)
        .outerjoin(User, Measurement.entered_by_id == User.id)
        .order_by(Measurement.indicator_id, Measurement.date)
    )
    stmt = _with_indicator_parents(stmt)
    if not archived:
        stmt = stmt.where(_live_indicator())
    if as_of is not None:
        stmt = stmt.where(Measurement.date <= as_of)
    header = (
        Column("indicator id", INT, 12),
        Column("indicator", TEXT, 36),
        Column("date", DATE, 12),
        Column("value", NUMBER, 14),
        Column("note", TEXT, 40),
        Column("source", TEXT, 10),
        Column("entered by", TEXT, 20),
        Column("entered at (UTC)", DATETIME, 20),
        *_archived_column(archived),
    )
    # The rows are the query's own, in the order of the columns: nothing to compute.
    return Table("actuals", "Actuals", header, _stream(stmt))


# Why an objective's figure is empty (DESIGN §3: null, never a false zero).
NO_RESULTS, NO_EXECUTION = "no indicator yet", "no plan yet"


def objectives(as_of: date, archived: bool = False) -> Table:
    """Every live objective (all with archived) with its status, results and execution at
    as_of (metrics.objective_rollups); an empty figure says why beside it."""
    stmt = (
        sa.select(
            Objective.id,
            ServiceStrategy.title.label("service"),
            Objective.title,
            User.name.label("owner"),
            Objective.start_date,
            Objective.due_date,
            Objective.tags,
            _archived_flag(Objective.archived_at, ServiceStrategy.archived_at),
        )
        .select_from(Objective)
        .join(ServiceStrategy, Objective.service_strategy_id == ServiceStrategy.id)
        .outerjoin(User, Objective.owner_id == User.id)
        .order_by(Objective.id)
    )
    if not archived:
        stmt = stmt.where(Objective.archived_at.is_(None), ServiceStrategy.archived_at.is_(None))
    found = db.session.execute(stmt).all()
    rollups = metrics.objective_rollups(found, as_of)
    day = as_of.isoformat()
    columns = (
        Column("id", INT, 8),
        Column("service strategy", TEXT, 30),
        Column("title", TEXT, 40),
        Column("owner", TEXT, 20),
        Column("start", DATE, 12),
        Column("due", DATE, 12),
        Column("tags", TEXT, 24),
        Column(f"status (as of {day})", TEXT, 14),
        Column("status code", TEXT, 12),
        Column(f"results (as of {day})", PERCENT, 14),
        Column("results: why empty", TEXT, 18),
        Column(f"execution (as of {day})", PERCENT, 14),
        Column("execution: why empty", TEXT, 18),
        *_archived_column(archived),
    )

    def rows() -> Iterator[tuple]:
        for r in found:
            rollup = rollups[r.id]
            row = (
                r.id,
                r.service,
                r.title,
                r.owner,
                r.start_date,
                r.due_date,
                ", ".join(r.tags or ()),
                STATUS_WORDS[rollup.status],
                rollup.status,
                rollup.results,
                NO_RESULTS if rollup.results is None else None,
                rollup.execution,
                NO_EXECUTION if rollup.execution is None else None,
            )
            yield (*row, r.archived) if archived else row

    return Table("objectives", "Objectives", columns, rows())


def check_ins(as_of: date | None = None, archived: bool = False) -> Table:
    """Every check-in on the live plans (all with archived), posted on or before as_of if
    given; one query, streamed."""
    columns = [
        CheckIn.id,
        ActionPlan.id.label("plan_id"),
        ActionPlan.title.label("plan"),
        Department.name.label("department"),
        sa.type_coerce(CheckIn.created_at, sa.DateTime()).label("posted_at"),
        User.name.label("author"),
        CheckIn.state,
        CheckIn.state.label("state_code"),
        CheckIn.progress_pct,
        CheckIn.confidence,
        CheckIn.text,
        _ExplainedIndicator.name.label("explains_indicator"),
        Measurement.date.label("explains_date"),
    ]
    if archived:
        columns.append(
            _archived_flag(
                ActionPlan.archived_at, _PlanObjective.archived_at, _ServiceOfPlan.archived_at
            )
        )
    stmt = (
        sa.select(*columns)
        .select_from(CheckIn)
        .join(ActionPlan, CheckIn.action_plan_id == ActionPlan.id)
        .join(Department, ActionPlan.department_id == Department.id)
        .outerjoin(User, CheckIn.author_id == User.id)
        .outerjoin(Measurement, CheckIn.measurement_id == Measurement.id)
        .outerjoin(_ExplainedIndicator, Measurement.indicator_id == _ExplainedIndicator.id)
        .order_by(CheckIn.id)
    )
    stmt = _with_plan_parents(stmt, outer=False)
    if not archived:
        stmt = stmt.where(_live_plan())
    if as_of is not None:
        end = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC)
        stmt = stmt.where(CheckIn.created_at < end)  # posted by the end of that day (UTC)
    header = (
        Column("id", INT, 8),
        Column("plan id", INT, 8),
        Column("plan", TEXT, 36),
        Column("department", TEXT, 18),
        Column("posted at (UTC)", DATETIME, 20),
        Column("author", TEXT, 20),
        Column("state", TEXT, 12),
        Column("state code", TEXT, 12),
        Column("progress (%)", INT, 12),
        Column("confidence (1-5)", INT, 12),
        Column("text", TEXT, 50),
        Column("explains the actual of", TEXT, 30),
        Column("actual date", DATE, 12),
        *_archived_column(archived),
    )
    found = _stream(stmt)  # now, while the request's day is known

    def rows() -> Iterator[tuple]:
        for r in found:  # the state in words, its code beside it (as in the plans export)
            yield (*r[:6], STATE_WORDS.get(r.state, r.state), *r[7:])

    return Table("check-ins", "Check-ins", header, rows())


TABLES = {"plans": plans, "indicators": indicators, "actuals": actuals}
# Exports of their own (not sheets of "all"): objectives, and check-ins by the date chosen.
MORE_TABLES = {"objectives": objectives, "check-ins": check_ins}
