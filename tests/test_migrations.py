"""The migrations build, on an empty database, exactly the schema the models describe."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from strategy_app.extensions import db


@pytest.fixture
def empty_database(database_url, tmp_path):
    """The URL of a new database with nothing in it, next to the suite's own."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture
def fresh_app(empty_database, app_factory):
    # app_factory is torn down first: its engines are closed before the database is dropped
    return app_factory(SQLALCHEMY_DATABASE_URI=empty_database)


def flask_db(app, *args: str) -> str:
    """Run `flask db <args>` through the CLI and return its output; it must succeed."""
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, f"flask db {' '.join(args)}:\n{result.output}"
    assert result.exception is None, result.exception
    return result.output


def search_index(name: str | None, *_) -> bool:
    """Part of the search index (c17search01): in the database only, no model describes it."""
    return (name or "").startswith("search_ix_")


def tables(app) -> set[str]:
    with app.app_context(), db.engine.connect() as conn:
        return {t for t in sa.inspect(conn).get_table_names() if not search_index(t)}


def schema_diff(app) -> list:
    """What autogenerate would still put in a new migration (empty: models and DB agree)."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": False,
                "include_name": lambda *a: not search_index(*a),
            },
        )
        return compare_metadata(context, db.metadata)


def model_tables() -> set[str]:
    return set(db.metadata.tables)


def test_the_migrations_have_one_head(fresh_app):
    with fresh_app.app_context():
        config = fresh_app.extensions["migrate"].migrate.get_config()
        heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several heads, merge them: {heads}"


def test_upgrade_on_an_empty_database_matches_the_models(fresh_app):
    assert tables(fresh_app) == set()
    flask_db(fresh_app, "upgrade")
    assert tables(fresh_app) == model_tables() | {"alembic_version"}
    assert schema_diff(fresh_app) == []
    flask_db(fresh_app, "check")  # the same question, asked the way a developer would


def test_schema_diff_notices_a_difference(fresh_app):
    """The comparison above is not blind: drop an index and it is reported."""
    flask_db(fresh_app, "upgrade")
    index = next(ix for ix in db.metadata.tables["action_plans"].indexes)
    with fresh_app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.schema.DropIndex(index))
    diff = schema_diff(fresh_app)
    assert [(op[0], op[1].name) for op in diff] == [("add_index", index.name)]
    result = fresh_app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code != 0


def test_downgrade_to_base_and_back(fresh_app):
    flask_db(fresh_app, "upgrade")
    flask_db(fresh_app, "downgrade", "base")
    assert tables(fresh_app) <= {"alembic_version"}
    with fresh_app.app_context(), db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is None
    flask_db(fresh_app, "upgrade")
    assert tables(fresh_app) == model_tables() | {"alembic_version"}
    assert schema_diff(fresh_app) == []


SAMPLES = {
    str: "x",
    int: 0,
    bool: False,
    float: 0.0,
    Decimal: Decimal(0),
    datetime: datetime(2026, 1, 1, tzinfo=UTC),
    date: date(2026, 1, 1),
    dict: {},
    list: [],
    object: {},  # JSON
}


def insert_row(conn, table: sa.Table, **given) -> None:
    """Insert given values, filling other required columns of the table as it is now."""
    row = dict(given)
    for col in table.columns:
        if col.name in row or col.nullable or col.server_default is not None:
            continue
        row[col.name] = SAMPLES[col.type.python_type]
    conn.execute(table.insert().values(**row))


def seed(app) -> None:
    """A department led by a user, with an API token and an audit event of that user."""
    with app.app_context(), db.engine.begin() as conn:
        meta = sa.MetaData()
        meta.reflect(conn, only=["departments", "users", "api_tokens", "audit_events"])
        t = meta.tables
        insert_row(conn, t["departments"], id=1, name="Sales", slug="sales", colour="#123456")
        insert_row(conn, t["users"], id=1, email="lead@example.test", role="lead", department_id=1)
        conn.execute(t["departments"].update().values(lead_id=1))
        insert_row(conn, t["api_tokens"], id=1, user_id=1, name="CRM", token_hash="h", scope="read")
        insert_row(conn, t["audit_events"], id=1, user_id=1, action="login", entity_type="User")


def seeded_rows_intact(app) -> None:
    with app.app_context(), db.engine.connect() as conn:
        one = conn.exec_driver_sql
        assert one("SELECT email FROM users").scalars().all() == ["lead@example.test"]
        assert one("SELECT lead_id FROM departments").scalar_one() == 1
        assert one("SELECT user_id FROM api_tokens").scalars().all() == [1]
        assert one("SELECT user_id FROM audit_events").scalars().all() == [1]


def test_upgrade_and_downgrade_keep_existing_rows(fresh_app):
    """A migration that rebuilds a table (SQLite batch mode) must not lose rows that refer to it.

    Dropping the old table while foreign keys are on deletes its rows first, which cascades:
    every API token deleted, every audit event and department lead set to NULL.
    """
    with fresh_app.app_context():
        config = fresh_app.extensions["migrate"].migrate.get_config()
        script = ScriptDirectory.from_config(config)
        first, head = script.get_base(), script.get_current_head()
    if first == head:
        pytest.skip("a single revision: no migration runs over existing rows yet")
    flask_db(fresh_app, "upgrade", first)
    seed(fresh_app)
    flask_db(fresh_app, "upgrade")
    seeded_rows_intact(fresh_app)
    flask_db(fresh_app, "downgrade", first)
    seeded_rows_intact(fresh_app)
