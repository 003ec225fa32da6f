"""Sign-in throttling kept in the database, so every gunicorn worker sees the same counts.

Failures are counted per account at an address (the key that locks) and per address. After a
few failures of an account at an address each further one locks that account there for a
growing time, capped, and the lock lapses by itself: an attacker elsewhere cannot lock the
victim out, and nobody is locked forever.

The address count never locks anybody out by itself: many people may share an address (an
office behind one proxy or NAT), and one of them failing with many accounts must not keep the
others out. Past a high number of failures the address is *under suspicion*: every account
there then gets no free failures (its first wrong password at that address locks it), which
stops guessing across many accounts, while a correct password of an account that has not
failed there is still checked and let in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import LoginThrottle
from strategy_app.models.base import utcnow

FREE_FAILURES = {"acct": 5, "addr": 100}  # failures allowed before a lock / suspicion
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
    """The throttle keys of a sign-in attempt: the account at the address, the address."""
    return [f"acct:{email.strip().lower()[:254]}|addr:{address}", f"addr:{address}"]


def _rows(names: list[str]) -> dict[str, LoginThrottle]:
    rows = db.session.scalars(sa.select(LoginThrottle).where(LoginThrottle.key.in_(names)))
    return {r.key: r for r in rows}


def _failures(row: LoginThrottle | None, now: datetime) -> int:
    if row is None or (row.last_failure_at and now - row.last_failure_at > FORGET_AFTER):
        return 0
    return row.failures


def current_lock(email: str, address: str) -> Lock | None:
    """The lock in force for this account at this address, if any (never the address's)."""
    row = _rows(keys(email, address)[:1]).get(keys(email, address)[0])
    if row is not None and row.locked_until and row.locked_until > utcnow():
        return Lock(row.locked_until)
    return None


def lock_length(kind: str, failures: int, free: int | None = None) -> timedelta | None:
    """How long the failure numbered `failures` locks a key of this kind (None: no lock).

    `free` overrides the kind's free failures (none for an account at a suspicious address).
    """
    over = failures - (FREE_FAILURES[kind] if free is None else free) - 1
    if over < 0:
        return None
    return min(BASE_LOCK * (2 ** min(over, 10)), MAX_LOCK)


def record_failure(email: str, address: str) -> Lock | None:
    """Count a failed sign-in; returns the lock it puts on the account there (caller commits)."""
    now = utcnow()
    account_key, address_key = keys(email, address)
    existing = _rows([account_key, address_key])
    counts = {}
    for key in (account_key, address_key):
        row = existing.get(key)
        if row is None:
            row = existing[key] = LoginThrottle(key=key, failures=0)
            db.session.add(row)
        row.failures = _failures(row, now) + 1
        row.last_failure_at = now
        counts[key] = row.failures
    suspicious = counts[address_key] > FREE_FAILURES["addr"]
    length = lock_length("acct", counts[account_key], free=0 if suspicious else None)
    if length is None:
        return None
    row = existing[account_key]
    row.locked_until = now + length
    return Lock(row.locked_until)


def record_success(email: str, address: str) -> None:
    """A correct password clears the account-at-address key (not the address key)."""
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == keys(email, address)[0]))
