"""The engine set-up: SQLite pragmas and write locks, concurrent writers, fork safety."""

from __future__ import annotations

import contextlib
import os
import threading
import time
import warnings

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from strategy_app import database
from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Department

READ_METHODS = ["GET", "HEAD", "OPTIONS"]
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


def sqlite_only() -> None:
    """Skip inside the test body (the app decides the dialect) when running on PostgreSQL."""
    if db.engine.dialect.name == "postgresql":
        pytest.skip(
            "SQLite only: PRAGMAs, BEGIN IMMEDIATE and the database-wide write lock do not "
            "exist on PostgreSQL, which locks rows and needs none of this set-up"
        )


def in_context(app, method: str | None):
    """A request context for method, or none at all (a CLI command, a worker job)."""
    if method is None:
        return contextlib.nullcontext()
    return app.test_request_context("/", method=method)


def test_sqlite_pragmas_on_every_connection(app_factory):
    app = app_factory(SQLITE_BUSY_TIMEOUT_MS=1234)
    with app.app_context(), app.test_request_context("/", method="GET"):
        sqlite_only()
        # two connections open at once: each was set up when the pool made it
        with db.engine.connect() as one, db.engine.connect() as two:
            assert one.connection.dbapi_connection is not two.connection.dbapi_connection
            for conn in (one, two):
                pragma = conn.exec_driver_sql
                assert pragma("PRAGMA journal_mode").scalar() == "wal"
                assert pragma("PRAGMA foreign_keys").scalar() == 1
                assert pragma("PRAGMA busy_timeout").scalar() == 1234
                assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL


@pytest.mark.parametrize("method", [None, *WRITE_METHODS])
def test_writer_holds_the_write_lock_from_its_first_statement(app_factory, method):
    app = app_factory(SQLITE_BUSY_TIMEOUT_MS=200)
    with app.app_context(), in_context(app, method):
        sqlite_only()
        first = db.engine.connect()
        second = db.engine.connect()
        try:
            # Only a read: a deferred BEGIN would take no write lock for it.
            assert first.execute(sa.select(sa.func.count()).select_from(Department)).scalar() == 0
            started = time.monotonic()
            with pytest.raises(OperationalError, match="database is locked"):
                second.execute(sa.select(1))
            assert time.monotonic() - started >= 0.15  # it waited for the busy timeout
            second.rollback()

            first.execute(sa.insert(Department).values(name="Sales", slug="sales"))
            first.commit()  # the lock is released: the second writer gets it now
            second.execute(sa.insert(Department).values(name="Logistics", slug="logistics"))
            second.commit()
        finally:
            first.close()
            second.close()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Department)) == 2


@pytest.mark.parametrize("method", READ_METHODS)
def test_readers_take_no_lock(app_factory, method):
    app = app_factory(SQLITE_BUSY_TIMEOUT_MS=200)
    with app.app_context():
        sqlite_only()
        with app.test_request_context("/", method=method):
            first = db.engine.connect()
            second = db.engine.connect()
        try:
            with app.test_request_context("/", method=method):
                first.execute(sa.select(sa.func.count()).select_from(Department))
                # a second reader, inside its own open transaction, is not kept waiting
                second.execute(sa.select(sa.func.count()).select_from(Department))
            # and with WAL, a writer outside any request goes ahead while both read
            with db.engine.begin() as writer:
                writer.execute(sa.insert(Department).values(name="Sales", slug="sales"))
            # the readers keep the snapshot their transaction began with
            count = sa.select(sa.func.count()).select_from(Department)
            assert first.execute(count).scalar() == 0
            first.rollback()
            with app.test_request_context("/", method=method):
                assert first.execute(count).scalar() == 1
        finally:
            first.close()
            second.close()


def test_foreign_keys_can_be_turned_off_for_one_connection(app_factory):
    """What migrations need (see FOREIGN_KEYS_OPTION); the pooled connection gets them back."""
    app = app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0})
    orphan = sa.insert(ActionPlan).values(objective_id=999, department_id=999, title="Orphan")
    with app.app_context():
        sqlite_only()
        with db.engine.connect() as conn:
            conn.execution_options(**{database.FOREIGN_KEYS_OPTION: False})
            raw = conn.connection.dbapi_connection
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
            conn.execute(orphan)
            conn.rollback()
        with db.engine.connect() as conn:
            assert conn.connection.dbapi_connection is raw  # the same pooled connection
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            with pytest.raises(sa.exc.IntegrityError):
                conn.execute(orphan)


def test_autocommit_connection_holds_no_transaction(app_factory):
    app = app_factory(SQLITE_BUSY_TIMEOUT_MS=200)
    with app.app_context():
        sqlite_only()
        with db.engine.connect() as auto, db.engine.connect() as other:
            auto.execution_options(isolation_level="AUTOCOMMIT")
            auto.execute(sa.insert(Department).values(name="Sales", slug="sales"))
            assert not auto.connection.dbapi_connection.in_transaction
            # committed already, and no lock is left behind for the next writer
            other.execute(sa.insert(Department).values(name="Logistics", slug="logistics"))
            assert other.execute(sa.select(sa.func.count()).select_from(Department)).scalar() == 2
            other.commit()


def test_get_request_is_not_blocked_by_a_writer(app_factory):
    app = app_factory(SQLITE_BUSY_TIMEOUT_MS=200)
    with app.app_context():
        sqlite_only()
        with db.engine.connect() as writer:
            writer.execute(sa.insert(Department).values(name="Sales", slug="sales"))
            r = app.test_client().get("/healthz")  # a reader while the write is open
            assert r.status_code == 200
            writer.commit()


def _read_then_write(app, method, slug, start, errors, after_read):
    try:
        with app.app_context(), in_context(app, method):
            start.wait(timeout=10)
            seen = db.session.scalar(sa.select(sa.func.count()).select_from(Department))
            if after_read is None:
                time.sleep(0.2)  # give the other thread time to read too
            else:
                after_read.wait(timeout=10)  # both have read before either writes
            db.session.add(Department(name=f"Seen {seen}", slug=slug))
            db.session.commit()
    except Exception as exc:  # reported by the test, not lost in the thread
        errors.append(exc)


def _run_two_writers(app, method, after_read=None) -> list[Exception]:
    start, errors = threading.Barrier(2), []
    threads = [
        threading.Thread(
            target=_read_then_write, args=(app, method, slug, start, errors, after_read)
        )
        for slug in ("one", "two")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    return errors


@pytest.mark.parametrize("method", [None, "POST"])
def test_concurrent_read_then_write_transactions_both_succeed(app_factory, method):
    app = app_factory()
    errors = _run_two_writers(app, method)
    assert errors == []
    with app.app_context():
        slugs = set(db.session.scalars(sa.select(Department.slug)))
        assert slugs == {"one", "two"}


def test_deferred_read_then_write_fails_without_immediate(app_factory):
    """The failure BEGIN IMMEDIATE prevents: two deferred transactions read, then both write.

    The second writer cannot wait its way out (its snapshot is stale), so SQLite refuses it at
    once. This is why writers must not begin with a plain BEGIN, and why the concurrency test
    above would catch a writer that did.
    """
    app = app_factory()
    with app.app_context():
        sqlite_only()
    # a GET transaction begins deferred; a barrier makes both read before either writes
    errors = _run_two_writers(app, "GET", after_read=threading.Barrier(2))
    assert len(errors) == 1
    assert "database is locked" in str(errors[0])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Department)) == 1


def test_forked_child_opens_its_own_connections(app):
    with db.engine.connect() as conn:
        parent_conn = conn.connection.dbapi_connection
        assert conn.execute(sa.select(1)).scalar() == 1
        conn.commit()
    # the parent's connection now waits in the pool

    with warnings.catch_warnings():
        # Python 3.12+ warns about fork() when other threads exist; this child runs one query.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 3
        try:
            with db.engine.connect() as conn:
                own = conn.connection.dbapi_connection is not parent_conn
                answered = conn.execute(sa.select(1)).scalar() == 1
                conn.commit()
            code = 0 if own and answered else 2
        finally:
            os._exit(code)

    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with db.engine.connect() as conn:
        assert conn.connection.dbapi_connection is parent_conn  # untouched by the child
        assert conn.execute(sa.select(1)).scalar() == 1
        conn.execute(sa.insert(Department).values(name="Sales", slug="sales"))
        conn.commit()
    assert db.session.scalar(sa.select(Department.slug)) == "sales"


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok"}
