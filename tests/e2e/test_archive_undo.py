"""Archive safely, in the browser (issue 15): objectives, indicators and strategies too.

With the keyboard alone an executive archives an objective after a confirmation that says
what goes with it, finds "Undo" focused right after, and brings it back. The confirmation,
the archived banner and the polite refusal of an archived thing's edit page pass axe and fit
375 px. Each test leaves the shared demo as it found it (what it archives, it restores).
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.test_keyboard_walk import assert_focus, press_and_wait, tab_to

pytestmark = pytest.mark.e2e

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE = Axe()
SHOTS = os.environ.get("ARCHIVE_SHOTS")  # a folder: screenshots are written there


def _first(page: Page, where: str, pattern: str) -> str:
    page.goto(where)
    hrefs = page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return next(h for h in hrefs if re.fullmatch(pattern, h or ""))


def _axe_clean(page: Page) -> None:
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    violations = results.response["violations"]
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in violations]


def _fits_a_phone(page: Page, name: str) -> None:
    for width in (1440, 375):
        page.set_viewport_size({"width": width, "height": 900})
        deadline = time.monotonic() + 3  # charts follow the window after a debounce
        while True:
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow <= 0 or time.monotonic() > deadline:
                break
            page.wait_for_timeout(100)
        assert overflow <= 0, f"{name} at {width} px scrolls sideways by {overflow} px"
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_archive_an_objective_and_undo_it_with_the_keyboard(page_as):
    page = page_as("ceo@demo.test")
    objective = _first(page, "/objectives/", r"/objectives/\d+")
    page.goto(objective)
    title = page.locator("main h1").inner_text()

    tab_to(page, 'main a[href$="/archive"]')
    press_and_wait(page)
    assert page.url.endswith(f"{objective}/archive")
    effects = page.locator("#archive-effects")
    expect(effects).to_contain_text("plan")
    expect(effects).to_contain_text("indicator")
    expect(page.locator("main")).to_contain_text("Nothing is deleted")
    tab_to(page, "#confirm-archive")
    press_and_wait(page)

    expect(page.locator("#undo-alert")).to_contain_text("archived")
    assert_focus(page, "#undo-button")  # Undo is right there, focused
    press_and_wait(page)
    expect(page.locator("main")).to_contain_text("restored")
    page.goto(objective)
    expect(page.locator("#archived-banner")).to_have_count(0)
    assert title in page.locator("main h1").inner_text()


@pytest.mark.parametrize(
    ("kind", "where", "pattern"),
    [
        ("objective", "/objectives/", r"/objectives/\d+"),
        ("service", "/strategy/", r"/strategy/service/\d+"),
    ],
)
def test_confirmation_banner_and_refusal_pass_axe_and_fit_a_phone(page_as, kind, where, pattern):
    page = page_as("ceo@demo.test")
    thing = _first(page, where, pattern)
    page.goto(f"{thing}/archive")
    expect(page.locator("#archive-effects li").first).to_be_visible()
    _axe_clean(page)
    _fits_a_phone(page, f"{kind}-confirm")

    with page.expect_navigation():
        page.locator("#confirm-archive").click()
    try:
        page.goto(thing)
        expect(page.locator("#archived-banner")).to_contain_text("Archived")
        expect(page.locator("#restore-button")).to_be_visible()
        expect(page.locator(f'main a[href="{thing}/edit"]')).to_have_count(0)
        _axe_clean(page)
        _fits_a_phone(page, f"{kind}-archived")

        response = page.goto(f"{thing}/edit")
        assert response is not None
        assert response.status == 409
        expect(page.locator("main")).to_contain_text("is archived")
        _axe_clean(page)
        _fits_a_phone(page, f"{kind}-refusal")
        with page.expect_navigation():
            page.locator("#restore-button").click()
        expect(page.locator("main")).to_contain_text("restored")
    finally:  # leave the shared demo as it was, whatever failed above
        page.goto(thing)
        if page.locator("#restore-button").count():
            with page.expect_navigation():
                page.locator("#restore-button").click()


def test_a_department_without_plans_says_why_its_bars_are_missing(page_as):
    """The dashboard's execution-vs-results chart: no false 0 % for a new department."""
    page = page_as("ceo@demo.test")
    name = f"Care {uuid.uuid4().hex[:6]}"
    page.goto("/admin/departments/new")
    page.get_by_label("Name").first.fill(name)
    page.get_by_label("Short name").fill(name.lower().replace(" ", "-"))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    page.goto("/admin/departments")
    row = page.locator("main tr", has_text=name)
    department = row.locator('a[href$="/archive"]').get_attribute("href")
    assert department is not None
    try:
        page.goto("/")
        chart = page.locator("#chart-execution")
        expect(chart).to_contain_text("no plan yet")
        expect(chart).to_contain_text("no indicator yet")
        _fits_a_phone(page, "dashboard-missing-bars")
        for width in (1440, 375):
            if SHOTS:
                page.set_viewport_size({"width": width, "height": 900})
                page.wait_for_timeout(500)  # the chart follows the window
                chart.screenshot(path=f"{SHOTS}/chart-missing-bars-{width}.png")
    finally:  # the new department leaves the demo's lists again
        page.goto(department)
        expect(page.locator("main h1")).to_contain_text(name)
        with page.expect_navigation():
            page.locator("#confirm-archive").click()
