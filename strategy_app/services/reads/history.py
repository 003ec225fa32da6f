"""An object's audit trail (who, when, what changed), for the history on its page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import AuditEvent, User

# Recorded so that the log can rebuild rows, but not news to a reader.
BOOKKEEPING = {"created_at", "updated_at"}


@dataclass(frozen=True)
class Change:
    """One field's before and after."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Entry:
    """One event in an object's history."""

    at: datetime
    who: str
    action: str
    changes: list[Change]


def history(obj: Any, limit: int = 50) -> list[Entry]:
    """The newest events about obj (its model's name and id), in two queries at most."""
    rows = db.session.execute(
        sa.select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.entity_type == type(obj).__name__, AuditEvent.entity_id == obj.id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    return [
        Entry(
            at=event.created_at,
            who=name or "system",
            action=event.action,
            changes=[
                Change(k, v[0], v[1])
                for k, v in sorted((event.changes or {}).items())
                if isinstance(v, list) and len(v) == 2 and k not in BOOKKEEPING
            ],
        )
        for event, name in rows
    ]
