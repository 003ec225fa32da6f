"""Helpers shared by the objective and indicator pages: sign-in, ids, pages, dates."""

from __future__ import annotations

from flask import abort, current_app, request, url_for
from flask_login import current_user

from strategy_app import policy
from strategy_app.main.routes import as_of_date  # noqa: F401  (one reading of ?as_of=)
from strategy_app.models import Indicator
from strategy_app.objectives import bp
from strategy_app.schemas.common import ID_URL, MAX_ID
from strategy_app.security import signed_in_only

ID = ID_URL  # ids beyond the column's range are simply not found
MAX_PAGE = 1_000_000


bp.before_request(signed_in_only)


def page_number() -> int:
    """The ?page= of the request (1 when missing or not a number); absurd pages are 404."""
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    return page


def id_arg(name: str) -> int | None:
    """An id from the query string, or None when it is missing or not an id."""
    raw = request.args.get(name, "")
    if not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def has_endpoint(endpoint: str) -> bool:
    """Whether another helper's page exists yet."""
    return endpoint in current_app.view_functions


def indicator_parent_url(indicator: Indicator) -> str:
    """The page of the objective or plan the indicator belongs to."""
    if indicator.objective_id is not None:
        return url_for("objectives.view", id=indicator.objective_id)
    if has_endpoint("plans.view"):
        return url_for("plans.view", id=indicator.action_plan_id)
    return url_for("objectives.view", id=indicator.action_plan.objective_id)


def may_edit_indicator(indicator: Indicator) -> bool:
    """Whether the signed-in user may change the indicator (decided by its parent)."""
    if indicator.objective_id is not None:
        return policy.can(current_user, policy.STRATEGY, indicator.objective)
    return policy.can(current_user, policy.PLAN, indicator.action_plan)


def require_indicator_edit(indicator: Indicator) -> None:
    """403 (recorded) unless the signed-in user may change the indicator."""
    parent = indicator.objective or indicator.action_plan
    action = policy.STRATEGY if indicator.objective_id is not None else policy.PLAN
    policy.require(current_user, action, parent)
