"""Small figures derived from the data (a person's count, a page's ranking), kept per data
version, so that a warm page reads them instead of walking every row again.

Kept per app in a data_version.Cache of their own (bigger than the cascade's: a figure per
person, per day, per filter): what one worker or host writes changes the data version, and
every worker sees it on its next request. A figure that says which kinds of rows it reads
(`reads`), or how to bring itself up to date (`refresh`), is not computed afresh after a
change that left it as it was, or that it can follow: the first page after someone enters an
actual costs about what a warm page does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from flask import current_app

from strategy_app.services.plumbing import data_version

T = TypeVar("T")
_STORE_KEY = "per_version_figures"
SIZE = 1024  # figures kept; the oldest go first


def _cache() -> data_version.Cache:
    return current_app.extensions.setdefault(_STORE_KEY, data_version.Cache(SIZE))


def memo(
    name: str,
    key: Hashable,
    compute: Callable[[], T],
    *,
    reads: Iterable[str] | None = None,
    refresh: Callable[[T, data_version.Touched], T | None] | None = None,
) -> T:
    """compute(), kept under (name, key) for as long as the data stays the same.

    reads: the kinds of rows ("Objective", "Measurement"...) the figure depends on; after
    changes that touched none of them, the figure kept is still right. refresh(old, touched):
    the figure after changes, from the one before (None: compute it afresh).

    A session with changes of its own (flushed or not) sees data no version describes yet:
    it computes and keeps nothing. Values must be plain data (no ORM objects: they outlive
    the session).
    """
    kinds = frozenset(reads) if reads is not None else None

    def follow(old: T, touched: data_version.Touched) -> T | None:
        if kinds is not None and touched.kinds.isdisjoint(kinds):
            return old
        return refresh(old, touched) if refresh is not None else None

    return _cache().get_or_refresh((name, key), compute, follow)


def clear() -> None:
    """Forget every kept figure (tests measuring a cold page)."""
    _cache().clear()
