"""What the actuals pages show, loaded in a fixed number of queries whatever the data size."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError
from wtforms import SelectChoice

from strategy_app import policy
from strategy_app.actuals.forms import KIND_LABELS
from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    AuditEvent,
    CheckIn,
    Department,
    Indicator,
    Measurement,
    User,
)
from strategy_app.schemas.common import ID_URL
from strategy_app.services.evaluation import metrics
from strategy_app.services.reads.history import Change, Entry
from strategy_app.services.writes import measurements, variance

ID = ID_URL  # ids beyond the column's range are simply not found
RECENT_ACTUALS = 10
RECENT_CHECK_INS = 3
HISTORY_EVENTS = 30


DIRECTION_LABELS = {
    "increase": "Increase (higher is better)",
    "decrease": "Decrease (lower is better)",
    "maintain": "Maintain (stay within the tolerance of the target)",
}


def number(value: float | None, places: int | None = None) -> str:
    """A value as people write it: no trailing zeros, ten significant digits at most
    (a computed value is first rounded to `places` decimals)."""
    if value is None:
        return "—"
    return f"{round(value, places) if places is not None else value:.10g}"


def indicator_or_404(indicator_id: int) -> Indicator:
    """The indicator with its plan (and department) and objective, or a 404."""
    indicator = db.session.scalar(
        sa.select(Indicator)
        .options(
            selectinload(Indicator.action_plan).selectinload(ActionPlan.department),
            selectinload(Indicator.action_plan).selectinload(ActionPlan.objective),
            selectinload(Indicator.objective),
        )
        .where(Indicator.id == indicator_id)
    )
    if indicator is None:
        abort(404, description="There is no such indicator.")
    return indicator


def writable_or_403(indicator: Indicator) -> Indicator:
    """The indicator, once the policy lets the signed-in user enter actuals on it (else 403)."""
    policy.require(current_user, policy.MEASURE, indicator)
    return indicator


def objective_of(indicator: Indicator):
    """The objective the indicator serves (its own, or its plan's)."""
    return indicator.objective or indicator.action_plan.objective


def stored_on(indicator: Indicator, days: Iterable[date]) -> dict[date, Measurement]:
    """The stored actuals of the indicator on these dates (what new entries would replace)."""
    wanted = {d for d in days if d is not None}
    if not wanted:
        return {}
    rows = db.session.scalars(
        sa.select(Measurement)
        .options(selectinload(Measurement.entered_by))
        .where(Measurement.indicator_id == indicator.id, Measurement.date.in_(wanted))
    )
    return {m.date: m for m in rows}


def plan_departments() -> list[Department]:
    """The live departments the signed-in user may start a plan for."""
    departments = db.session.scalars(
        sa.select(Department)
        .where(Department.archived_at.is_(None))
        .order_by(Department.position, Department.id)
    )
    return [d for d in departments if policy.can(current_user, policy.PLAN, d)]


def set_choices(form, indicator: Indicator) -> list[Department]:
    """Offer the corrective actions that fit the indicator and the user's permissions."""
    departments = plan_departments()
    kinds = [k for k in variance.kinds_for(indicator) if k != variance.NEW_PLAN or departments]
    form.kind.choices = [SelectChoice(k, KIND_LABELS[k]) for k in kinds]
    form.department_id.choices = [SelectChoice("", "— choose —")] + [
        SelectChoice(str(d.id), d.name) for d in departments
    ]
    if hasattr(form, "value") and indicator.unit:
        form.value.label.text = f"Value ({indicator.unit})"
    if form.department_id.data is None and len(departments) == 1:
        form.department_id.data = departments[0].id
    return departments


def _history(indicator: Indicator, measurement_ids: list[int]) -> list[Entry]:
    """Replaced values of the recent actuals and the explained variances, newest first.

    (New actuals are in the list of latest actuals; the indicator's own changes are on its
    page.)
    """
    about = sa.and_(
        AuditEvent.entity_type == "Indicator",
        AuditEvent.entity_id == indicator.id,
        AuditEvent.action == "variance_explained",
    )
    if measurement_ids:
        about = sa.or_(
            about,
            sa.and_(
                AuditEvent.entity_type == "Measurement",
                AuditEvent.entity_id.in_(measurement_ids),
                AuditEvent.action.not_in(("create", "refused")),
            ),
        )
    rows = db.session.execute(
        sa.select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(about)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(HISTORY_EVENTS)
    ).all()
    return [
        Entry(
            at=event.created_at,
            who=name or "system",
            action=event.action,
            changes=[
                Change(k, v[0], v[1])
                for k, v in sorted((event.changes or {}).items())
                if isinstance(v, list) and len(v) == 2
            ],
        )
        for event, name in rows
    ]


def context(indicator: Indicator, as_of: date) -> dict[str, Any]:
    """The indicator's figures at as_of, its recent actuals and check-ins, and its history."""
    result = metrics.evaluate_indicators([indicator], as_of)[indicator.id]
    recent = list(
        db.session.scalars(
            sa.select(Measurement)
            .options(selectinload(Measurement.entered_by))
            .where(Measurement.indicator_id == indicator.id)
            .order_by(Measurement.date.desc())
            .limit(RECENT_ACTUALS)
        )
    )
    check_ins: list[CheckIn] = []
    if indicator.action_plan_id is not None:
        check_ins = list(
            db.session.scalars(
                sa.select(CheckIn)
                .options(selectinload(CheckIn.author))
                .where(CheckIn.action_plan_id == indicator.action_plan_id)
                .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
                .limit(RECENT_CHECK_INS)
            )
        )
    return {
        "indicator": indicator,
        "plan": indicator.action_plan,
        "objective": objective_of(indicator),
        "result": result,
        "recent": recent,
        "check_ins": check_ins,
        "entries": _history(indicator, [m.id for m in recent]),
        "as_of": as_of,
        "number": number,
        "link": link,
        "closed": closed_reason(indicator),
        "direction_labels": DIRECTION_LABELS,
    }


def link(endpoint: str, **values) -> str | None:
    """The URL of another feature's page, or None while that page does not exist."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def closed_reason(indicator: Indicator) -> str | None:
    """Why no actual can be entered for the indicator now (archived, ...), or None."""
    return measurements._writable(indicator)  # the service's own rule, asked read-only


def after_save_url(indicator: Indicator) -> str:
    """The indicator's page when there is one, else the actuals form again."""
    return link("objectives.indicator_view", indicator_id=indicator.id) or url_for(
        "actuals.new", indicator_id=indicator.id
    )
