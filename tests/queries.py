"""Counting the SQL statements a block of code sends: query counts are asserted, not timed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.services.plumbing import data_version, per_version, ratelimit


@contextlib.contextmanager
def counting_queries() -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block (needs an app context).

    The rate-limit counters' short transaction (the same few statements on every request,
    on a connection of its own) is left out: it is bookkeeping, not what the page reads."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not conn.get_execution_options().get(ratelimit.BOOKKEEPING):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def page_query_counts(client, url: str) -> tuple[int, int]:
    """The queries of a GET of url with the app's computed figures forgotten (cold), and of
    the same GET again (warm: nothing changed, so cached figures are reused). Both must
    answer 200. Needs the test's app context; its transaction is committed first."""
    counts = []
    for _ in ("cold", "warm"):
        db.session.commit()  # each count starts from a fresh transaction
        if not counts:
            data_version.cache().clear()
            per_version.clear()
        with counting_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts.append(len(statements))
    return counts[0], counts[1]
