"""Fixtures: the app on SQLite or PostgreSQL (--db), a client, a CLI runner, users, sign-in."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from config import TestConfig
from strategy_app import create_app
from strategy_app.extensions import db
from strategy_app.models.base import CLOCK_SHIFT
from tests import factories
from tests.pgserver import running_server

FIXED_TODAY = date(2026, 6, 15)
# What a test writes is stamped from this moment on: before every past day the tests look at
# with ?as_of=, so that the worlds they build existed then (DESIGN §7 "As of a date").
WRITTEN_FROM = datetime(2026, 1, 1, 9, tzinfo=UTC)


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="database for the suite (postgres starts a throwaway server)",
    )


def pytest_report_header(config):
    return f"database: {config.getoption('--db')}"


_passed = 0


def pytest_runtest_logreport(report):
    global _passed
    if report.when == "call" and report.passed:
        _passed += 1


def pytest_sessionfinish(session, exitstatus):
    # A pass in which nothing ran (all skipped, or deselected) must fail, not look green.
    if exitstatus == pytest.ExitCode.OK and _passed == 0:
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED


def pytest_collection_modifyitems(config, items):
    if config.getoption("--db") == "postgres":
        skip_sqlite = pytest.mark.skip(reason="needs --db=sqlite")
        for item in items:
            if "sqlite_only" in item.keywords:
                item.add_marker(skip_sqlite)
        return
    skip = pytest.mark.skip(reason="needs --db=postgres")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    """A database for the whole session, built by the migrations (not by create_all)."""
    if request.config.getoption("--db") == "postgres":
        url = os.environ.get("TEST_POSTGRES_URL")
        with running_server() if not url else contextlib.nullcontext(url) as url:
            _migrate(url)
            yield url
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        _migrate(url)
        yield url


def make_config(url: str, **overrides) -> type[TestConfig]:
    """A TestConfig subclass bound to url (each app gets its own class, no shared state)."""
    attrs = {
        "SQLALCHEMY_DATABASE_URI": url,
        "FIXED_TODAY": FIXED_TODAY.isoformat(),
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        **overrides,
    }
    return type("BoundTestConfig", (TestConfig,), attrs)


def _migrate(url: str) -> None:
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def wipe(app) -> None:
    """Empty every table of the app's database so that the next test starts from nothing."""
    with app.app_context():
        db.session.remove()
        url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    wipe_database(url)


_wipers: dict[str, sa.Engine] = {}


def wipe_database(url: str) -> None:
    """Empty every table (children first), through one engine per database kept for the
    session: building a whole app for it cost ~0.1 s a test (Werkzeug compiles each rule)."""
    if url not in _wipers:
        sqlite = url.startswith("sqlite")
        _wipers[url] = sa.create_engine(url, poolclass=sa.pool.NullPool if sqlite else None)
    tables = list(reversed(db.metadata.sorted_tables))
    with _wipers[url].begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            for t in tables:
                conn.execute(sa.delete(t))


class RequestClient(FlaskClient):
    """A test client whose every request starts with an empty `g`, as in production.

    Tests keep one app context open (and so one database session: on SQLite a second
    connection would wait on the test's write lock); Flask reuses it for each request, so
    per-request caches in `g` would leak between requests and clients: Flask-Login's
    user, Flask-WTF's CSRF token.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            vars(g).clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def app_factory(database_url):
    """Build apps on the session database with extra settings; wipes the data afterwards."""
    made = []

    def build(**overrides):
        app = create_app(make_config(database_url, **overrides))
        app.test_client_class = RequestClient
        made.append(app)
        return app

    yield build
    for app in made:  # close pooled connections: every app has its own engine
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if made:
        wipe_database(database_url)


@pytest.fixture(autouse=True)
def _written_long_ago():
    """Every change a test makes is stamped from WRITTEN_FROM on (time still goes forward)."""
    token = CLOCK_SHIFT.set(WRITTEN_FROM - datetime.now(UTC))
    yield
    CLOCK_SHIFT.reset(token)


@pytest.fixture
def app(app_factory):
    """The app with CSRF off, today fixed at FIXED_TODAY, inside an app context."""
    app = app_factory()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make():
    """The factories module, for building data in a test."""
    return factories


@pytest.fixture
def login(client):
    """Sign a user in through the real form."""

    def _login(user, password=factories.PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return _login


@pytest.fixture
def db_session(app):
    """The app's database session (commit to make data visible to the client)."""
    return db.session
