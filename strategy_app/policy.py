"""Who may do what: the permission matrix of DESIGN §4, the one place that decides it.

Views, the API and templates (which buttons show) all call `can`; `require` turns a refusal
into a 403 and records it in the audit log. While a request shows a past day (?as_of=), `can`
allows no change at all: the past cannot be changed (DESIGN §7).
"""

from __future__ import annotations

from typing import Any

from flask import abort

from strategy_app.models import ActionPlan, Department, FollowUp, Indicator, Objective, User

# Actions on the cascade above the plans (executive only).
STRATEGY = "strategy"  # organization, vision, company & service strategies, links, objectives
PLAN = "plan"  # create, edit, archive an action plan and its indicators (obj: plan or department)
PROGRESS = "progress"  # check-ins on a plan, measurements on a plan's indicators (obj: plan)
MEASURE = "measure"  # a measurement on any indicator (obj: indicator)
HEALTH = "health"  # assessments, NPS responses
FOLLOW_UP = "follow_up"  # a detractor follow-up (obj: follow-up, or None to create one)
ADMIN = "admin"  # users, departments, restoring archived items
API_READ = "api_read"  # holding a read-scope API token
API_WRITE = "api_write"  # holding a write-scope API token
REVIEW = "review"  # record a review meeting (a decision made a plan also needs PLAN)
# Bring back an archived item (obj: the item): executives only, as DESIGN §4's binding table
# says ("restore archived items": executive yes, lead no). A lead who archives a plan is told
# so in the confirmation, and an executive can undo it.
RESTORE = "restore"
ACTIONS = (
    STRATEGY,
    PLAN,
    PROGRESS,
    MEASURE,
    HEALTH,
    FOLLOW_UP,
    ADMIN,
    API_READ,
    API_WRITE,
    REVIEW,
    RESTORE,
)


def _department_id(obj: Any) -> int | None:
    if isinstance(obj, Department):
        return obj.id
    if isinstance(obj, ActionPlan):
        return obj.department_id
    return None


def _own_department(user: User, obj: Any) -> bool:
    return user.department_id is not None and _department_id(obj) == user.department_id


def _can_progress(user: User, plan: ActionPlan) -> bool:
    if user.role == "lead":
        return _own_department(user, plan)
    if user.role == "member":
        return plan.owner_id == user.id
    return False


def _shows_past() -> bool:
    """Whether this request shows a past day (?as_of=): then it changes nothing."""
    from flask import has_app_context

    if not has_app_context():
        return False
    from strategy_app.extensions import db
    from strategy_app.services.plumbing.data_version import PAST_KEY

    return db.session.info.get(PAST_KEY) is not None


def can(user: User | None, action: str, obj: Any = None) -> bool:
    """Whether user may perform action (on obj); everyone signed in may read everything."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if action not in (ADMIN, API_READ) and _shows_past():
        return False  # the past cannot be changed (DESIGN §7 "As of a date")
    role = user.role
    if role == "viewer":
        return action == API_READ
    if role == "executive" or action == API_READ:
        return True
    if action == API_WRITE:
        return True  # leads and members may hold write tokens (each write is still checked)
    if action == PLAN:
        return role == "lead" and _own_department(user, obj)
    if action == PROGRESS:
        return isinstance(obj, ActionPlan) and _can_progress(user, obj)
    if action == MEASURE:
        if isinstance(obj, Indicator) and obj.action_plan is not None:
            return _can_progress(user, obj.action_plan)
        objective = obj.objective if isinstance(obj, Indicator) else obj
        return isinstance(objective, Objective) and objective.owner_id == user.id
    if action == RESTORE:
        return False  # DESIGN §4 (binding): restoring archived items is the executives'
    if action in (HEALTH, REVIEW):
        return role == "lead"
    if action == FOLLOW_UP:
        if role == "lead":
            return True
        return isinstance(obj, FollowUp) and obj.owner_id == user.id
    return False  # STRATEGY and ADMIN are the executive's


def require(user: User | None, action: str, obj: Any = None) -> None:
    """Abort with 403 (recorded in the audit log) unless user may perform action."""
    if can(user, action, obj):
        return
    from strategy_app.extensions import db

    db.session.rollback()  # nothing the refused request may have staged is kept
    record_refusal(getattr(user, "id", None), action, obj)
    db.session.commit()
    abort(403, description="You are not allowed to do this.")


def record_refusal(user_id: int | None, action: str, obj: Any = None, **extra: Any) -> None:
    """Audit a refused request, once per (user, request, target) in a window (caller commits).

    The request (method and path) is part of what is recorded, so that each refused route
    has its row while repeating one request within the window adds nothing.
    """
    from flask import has_request_context, request

    from strategy_app.extensions import db
    from strategy_app.services.plumbing.audit import record_refused

    if has_request_context():
        extra = {**extra, "request": f"{request.method} {request.path}"[:300]}

    record_refused(
        db.session,
        user_id,
        type(obj).__name__ if obj is not None else "-",
        getattr(obj, "id", None),
        {"action": action, **extra},
    )
