"""Counting the SQL statements a block of code sends: query counts are asserted, not timed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa

from strategy_app.extensions import db


@contextlib.contextmanager
def counting_queries() -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block (needs an app context)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
