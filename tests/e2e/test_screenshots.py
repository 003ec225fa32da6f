"""The README's screenshots, taken from the demo data by the browser suite.

They go to a temporary folder on every run (so the suite proves they can be taken); with
UPDATE_SCREENSHOTS=1 they replace docs/screenshots/*.png, which the README shows:

    UPDATE_SCREENSHOTS=1 .venv/bin/pytest tests/e2e/test_screenshots.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e import visual

pytestmark = pytest.mark.e2e

HAS_TABLE = """() => [...document.querySelectorAll("main table")].find(
  (t) => t.caption && t.caption.textContent.startsWith("Indicators of this plan"))"""
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def folder(tmp_path) -> Path:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        return DOCS
    return tmp_path


def _take(page, path: str, size: tuple[int, int], out: Path, *, before=None) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(path)
    visual.wait_for_charts(page)
    if before:
        before(page)
        page.wait_for_timeout(300)
    assert not visual.check(page, path).problems
    page.screenshot(path=str(out))
    assert out.stat().st_size > 10_000  # a page was drawn, not a blank


def test_readme_screenshots(page_as, folder):
    page = page_as("ceo@demo.test")
    _take(page, "/", (1440, 900), folder / "dashboard.png")
    _take(
        page,
        "/meeting#slide-department-sales-results",
        (1920, 1080),
        folder / "meeting-slide.png",
    )
    _take(
        page,
        "/departments/sales",
        (1440, 1000),
        folder / "department.png",
        before=lambda p: p.locator("#scorecard-h").scroll_into_view_if_needed(),
    )
    page.goto("/plans/?department=sales")
    links = page.eval_on_selector_all(
        "main a[href^='/plans/']", "links => links.map(a => a.getAttribute('href'))"
    )
    for href in (h for h in links if h.rstrip("/").split("/")[-1].isdigit()):
        page.goto(href)
        if page.evaluate(HAS_TABLE):
            break
    _take(
        page,
        href,
        (375, 812),
        folder / "phone-plan.png",
        # from the heading of its indicators: the table, the status and "Enter an actual"
        before=lambda p: p.evaluate(f"() => ({HAS_TABLE})().closest('section').scrollIntoView()"),
    )
