"""Bearer-token authentication and rate limiting for every API request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, request

from strategy_app.extensions import db
from strategy_app.models import ApiToken, User
from strategy_app.models.base import UTCDateTime, utcnow
from strategy_app.services.plumbing import ratelimit
from strategy_app.services.plumbing.audit import set_actor
from strategy_app.services.plumbing.errors import ServiceError
from strategy_app.services.writes.tokens import token_hash

LAST_USED_RESOLUTION = timedelta(minutes=1)  # write last_used_at at most once a minute
_TZ = UTCDateTime()


class Unauthorized(ServiceError):
    """No usable token (401)."""

    status = 401


class RateLimited(ServiceError):
    """Too many requests (429); retry_after in seconds."""

    status = 429

    def __init__(self, retry_after: int):
        super().__init__(f"Too many requests. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class TokenInfo:
    """What a request needs to know of its token."""

    id: int
    user_id: int
    scope: str


def _aware(value: datetime | None, dialect) -> datetime | None:
    return _TZ.process_result_value(value, dialect)


def _check_token(conn: sa.Connection, token: str, touch: bool) -> tuple[TokenInfo | None, str]:
    t = ApiToken.__table__
    row = conn.execute(
        sa.select(
            t.c.id, t.c.user_id, t.c.scope, t.c.expires_at, t.c.revoked_at, t.c.last_used_at
        ).where(t.c.token_hash == token_hash(token))
    ).first()
    now = utcnow()
    if row is None or row.revoked_at is not None:
        return None, "This token is unknown or revoked."
    expires = _aware(row.expires_at, conn.dialect)
    if expires is not None and expires <= now:
        return None, "This token has expired."
    last = _aware(row.last_used_at, conn.dialect)
    if touch and (last is None or now - last > LAST_USED_RESOLUTION):
        conn.execute(sa.update(t).where(t.c.id == row.id).values(last_used_at=now))
    return TokenInfo(row.id, row.user_id, row.scope), ""


def authenticate() -> None:
    """Resolve the bearer token into g.api_user / g.api_token, or raise 401/429.

    Counters, the token lookup and last_used_at share one short transaction on a separate
    connection whose first statement writes: on SQLite a transaction that reads and then
    writes fails at once if another worker wrote in between, and the request's own session
    only reads here. That transaction waits only briefly for the lock: while another process
    holds it, the request is counted in this worker and the token only read, so reads go on.
    """
    cfg = current_app.config
    address = request.remote_addr or "unknown"
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    bearer = scheme.lower() == "bearer" and bool(token)
    no_token = (None, "Send an API token: Authorization: Bearer <token>.")

    def counted(conn: sa.Connection, hit, touch: bool):
        verdict = hit(conn, f"addr:{address}", cfg["API_RATE_LIMIT_PER_ADDRESS"])
        info, problem = no_token
        if verdict.allowed and bearer:
            info, problem = _check_token(conn, token, touch)
            if info is not None:
                verdict = hit(conn, f"token:{info.id}", cfg["API_RATE_LIMIT_PER_TOKEN"])
        return verdict, info, problem

    def in_database(conn, key, limit):
        return ratelimit.hit(conn, key, limit, 60)

    def in_worker(conn, key, limit):
        return ratelimit.hit_local(key, limit, 60)

    def read_only():
        with db.engine.connect() as conn:
            conn.execution_options(**{ratelimit.BOOKKEEPING: True})
            return counted(conn, in_worker, touch=False)

    verdict, info, problem = ratelimit.run_briefly(
        db.engine, lambda conn: counted(conn, in_database, touch=True), read_only
    )
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)
    user = db.session.get(User, info.user_id) if info else None
    if user is None or not user.active:
        raise Unauthorized(problem or "This token's user is deactivated.")
    g.api_token, g.api_user = info, user
    set_actor(db.session, user.id)
