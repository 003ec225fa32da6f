"""Review meetings: recording one (a decision may become a plan), and the latest one.

"Changes since the last review" (meeting mode) run from the latest live review dated on or
before the day shown (or from DEFAULT_DAYS before it when there is none) to that day; what
changed between the two days is services.reads.compare's to say.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.models import (
    Department,
    Objective,
    Review,
    ReviewDecision,
    User,
)
from strategy_app.models.base import utcnow
from strategy_app.schemas.common import MAX_TEXT, parse
from strategy_app.schemas.inputs import PlanIn
from strategy_app.schemas.reviews import DecisionIn, ReviewIn
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.services.writes import cascade, webhook_events

DEFAULT_DAYS = 14  # the window when no review has been recorded yet
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


def latest_review(as_of: date) -> Review | None:
    """The latest live review dated on or before as_of (one query)."""
    return db.session.scalar(
        sa.select(Review)
        .where(Review.archived_at.is_(None), Review.date <= as_of)
        .order_by(Review.date.desc(), Review.id.desc())
        .limit(1)
    )
