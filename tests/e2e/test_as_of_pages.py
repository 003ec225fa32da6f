"""The pages of "as of a date" in the browser: comparing two days, the banner of the past and
the refusal of a form opened in the past — axe finds nothing, they fit 375 px, the keyboard
reaches them, and a screenshot of each at 375, 1440 and 1920 px is kept for a person to look at.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE = Axe()
SHOTS = Path(os.environ.get("AS_OF_SHOTS", "/tmp/as-of-screenshots"))  # noqa: S108
SIZES = ((375, 800), (1440, 900), (1920, 1080))
MONTHS_AGO = (date.today() - timedelta(days=60)).isoformat()  # the demo's story is around today


WIDER_THAN_THE_WINDOW = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)"""


def _first(page, where: str, pattern: str) -> str:
    page.goto(where)
    hrefs = page.eval_on_selector_all("main a[href]", "a => a.map(x => x.getAttribute('href'))")
    return next(h for h in hrefs if re.match(pattern, h or ""))


def _check(page, url: str, name: str, status: int = 200) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == status, url
    page.wait_for_load_state("load")
    violations = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    found = violations.response["violations"]
    assert not found, f"{url}: {[(v['id'], v['nodes'][0]['target']) for v in found]}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"))
        sideways = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        wide = page.evaluate(WIDER_THAN_THE_WINDOW) if sideways > 0 else []
        assert sideways <= 0, f"{url} scrolls sideways by {sideways} px at {width} px: {wide}"


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("changes-company", "/reports/changes"),
        ("changes-department", "/reports/changes?department=sales"),
        ("past-dashboard", f"/?as_of={MONTHS_AGO}"),
    ],
)
def test_pages_pass_axe_and_fit(page_as, name, path):
    _check(page_as("ceo@demo.test"), path, name)


def test_an_objective_of_the_past_leads_to_what_changed_since(page_as):
    page = page_as("ceo@demo.test")
    objective = _first(page, "/objectives/", r"^/objectives/\d+$")
    _check(page, f"{objective}?as_of={MONTHS_AGO}", "past-objective")
    # The keyboard reaches the banner's link; Enter opens the comparison for that objective.
    page.set_viewport_size({"width": 1440, "height": 900})
    link = page.locator("#past-changes")
    for _ in range(40):
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the keyboard never reached 'What changed since then'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/reports/changes\?from=.*&objective=\d+$"))
    assert page.locator("h1").inner_text().startswith("What changed for “")
    _check(page, page.url, "changes-objective")


def test_a_form_opened_in_the_past_says_so(page_as):
    page = page_as("ceo@demo.test")
    objective = _first(page, "/objectives/", r"^/objectives/\d+$")
    _check(page, f"{objective}/edit?as_of={MONTHS_AGO}", "past-form", status=409)
    assert "the past cannot be changed" in page.locator("main").inner_text()
    page.get_by_role("link", name="Today's version of this page").click()
    page.wait_for_url(re.compile(rf"{objective}/edit$"))
    assert page.locator("main form").count() >= 1
