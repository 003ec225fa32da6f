"""Sign-in throttling kept in the database, so every gunicorn worker sees the same counts.

Failures are counted per account-at-an-address and per address. After a few failures each
further one locks the key for a growing time, capped, and the lock lapses by itself: an
attacker elsewhere cannot keep a victim's own address locked out, and nobody is locked forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import LoginThrottle
from strategy_app.models.base import utcnow

FREE_FAILURES = {"acct": 5, "addr": 30}  # failures allowed before any lock
BASE_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)  # a key quiet this long starts again from zero


@dataclass(frozen=True)
class Lock:
    """A refusal to check the password for now, and until when."""

    until: datetime

    def seconds_left(self, now: datetime | None = None) -> int:
        return max(1, int((self.until - (now or utcnow())).total_seconds()) + 1)


def keys(email: str, address: str) -> list[str]:
    """The throttle keys of a sign-in attempt."""
    return [f"acct:{email.strip().lower()[:254]}|addr:{address}", f"addr:{address}"]


def _rows(names: list[str]) -> list[LoginThrottle]:
    return list(db.session.scalars(sa.select(LoginThrottle).where(LoginThrottle.key.in_(names))))


def current_lock(email: str, address: str) -> Lock | None:
    """The lock in force for this attempt, if any."""
    now = utcnow()
    untils = [
        r.locked_until
        for r in _rows(keys(email, address))
        if r.locked_until and r.locked_until > now
    ]
    return Lock(max(untils)) if untils else None


def lock_length(kind: str, failures: int) -> timedelta | None:
    """How long the failure numbered `failures` locks a key of this kind (None: no lock)."""
    over = failures - FREE_FAILURES[kind] - 1
    if over < 0:
        return None
    return min(BASE_LOCK * (2 ** min(over, 10)), MAX_LOCK)


def record_failure(email: str, address: str) -> Lock | None:
    """Count a failed sign-in; returns the lock it triggers, if any (caller commits)."""
    now = utcnow()
    existing = {r.key: r for r in _rows(keys(email, address))}
    lock = None
    for key in keys(email, address):
        row = existing.get(key)
        if row is None:
            row = LoginThrottle(key=key, failures=0)
            db.session.add(row)
        elif row.last_failure_at and now - row.last_failure_at > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        length = lock_length(key.split(":", 1)[0], row.failures)
        if length:
            row.locked_until = now + length
            lock = (
                Lock(row.locked_until) if lock is None else Lock(max(lock.until, row.locked_until))
            )
    return lock


def record_success(email: str, address: str) -> None:
    """A correct password clears the account-at-address key (not the address key)."""
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == keys(email, address)[0]))
