"""The audit log, written in the same transaction as every change (flush hooks).

Every insert, update, archive and delete of a model is recorded while the ORM flushes it, with
the acting user taken from the session (set by the web layer or the API for each request).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstanceState, Mapper, Session, object_session

from strategy_app.models.audit import AuditEvent
from strategy_app.models.base import utcnow
from strategy_app.services.plumbing import data_version

ACTOR_KEY = "audit_actor_id"
# The actions that record a row change (the others record sign-ins, refusals, exports).
ROW_ACTIONS = ("create", "update", "archive", "restore", "delete")
# A refused request is recorded once per (user, request, target) in this many seconds, so
# that repeating a refused request (a GET is enough) cannot grow the log without bound.
REFUSED_WINDOW_SECONDS = 600
SECRET_FIELDS = {"password_hash", "token_hash", "session_token"}
# Sign-in bookkeeping is recorded as explicit login events, not as row updates.
SKIPPED_FIELDS = {"created_at", "updated_at", "last_login_at", "failed_logins", "locked_until"}
# Per flush: old values of updated rows (read before the UPDATE) and the delete events.
_BEFORE_KEY = "audit_before"
_DELETES_KEY = "audit_deletes"
_UNKNOWN = object()


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


def record_refused(
    session: Session,
    user_id: int | None,
    entity_type: str,
    entity_id: int | None,
    changes: dict,
) -> bool:
    """Record a refused request unless the same one (user, target, the same changes: action,
    request) was recorded in the last REFUSED_WINDOW_SECONDS; True if recorded. Repeating a
    refusal cannot grow the log."""
    since = utcnow() - timedelta(seconds=REFUSED_WINDOW_SECONDS)
    same = [
        AuditEvent.action == "refused",
        AuditEvent.created_at >= since,
        AuditEvent.entity_type == entity_type,
        AuditEvent.user_id == user_id if user_id is not None else AuditEvent.user_id.is_(None),
        AuditEvent.entity_id == entity_id
        if entity_id is not None
        else AuditEvent.entity_id.is_(None),
    ]
    recent = session.scalars(sa.select(AuditEvent.changes).where(*same).limit(100))
    if any(seen == changes for seen in recent):
        return False
    record(session, "refused", entity_type, entity_id, changes, user_id=user_id)
    return True


def jsonable(value: Any) -> Any:
    """A value as it is kept in the audit log's JSON."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _audited(obj) -> bool:
    # A model opts out with `__audit__ = False` (bookkeeping tables such as throttles).
    return not isinstance(obj, AuditEvent) and getattr(type(obj), "__audit__", True)


def _columns(mapper: Mapper, whole_row: bool = False) -> list:
    # A created or deleted row is recorded with its times too, so that the log alone
    # can rebuild every row (services.evaluation.history, tests/test_replay.py).
    skipped = SKIPPED_FIELDS - {"created_at", "updated_at"} if whole_row else SKIPPED_FIELDS
    return [a for a in mapper.column_attrs if a.key not in skipped]


def _shown(key: str, value: Any) -> Any:
    if key in SECRET_FIELDS:
        return "(set)" if value else None
    return jsonable(value)


def _stored_values(mapper: Mapper, connection: Connection, state: InstanceState, attrs) -> dict:
    """The values the row holds in the database before this flush, for the given attributes.

    What the session already knows is used as is; attributes it never loaded (an expired
    object changed after a commit, a foreign key set through a relationship) are read from
    the row, on the flush's own connection, before the UPDATE or DELETE runs.
    """
    values, missing = {}, []
    for attr in attrs:
        hist = state.attrs[attr.key].history  # never loads
        if hist.deleted:
            values[attr.key] = hist.deleted[0]
        elif hist.unchanged:
            values[attr.key] = hist.unchanged[0]
        else:
            values[attr.key] = _UNKNOWN
            missing.append(attr)
    if missing and state.identity:
        where = [col == val for col, val in zip(mapper.primary_key, state.identity, strict=True)]
        row = connection.execute(
            sa.select(*(a.columns[0] for a in missing)).where(*where)
        ).one_or_none()
        if row is not None:
            values.update({a.key: v for a, v in zip(missing, row, strict=True)})
    return {k: (None if v is _UNKNOWN else v) for k, v in values.items()}


def _before_flush(session: Session, _flush_context, _instances) -> None:
    session.info[_BEFORE_KEY] = {}
    session.info[_DELETES_KEY] = []


def _before_update(mapper: Mapper, connection: Connection, target) -> None:
    session = object_session(target)
    if session is None or not _audited(target):
        return
    state = inspect(target)
    changed = [a for a in _columns(mapper) if state.attrs[a.key].history.has_changes()]
    if changed:
        if "updated_at" in mapper.attrs and not state.attrs["updated_at"].history.has_changes():
            # Stamped here rather than by the column's onupdate, so that the value written
            # is the value recorded.
            target.updated_at = utcnow()
        # The ORM raises these during the UPDATE itself, outside the attribute history.
        for key in _raised_on_update(mapper):
            if all(a.key != key for a in changed):
                changed.append(mapper.attrs[key])
        before = _stored_values(mapper, connection, state, changed)
        session.info.setdefault(_BEFORE_KEY, {})[state] = before


def _before_delete(mapper: Mapper, connection: Connection, target) -> None:
    # A mapper event sees every deleted row, also orphans removed from a collection.
    session = object_session(target)
    if session is None or not _audited(target):
        return
    state = inspect(target)
    before = _stored_values(mapper, connection, state, _columns(mapper, whole_row=True))
    session.info.setdefault(_DELETES_KEY, []).append(
        {
            "action": "delete",
            "entity_type": type(target).__name__,
            "entity_id": state.identity[0] if state.identity else None,
            "changes": {k: [_shown(k, v), None] for k, v in before.items() if v is not None},
        }
    )


def _created(obj) -> dict:
    changes = {}
    for attr in _columns(inspect(obj).mapper, whole_row=True):
        value = getattr(obj, attr.key)
        if value is not None:
            changes[attr.key] = [None, _shown(attr.key, value)]
    return {
        "action": "create",
        "entity_type": type(obj).__name__,
        "entity_id": obj.id,
        "changes": changes,
    }


def _raised_on_update(mapper: Mapper) -> list[str]:
    """The bookkeeping columns every UPDATE moves on: the version and the time of writing."""
    keys = []
    if mapper.version_id_col is not None:
        keys.append(mapper.get_property_by_column(mapper.version_id_col).key)
    if "updated_at" in mapper.attrs:
        keys.append("updated_at")  # set by _before_update, but perhaps not loaded before
    return keys


def _updated(obj, before: dict) -> dict | None:
    state = inspect(obj)
    changes: dict[str, list] = {}
    # A row's creation time is never edited by people, but data loaders (the demo's story)
    # date rows after the fact: recorded too, so that the log alone rebuilds the row.
    kept = SKIPPED_FIELDS - {"created_at", "updated_at"}
    recorded = [a for a in state.mapper.column_attrs if a.key not in kept]
    for attr in recorded:
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = before[attr.key] if attr.key in before else (hist.deleted or [None])[0]
        new = hist.added[0] if hist.added else None
        if old != new:
            changes[attr.key] = [_shown(attr.key, old), _shown(attr.key, new)]
    if not changes or set(changes) <= {"version", "updated_at"}:
        return None
    for key in _raised_on_update(state.mapper):
        old, new = before.get(key), state.dict.get(key)
        if key not in changes and old is not None and new is not None and old != new:
            changes[key] = [_shown(key, old), _shown(key, new)]
    action = "update"
    if "archived_at" in changes:
        action = "archive" if changes["archived_at"][1] else "restore"
    return {
        "action": action,
        "entity_type": type(obj).__name__,
        "entity_id": obj.id,
        "changes": changes,
    }


def _touched(events: list[dict], objects: list) -> dict:
    """What the events touched, for services.data_version: the ids of each kind of row, and
    the rows they hang from (their references before and after the change)."""
    ids: dict[str, set] = {}
    refs: dict[str, set] = {}
    for ev in events:
        if ev["entity_id"] is not None:
            ids.setdefault(ev["entity_type"], set()).add(ev["entity_id"])
        for key in data_version.REF_KEYS:
            for value in ev["changes"].get(key, ()):
                if isinstance(value, int):
                    refs.setdefault(key, set()).add(value)
    for obj in objects:  # the references an update left as they were
        for key in data_version.REF_KEYS:
            value = inspect(obj).dict.get(key)
            if isinstance(value, int):
                refs.setdefault(key, set()).add(value)
    return {"ids": ids, "refs": refs}


def _after_flush(session: Session, _flush_context) -> None:
    before = session.info.pop(_BEFORE_KEY, {})
    events = []
    objects = []
    for obj in session.new:
        if _audited(obj) and hasattr(obj, "__table__"):
            events.append(_created(obj))
    for obj in session.dirty:
        if not _audited(obj) or not hasattr(obj, "__table__"):
            continue
        if not session.is_modified(obj, include_collections=False):
            continue
        ev = _updated(obj, before.get(inspect(obj), {}))
        if ev:
            events.append(ev)
            objects.append(obj)
    events.extend(session.info.pop(_DELETES_KEY, []))
    if not events:
        return
    data_version.mark_changed(session, _touched(events, objects))
    now = utcnow()
    actor = session.info.get(ACTOR_KEY)
    rows = [{**ev, "user_id": actor, "created_at": now, "updated_at": now} for ev in events]
    session.connection().execute(sa.insert(AuditEvent.__table__), rows)


def install(session_class: type[Session] = Session) -> None:
    """Attach the audit hooks to every session and every mapper (idempotent)."""
    for target, name, fn in (
        (session_class, "before_flush", _before_flush),
        (session_class, "after_flush", _after_flush),
        (Mapper, "before_update", _before_update),
        (Mapper, "before_delete", _before_delete),
    ):
        if not event.contains(target, name, fn):
            event.listen(target, name, fn)
