"""A token that changes whenever the data changes, so that computed figures can be cached.

Every change of the data is a row change that the audit hook records (services.audit); the
audit hook marks the session, and when that session commits its outermost transaction the
token of the single `data_versions` row is replaced, in the same transaction and as its
last statement. A reader that sees token T therefore sees at least every change committed
before T was written, in every gunicorn worker: what it computes from the data is safe to
reuse for as long as the token stays T. No row (an empty database) means "do not cache".

The token is replaced last, just before COMMIT, so that the row lock it takes on
PostgreSQL is held for an instant and never before another lock (no deadlock cycle).

With the token, the row counts the committed changes (`seq`), and each change leaves a
`data_changes` row numbered by that count, saying what it touched (the ids of the rows
changed, by kind, and of the rows they hang from). The row lock makes the numbers follow
the commit order: a reader that sees count N sees every change numbered up to N. So a
figure computed at change N need not be computed afresh at change N + 1: `Cache.
get_or_refresh` hands the old value and what changed since to a refresh function, which
recomputes only that part (an objective, its plans, its department), in any worker or
host. A change that touches too much, or a figure older than the changes kept, is
computed afresh.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple, TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from strategy_app.extensions import db
from strategy_app.models import DataChange, DataVersion
from strategy_app.models.base import utcnow

_CHANGED_KEY = "data_changed"
_TOUCHED_KEY = "data_touched"
# The references a change records beside the ids of the rows it changed.
REF_KEYS = ("objective_id", "action_plan_id", "indicator_id")
# Changes of these kinds of rows move figures across the whole cascade (a service strategy or
# a department archived or restored): recorded as touching everything.
WIDE_KINDS = frozenset({"ServiceStrategy", "Department"})
# A transaction that touches more rows than this is recorded as touching everything.
MOST_TOUCHED = 2000
# How many changes are kept: a figure computed before them is computed afresh.
KEPT_CHANGES = 500
# In session.info: the past day the session shows (services.evaluation.history), if any.
PAST_KEY = "as_of_past"
T = TypeVar("T")


def mark_changed(session: Session, touched: dict | None = None) -> None:
    """Note that the session's transaction changes the data (called by the audit hook).

    touched: {"ids": {kind: ids}, "refs": {key: ids}} (see Touched); None: everything.
    """
    session.info[_CHANGED_KEY] = True
    kept = session.info.setdefault(_TOUCHED_KEY, {"all": False, "ids": {}, "refs": {}})
    if touched is None:
        kept["all"] = True
        return
    for part in ("ids", "refs"):
        for key, values in touched.get(part, {}).items():
            kept[part].setdefault(key, set()).update(values)
    if WIDE_KINDS & set(kept["ids"]):
        kept["all"] = True
    size = sum(len(v) for part in ("ids", "refs") for v in kept[part].values())
    if size > MOST_TOUCHED:
        kept["all"] = True


def _stored(touched: dict | None) -> dict:
    if touched is None or touched["all"]:
        return {"all": True}
    return {
        part: {key: sorted(values) for key, values in touched[part].items()}
        for part in ("ids", "refs")
    }


def bump(conn: sa.Connection, touched: dict | None = None) -> str:
    """Write a new token and count on conn (inside the caller's transaction), and what the
    change touched (None: everything); return the token."""
    token = uuid.uuid4().hex
    table = DataVersion.__table__
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stored = _stored(touched)
    stmt = dialect.insert(table).values(id=1, token=token, seq=1, everything_seq=1)
    changed = {"token": token, "seq": table.c.seq + 1}
    if stored.get("all"):
        changed["everything_seq"] = table.c.seq + 1
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.id], set_=changed)
    seq = conn.execute(stmt.returning(table.c.seq)).scalar_one()
    changes = DataChange.__table__
    conn.execute(sa.insert(changes).values(seq=seq, touched=stored, at=utcnow()))
    if seq % 50 == 0:  # now and then, forget the oldest
        conn.execute(sa.delete(changes).where(changes.c.seq <= seq - KEPT_CHANGES))
    return token


def current() -> str | None:
    """The token as this request's transaction sees it (None: nothing written yet)."""
    row = _current_row()
    return row[0] if row is not None else None


_SEEN_KEY = "data_version_seen"
# With the token, the changes this worker has not seen yet are read in the same query (at
# most this many of the newest): the first figures after a change follow it without a
# query more.
RECENT = 16
_KNOWN_KEY = "data_version_known_seq"


def _current_row():
    """(token, seq, everything_seq) as this transaction sees them, read once per transaction
    (None: nothing written yet): every keeper of figures on a page shares the one read. The
    same query brings the changes numbered after the newest count this worker had seen."""
    session = db.session()
    transaction = session.get_transaction()
    kept = session.info.get(_SEEN_KEY)
    if kept is not None and transaction is not None and kept[0] is transaction:
        return kept[1]
    known = current_app.extensions.get(_KNOWN_KEY, 0)
    version, changes = DataVersion.__table__, DataChange.__table__
    rows = session.execute(
        sa.select(
            version.c.token,
            version.c.seq,
            version.c.everything_seq,
            changes.c.seq.label("change_seq"),
            changes.c.touched,
            changes.c.at,
        )
        .select_from(
            version.outerjoin(
                changes,
                sa.and_(changes.c.seq > known, changes.c.seq > version.c.seq - RECENT),
            )
        )
        .where(version.c.id == 1)
    ).all()
    row = VersionRow(*rows[0][:3]) if rows else None
    recent = {r.change_seq: (r.touched, r.at) for r in rows if r.change_seq is not None}
    session.info[_SEEN_KEY] = (session.get_transaction(), row)
    session.info[_RECENT_KEY] = (session.get_transaction(), recent)
    if row is not None and row[1] > known:
        current_app.extensions[_KNOWN_KEY] = row[1]
    return row


_RECENT_KEY = "data_version_recent"


class VersionRow(NamedTuple):
    token: str
    seq: int
    everything_seq: int


def _recent(after: int, upto: int) -> list[tuple[dict, datetime]] | None:
    """The changes numbered after..upto, if this transaction read them with the token."""
    session = db.session()
    kept = session.info.get(_RECENT_KEY)
    if kept is None or kept[0] is not session.get_transaction():
        return None
    recent = kept[1]
    if not all(seq in recent for seq in range(after + 1, upto + 1)):
        return None
    return [recent[seq] for seq in range(after + 1, upto + 1)]


def seen() -> tuple[bool, str | None]:
    """(True, the token) when this transaction has read the token already; (False, None)
    otherwise."""
    session = db.session()
    kept = session.info.get(_SEEN_KEY)
    transaction = session.get_transaction()
    if kept is not None and transaction is not None and kept[0] is transaction:
        return True, kept[1][0] if kept[1] is not None else None
    return False, None


@dataclass(frozen=True)
class Touched:
    """What the changes after a cached figure touched: ids by kind of row ("Indicator",
    "ActionPlan"...) and the ids they referred to, by key ("objective_id"...)."""

    ids: dict[str, frozenset[int]]
    refs: dict[str, frozenset[int]]

    def of(self, kind: str) -> frozenset[int]:
        return self.ids.get(kind, frozenset())

    def ref(self, key: str) -> frozenset[int]:
        return self.refs.get(key, frozenset())

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds of rows changed."""
        return frozenset(kind for kind, ids in self.ids.items() if ids)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _all_after(after: int, upto: int, day) -> bool:
    """Whether every change numbered after..upto is kept and was recorded after the end of
    day (one query, or none when they came with the token): such changes leave that day, as
    it stood, as it was."""
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    recent = _recent(after, upto)
    if recent is not None:
        return all(_aware(at) >= end for _touched, at in recent)
    return _per_transaction(
        ("all after", after, upto, day), lambda: _read_all_after(after, upto, end)
    )


def _read_all_after(after: int, upto: int, end: datetime) -> bool:
    count, first = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(DataChange.at)).where(
            DataChange.seq > after, DataChange.seq <= upto
        )
    ).one()
    return count == upto - after and first is not None and first >= end


_BETWEEN_KEY = "data_version_between"


def touched_between(after: int, upto: int) -> Touched | None:
    """What the changes numbered after..upto touched (read with the token, or in one query
    once per transaction); None when one of them touched everything or is no longer kept."""
    recent = _recent(after, upto)
    if recent is not None:
        return _combined([touched for touched, _at in recent])
    return _per_transaction(("between", after, upto), lambda: _touched_between(after, upto))


def _per_transaction(key: tuple, read: Callable[[], T]) -> T:
    """read(), once per transaction for the same key (every keeper of figures on a page
    asks the same of the changes)."""
    session = db.session()
    kept = session.info.setdefault(_BETWEEN_KEY, {})
    transaction = session.get_transaction()
    if kept.get("transaction") is not transaction:
        kept.clear()
        kept["transaction"] = transaction
    if key not in kept:
        kept[key] = read()
    return kept[key]


def _touched_between(after: int, upto: int) -> Touched | None:
    rows = db.session.execute(
        sa.select(DataChange.seq, DataChange.touched).where(
            DataChange.seq > after, DataChange.seq <= upto
        )
    ).all()
    if len(rows) != upto - after:
        return None
    return _combined([touched for _seq, touched in rows])


def _combined(changes: list[dict]) -> Touched | None:
    ids: dict[str, set[int]] = {}
    refs: dict[str, set[int]] = {}
    for touched in changes:
        if touched.get("all"):
            return None
        for key, values in touched.get("ids", {}).items():
            ids.setdefault(key, set()).update(values)
        for key, values in touched.get("refs", {}).items():
            refs.setdefault(key, set()).update(values)
    return Touched(
        {k: frozenset(v) for k, v in ids.items()}, {k: frozenset(v) for k, v in refs.items()}
    )


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer commit writes the token
    session.flush()  # the last changes first, so that the token comes after them
    touched = session.info.pop(_TOUCHED_KEY, None)
    if session.info.pop(_CHANGED_KEY, False):
        bump(session.connection(), touched)


def _forget(session: Session) -> None:
    session.info.pop(_CHANGED_KEY, None)  # rolled back: nothing changed after all
    session.info.pop(_TOUCHED_KEY, None)


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
        # The newest value of each refreshable key, with the change count it was made at.
        self._latest: dict[Hashable, tuple[int, object]] = {}
        # The token each (past day, key) was last kept under: one value per key is kept, so
        # that figures of versions gone by do not pile up until the oldest go.
        self._token_of: dict[tuple, str] = {}
        self._lock = threading.Lock()

    def _keep(self, full: tuple, value: object) -> None:
        """Keep value under full = (token, past day, key); call with the lock held."""
        token, past, key = full
        before = self._token_of.get((past, key))
        if before is not None and before != token:
            self._items.pop((before, past, key), None)
        self._token_of[(past, key)] = token
        self._items[full] = value
        while len(self._items) > self.size:
            (_token, old_past, old_key), _value = self._items.popitem(last=False)
            if self._token_of.get((old_past, old_key)) == _token:
                del self._token_of[(old_past, old_key)]

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
            self._keep(full, value)
        return value

    def get_or_refresh(
        self,
        key: Hashable,
        compute: Callable[[], T],
        refresh: Callable[[T, Touched], T | None],
    ) -> T:
        """As get_or_compute, but when this key was computed at an earlier change, and the
        changes since are all kept, refresh(old value, what they touched) makes the new
        value (it returns None to have it computed afresh).

        In the past (a session showing a day as it stood, services.evaluation.history) the
        value is reused as it is: a change made now is recorded after that day, and the past
        is rebuilt by undoing every later change, so it leaves that day as it was. Only a
        change that touched everything (a bulk load, a restore) has the past computed again.
        """
        session = db.session
        if session.info.get(_CHANGED_KEY) or session.new or session.dirty or session.deleted:
            return compute()
        row = _current_row()
        if row is None:
            return compute()
        token, seq, everything_seq = row
        past = session.info.get(PAST_KEY)
        full = (token, past, key)
        latest = (past, key)
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                return self._items[full]  # type: ignore[return-value]
            prior = self._latest.get(latest)
        value = None
        if prior is not None and everything_seq <= prior[0] < seq:
            if past is not None:
                if _all_after(prior[0], seq, past):
                    value = prior[1]  # the same day, as it stood: no later change moves it
            # Worth reading the changes only if none touched everything, and all are kept.
            elif seq <= prior[0] + KEPT_CHANGES:
                touched = touched_between(prior[0], seq)
                if touched is not None:
                    value = refresh(prior[1], touched)  # type: ignore[arg-type]
        if value is None:
            value = compute()
        with self._lock:
            self._keep(full, value)
            if latest not in self._latest or self._latest[latest][0] < seq:
                self._latest[latest] = (seq, value)
                while len(self._latest) > self.size:
                    del self._latest[next(iter(self._latest))]
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._latest.clear()
            self._token_of.clear()


def cache() -> Cache:
    """This app's cache of computed figures."""
    return current_app.extensions.setdefault("computed_figures", Cache())
