"""Fixed-window request counters in the database, so every gunicorn worker shares them."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from strategy_app.models import RateLimitBucket
from strategy_app.models.base import utcnow


@dataclass(frozen=True)
class Verdict:
    """The outcome of counting one request."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: int


def hit(conn: sa.Connection, key: str, limit: int, window_seconds: int) -> Verdict:
    """Count a request against key on conn; refuse it when the window's count passes limit.

    The caller runs this in a short transaction of its own, so a request that fails later
    still counts, and (on SQLite) so the write comes first and never upgrades a read.
    """
    now = time.time()
    window = int(now // window_seconds) * window_seconds
    table = RateLimitBucket.__table__
    stamp = utcnow()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(
        key=key[:200], window_start=window, count=1, created_at=stamp, updated_at=stamp
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "count": sa.case(
                (table.c.window_start == stmt.excluded.window_start, table.c.count + 1),
                else_=1,
            ),
            "window_start": stmt.excluded.window_start,
            "updated_at": stmt.excluded.updated_at,
        },
    ).returning(table.c.count)
    count = conn.execute(stmt).scalar_one()
    retry = max(1, math.ceil(window + window_seconds - now))
    return Verdict(count <= limit, limit, max(0, limit - count), retry)


# --- counting without waiting on a writer ----------------------------------------------------

# How long counting may wait for a lock. Counting writes, and on SQLite a writer that holds
# the lock (a long import, a backup, a stuck process) would otherwise make every request wait
# the whole busy timeout; past this wait the request is counted in the worker instead.
LOCK_WAIT_MS = 25
# Marks the connection that counts, so that tests counting a request's queries can leave
# this fixed bookkeeping out.
BOOKKEEPING = "rate_limit_bookkeeping"
# Per-worker counts used while the database is locked: key -> (window start, count).
_local_counts: dict[str, tuple[int, int]] = {}


def hit_local(key: str, limit: int, window_seconds: int) -> Verdict:
    """Count a request in this worker only (the fallback while the database is locked)."""
    now = time.time()
    window = int(now // window_seconds) * window_seconds
    start, count = _local_counts.get(key, (window, 0))
    count = count + 1 if start == window else 1
    if len(_local_counts) > 10_000:  # a flood of distinct keys must not grow without bound
        _local_counts.clear()
    _local_counts[key] = (window, count)
    retry = max(1, math.ceil(window + window_seconds - now))
    return Verdict(count <= limit, limit, max(0, limit - count), retry)


def is_lock_timeout(exc: sa.exc.DBAPIError) -> bool:
    """True when the database refused because another transaction holds a lock."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "55P03":  # PostgreSQL lock_not_available
        return True
    return "database is locked" in str(orig) or "database table is locked" in str(orig)


def run_briefly(engine: sa.Engine, work, fallback, wait_ms: int = LOCK_WAIT_MS):
    """work(conn) in a short transaction of its own that waits at most wait_ms for a lock.

    When the database is locked past that (on SQLite: another process is writing), returns
    fallback() instead, so that counting never holds up a request that only reads. Any other
    error (the database is unreachable) propagates.
    """
    with engine.connect() as conn:
        conn.execution_options(**{BOOKKEEPING: True})
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.driver_connection if sqlite else None
        if sqlite:
            before = raw.execute("PRAGMA busy_timeout").fetchone()[0]
            raw.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
        try:
            with conn.begin():
                if not sqlite:
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(wait_ms)}ms'")
                return work(conn)
        except sa.exc.OperationalError as exc:
            if not is_lock_timeout(exc):
                raise
        finally:
            if sqlite:
                raw.execute(f"PRAGMA busy_timeout = {int(before)}")
    return fallback()


def hit_all(engine: sa.Engine, checks: list[tuple[str, int]], window_seconds: int) -> Verdict:
    """Count a request against every (key, limit) of checks; the most restrictive verdict.

    Counted in the database (shared by every worker), or in this worker while the database
    is locked.
    """

    def worst(verdicts: list[Verdict]) -> Verdict:
        refused = [v for v in verdicts if not v.allowed]
        if refused:
            return max(refused, key=lambda v: v.retry_after)
        return min(verdicts, key=lambda v: v.remaining)

    return run_briefly(
        engine,
        lambda conn: worst([hit(conn, k, n, window_seconds) for k, n in checks]),
        lambda: worst([hit_local(k, n, window_seconds) for k, n in checks]),
    )
