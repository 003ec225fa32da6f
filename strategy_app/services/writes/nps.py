"""NPS responses and detractor follow-ups: entering, importing, closing the loop, and the
indicators fed by the monthly NPS (recomputed in the same transaction as every change).

Each function checks the actor's permission (strategy_app.policy) and stages the change;
the caller commits, and the audit hook records it.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    FollowUp,
    Indicator,
    Measurement,
    NpsResponse,
    Objective,
    User,
)
from strategy_app.models.base import utcnow
from strategy_app.schemas.nps import FIRST_DAY, FollowUpPatch, NpsResponseIn
from strategy_app.services.evaluation import rules
from strategy_app.services.plumbing.errors import PermissionDenied, ValidationFailed

MAX_IMPORT_ROWS = 10_000


def _check(actor: User | None, action: str, obj=None) -> None:
    if not policy.can(actor, action, obj):
        raise PermissionDenied(action, obj)


def date_problem(day: date, today: date) -> str | None:
    """Why a response's date is not acceptable (before 2000 or after today), or None."""
    if day < FIRST_DAY:
        return f"The date must be on or after {FIRST_DAY.isoformat()}."
    if day > today:
        return "The date cannot be in the future."
    return None


def _follow_up_owner(owner_id: int | None, field: str = "owner_id") -> User | None:
    """An active user who can act on a follow-up (not a viewer), or a ValidationFailed."""
    if owner_id is None:
        return None
    user = db.session.get(User, owner_id) if 1 <= owner_id <= 2**31 - 1 else None
    if user is None or not user.active or user.role == "viewer":
        raise ValidationFailed({field: ["Choose an active person who can follow up."]})
    return user


def _live_plan(plan_id: int | None) -> ActionPlan | None:
    if plan_id is None:
        return None
    plan = db.session.get(ActionPlan, plan_id) if 1 <= plan_id <= 2**31 - 1 else None
    if plan is None or plan.archived_at is not None:
        raise ValidationFailed({"action_plan_id": ["Choose a current action plan."]})
    return plan


def _new_response(data: NpsResponseIn, owner: User | None) -> NpsResponse:
    response = NpsResponse(
        date=data.date,
        score=data.score,
        segment=data.segment,
        customer_ref=data.customer_ref,
        comment=data.comment,
    )
    if rules.is_detractor(data.score):
        response.follow_up = FollowUp(owner=owner, state="open", note="")
    return response


def add_response(actor: User, data: NpsResponseIn, today: date) -> NpsResponse:
    """Record one answer; a detractor's gets an open follow-up owned by owner_id (or actor)."""
    _check(actor, policy.HEALTH)
    if problem := date_problem(data.date, today):
        raise ValidationFailed({"date": [problem]})
    owner = _follow_up_owner(data.owner_id) if data.owner_id is not None else actor
    response = _new_response(data, owner)
    db.session.add(response)
    db.session.flush()
    recompute_nps_indicators(today)
    return response


def import_responses(actor: User, rows: Iterable[NpsResponseIn], today: date) -> int:
    """Record already validated rows, all or nothing; detractors' follow-ups owned by actor."""
    _check(actor, policy.HEALTH)
    items = list(rows)
    if len(items) > MAX_IMPORT_ROWS:
        raise ValidationFailed({"file": [f"At most {MAX_IMPORT_ROWS:,} rows at a time."]})
    bad = {
        f"row {n}": [p]
        for n, row in enumerate(items, start=1)
        if (p := date_problem(row.date, today))
    }
    if bad:
        raise ValidationFailed(bad)
    db.session.add_all(_new_response(row, actor) for row in items)
    db.session.flush()
    recompute_nps_indicators(today)
    return len(items)


def update_follow_up(actor: User, follow_up: FollowUp, data: FollowUpPatch) -> FollowUp:
    """Change the fields sent: owner, state (resolved stamps when), note, linked plan."""
    _check(actor, policy.FOLLOW_UP, follow_up)
    values = data.model_dump(exclude_unset=True)
    errors: dict[str, list[str]] = {}
    for name in ("state", "note"):
        if name in values and values[name] is None:
            errors[name] = ["may not be null"]
    if errors:
        raise ValidationFailed(errors)
    if "owner_id" in values:
        follow_up.owner = _follow_up_owner(values["owner_id"])
    if "action_plan_id" in values:
        follow_up.action_plan = _live_plan(values["action_plan_id"])
    if "note" in values:
        follow_up.note = values["note"]
    if "state" in values:
        set_state(follow_up, values["state"])
    db.session.flush()
    return follow_up


def set_state(follow_up: FollowUp, state: str) -> None:
    """Move a follow-up to state; resolving stamps when the loop closed, reopening clears it."""
    if state == follow_up.state:
        return
    follow_up.state = state
    follow_up.resolved_at = utcnow() if state == "resolved" else None


def change_state(actor: User, follow_up: FollowUp, state: str) -> FollowUp:
    """The one-click move of a follow-up (contacted, resolved, or open again)."""
    return update_follow_up(actor, follow_up, FollowUpPatch(state=state))


# --- what NPS feeds ----------------------------------------------------------------------


def feed_indicator(actor: User, indicator: Indicator, segment: str | None, today: date) -> None:
    """Take an indicator's actuals from the monthly NPS (of segment, or all when None)."""
    parent = indicator.objective or indicator.action_plan
    action = policy.STRATEGY if isinstance(parent, Objective) else policy.PLAN
    _check(actor, action, parent)
    indicator.actuals_source = "nps"
    indicator.nps_segment = segment or None
    db.session.flush()
    recompute_nps_indicators(today, [indicator])


def unfeed_indicator(actor: User, indicator: Indicator) -> None:
    """Enter the indicator's actuals by hand again (the NPS actuals stay as they are)."""
    parent = indicator.objective or indicator.action_plan
    action = policy.STRATEGY if isinstance(parent, Objective) else policy.PLAN
    _check(actor, action, parent)
    indicator.actuals_source = "manual"
    indicator.nps_segment = None
    db.session.flush()


def link_objective(
    actor: User, objective: Objective, nps_segment: str | None, health_element: str | None
) -> None:
    """Show an NPS segment's and/or a service-health element's evidence on an objective."""
    _check(actor, policy.STRATEGY, objective)
    objective.nps_segment = nps_segment or None
    objective.health_element = health_element or None
    db.session.flush()


def month_end(day: date) -> date:
    """The last day of day's month."""
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def monthly_nps_values(
    responses: Iterable[tuple[date, int, str]], segment: str | None, today: date
) -> dict[date, float]:
    """{date: NPS} per month with responses: dated at the month's end (today while the month
    runs), of one segment or of all (segment None)."""
    by_month: dict[date, list[int]] = defaultdict(list)
    for day, score, seg in responses:
        if segment is None or seg == segment:
            by_month[month_end(day)].append(score)
    values = {}
    for end, scores in by_month.items():
        value = rules.nps(scores)
        if value is not None:
            values[min(end, max(today, end.replace(day=1)))] = float(value)
    return values


def recompute_nps_indicators(today: date, indicators: list[Indicator] | None = None) -> None:
    """Rewrite the NPS actuals of every NPS-fed indicator (or those given) from the responses."""
    if indicators is None:
        indicators = list(
            db.session.scalars(
                sa.select(Indicator).where(
                    Indicator.actuals_source == "nps", Indicator.archived_at.is_(None)
                )
            )
        )
    if not indicators:
        return
    responses = db.session.execute(
        sa.select(NpsResponse.date, NpsResponse.score, NpsResponse.segment).where(
            NpsResponse.archived_at.is_(None)
        )
    ).all()
    ids = [i.id for i in indicators]
    existing: dict[int, dict[date, Measurement]] = defaultdict(dict)
    for m in db.session.scalars(sa.select(Measurement).where(Measurement.indicator_id.in_(ids))):
        existing[m.indicator_id][m.date] = m
    for indicator in indicators:
        wanted = monthly_nps_values(responses, indicator.nps_segment, today)
        rows = existing[indicator.id]
        for day, row in rows.items():
            if row.source == "nps" and day not in wanted:
                db.session.delete(row)
        for day, value in wanted.items():
            row = rows.get(day)
            if row is None:
                db.session.add(
                    Measurement(
                        indicator_id=indicator.id,
                        date=day,
                        value=value,
                        source="nps",
                        note="Monthly NPS",
                    )
                )
            elif row.value != value or row.source != "nps":
                row.value, row.source, row.entered_by_id = value, "nps", None
    db.session.flush()
