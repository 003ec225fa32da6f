"""A token that changes whenever the data changes, so that computed figures can be cached.

Every change of the data is a row change that the audit hook records (services.audit); the
audit hook marks the session, and when that session commits its outermost transaction the
token of the single `data_versions` row is replaced, in the same transaction and as its
last statement. A reader that sees token T therefore sees at least every change committed
before T was written, in every gunicorn worker: what it computes from the data is safe to
reuse for as long as the token stays T. No row (an empty database) means "do not cache".

The token is replaced last, just before COMMIT, so that the row lock it takes on
PostgreSQL is held for an instant and never before another lock (no deadlock cycle).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from strategy_app.extensions import db
from strategy_app.models import DataVersion

_CHANGED_KEY = "data_changed"
# In session.info: the past day the session shows (services.evaluation.history), if any.
PAST_KEY = "as_of_past"
T = TypeVar("T")


def mark_changed(session: Session) -> None:
    """Note that the session's transaction changes the data (called by the audit hook)."""
    session.info[_CHANGED_KEY] = True


def bump(conn: sa.Connection) -> str:
    """Write a new token on conn (inside the caller's transaction); return it."""
    token = uuid.uuid4().hex
    table = DataVersion.__table__
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(id=1, token=token)
    conn.execute(stmt.on_conflict_do_update(index_elements=[table.c.id], set_={"token": token}))
    return token


def current() -> str | None:
    """The token as this request's transaction sees it (None: nothing written yet)."""
    return db.session.scalar(sa.select(DataVersion.token).where(DataVersion.id == 1))


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer commit writes the token
    session.flush()  # the last changes first, so that the token comes after them
    if session.info.pop(_CHANGED_KEY, False):
        bump(session.connection())


def _forget(session: Session) -> None:
    session.info.pop(_CHANGED_KEY, None)  # rolled back: nothing changed after all


def install(session_class: type[Session] = Session) -> None:
    """Attach the hooks to every session (idempotent)."""
    for name, fn in (
        ("before_commit", _before_commit),
        ("after_rollback", _forget),
    ):
        if not event.contains(session_class, name, fn):
            event.listen(session_class, name, fn)


class Cache:
    """A few computed values per app, each under (token, key); the oldest go first."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept under key for the current token, computed if there is none.

        A transaction that has changed the data (flushed or not) sees its own changes that
        no token describes yet: it always computes afresh, and keeps nothing.
        """
        session = db.session
        if session.info.get(_CHANGED_KEY) or session.new or session.dirty or session.deleted:
            return compute()
        token = current()
        if token is None:
            return compute()
        full = (token, session.info.get(PAST_KEY), key)
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                return self._items[full]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._items[full] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def cache() -> Cache:
    """This app's cache of computed figures."""
    return current_app.extensions.setdefault("computed_figures", Cache())
