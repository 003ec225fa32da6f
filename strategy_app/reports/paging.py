"""Pages of a list computed in Python (findings, matrix rows), shaped like db.paginate's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_sqlalchemy.pagination import Pagination


class ListPagination(Pagination):
    """One page of an in-memory list; ?page= comes from the request (bad or past the end: 404)."""

    def _query_items(self) -> list[Any]:
        items: Sequence[Any] = self._query_args["items"]
        return list(items[self._query_offset : self._query_offset + self.per_page])

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def paginate_list(items: Sequence[Any], per_page: int, page: int | None = None) -> ListPagination:
    """The current page of items, per_page at a time."""
    return ListPagination(page=page, per_page=per_page, max_per_page=per_page, items=items)
