"""The 503 page (the database away) in Chromium: our layout, styled, accessible, 375 px wide.

The app runs under gunicorn pointed at a PostgreSQL address where nothing listens, so every
page that needs the database answers the self-contained 503 page.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import BIN, ROOT, _free_port
from tests.e2e.test_accessibility import WCAG_AA

SHOTS = os.environ.get("E2E_SCREENSHOTS")  # a directory: keep the screenshots there


@pytest.fixture(scope="module")
def database_away(tmp_path_factory):
    """gunicorn serving the app with no database behind it; yields its base URL."""
    instance = tmp_path_factory.mktemp("unavailable")
    env = {
        **os.environ,
        "APP_ENV": "development",
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{_free_port()}/gone",
    }
    env.pop("SECRET_KEY", None)
    port = _free_port()
    log = (instance / "server.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (instance / "server.log").read_text()
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2)  # noqa: S310
            except urllib.error.HTTPError as exc:
                if exc.code == 503:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_the_503_page_is_styled_accessible_and_fits_375px(browser, database_away):
    context = browser.new_context(base_url=database_away)
    page = context.new_page()
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))

    def on_response(r):  # every file the page loads (the page itself is the 503)
        if r.request.resource_type != "document" and r.status >= 400:
            failed.append(r.url)

    page.on("response", on_response)
    response = page.goto("/objectives/")
    assert response is not None
    assert response.status == 503
    assert response.headers["retry-after"]
    assert page.get_by_role("heading", level=1).inner_text() == "503 · Temporarily unavailable"
    assert page.get_by_role("link", name="Strategy tracker").is_visible()
    # the stylesheets loaded (without a database): the navigation bar is dark
    background = page.eval_on_selector("nav", "n => getComputedStyle(n).backgroundColor")
    assert background != "rgba(0, 0, 0, 0)"
    assert failed == []
    violations = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    assert violations.response["violations"] == []
    for width in (375, 1440, 1920):
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, width
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"unavailable-{width}.png"), full_page=True)
    page.keyboard.press("Tab")  # the skip link comes first, then the page's links
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to content"
    context.close()
