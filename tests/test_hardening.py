"""Issue 11's findings, one section each: enumeration by timing, lock-out of everyone, the
database away, tokens after a password change, backups, weak keys, audit growth, CSV quoting.

The fault tests through a real gunicorn are in test_faults.py.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import socket
import sqlite3
import statistics
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import config
from strategy_app import create_app
from strategy_app.extensions import db
from strategy_app.models import ApiToken, AuditEvent, LoginThrottle, Measurement
from strategy_app.services.dataio import backup
from strategy_app.services.plumbing import audit, throttle
from strategy_app.services.writes import tokens
from tests import factories, rate_clock
from tests.conftest import make_config

ROOT = Path(__file__).resolve().parent.parent
WRONG = "not the right password"


def _post_login(client, email, password, address="127.0.0.1", **kw):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        **kw,
    )


def _bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


# --- 1. account enumeration by timing ---------------------------------------------------


def test_sign_in_takes_as_long_for_unknown_and_inactive_accounts(app_factory):
    """Medians over repeated attempts, interleaved, with production's argon2id settings."""
    app = app_factory(PASSWORD_HASH_PARAMS=None)  # the hasher production uses (64 MiB, t=3)
    with app.app_context():
        factories.user("viewer", email="known@example.test")
        factories.user("viewer", email="gone@example.test", active=False)
        db.session.commit()
    client = app.test_client()
    emails = {"known": "known@example.test", "unknown": "nobody@example.test"}
    emails["inactive"] = "gone@example.test"
    times: dict[str, list[float]] = {kind: [] for kind in emails}
    for n in range(6):  # a fresh address each time: the throttle must not step in
        for kind, email in emails.items():
            start = time.perf_counter()
            r = _post_login(client, email, WRONG, address=f"10.1.{n}.{len(times[kind]) + 1}")
            elapsed = time.perf_counter() - start
            assert r.status_code == 401
            if n:  # the first round warms up (the dummy hash is made once per process)
                times[kind].append(elapsed)
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    slowest = max(medians.values())
    for kind, median in medians.items():
        assert median >= 0.75 * slowest, (kind, medians)
    # the inactive account's right password is refused just as slowly (not short-circuited)
    r = _post_login(client, "gone@example.test", factories.PASSWORD, address="10.2.0.1")
    assert r.status_code == 401


# --- 2. nobody can lock everyone out ------------------------------------------------------


def test_failures_with_other_accounts_never_lock_out_a_correct_password(client, make, db_session):
    boss = make.user("executive", email="boss@example.test")
    db_session.commit()
    for n in range(throttle.FREE_FAILURES["addr"] + 5):  # past the address's threshold
        r = _post_login(client, f"random{n}@example.test", WRONG)
        assert r.status_code in (401, 429)
    assert r.status_code == 429  # the address is suspicious: a new account's failure locks it
    assert _post_login(client, boss.email, factories.PASSWORD).status_code == 302


def test_at_a_suspicious_address_each_account_has_no_free_failure(client, make, db_session):
    boss = make.user("executive", email="boss@example.test")
    db_session.commit()
    for n in range(throttle.FREE_FAILURES["addr"] + 1):
        _post_login(client, f"random{n}@example.test", WRONG)
    assert _post_login(client, boss.email, WRONG).status_code == 429  # locked at once
    assert _post_login(client, boss.email, factories.PASSWORD).status_code == 429
    # elsewhere the same account still has its free failures and signs in
    other = client.application.test_client()
    assert _post_login(other, boss.email, WRONG, address="198.51.100.4").status_code == 401
    assert _post_login(other, boss.email, factories.PASSWORD, "198.51.100.4").status_code == 302


def _throttle_keys() -> set[str]:
    db.session.commit()
    return set(db.session.scalars(sa.select(LoginThrottle.key)))


def test_forwarded_headers_count_only_from_the_trusted_proxy(app_factory):
    app = app_factory(PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=1, PROXY_FIX_TRUSTED="127.0.0.1")
    client = app.test_client()
    https = {"X-Forwarded-Proto": "https"}
    r = _post_login(
        client, "a@example.test", WRONG, headers={"X-Forwarded-For": "203.0.113.7", **https}
    )
    assert r.status_code == 401
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")  # HTTPS via the proxy
    r = _post_login(
        client,
        "a@example.test",
        WRONG,
        address="198.51.100.9",  # not the proxy: its headers could be forged
        headers={"X-Forwarded-For": "203.0.113.8", **https},
    )
    assert "Strict-Transport-Security" not in r.headers
    with app.app_context():
        keys = _throttle_keys()
    assert "addr:203.0.113.7" in keys
    assert "addr:198.51.100.9" in keys
    assert "addr:203.0.113.8" not in keys
    assert "addr:127.0.0.1" not in keys


def test_proxy_and_rate_limit_settings_are_documented_in_the_readme():
    names = set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', (ROOT / "config.py").read_text()))
    ours = {n for n in names if n.startswith(("PROXY_FIX_", "WEB_RATE_", "API_RATE_"))}
    assert {"PROXY_FIX_X_FOR", "PROXY_FIX_X_PROTO", "PROXY_FIX_TRUSTED"} <= ours
    readme = (ROOT / "README.md").read_text()
    production = readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    assert [n for n in sorted(ours) if f"`{n}`" not in readme] == []
    for words in ("PROXY_FIX_X_FOR=1", "PROXY_FIX_TRUSTED", "32 random bytes", "0600"):
        assert words in production


# --- 3. the database away: 503, not 500 ---------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable_app():
    """The app pointed at a PostgreSQL address where nothing listens."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/gone"
    app = create_app(make_config(url))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_api_answers_503_with_retry_after_when_the_database_is_unreachable(unreachable_app):
    r = unreachable_app.test_client().get("/api/v1/me", headers=_bearer("stk_whatever"))
    assert r.status_code == 503
    assert int(r.headers["Retry-After"]) > 0
    error = r.get_json()["error"]
    assert error["status"] == 503
    assert "try again" in error["message"]
    assert error["fields"] == {}


def test_pages_answer_a_self_contained_503_when_the_database_is_unreachable(unreachable_app):
    client = unreachable_app.test_client()
    with client.session_transaction() as session:  # a signed-in cookie: loading it needs the db
        session["_user_id"] = "1.0123456789abcdef"
        session["_fresh"] = True
        session["iat"] = session["seen"] = time.time()
    r = client.get("/objectives/")
    assert r.status_code == 503
    assert int(r.headers["Retry-After"]) > 0
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"
    page = r.get_data(as_text=True)
    assert "Temporarily unavailable" in page
    assert "try again" in page
    assert "Strategy tracker" in page
    assert client.get("/healthz").status_code == 503


class _GoneAfterTheCommit:
    """The database refuses every statement once the request's transaction has committed, as
    PostgreSQL does when it is stopped at that moment."""

    def __init__(self, app):
        self.app, self.now = app, False

    def _refuse(self, *_args, **_kw):
        if self.now:
            raise sqlite3.OperationalError("the database system is shutting down")

    def _committed(self, _session):
        self.now = True

    def __enter__(self):
        with self.app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", self._refuse)
            sa.event.listen(db.session, "after_commit", self._committed)
        return self

    def __exit__(self, *_exc):
        self.now = False
        with self.app.app_context():
            sa.event.remove(db.engine, "before_cursor_execute", self._refuse)
            sa.event.remove(db.session, "after_commit", self._committed)


def test_a_page_that_saved_says_so_when_the_database_goes_away_right_after(app_factory):
    """A form's change is committed, then the page after it (its flash reads what was saved)
    cannot be made: the 503 says the change was saved, not "nothing was saved"."""
    app = app_factory(TESTING=False, PROPAGATE_EXCEPTIONS=False, PROPAGATE_SERVER_ERRORS=False)
    with app.app_context():
        factories.user("executive", email="boss@example.test")
        indicator_id = factories.indicator().id
        db.session.commit()
    client = app.test_client()
    assert _post_login(client, "boss@example.test", factories.PASSWORD).status_code == 302
    with _GoneAfterTheCommit(app):
        r = client.post(f"/actuals/{indicator_id}/new", data={"date": "2026-06-15", "value": "90"})
    assert r.status_code == 503
    page = r.get_data(as_text=True)
    assert "Your change was saved" in page
    assert "nothing was read or saved" not in page
    with app.app_context():
        values = db.session.scalars(
            sa.select(Measurement.value).where(Measurement.indicator_id == indicator_id)
        ).all()
    assert values == [90.0]
    # a read that fails says what it always said
    with _GoneAfterTheCommit(app) as gone:
        gone.now = True
        failed = client.get(f"/objectives/indicators/{indicator_id}")
    assert failed.status_code == 503
    assert "Your change was saved" not in failed.get_data(as_text=True)


def test_a_write_answers_what_it_saved_when_the_database_goes_away_right_after(app_factory):
    """CI caught a 500 "nothing was saved" for an actual that was saved: the answer was made
    after the commit, reading the database again just as PostgreSQL was stopping."""
    app = app_factory(TESTING=False, PROPAGATE_EXCEPTIONS=False, PROPAGATE_SERVER_ERRORS=False)
    with app.app_context():
        executive = factories.user("executive")
        indicator_id = factories.indicator().id
        _, plain = tokens.create_token(executive, "CRM", "write")
        db.session.commit()
    with _GoneAfterTheCommit(app):
        r = app.test_client().post(
            f"/api/v1/indicators/{indicator_id}/measurements",
            json={"date": "2026-06-30", "value": 91.5},
            headers=_bearer(plain),
        )
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()["value"] == 91.5
    with app.app_context():
        values = db.session.scalars(
            sa.select(Measurement.value).where(Measurement.indicator_id == indicator_id)
        ).all()
    assert values == [91.5]  # saved, and said so


# Long enough that a read which waited on the writer could not pass for a slow one, even on
# a busy two-core machine (the whole suite runs beside this test).
BUSY_MS = 6000


@pytest.fixture
def locked_file_app(app_factory, database_url):
    """An app on the suite's SQLite file with a short busy timeout, and an executive's write
    token; yields (app, token, lock) where lock() holds the write lock like a busy writer."""
    app = app_factory(SQLITE_BUSY_TIMEOUT_MS=BUSY_MS, WEB_RATE_LIMIT_PER_ADDRESS=1000)
    with app.app_context():
        boss = factories.user("executive", email="boss@example.test")
        _, plain = tokens.create_token(boss, "CRM", "write")
        db.session.commit()
    path = sa.make_url(database_url).database
    holder = sqlite3.connect(path, isolation_level=None, timeout=5)

    def lock():
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE users SET name = name")

    yield app, plain, lock
    holder.close()


@pytest.mark.sqlite_only
def test_api_reads_do_not_wait_on_a_writer_and_writes_answer_503(locked_file_app):
    app, plain, lock = locked_file_app
    client = app.test_client()
    assert _post_login(client, "boss@example.test", factories.PASSWORD).status_code == 302
    lock()
    start = time.perf_counter()
    r = client.get("/api/v1/me", headers=_bearer(plain))
    assert r.status_code == 200
    assert client.get("/objectives/").status_code == 200  # pages count their requests too
    assert time.perf_counter() - start < BUSY_MS / 1000 - 1  # neither waited the busy timeout
    r = client.post("/api/v1/company-strategies", json={"title": "Grow"}, headers=_bearer(plain))
    assert r.status_code == 503
    assert int(r.headers["Retry-After"]) > 0
    assert r.get_json()["error"]["status"] == 503


# --- 4. tokens die with the password -----------------------------------------------------


def test_changing_ones_password_revokes_ones_tokens(client, login, make, db_session):
    lead = make.user("lead")
    _, plain = tokens.create_token(lead, "BI", "read")
    db_session.commit()
    assert client.get("/api/v1/me", headers=_bearer(plain)).status_code == 200
    login(lead)
    assert "revokes your API tokens" in client.get("/account/password").get_data(as_text=True)
    assert "revokes all your tokens" in client.get("/account/").get_data(as_text=True)
    new = "a brand new passphrase 42"
    r = client.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "new_password": new, "confirm": new},
        follow_redirects=True,
    )
    assert "Your 1 API token was revoked" in r.get_data(as_text=True)
    assert client.get("/api/v1/me", headers=_bearer(plain)).status_code == 401


def test_a_password_reset_revokes_the_users_tokens(client, login, make, db_session):
    boss = make.user("executive")
    lead = make.user("lead")
    _, plain = tokens.create_token(lead, "BI", "write")
    db_session.commit()
    login(boss)
    r = client.post(f"/admin/users/{lead.id}/reset-password")
    assert r.status_code == 200
    assert "API tokens are revoked" in r.get_data(as_text=True)
    assert client.get("/api/v1/me", headers=_bearer(plain)).status_code == 401
    db_session.expire_all()
    assert db_session.scalar(sa.select(ApiToken.revoked_at)) is not None


# --- 5. backups --------------------------------------------------------------------------


def test_export_is_readable_by_its_owner_only_and_says_it_holds_secrets(
    runner, make, db_session, tmp_path
):
    make.user("executive")
    db_session.commit()
    path = tmp_path / "backup.json"
    path.write_text("old")
    path.chmod(0o644)  # an existing file must not keep a mode that lets others read
    result = runner.invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert "password hashes" in result.output
    assert json.loads(path.read_text())["tables"]["users"]


def test_import_refuses_deep_nesting_with_a_clear_message(runner, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "too deeply" in result.output
    assert not isinstance(result.exception, RecursionError)


def test_import_refuses_a_deeply_nested_value(app, make, db_session):
    make.user("executive")
    db_session.commit()
    doc = backup.export_document()
    nested: list = []
    for _ in range(backup.MAX_JSON_DEPTH + 1):
        nested = [nested]
    doc["tables"]["audit_events"][0]["changes"] = {"x": nested}
    db_session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db_session.execute(sa.delete(table))
    db_session.commit()
    with pytest.raises(ValueError, match="too deeply"):
        backup.import_document(doc)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


# --- 6. weak keys ------------------------------------------------------------------------

WEAK_KEYS = {
    "one letter": lambda: "x",
    "one letter, 64 times": lambda: "x" * 64,
    "a repeated pattern": lambda: "0123456789abcdef" * 4,
    "16 random bytes": lambda: secrets.token_hex(16),
    "words": lambda: "correct horse battery " * 3,
}
STRONG_KEYS = {"hex": lambda: secrets.token_hex(32), "urlsafe": lambda: secrets.token_urlsafe(32)}


@pytest.mark.parametrize("kind", WEAK_KEYS)
def test_production_refuses_a_weak_secret_key(kind):
    cls = type("Prod", (config.ProductionConfig,), {"SECRET_KEY": WEAK_KEYS[kind]()})
    with pytest.raises(RuntimeError, match=r"too weak.*secrets\.token_hex\(32\)"):
        create_app(cls)


@pytest.mark.parametrize("kind", STRONG_KEYS)
def test_production_starts_with_a_random_32_byte_key(kind, database_url):
    key = STRONG_KEYS[kind]()
    attrs = {"SECRET_KEY": key, "SQLALCHEMY_DATABASE_URI": database_url}
    app = create_app(type("Prod", (config.ProductionConfig,), attrs))
    assert app.config["SECRET_KEY"] == key
    with app.app_context():
        db.engine.dispose()


# --- 7. audit growth and the pages' rate limit -------------------------------------------


def _refusals() -> int:
    db.session.commit()
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "refused")
    )


def test_a_repeated_refusal_is_audited_once_per_window(client, login, make, db_session):
    viewer = make.user("viewer")
    db_session.commit()
    login(viewer)
    for _ in range(5):
        assert client.get("/admin/users").status_code == 403
    assert _refusals() == 1
    plan = make.plan()
    db_session.commit()
    assert client.post(f"/plans/{plan.id}/edit", data={"title": "x"}).status_code == 403
    assert _refusals() == 2  # another request is recorded on its own


def test_a_refusal_is_audited_again_after_the_window(client, login, make, db_session, monkeypatch):
    viewer = make.user("viewer")
    db_session.commit()
    login(viewer)
    monkeypatch.setattr(audit, "REFUSED_WINDOW_SECONDS", 0)
    client.get("/admin/users")
    time.sleep(0.01)
    client.get("/admin/users")
    assert _refusals() == 2


def test_api_refusals_are_audited_once_per_window(client, make, db_session):
    viewer = make.user("viewer")
    _, plain = tokens.create_token(viewer, "BI", "read")
    db_session.commit()
    for _ in range(4):
        r = client.post("/api/v1/company-strategies", json={"title": "x"}, headers=_bearer(plain))
        assert r.status_code == 403
    assert _refusals() == 1


def test_pages_are_rate_limited_per_address(app_factory, monkeypatch):
    rate_clock.freeze(monkeypatch)  # the minute cannot roll over between the requests
    app = app_factory(WEB_RATE_LIMIT_PER_ADDRESS=3)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/login").status_code == 200
    r = client.get("/login")
    assert r.status_code == 429
    assert r.headers["Retry-After"] == rate_clock.FROZEN_RETRY_AFTER
    assert "Too many requests" in r.get_data(as_text=True)
    other = app.test_client()
    assert other.get("/login", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 200
    assert client.get("/healthz").status_code == 200  # probes are not counted


def test_pages_are_rate_limited_per_signed_in_user(app_factory, monkeypatch):
    rate_clock.freeze(monkeypatch)
    app = app_factory(WEB_RATE_LIMIT_PER_USER=3)
    with app.app_context():
        factories.user("viewer", email="v@example.test")
        db.session.commit()
    client = app.test_client()
    assert _post_login(client, "v@example.test", factories.PASSWORD).status_code == 302
    for n in range(3):
        assert client.get("/", environ_base={"REMOTE_ADDR": f"10.9.0.{n + 1}"}).status_code == 200
    assert client.get("/", environ_base={"REMOTE_ADDR": "10.9.0.9"}).status_code == 429


# --- 8. CSV in ";" locales -----------------------------------------------------------------


def test_csv_text_cells_are_quoted_so_no_separator_starts_a_formula(
    client, login, make, db_session
):
    viewer = make.user("viewer")
    make.plan(title="x;=1+1")
    make.plan(title="y\t+2")
    db_session.commit()
    login(viewer)
    body = client.get("/exports/plans.csv").get_data().decode("utf-8-sig")
    assert '"x;\'=1+1"' in body  # quoted, and the formula after the separator neutralised
    for separator in (",", ";", "\t"):
        for row in csv.reader(io.StringIO(body, newline=""), delimiter=separator):
            for cell in row:
                assert not cell.strip().startswith(("=", "+", "-", "@")), (separator, cell)
