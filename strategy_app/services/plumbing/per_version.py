"""Small figures derived from the data (a person's count, a page's ranking), kept per data
version, so that a warm page reads them instead of walking every row again.

Kept per app under the data version's token (services.plumbing.data_version): what one
worker or host writes changes the token, and every worker computes afresh on its next
request. The token is read once per transaction, however many figures a page asks for.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

from strategy_app.extensions import db
from strategy_app.services.plumbing import data_version

T = TypeVar("T")
_STORE_KEY = "per_version_figures"
TABLES = 64  # (token, past day, name) tables kept; the oldest go first


class _Store:
    """The tables of one app, each a dict of key -> value for one (token, past day, name)."""

    def __init__(self) -> None:
        self.tables: OrderedDict[tuple, dict] = OrderedDict()
        self.lock = threading.Lock()

    def table(self, full: tuple) -> dict:
        with self.lock:
            found = self.tables.get(full)
            if found is None:
                found = self.tables[full] = {}
                while len(self.tables) > TABLES:
                    self.tables.popitem(last=False)
            else:
                self.tables.move_to_end(full)
            return found


def _store() -> _Store:
    return current_app.extensions.setdefault(_STORE_KEY, _Store())


def _token() -> str | None:
    """The data version's token, read once per transaction (shared with data_version's own
    cache: a page that reads the cascade's figures pays nothing more here)."""
    known, token = data_version.seen()
    return token if known else data_version.current()


def memo(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """compute(), kept under (name, key) for as long as the data stays the same.

    A session with changes of its own (flushed or not) sees data no token describes yet:
    it computes and keeps nothing. Values must be plain data (no ORM objects: they outlive
    the session).
    """
    session = db.session
    if session.info.get(data_version._CHANGED_KEY) or session.new or session.dirty:
        return compute()
    if session.deleted:
        return compute()
    token = _token()
    if token is None:
        return compute()
    table = _store().table((token, session.info.get(data_version.PAST_KEY), name))
    if key in table:
        return table[key]
    value = compute()
    table[key] = value
    return value


def clear() -> None:
    """Forget every kept figure (tests measuring a cold page)."""
    with _store().lock:
        _store().tables.clear()
