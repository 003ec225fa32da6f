"""Browser tests: the real app under gunicorn (2 workers, SQLite), driven by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
DEMO_PASSWORD = "demo-password-for-e2e"
DELIBERATE_STATUS = re.compile(r"^Failed to load resource: .* status of (401|403|409|422|429) ")
NOT_FOUND = re.compile(r"^Failed to load resource: .* status of 404 ")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz in time")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app served by gunicorn on a free port, with the demo data loaded."""
    instance = tmp_path_factory.mktemp("instance")
    env = {
        **os.environ,
        "APP_ENV": "development",
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'e2e.db'}",
        # The page limiter still runs on every request, but the whole browser suite signs in
        # as the same few demo people and walks hundreds of pages a minute (the visual check
        # alone: every page at three sizes), far past what one person does.
        "WEB_RATE_LIMIT_PER_ADDRESS": "1000000",
        "WEB_RATE_LIMIT_PER_USER": "1000000",
    }
    env.pop("SECRET_KEY", None)
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [*flask, "seed-demo", "--password", DEMO_PASSWORD],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = (instance / "server.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless; a missing browser fails the pass instead of skipping it."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _watch(pg) -> list[str]:
    """The console errors and page errors of pg, as they come (a list that fills up)."""
    problems: list[str] = []

    def on_console(message):
        # A page answered with a deliberate 4xx (a refused sign-in, a 403, an invalid form,
        # the 404 page itself) is logged by Chromium as an error; anything else the console
        # says is a failure (a 404 for a script or a stylesheet among them).
        if message.type != "error" or DELIBERATE_STATUS.search(message.text):
            return
        if NOT_FOUND.search(message.text) and message.location.get("url") == pg.url:
            return
        problems.append(message.text)

    pg.on("console", on_console)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    return problems


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context per test; console errors and page errors fail the test."""
    context = browser.new_context(base_url=live_server)
    pg = context.new_page()
    problems = _watch(pg)
    yield pg
    context.close()
    assert not problems, f"browser console errors: {problems}"


def _fill_sign_in(pg, email: str, password: str) -> None:
    pg.goto("/login")
    pg.get_by_label("Email").fill(email)
    pg.get_by_label("Password").fill(password)
    with pg.expect_navigation():
        pg.get_by_role("button", name="Sign in").click()


_SIGNED_IN: dict[str, dict] = {}  # cookies of each demo user's session, per test worker


def _still_signed_in(context) -> bool:
    """Whether the context's session is alive: the sign-in page sends a signed-in user home."""
    answer = context.request.get("/login", max_redirects=0)
    return answer.status == 302


@pytest.fixture
def page_as(browser, live_server):
    """A fresh context per test, already signed in as the given demo user (None: nobody).

    Each user signs in through the form once per worker; later contexts start from that
    session's cookies (a sign-in costs a slow password hash). Signing out ends every session
    of the user, so a kept session another test has signed out of is replaced by a new
    sign-in. Console errors fail the test.
    """
    opened = []

    def _sign_in_afresh(email: str) -> None:
        context = browser.new_context(base_url=live_server)
        _fill_sign_in(context.new_page(), email, DEMO_PASSWORD)
        _SIGNED_IN[email] = context.storage_state()
        context.close()

    def _open(email: str | None):
        if email and email not in _SIGNED_IN:
            _sign_in_afresh(email)
        context = browser.new_context(base_url=live_server, storage_state=_SIGNED_IN.get(email))
        if email and not _still_signed_in(context):
            context.close()
            _sign_in_afresh(email)
            context = browser.new_context(base_url=live_server, storage_state=_SIGNED_IN[email])
        pg = context.new_page()
        opened.append((context, _watch(pg)))
        return pg

    yield _open
    problems = [p for context, found in opened for p in found]
    for context, _ in opened:
        context.close()
    assert not problems, f"browser console errors: {problems}"


@pytest.fixture
def sign_in(page):
    """Sign in through the form as one of the demo users."""

    def _sign_in(email: str, password: str = DEMO_PASSWORD):
        _fill_sign_in(page, email, password)
        return page

    return _sign_in


def pytest_sessionstart(session):
    """Forget the visual check's counts of an earlier run (the controller, not each worker)."""
    if not hasattr(session.config, "workerinput"):
        from tests.e2e import visual

        visual.clear()


def pytest_terminal_summary(terminalreporter):
    """Say how many charts × sizes the visual check covered, and what it found."""
    from tests.e2e import visual

    line = visual.summary()
    if line:
        terminalreporter.write_line(line)
