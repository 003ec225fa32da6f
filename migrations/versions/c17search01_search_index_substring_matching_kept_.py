"""search index: substring matching kept by the database, so search no longer scans every row

Revision ID: c17search01
Revises: c15plain001
Create Date: 2026-12-06 15:50:00

SQLite: one FTS5 table per searched kind with the trigram tokenizer (case-insensitive
substring matching, the LIKE '%words%' of search in an index), filled from the table and kept
in step by triggers. The FTS tables keep their own copy of the words (not external content),
so a row deleted by id always leaves the index cleanly, whatever happened before.

PostgreSQL: pg_trgm GIN indexes on lower(column), which serve search's
lower(column) LIKE '%words%' as they are. Without fastupdate: a GIN index otherwise gathers
new rows in a pending list that every search reads through (and that makes the planner
prefer scanning the table) until a vacuum merges it. Where pg_trgm cannot be installed the
indexes are left out and search scans, as before (same answers, slower).

Every object here is named search_ix_*: models do not describe them, so migrations/env.py
leaves them out of autogenerate's comparison. A later migration that rebuilds one of these
tables in SQLite batch mode drops its triggers: create them again there
(tests/test_search_index.py fails until it does).
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "c17search01"
down_revision = "c15plain001"
branch_labels = None
depends_on = None

# table -> the columns search reads (strategy_app/services/reads/search.py)
INDEXED = {
    "objectives": ("title", "description"),
    "action_plans": ("title", "description"),
    "indicators": ("name", "external_key"),
    "check_ins": ("text",),
}


def _sqlite_upgrade(conn) -> None:
    for table, columns in INDEXED.items():
        fts = f"search_ix_{table}"
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, tokenize='trigram')"
        )
        conn.exec_driver_sql(f"INSERT INTO {fts}(rowid, {cols}) SELECT id, {cols} FROM {table}")
        conn.exec_driver_sql(
            f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = new.id; "  # a REPLACE left the old one behind
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.id; END"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF id, {cols} ON {table} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.id; "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )


def _sqlite_downgrade(conn) -> None:
    for table in INDEXED:
        fts = f"search_ix_{table}"
        for event in ("insert", "delete", "update"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {fts}_{event}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {fts}")


def _postgresql_upgrade(conn) -> None:
    available = conn.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).first()
    if not available:
        return
    try:
        with conn.begin_nested():  # a refusal (no privilege) must not abort the migration
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError:
        return
    for table, columns in INDEXED.items():
        for column in columns:
            conn.exec_driver_sql(
                f"CREATE INDEX search_ix_{table}_{column} ON {table} "
                f"USING gin (lower({column}) gin_trgm_ops) WITH (fastupdate = off)"
            )


def _postgresql_downgrade(conn) -> None:
    # pg_trgm stays: other objects may use it, and it changes nothing by being there
    for table, columns in INDEXED.items():
        for column in columns:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS search_ix_{table}_{column}")


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        _sqlite_upgrade(conn)
    elif conn.dialect.name == "postgresql":
        _postgresql_upgrade(conn)


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        _sqlite_downgrade(conn)
    elif conn.dialect.name == "postgresql":
        _postgresql_downgrade(conn)
