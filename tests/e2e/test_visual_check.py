"""The visual check (tests/e2e/visual.py) on every page with charts, at a phone's, a laptop's
and a projector's width; on every meeting slide at 1920 × 1080; on the printable report."""

from __future__ import annotations

import re

import pytest

from tests.e2e import visual

pytestmark = pytest.mark.e2e

SIZES = ((375, 812), (1440, 900), (1920, 1080))
SLIDE = {"width": 1920, "height": 1080}
INDICATOR_LINK = r"^/objectives/indicators/(\d+)$"


def _links(page, where: str, pattern: str) -> list[str]:
    """The ids in the links of where's main content that match pattern, in page order."""
    page.goto(where)
    hrefs = page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    found = [m.group(1) for h in hrefs if (m := re.match(pattern, h or ""))]
    return list(dict.fromkeys(found))


def _paths(page, kind: str) -> list[str]:
    """The demo's pages of a kind: every objective, plan and department; their indicators."""
    if kind == "dashboard":
        return ["/"]
    if kind == "cascade":
        return ["/strategy/"]
    if kind == "timeline":
        return ["/timeline/"]
    if kind == "objective":
        return [f"/objectives/{i}" for i in _links(page, "/objectives/", r"^/objectives/(\d+)$")]
    if kind == "plan":
        return [f"/plans/{i}" for i in _links(page, "/plans/", r"^/plans/(\d+)$")][:12]
    if kind == "indicator":
        objective = _links(page, "/objectives/", r"^/objectives/(\d+)$")[0]
        found = _links(page, f"/objectives/{objective}", INDICATOR_LINK)
        return [f"/objectives/indicators/{i}" for i in found]
    if kind == "department":
        return [f"/departments/{s}" for s in _links(page, "/departments/", r"^/departments/(\w+)$")]
    raise AssertionError(kind)


# How much wider than its box the table captioned so is (it would scroll inside the box).
WIDE_TABLE = """
(caption) => {
  const table = [...document.querySelectorAll("main table")].find(
    (t) => t.caption && t.caption.textContent.startsWith(caption));
  return table ? table.scrollWidth - table.parentElement.clientWidth : 0;
}
"""

KINDS = ("dashboard", "cascade", "objective", "plan", "indicator", "department", "timeline")


@pytest.mark.parametrize("kind", KINDS)
def test_charts_of_every_page_fit_at_every_size(page_as, kind):
    page = page_as("ceo@demo.test")
    paths = _paths(page, kind)
    assert paths, f"the demo has no {kind} page"
    found = visual.Found()
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for path in paths:
            page.goto(path)
            visual.wait_for_charts(page)
            seen = visual.check(page, f"{path} at {width} px")
            found.charts += seen.charts
            found.problems += seen.problems
            if kind == "plan":  # its indicators' status and "Enter an actual" in sight
                wide = page.evaluate(WIDE_TABLE, "Indicators of this plan")
                if wide > 0:
                    found.problems.append(
                        f"{path} at {width} px: its indicators' table is {wide} px too wide"
                    )
    visual.record(kind, found, len(SIZES))
    if kind != "cascade":  # the cascade page is text; it must still not scroll sideways
        assert found.charts >= len(SIZES), f"no chart drawn on the {kind} pages"
    assert not found.problems, f"{len(found.problems)} problems:\n" + "\n".join(found.problems)


LONG_VISION = """
() => {
  const vision = document.querySelector('.slide.is-current .vision');
  if (!vision) throw new Error('the overview slide shows no vision');
  vision.textContent = (vision.textContent + ' ').repeat(30);
}
"""


def test_every_meeting_slide_fits_a_projector(page_as):
    page = page_as("viewer@demo.test")
    page.set_viewport_size(SLIDE)
    page.goto("/meeting")
    visual.wait_for_charts(page)
    total = page.locator("[data-slide]").count()
    found = visual.Found()
    titles = []
    for n in range(total):
        if n:
            page.keyboard.press("ArrowRight")
        counter = " ".join(page.locator("#meeting-counter").inner_text().split())
        assert counter.startswith(f"Slide {n + 1} of {total}"), counter
        titles.append(counter.split(": ", 1)[-1])
        visual.wait_for_charts(page)
        where = f"slide {n + 1} ({titles[-1]})"
        seen = visual.check(page, where, vertical=True, min_font=visual.MEETING_FONT)
        found.charts += seen.charts
        found.problems += seen.problems
        if n == 0:  # the overview fits with a vision of any length (it keeps to two lines)
            page.evaluate(LONG_VISION)
            found.problems += visual.check(
                page, f"{where} with a long vision", vertical=True
            ).problems
    visual.record("meeting", found, 1)
    assert found.charts >= 4
    # every department gets its expected-vs-actual slide, every off-track objective its own
    # (the deck gives the first eight their slides), all reached above with → alone
    departments = page.locator("#meeting-scorecards tbody th").all_inner_texts()
    assert departments
    for name in departments:
        assert f"{name}: expected vs actual" in titles, name
    off_track = page.locator("[id^='meeting-troubled'] tr:has(.status-off_track) th")
    assert off_track.count(), "the demo's deck lists no off-track objective"
    for name in off_track.all_inner_texts()[:8]:
        assert name in titles, name
    assert not found.problems, f"{len(found.problems)} problems:\n" + "\n".join(found.problems)


@pytest.mark.parametrize("printing", [False, True], ids=["report", "print-view"])
def test_the_printable_report_fits(page_as, printing):
    page = page_as("viewer@demo.test")
    found = visual.Found()
    sizes = ((794, 1123),) if printing else SIZES  # an A4 page at 96 dpi
    for width, height in sizes:
        page.set_viewport_size({"width": width, "height": height})
        if printing:
            page.emulate_media(media="print")
        page.goto("/exports/report" + ("?print=1" if printing else ""))
        visual.wait_for_charts(page)
        seen = visual.check(page, f"report at {width} px{' (print)' if printing else ''}")
        found.charts += seen.charts
        found.problems += seen.problems
    visual.record("print-view" if printing else "report", found, len(sizes))
    assert found.charts >= 2
    assert not found.problems, f"{len(found.problems)} problems:\n" + "\n".join(found.problems)


def test_the_summary_line_adds_up_every_page_check(tmp_path, monkeypatch):
    """The line the run ends with: charts × sizes and problems of every test, in any worker."""
    monkeypatch.setenv("VISUAL_TALLY_DIR", str(tmp_path))
    assert visual.summary() is None  # nothing checked, nothing said
    visual.record("dashboard", visual.Found(6, []), 3)
    visual.record("meeting", visual.Found(12, ["slide 4: a", "slide 9: b"]), 1)
    line = visual.summary()
    assert line.startswith("visual check: 18 charts × sizes checked, 2 problems")
    assert line.endswith("in 2 page checks")
    visual.clear()
    assert visual.summary() is None
