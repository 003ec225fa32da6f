"""Actual results: one measurement per indicator and date, singly or in all-or-nothing batches."""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Indicator, Measurement, User
from strategy_app.schemas import inputs
from strategy_app.schemas.common import parse
from strategy_app.services.plumbing.errors import PermissionDenied, ValidationFailed
from strategy_app.services.writes.webhook_events import watch_off_track

MAX_BATCH = 5000
_LOAD_PARENTS = (selectinload(Indicator.action_plan), selectinload(Indicator.objective))


def _writable(indicator: Indicator) -> str | None:
    """Why actuals cannot be written to this indicator now, or None."""
    plan: ActionPlan | None = indicator.action_plan
    if indicator.archived_at is not None:
        return "This indicator is archived."
    if plan is not None and (plan.archived_at is not None or plan.state == "cancelled"):
        return "This indicator's plan is archived or cancelled."
    if indicator.objective is not None and indicator.objective.archived_at is not None:
        return "This indicator's objective is archived."
    return None


def _upsert(
    existing: dict[tuple[int, date], Measurement],
    indicator: Indicator,
    day: date,
    value: float,
    note: str,
    source: str,
    actor: User | None,
) -> Measurement:
    row = existing.get((indicator.id, day))
    if row is None:
        row = Measurement(indicator_id=indicator.id, date=day)
        db.session.add(row)
        existing[(indicator.id, day)] = row
    row.value, row.note, row.source = value, note, source
    row.entered_by_id = actor.id if actor else None
    return row


def record(
    actor: User, indicator: Indicator, data: inputs.MeasurementIn, source: str = "manual"
) -> Measurement:
    """Enter one actual; the same date again replaces the value (the audit log keeps the old)."""
    if not policy.can(actor, policy.MEASURE, indicator):
        raise PermissionDenied(policy.MEASURE, indicator)
    if problem := _writable(indicator):
        raise ValidationFailed({"indicator_id": [problem]})
    existing = {
        (m.indicator_id, m.date): m
        for m in db.session.scalars(
            sa.select(Measurement).where(
                Measurement.indicator_id == indicator.id, Measurement.date == data.date
            )
        )
    }
    off_track = watch_off_track([indicator])  # webhooks: queued with this write
    row = _upsert(existing, indicator, data.date, data.value, data.note, source, actor)
    db.session.flush()
    off_track()
    return row


Indexed = list[tuple[int, inputs.BatchItem]]


def parse_batch(raw: bytes) -> tuple[Indexed, dict[str, list[str]]]:
    """Validate a batch body item by item: the well-formed items with their index, and the
    errors of the others (so that every bad item can be named, not just the first).

    A body that is not {"items": [1 to 5,000 items]} raises ValidationFailed at once.
    """
    doc = json.loads(raw)
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list) or set(doc) != {"items"}:
        parse(inputs.BatchIn, raw, json=True)  # raises with the shape error
    if not 1 <= len(doc["items"]) <= MAX_BATCH:
        raise ValidationFailed({"items": [f"Send between 1 and {MAX_BATCH:,} items."]})
    items: Indexed = []
    errors: dict[str, list[str]] = {}
    for n, item in enumerate(doc["items"]):
        try:
            items.append((n, parse(inputs.BatchItem, json.dumps(item), json=True)))
        except ValidationFailed as exc:
            errors.update({f"items.{n}.{k}": v for k, v in exc.fields.items()})
    return items, errors


def record_batch(
    actor: User, indexed: Indexed, errors: dict[str, list[str]] | None = None, source: str = "api"
) -> list[Measurement]:
    """Write every item or none: bad items raise with their index (422, or 403 if refused).

    errors: those parse_batch found already; the database checks of the other items are
    added, so the answer lists every bad item.
    """
    items = [item for _, item in indexed]
    ids = {i.indicator_id for i in items if i.indicator_id is not None}
    keys = {i.external_key for i in items if i.external_key is not None}
    found = (
        list(
            db.session.scalars(
                sa.select(Indicator)
                .options(*_LOAD_PARENTS)
                .where(sa.or_(Indicator.id.in_(ids), Indicator.external_key.in_(keys)))
            )
        )
        if ids or keys
        else []
    )
    by_id = {i.id: i for i in found}
    by_key = {i.external_key: i for i in found if i.external_key}

    invalid: dict[str, list[str]] = dict(errors or {})
    refused: dict[str, list[str]] = {}
    resolved: list[Indicator] = []
    seen: dict[tuple[int, date], int] = {}
    for n, item in indexed:
        ind = by_id.get(item.indicator_id) if item.indicator_id else by_key.get(item.external_key)
        if ind is None:
            field = "indicator_id" if item.indicator_id else "external_key"
            invalid[f"items.{n}.{field}"] = ["No such indicator."]
            continue
        if not policy.can(actor, policy.MEASURE, ind):
            refused[f"items.{n}"] = ["You may not enter actuals for this indicator."]
            continue
        if problem := _writable(ind):
            invalid[f"items.{n}"] = [problem]
            continue
        if (ind.id, item.date) in seen:
            invalid[f"items.{n}.date"] = [
                f"Same indicator and date as item {seen[ind.id, item.date]}."
            ]
            continue
        seen[(ind.id, item.date)] = n
        resolved.append(ind)
    if refused:
        exc = PermissionDenied(policy.MEASURE)
        exc.fields = refused
        raise exc
    if invalid:
        raise ValidationFailed(
            invalid, f"{len(invalid)} item(s) are not valid; nothing was written."
        )

    dates = {item.date for item in items}
    existing = {
        (m.indicator_id, m.date): m
        for m in db.session.scalars(
            sa.select(Measurement).where(
                Measurement.indicator_id.in_({i.id for i in resolved}), Measurement.date.in_(dates)
            )
        )
    }
    off_track = watch_off_track(resolved)  # webhooks: queued with this write
    rows = [
        _upsert(existing, ind, item.date, item.value, item.note, source, actor)
        for ind, item in zip(resolved, items, strict=True)
    ]
    db.session.flush()
    off_track()
    return rows
