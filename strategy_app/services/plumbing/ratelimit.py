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
