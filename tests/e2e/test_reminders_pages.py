"""Reminder pages in the browser: the account page's settings and the admin's webhooks, with the
keyboard alone; the unsubscribe page; axe and 375 px on each; screenshots for a look."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from itsdangerous import URLSafeSerializer

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SHOTS = Path(os.environ.get("SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "reminder-shots")


def check(page, name: str) -> None:
    """No axe violation, no sideways scroll at 375 px; screenshots at 375, 1440 and 1920."""
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    assert results.response["violations"] == [], results.generate_report()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1920, 1440, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(50)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    wide = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(wide) <= 0, f"{name} scrolls sideways at 375 px"


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching selector has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_reminder_settings_with_the_keyboard(page_as):
    page = page_as("member@demo.test")
    page.goto("/account/")
    assert "every Monday" in page.locator("#reminders + p").inner_text()
    tab_to(page, "#frequency")
    page.keyboard.press("ArrowDown")  # Once a week → Every day
    tab_to(page, "form[action$='/account/reminders'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Reminders: every day." in page.locator(".alert-success").inner_text()
    assert page.locator("#frequency").input_value() == "daily"
    check(page, "account")
    page.locator("#frequency").select_option("weekly")
    page.locator("#weekday").select_option("0")
    page.get_by_role("button", name="Save reminder settings").click()


def test_webhooks_admin_with_the_keyboard(page_as):
    page = page_as("ceo@demo.test")
    page.goto("/admin/webhooks")
    tab_to(page, "#name")
    page.keyboard.type("Metadata")
    page.keyboard.press("Tab")
    page.keyboard.type("http://169.254.169.254/latest/meta-data/")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    url = page.locator("#url")
    assert url.get_attribute("aria-invalid") == "true"
    assert "link-local" in page.locator("#url-errors").inner_text()
    assert url.input_value() == "http://169.254.169.254/latest/meta-data/"  # kept as typed
    check(page, "webhooks-refused")
    url.fill("https://203.0.113.10/services/T000/B000/XXXX")
    page.locator("#name").fill("#strategy in Slack")
    with page.expect_navigation():
        page.get_by_role("button", name="Add webhook").click()
    assert "“#strategy in Slack” added" in page.locator(".alert-success").inner_text()
    names = page.locator("#webhooks th[scope=row]").all_inner_texts()
    assert [n.splitlines()[0] for n in names] == ["#strategy in Slack"]
    check(page, "webhooks")
    with page.expect_navigation():
        page.get_by_role("link", name="Archive #strategy in Slack").click()
    assert "Archive the webhook “#strategy in Slack”?" in page.locator("h1").inner_text()
    check(page, "webhook-archive-confirm")
    with page.expect_navigation():
        page.get_by_role("button", name="Archive the webhook").click()
    assert page.locator("#webhooks").count() == 0  # none live now
    with page.expect_navigation():
        page.locator("#undo-button").click()  # Undo, right there
    names = page.locator("#webhooks th[scope=row]").all_inner_texts()
    assert [n.splitlines()[0] for n in names] == ["#strategy in Slack"]


def test_failed_deliveries_show_and_can_be_sent_again(page_as, tmp_path_factory):
    """A delivery that failed (written straight into the live server's database)."""
    (path,) = {p.resolve() for p in tmp_path_factory.getbasetemp().glob("instance*/e2e.db")}
    with sqlite3.connect(path) as conn:
        now = "2026-06-15 07:00:00.000000"
        hook = conn.execute(
            "INSERT INTO webhooks (name, url, events, active, created_at, updated_at)"
            " VALUES ('Teams: leadership', 'https://203.0.113.20/webhookb2/x', '[\"off_track\"]',"
            " 0, ?, ?)",
            (now, now),
        ).lastrowid
        conn.execute(
            "INSERT INTO webhook_deliveries (webhook_id, event, payload, status, attempts,"
            " next_attempt_at, last_error, created_at, updated_at)"
            " VALUES (?, 'off_track', '{}', 'failed', 5, ?, 'The receiver answered 500.', ?, ?)",
            (hook, now, now, now),
        )
    page = page_as("ceo@demo.test")
    page.goto("/admin/webhooks")
    assert "could not be delivered" in page.locator("#failed-count").inner_text()
    check(page, "webhooks-failed")
    with page.expect_navigation():
        page.locator("#deliveries form[action$='/retry'] button").click()
    assert "Queued again" in page.locator(".alert-success").inner_text()


def test_outbox_page(page_as):
    page = page_as("ceo@demo.test")
    page.goto("/admin/outbox")
    assert page.get_by_role("heading", name="Outbox").count() == 1
    check(page, "outbox")


@pytest.fixture
def unsubscribe_path(tmp_path_factory) -> str:
    """The unsubscribe link of the member (signed with the live server's generated key)."""
    keys = list({p.resolve() for p in tmp_path_factory.getbasetemp().glob("instance*/secret_key")})
    assert len(keys) == 1, keys
    serializer = URLSafeSerializer(keys[0].read_text().strip(), salt="reminder-unsubscribe")
    return serializer


def test_unsubscribe_page(page_as, unsubscribe_path):
    admin = page_as("ceo@demo.test")
    admin.goto("/admin/users")
    row = admin.locator("main tr", has_text="member@demo.test")
    href = row.locator("a[href$='/edit']").first.get_attribute("href")
    user_id = int(href.split("/")[3])
    token = unsubscribe_path.dumps({"u": user_id, "e": "member@demo.test"})
    page = page_as(None)
    page.goto(f"/account/unsubscribe/{token}")
    assert page.get_by_role("button", name="Stop reminder e-mails").count() == 1
    check(page, "unsubscribe")
