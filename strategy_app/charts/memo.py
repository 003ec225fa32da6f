"""Figures kept by what they are drawn from, so that a page draws each one once.

A figure builder is a pure function of its arguments (an indicator's spec, its actuals, the
date, its name and unit, the surface): `@remembered` keeps the figure each set of
arguments gave, in this process, and hands a fresh copy of it on the next call with the same
arguments. It needs no invalidation: a new actual, milestone or rename changes the
arguments, so the changed indicator alone is drawn again — the first view after a change
costs little more than the one before it. The oldest figures go first beyond MOST_KEPT.
"""

from __future__ import annotations

import functools
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

MOST_KEPT = 2048


def _frozen(value: Any) -> Hashable:
    """A hashable stand-in for an argument (lists of points become tuples)."""
    if isinstance(value, list | tuple):
        as_tuple = tuple(value)
        try:
            hash(as_tuple)  # the usual case: a list of (date, value) tuples
            return as_tuple
        except TypeError:
            return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, set | frozenset):
        return frozenset(_frozen(v) for v in value)
    if hasattr(value, "__iter__") and not isinstance(value, str | bytes):
        return tuple(_frozen(v) for v in value)
    return value


def remembered(build: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """build, remembering its figures by argument (kept pickled: every caller gets its own
    copy, free to change it; unpickling is 7× cheaper than a deep copy)."""
    kept: OrderedDict[Hashable, bytes] = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> dict[str, Any]:
        args = tuple(list(a) if _is_stream(a) else a for a in args)  # read iterators once
        key = (_frozen(args), _frozen(kwargs))
        with lock:
            text = kept.get(key)
            if text is not None:
                kept.move_to_end(key)
        if text is None:
            text = pickle.dumps(build(*args, **kwargs), protocol=pickle.HIGHEST_PROTOCOL)
            with lock:
                kept[key] = text
                while len(kept) > MOST_KEPT:
                    kept.popitem(last=False)
        return pickle.loads(text)  # noqa: S301  (bytes this process pickled itself)

    wrapper.forget = kept.clear  # type: ignore[attr-defined]
    return wrapper


def _is_stream(value: Any) -> bool:
    """An iterator or generator, which can be read only once."""
    return hasattr(value, "__next__")
