"""The audit log, written in the same transaction as every change (a flush hook).

Every insert, update and archive of a model is recorded after the ORM flushes it, with the
acting user taken from the session (set by the web layer or the API for each request).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from strategy_app.models.audit import AuditEvent
from strategy_app.models.base import utcnow

ACTOR_KEY = "audit_actor_id"
SECRET_FIELDS = {"password_hash", "token_hash"}
# Sign-in bookkeeping is recorded as explicit login events, not as row updates.
SKIPPED_FIELDS = {"created_at", "updated_at", "last_login_at", "failed_logins", "locked_until"}


def set_actor(session: Session, user_id: int | None) -> None:
    """Name the user whose changes the session will flush next."""
    session.info[ACTOR_KEY] = user_id


def record(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: int | None = None,
    changes: dict | None = None,
    user_id: int | None = None,
) -> None:
    """Add an event that is not a row change (a sign-in, a refused write, an export)."""
    session.add(
        AuditEvent(
            user_id=user_id if user_id is not None else session.info.get(ACTOR_KEY),
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            changes=changes or {},
        )
    )


def jsonable(value: Any) -> Any:
    """A value as it is kept in the audit log's JSON."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _columns(obj) -> list:
    return [a for a in inspect(obj).mapper.column_attrs if a.key not in SKIPPED_FIELDS]


def _shown(key: str, value: Any) -> Any:
    if key in SECRET_FIELDS:
        return "(set)" if value else None
    return jsonable(value)


def _event_for(obj, kind: str) -> dict | None:
    state = inspect(obj)
    changes: dict[str, list] = {}
    for attr in _columns(obj):
        hist = state.attrs[attr.key].history
        if kind == "create":
            value = getattr(obj, attr.key)
            if value is not None:
                changes[attr.key] = [None, _shown(attr.key, value)]
        elif kind == "delete":
            changes[attr.key] = [_shown(attr.key, getattr(obj, attr.key)), None]
        elif hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if before != after:
                changes[attr.key] = [_shown(attr.key, before), _shown(attr.key, after)]
    if kind == "update":
        if not changes or set(changes) <= {"version"}:
            return None
        if "archived_at" in changes:
            kind = "archive" if changes["archived_at"][1] else "restore"
    return {
        "action": kind,
        "entity_type": type(obj).__name__,
        "entity_id": obj.id,
        "changes": changes,
    }


def _after_flush(session: Session, _flush_context) -> None:
    events = []
    for kind, objs in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objs:
            if isinstance(obj, AuditEvent) or not hasattr(obj, "__table__"):
                continue
            if kind == "update" and not session.is_modified(obj, include_collections=False):
                continue
            ev = _event_for(obj, kind)
            if ev:
                events.append(ev)
    if not events:
        return
    now = utcnow()
    actor = session.info.get(ACTOR_KEY)
    rows = [{**ev, "user_id": actor, "created_at": now, "updated_at": now} for ev in events]
    session.connection().execute(sa.insert(AuditEvent.__table__), rows)


def install(session_class: type[Session] = Session) -> None:
    """Attach the audit hook to every session (idempotent)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
