"""Small figures derived from the data (a person's count, a page's ranking), kept per data
version beside the cascade's figures, so that a warm page reads them instead of walking
every row again."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from strategy_app.services.plumbing import data_version

T = TypeVar("T")


def memo(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """compute(), kept under (name, key) for as long as the data stays the same.

    One entry of data_version's cache per name holds every key's value for the current
    token (and past day), so that per-person values do not push the cascade's figures out.
    A session with changes of its own gets a fresh table each time: it computes and keeps
    nothing. Values must be plain data (no ORM objects: they outlive the session).
    """
    table: dict = data_version.cache().get_or_compute(("per_version", name), dict)
    if key in table:
        return table[key]
    value = compute()
    table[key] = value
    return value
