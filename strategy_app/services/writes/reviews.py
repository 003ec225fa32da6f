"""Review meetings: recording one (a decision may become a plan) and what changed since the last.

"Changes since the last review" are counted from the day after the latest live review dated on
or before the day shown (or over the last DEFAULT_DAYS days when there is none) up to that day:
actuals dated in that window, plan state changes (from the audit log), plans added, check-ins
posted. Each list is cut at a limit and carries its full count; nine queries in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    AuditEvent,
    CheckIn,
    Department,
    Indicator,
    Measurement,
    Objective,
    Review,
    ReviewDecision,
    ServiceStrategy,
    User,
)
from strategy_app.models.base import utcnow
from strategy_app.schemas.common import MAX_TEXT, parse
from strategy_app.schemas.inputs import PlanIn
from strategy_app.schemas.reviews import DecisionIn, ReviewIn
from strategy_app.services.plumbing import data_version
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.services.writes import cascade, webhook_events

DEFAULT_DAYS = 14  # the window when no review has been recorded yet
LIMIT = 20  # items listed per kind of change
TITLE_MAX = 200  # ActionPlan.title


# --- recording a review -------------------------------------------------------------------


def plan_title(decision: DecisionIn) -> str:
    """The title of the plan a decision becomes: the one typed, or the decision's first line."""
    if decision.plan_title:
        return decision.plan_title
    first = decision.text.strip().splitlines()[0].strip()
    return first if len(first) <= TITLE_MAX else first[: TITLE_MAX - 1].rstrip() + "…"


def _plan_input(review_date: date, decision: DecisionIn, index: int) -> PlanIn:
    """The PlanIn of a decision to be made a plan; errors name the decision's row fields."""
    errors: dict[str, list[str]] = {}
    prefix = f"decisions.{index}"
    if decision.objective_id is None:
        errors[f"{prefix}.objective_id"] = ["Choose the objective the plan serves."]
    if decision.department_id is None:
        errors[f"{prefix}.department_id"] = ["Choose the department that carries the plan."]
    if errors:
        raise ValidationFailed(errors)
    description = f"Decided in the review of {review_date.isoformat()}: {decision.text}"
    data = {
        "objective_id": decision.objective_id,
        "department_id": decision.department_id,
        "title": plan_title(decision),
        "description": description[:MAX_TEXT],
        "due_date": decision.due_date,
    }
    try:
        return parse(PlanIn, data)
    except ValidationFailed as exc:
        names = {"title": "plan_title"}
        raise ValidationFailed(
            {f"{prefix}.{names.get(k, k)}": v for k, v in exc.fields.items()}
        ) from None


def _checked_plans(actor: User, data: ReviewIn) -> dict[int, PlanIn]:
    """Every decision's plan, validated and permission-checked before anything is written.

    Errors of every row are reported together; a department the actor may not plan for is
    PermissionDenied (a 403), as on the plan form.
    """
    plans: dict[int, PlanIn] = {}
    errors: dict[str, list[str]] = {}
    for i, decision in enumerate(data.decisions):
        if not decision.make_plan:
            continue
        try:
            plan = _plan_input(data.date, decision, i)
            cascade.get_live(Objective, plan.objective_id, f"decisions.{i}.objective_id")
            department = cascade.get_live(
                Department, plan.department_id, f"decisions.{i}.department_id"
            )
        except ValidationFailed as exc:
            errors.update(exc.fields)
            continue
        cascade.check(actor, policy.PLAN, department)
        plans[i] = plan
    if errors:
        raise ValidationFailed(errors)
    return plans


def record_review(actor: User, data: ReviewIn) -> Review:
    """Record a review with its decisions; those marked become plans (cascade.create_plan)."""
    cascade.check(actor, policy.REVIEW)
    plans = _checked_plans(actor, data)
    review = Review(date=data.date, attendees=data.attendees, notes=data.notes)
    db.session.add(review)
    for i, decision in enumerate(data.decisions):
        plan = None
        if i in plans:
            try:
                plan = cascade.create_plan(actor, plans[i])
            except ValidationFailed as exc:
                raise ValidationFailed(
                    {f"decisions.{i}.{k}": v for k, v in exc.fields.items()}
                ) from None
        review.decisions.append(ReviewDecision(text=decision.text, action_plan=plan))
    db.session.flush()
    webhook_events.review_recorded(review)  # queued with the review, sent later
    return review


def archive_review(actor: User, review: Review) -> None:
    """Archive a review: it leaves the list, and "changes since" falls back to the one before."""
    cascade.check(actor, policy.REVIEW, review)
    if review.archived_at is None:
        review.archived_at = utcnow()


# --- what changed since the last review ---------------------------------------------------


@dataclass(frozen=True)
class ChangeList:
    """The first items of one kind of change, and how many there are in all."""

    total: int
    items: list[Any] = field(default_factory=list)

    @property
    def more(self) -> int:
        """How many are not listed."""
        return max(self.total - len(self.items), 0)


@dataclass
class Changes:
    """What changed from the day after `since` up to `until` (both dates)."""

    since: date
    until: date
    review: Review | None
    actuals: ChangeList
    state_changes: ChangeList
    new_plans: ChangeList
    check_ins: ChangeList

    @property
    def total(self) -> int:
        """Changes of every kind."""
        return sum(
            c.total for c in (self.actuals, self.state_changes, self.new_plans, self.check_ins)
        )


def latest_review(as_of: date) -> Review | None:
    """The latest live review dated on or before as_of (one query)."""
    return db.session.scalar(
        sa.select(Review)
        .where(Review.archived_at.is_(None), Review.date <= as_of)
        .order_by(Review.date.desc(), Review.id.desc())
        .limit(1)
    )


def _start_of(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def _live_objectives() -> sa.Select:
    return (
        sa.select(Objective.id)
        .join(ServiceStrategy, ServiceStrategy.id == Objective.service_strategy_id)
        .where(Objective.archived_at.is_(None), ServiceStrategy.archived_at.is_(None))
    )


def _live_plans(*, counting: bool) -> sa.Select:
    """Plans not archived under a live objective; counting=True leaves cancelled ones out."""
    query = sa.select(ActionPlan.id).where(
        ActionPlan.archived_at.is_(None), ActionPlan.objective_id.in_(_live_objectives())
    )
    return query.where(ActionPlan.state != "cancelled") if counting else query


def _listed(query: sa.Select, limit: int) -> ChangeList:
    """The count of query's rows, and the first `limit` of them (two queries)."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    items = list(db.session.execute(query.limit(limit)))
    return ChangeList(total or 0, items)


def _actuals(first: date, last: date, limit: int) -> ChangeList:
    """Actuals dated in [first, last] on indicators that count (DESIGN §3)."""
    live = sa.and_(
        Indicator.archived_at.is_(None),
        sa.or_(
            Indicator.objective_id.in_(_live_objectives()),
            Indicator.action_plan_id.in_(_live_plans(counting=True)),
        ),
    )
    query = (
        sa.select(
            Measurement.id,
            Measurement.date,
            Measurement.value,
            Measurement.source,
            Indicator.id.label("indicator_id"),
            Indicator.name.label("indicator"),
            Indicator.unit,
            sa.func.coalesce(ActionPlan.title, Objective.title).label("parent"),
            Department.name.label("department"),
            User.name.label("who"),
        )
        .join(Indicator, Indicator.id == Measurement.indicator_id)
        .outerjoin(ActionPlan, ActionPlan.id == Indicator.action_plan_id)
        .outerjoin(Objective, Objective.id == Indicator.objective_id)
        .outerjoin(Department, Department.id == ActionPlan.department_id)
        .outerjoin(User, User.id == Measurement.entered_by_id)
        .where(Measurement.date >= first, Measurement.date <= last, live)
        .order_by(Measurement.date.desc(), Measurement.id.desc())
    )
    return _listed(query, limit)


def _plan_columns() -> tuple:
    return (
        ActionPlan.id.label("plan_id"),
        ActionPlan.title.label("plan"),
        ActionPlan.state.label("plan_state"),
        Department.name.label("department"),
    )


def _state_changes(start: datetime, end: datetime, limit: int) -> ChangeList:
    """Updates of a live plan's state recorded in the audit log in [start, end)."""
    query = (
        sa.select(
            AuditEvent.id,
            AuditEvent.created_at,
            AuditEvent.changes,
            User.name.label("who"),
            *_plan_columns(),
        )
        .join(ActionPlan, ActionPlan.id == AuditEvent.entity_id)
        .join(Department, Department.id == ActionPlan.department_id)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(
            AuditEvent.entity_type == ActionPlan.__name__,
            AuditEvent.action == "update",
            AuditEvent.created_at >= start,
            AuditEvent.created_at < end,
            AuditEvent.changes["state"].as_string().is_not(None),
            ActionPlan.id.in_(_live_plans(counting=False)),
        )
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    return _listed(query, limit)


def state_change(changes: dict) -> tuple[str | None, str | None]:
    """(before, after) of the state in an audit event's changes."""
    pair = changes.get("state") if isinstance(changes, dict) else None
    if isinstance(pair, list) and len(pair) == 2:
        return pair[0], pair[1]
    return None, None


def _new_plans(start: datetime, end: datetime, limit: int) -> ChangeList:
    """Plans added in [start, end) that count (live, not cancelled)."""
    query = (
        sa.select(
            ActionPlan.created_at,
            ActionPlan.due_date,
            Objective.title.label("objective"),
            User.name.label("owner"),
            *_plan_columns(),
        )
        .join(Department, Department.id == ActionPlan.department_id)
        .join(Objective, Objective.id == ActionPlan.objective_id)
        .outerjoin(User, User.id == ActionPlan.owner_id)
        .where(
            ActionPlan.created_at >= start,
            ActionPlan.created_at < end,
            ActionPlan.id.in_(_live_plans(counting=True)),
        )
        .order_by(ActionPlan.created_at.desc(), ActionPlan.id.desc())
    )
    return _listed(query, limit)


def _check_ins(start: datetime, end: datetime, limit: int) -> ChangeList:
    """Check-ins posted in [start, end) on live plans."""
    query = (
        sa.select(
            CheckIn.id,
            CheckIn.created_at,
            CheckIn.state,
            CheckIn.progress_pct,
            CheckIn.confidence,
            CheckIn.text,
            User.name.label("who"),
            *_plan_columns(),
        )
        .join(ActionPlan, ActionPlan.id == CheckIn.action_plan_id)
        .join(Department, Department.id == ActionPlan.department_id)
        .outerjoin(User, User.id == CheckIn.author_id)
        .where(
            CheckIn.created_at >= start,
            CheckIn.created_at < end,
            ActionPlan.id.in_(_live_plans(counting=False)),
        )
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
    )
    return _listed(query, limit)


def changes_since(as_of: date, limit: int = LIMIT) -> Changes:
    """What changed since the last review on or before as_of, up to the end of as_of."""
    review = latest_review(as_of)
    since = review.date if review is not None else as_of - timedelta(days=DEFAULT_DAYS)
    first = since + timedelta(days=1)
    start, end = _start_of(first), _start_of(as_of + timedelta(days=1))

    def lists() -> tuple[ChangeList, ChangeList, ChangeList, ChangeList]:
        return (
            _actuals(first, as_of, limit),
            _state_changes(start, end, limit),
            _new_plans(start, end, limit),
            _check_ins(start, end, limit),
        )

    # Plain rows, no ORM objects: safe to keep under the data version and share.
    actuals, state_changes, new_plans, check_ins = data_version.cache().get_or_compute(
        ("changes", first, as_of, limit), lists
    )
    return Changes(
        since=since,
        until=as_of,
        review=review,
        actuals=actuals,
        state_changes=state_changes,
        new_plans=new_plans,
        check_ins=check_ins,
    )
