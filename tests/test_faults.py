"""Fault tests: the database goes away under load, through a real gunicorn on loopback.

PostgreSQL (the --db=postgres pass) is stopped mid-load and started again; a SQLite file (the
SQLite pass) is held first by a writer, then under an exclusive lock. Throughout, a few
clients write actuals through the API and read the API and a page. Every answer must be a
success or a 503 with Retry-After (never a 500 or a dropped connection), every acknowledged
write must be in the database afterwards, and the same server must serve again once the
database is back. Bounded: three clients, a few seconds each phase, 10-second timeouts.
"""

from __future__ import annotations

import contextlib
import gc
import http.client
import json
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from strategy_app import create_app
from strategy_app.extensions import db
from strategy_app.services.writes import tokens
from tests import factories
from tests.conftest import _migrate, make_config
from tests.pgserver import controlled_server

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
TIMEOUT = 10  # seconds, for every request
FIRST_DAY = date(2001, 1, 1)


@dataclass
class Answer:
    """One request of the load and what came back."""

    at: float
    kind: str  # "write", "api_read", "page"
    status: int  # 0: no answer at all (connection refused or cut, timeout)
    retry_after: str | None = None
    body: str = ""
    day: date | None = None
    value: float | None = None


@dataclass
class Http:
    """A tiny HTTP client for the server on loopback: one connection per request."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def __call__(self, method: str, path: str, body: bytes | None = None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            headers = dict(headers or {})
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return response.status, response.getheader("Retry-After"), text
        finally:
            conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(url: str) -> tuple[str, int]:
    """An executive with a write token, an indicator to write actuals to: (token, its id)."""
    app = create_app(make_config(url))
    with app.app_context():
        boss = factories.user("executive", email="boss@example.test")
        indicator = factories.indicator()
        # A year: the token is stamped on conftest's clock, the load's threads run on the real one.
        _, plain = tokens.create_token(boss, "load", "write", days=365)
        db.session.commit()
        indicator_id = indicator.id
        db.engine.dispose()
    return plain, indicator_id


@contextlib.contextmanager
def serving(url: str, tmp_path: Path, **settings: str) -> Iterator[Http]:
    """gunicorn (three workers, production settings) on a free loopback port, up and answering."""
    port = _free_port()
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path),
        "API_RATE_LIMIT_PER_TOKEN": "100000",
        "API_RATE_LIMIT_PER_ADDRESS": "100000",
        "WEB_RATE_LIMIT_PER_ADDRESS": "100000",
        "WEB_RATE_LIMIT_PER_USER": "100000",
        **settings,
    }
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [str(GUNICORN), "-w", "3", "-b", f"127.0.0.1:{port}", "--timeout", "30", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = Http(port)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
            with contextlib.suppress(OSError):
                if client("GET", "/healthz")[0] == 200:
                    break
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz in 30 s"
            time.sleep(0.1)
        yield client
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _sign_in(client: Http) -> None:
    status, _, page = client("GET", "/login")
    assert status == 200
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"email": "boss@example.test", "password": factories.PASSWORD, "csrf_token": csrf}
    status, _, _ = client(
        "POST",
        "/login",
        urlencode(form).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 302


class Load:
    """One client thread per kind of request (writing an actual through the API, reading the
    API, reading a page), each in a loop until stopped; every answer is kept. Separate
    threads, so that a write held up by a lock does not hold up the reads."""

    def __init__(self, server: Http, token: str, indicator_id: int):
        self.server, self.token, self.indicator_id = server, token, indicator_id
        self.answers: list[Answer] = []
        self.stop = threading.Event()
        self.start = time.monotonic()
        self._lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(kind,), daemon=True)
            for kind in ("write", "api_read", "page")
        ]

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=2 * TIMEOUT)
        assert not any(t.is_alive() for t in self.threads), "a client hung"

    def now(self) -> float:
        return time.monotonic() - self.start

    def _run(self, kind: str) -> None:
        client = Http(self.server.port, dict(self.server.cookies))  # signed in, for the page
        auth = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        base = f"/api/v1/indicators/{self.indicator_id}/measurements"
        n = 0
        while not self.stop.is_set():
            extra, body = {}, None
            if kind == "write":
                day, value = FIRST_DAY + timedelta(days=n), 1000.0 + n
                body = json.dumps({"date": day.isoformat(), "value": value, "note": "load"})
                request = ("POST", base, body.encode(), auth)
                extra = {"day": day, "value": value}
                n += 1
            elif kind == "api_read":
                request = ("GET", f"{base}?per_page=5", None, auth)
            else:
                request = ("GET", "/objectives/", None, None)
            at = self.now()
            try:
                status, retry_after, text = client(*request)
            except OSError as exc:  # refused, reset, timed out: the server did not answer
                status, retry_after, text = 0, None, repr(exc)
            with self._lock:
                self.answers.append(Answer(at, kind, status, retry_after, text[:300], **extra))

    def during(self, start: float, end: float, kind: str | None = None) -> list[Answer]:
        return [a for a in self.answers if start <= a.at < end and (kind is None or a.kind == kind)]


def _wait_until(check: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "no recovery in time"
        time.sleep(0.1)


def _healthy(server: Http) -> bool:
    with contextlib.suppress(OSError):
        return server("GET", "/healthz")[0] == 200
    return False


def _assert_answers(load: Load) -> None:
    """Only successes and 503s with Retry-After, each 503 in the right shape."""
    statuses = {}
    for a in load.answers:
        statuses[(a.kind, a.status)] = statuses.get((a.kind, a.status), 0) + 1
    allowed = {"write": {201, 503}, "api_read": {200, 503}, "page": {200, 503}}
    print("answers (kind, status): count", dict(sorted(statuses.items())))  # shown with -s
    wrong = [a for a in load.answers if a.status not in allowed[a.kind]]
    assert wrong == [], (statuses, wrong[:3])
    for a in load.answers:
        if a.status != 503:
            continue
        assert a.retry_after, a
        assert int(a.retry_after) > 0, a
        if a.kind == "page":
            assert "Temporarily unavailable" in a.body, a
        else:
            assert json.loads(a.body)["error"]["status"] == 503, a


def _assert_recovered(load: Load, since: float) -> None:
    """Every kind of request succeeded after the database came back."""
    for kind in ("write", "api_read", "page"):
        after = load.during(since, float("inf"), kind)
        assert after, f"no {kind} after recovery"
        assert all(a.status in (200, 201) for a in after), (kind, after[:3])


def _assert_no_write_lost(load: Load, url: str, indicator_id: int) -> None:
    acknowledged = {a.day: a.value for a in load.answers if a.kind == "write" and a.status == 201}
    assert acknowledged
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        stored = dict(
            conn.execute(
                sa.text("SELECT date, value FROM measurements WHERE indicator_id = :i"),
                {"i": indicator_id},
            ).all()
        )
    engine.dispose()
    stored = {date.fromisoformat(str(d)[:10]): v for d, v in stored.items()}
    lost = {d: v for d, v in acknowledged.items() if stored.get(d) != v}
    assert lost == {}


@pytest.fixture
def collect_dead_connections():
    """The server is stopped under the test's own set-up connections too; collect what is
    left of them here, so that their close-at-exit warning is not raised in a later test."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.mark.postgres_only
@pytest.mark.usefixtures("collect_dead_connections")
def test_postgresql_stopped_under_load_gives_503s_and_recovers(tmp_path):
    with controlled_server("strategy_faults") as pg:
        _migrate(pg.url)
        token, indicator_id = _seed(pg.url)
        with serving(pg.url, tmp_path) as server:
            _sign_in(server)
            with Load(server, token, indicator_id) as load:
                time.sleep(1.0)
                stopped = load.now()
                pg.stop()
                time.sleep(2.0)
                assert not _healthy(server)
                pg.start()
                restarted = load.now()
                _wait_until(lambda: _healthy(server), 15)
                recovered = load.now()
                time.sleep(1.5)
            _assert_answers(load)
            down = load.during(stopped + 0.5, restarted)
            assert {a.kind for a in down if a.status == 503} == {"write", "api_read", "page"}
            assert load.during(0, stopped, "write"), "no load before the stop"
            _assert_recovered(load, recovered + 0.2)
        _assert_no_write_lost(load, pg.url, indicator_id)


@pytest.mark.sqlite_only
def test_sqlite_file_locked_under_load_gives_503s_and_recovers(tmp_path):
    """Another process holds the file's exclusive (write) lock: in WAL mode readers go on at
    once, writers give up after the busy timeout with a 503, and all resume after it."""
    url = f"sqlite:///{tmp_path / 'faults.db'}"
    _migrate(url)
    token, indicator_id = _seed(url)
    busy_ms = 800
    with serving(url, tmp_path, SQLITE_BUSY_TIMEOUT_MS=str(busy_ms)) as server:
        _sign_in(server)
        holder = sqlite3.connect(tmp_path / "faults.db", isolation_level=None, timeout=10)
        with Load(server, token, indicator_id) as load:
            time.sleep(1.0)
            locked = load.now()
            holder.execute("BEGIN EXCLUSIVE")
            holder.execute("UPDATE users SET name = name")
            time.sleep(3.0)
            holder.execute("ROLLBACK")
            released = load.now()
            time.sleep(1.5)
        holder.close()
        _assert_answers(load)
        writes = load.during(locked + 0.1, released - busy_ms / 1000 - 0.2, "write")
        assert any(a.status == 503 for a in writes), writes
        held = load.during(locked + 0.1, released)
        reads = [a for a in held if a.kind != "write"]
        assert reads, "no reads while the lock was held"
        assert all(a.status == 200 for a in reads), [a for a in reads if a.status != 200][:3]
        assert load.during(0, locked, "write"), "no load before the lock"
        _assert_recovered(load, released + 0.1)
    _assert_no_write_lost(load, url, indicator_id)
