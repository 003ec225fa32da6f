"""Plan dependencies: mark a plan as blocked by another plan, or take that mark away.

Like the other write services: check the actor's permission (policy.PLAN on the blocked
plan), validate what needs the database (no self, no cycle, no duplicate, a live blocker)
and stage the change; the caller commits and the audit hook records it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.models import ActionPlan, PlanDependency, User
from strategy_app.schemas.common import MAX_TEXT, Id, Input, Text
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.services.writes.cascade import check

FIELD = "blocked_by_id"


class DependencyIn(Input):
    """What the "Blocked by" form sends: the blocking plan and a note."""

    blocked_by_id: Id
    note: Text = ""


def _refuse(message: str, field: str = FIELD) -> ValidationFailed:
    return ValidationFailed({field: [message]})


def waits_on(plan_id: int) -> set[int]:
    """Every plan that plan_id waits on, directly or through others (one recursive query)."""
    start = sa.select(PlanDependency.blocked_by_id.label("id")).where(
        PlanDependency.plan_id == plan_id
    )
    chain = start.cte("chain", recursive=True)
    chain = chain.union(
        sa.select(PlanDependency.blocked_by_id).join(chain, PlanDependency.plan_id == chain.c.id)
    )
    return set(db.session.scalars(sa.select(chain.c.id)))


def add_dependency(
    actor: User, plan: ActionPlan, blocked_by: ActionPlan | None, note: str = ""
) -> PlanDependency:
    """Record that plan is blocked by blocked_by; refuses self, cycles, duplicates, dead plans."""
    check(actor, policy.PLAN, plan)
    if plan.archived_at is not None:
        raise _refuse("This plan is archived.")
    if blocked_by is None:
        raise _refuse("Choose a plan.")
    if blocked_by.id == plan.id:
        raise _refuse("A plan cannot be blocked by itself.")
    if blocked_by.archived_at is not None:
        raise _refuse("That plan is archived.")
    if blocked_by.state == "cancelled":
        raise _refuse("That plan is cancelled.")
    if not isinstance(note, str) or len(note) > MAX_TEXT or "\x00" in note:
        raise _refuse(f"Write at most {MAX_TEXT} characters (no NUL characters).", "note")
    duplicate = db.session.scalar(
        sa.select(PlanDependency.id).where(
            PlanDependency.plan_id == plan.id, PlanDependency.blocked_by_id == blocked_by.id
        )
    )
    if duplicate is not None:
        raise _refuse("This plan is already marked as blocked by that plan.")
    if plan.id in waits_on(blocked_by.id):
        raise _refuse(
            "That plan already waits on this one (directly or through other plans): "
            "the two would block each other."
        )
    dep = PlanDependency(plan_id=plan.id, blocked_by_id=blocked_by.id, note=note.strip())
    try:
        with db.session.begin_nested():  # a concurrent duplicate loses on the unique constraint
            db.session.add(dep)
            db.session.flush()
    except IntegrityError:
        raise _refuse("This plan is already marked as blocked by that plan.") from None
    return dep


def remove_dependency(actor: User, dep: PlanDependency) -> None:
    """Take away a "blocked by" mark (the audit log keeps what it was)."""
    check(actor, policy.PLAN, dep.plan)
    db.session.delete(dep)
    db.session.flush()
