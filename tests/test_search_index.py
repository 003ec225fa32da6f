"""The search index of migration c17search01: built by the migrations, kept in step by the
database, read by search instead of every row, and gone again after a downgrade."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import CheckIn
from strategy_app.services.reads import search
from tests.test_migrations import empty_database, flask_db, fresh_app, insert_row  # noqa: F401

INDEXED = {  # table -> the columns search reads (the migration's own list)
    "objectives": ("title", "description"),
    "action_plans": ("title", "description"),
    "indicators": ("name", "external_key"),
    "check_ins": ("text",),
}


TRIGGERS = ("_insert", "_update", "_delete")


def index_objects(conn) -> set[str]:
    """The names of the search index's tables, triggers and indexes in the database."""
    if conn.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE name LIKE 'search~_ix~_%' ESCAPE '~'"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE starts_with(indexname, 'search_ix_')"
    return set(conn.exec_driver_sql(sql).scalars())


def expected_objects(dialect: str) -> set[str]:
    if dialect == "sqlite":
        return {
            f"search_ix_{table}{suffix}"
            for table in INDEXED
            for suffix in ("", "_content", "_data", "_idx", "_docsize", "_config", *TRIGGERS)
        }
    return {f"search_ix_{t}_{c}" for t, columns in INDEXED.items() for c in columns}


def test_the_migrated_database_carries_the_whole_index(app):
    """Every table search reads has its index (and, on SQLite, the triggers that keep it):
    a later migration that rebuilds one of these tables in batch mode drops its triggers."""
    with db.engine.connect() as conn:
        assert index_objects(conn) == expected_objects(conn.dialect.name)


def test_downgrade_removes_the_index_and_upgrade_indexes_the_rows_already_there(request):
    app = request.getfixturevalue("fresh_app")  # test_migrations' empty database
    flask_db(app, "upgrade", "c15plain001")
    with app.app_context(), db.engine.begin() as conn:
        meta = sa.MetaData()
        meta.reflect(conn, only=["service_strategies", "objectives"])
        insert_row(conn, meta.tables["service_strategies"], id=1, title="Serve", status="active")
        insert_row(conn, meta.tables["objectives"], id=1, service_strategy_id=1, title="Old Otter")
        assert index_objects(conn) == set()
    flask_db(app, "upgrade")
    with app.app_context():
        with db.engine.connect() as conn:
            assert index_objects(conn) == expected_objects(conn.dialect.name)
        found = search.search("OTTER", date(2026, 6, 15))
        assert [h.title for h in found.hits["objective"]] == ["Old Otter"]
        db.session.remove()
    flask_db(app, "downgrade", "c15plain001")
    with app.app_context(), db.engine.connect() as conn:
        assert index_objects(conn) == set()


def plans_of(statements: list[tuple[str, object]]) -> dict[str, str]:
    """For each statement of a kind search reads through the index, the database's plan."""
    conn = db.session.connection()
    explain = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
    plans = {}
    for statement, parameters in statements:
        table = re.search(r"FROM (\w+)", statement)[1] if "LIKE" in statement else None
        table = re.search(r"FROM (\w+)", statement)[1] if "MATCH" in statement else table
        if table in INDEXED:
            rows = conn.exec_driver_sql(explain + statement, parameters).all()
            plans[table] = "\n".join(str(row[-1]) for row in rows)
    return plans


@pytest.mark.parametrize("words", ["walrus", "rus tru", '"walrus" AND *'])
def test_search_reads_the_index_not_every_row(client, login, make, words):
    """The benchmark's growth came from reading every plan and check-in: the plans of the
    queries search sends show each indexed table reached through its index."""
    user = make.user("executive")
    plan = make.plan(title="Call every walrus")
    db.session.add(CheckIn(action_plan=plan, state="planned", progress_pct=0, text="walrus trucks"))
    db.session.commit()
    login(user)
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get("/search", query_string={"q": words}).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    if db.engine.dialect.name == "postgresql":
        # a table this small is best read whole, whatever its indexes: ask the planner what
        # it does when reading every row is the dear way (as it is at 5,000 plans)
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        db.session.execute(sa.text("SET LOCAL enable_indexscan = off"))
    plans = plans_of(sent)
    assert set(plans) == set(INDEXED)
    for table, plan_text in plans.items():
        assert "search_ix_" in plan_text, (table, plan_text)
        assert f"SCAN {table}\n" not in plan_text + "\n", (table, plan_text)  # SQLite
        assert f"Seq Scan on {table} " not in plan_text, (table, plan_text)  # PostgreSQL
    db.session.rollback()
