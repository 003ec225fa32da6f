"""Charts in a real browser: drawn by Plotly from the page's JSON, under the strict CSP."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

# Every securitypolicyviolation event of the page, kept where the test can read it.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
});
"""


@dataclass
class Watched:
    """A page whose CSP violations are recorded from its first script on (console too)."""

    page: object
    console: list[str] = field(default_factory=list)


@pytest.fixture
def watched(page):
    page.add_init_script(WATCH_CSP)
    seen = Watched(page)
    page.on(
        "console",
        lambda m: seen.console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return seen


def assert_charts_drawn(seen: Watched, at_least: int) -> int:
    """Every chart container holds a Plotly plot with its SVG; no CSP violation happened."""
    page = seen.page
    page.wait_for_load_state("networkidle")
    containers = page.locator("[data-figure]")
    count = containers.count()
    assert count >= at_least
    for k in range(count):
        plot = containers.nth(k)
        expect(plot).to_have_class(re.compile(r"\bjs-plotly-plot\b.*\bchart-drawn\b"))
        expect(plot.locator("svg.main-svg").first).to_be_attached()
    assert page.locator(".js-plotly-plot").count() == count
    assert page.evaluate("window.__cspViolations") == []
    assert seen.console == []
    return count


def test_dashboard_draws_its_charts(watched, sign_in):
    page = sign_in("viewer@demo.test")
    assert assert_charts_drawn(watched, 4) >= 4
    for title in (
        "Objectives by status per service strategy",
        "Execution vs results",
        "Overdue plans per department",
    ):
        expect(page.locator(".js-plotly-plot .gtitle", has_text=title)).to_be_visible()
    # the table view opens without JavaScript's help
    page.get_by_text("Show as table: Overdue plans per department").click()
    table = page.get_by_role("table", name="Overdue plans per department")
    expect(table).to_be_visible()
    expect(table.get_by_role("rowheader", name="Logistics")).to_be_visible()


def test_timeline_and_strategy_map_draw(watched, sign_in):
    page = sign_in("ceo@demo.test")
    page.goto("/timeline/")
    assert_charts_drawn(watched, 1)
    expect(page.locator(".js-plotly-plot .shapelayer path")).to_have_count(1)  # today's line
    expect(page.locator(".js-plotly-plot text", has_text="✖ overdue").first).to_be_attached()
    page.goto("/strategy-map/")
    assert_charts_drawn(watched, 1)
    expect(page.locator(".js-plotly-plot g.slice").first).to_be_attached()
    expect(page.locator(".js-plotly-plot text", has_text="supports ✓").first).to_be_attached()


def status_counts(page) -> dict[str, int]:
    return {
        s: int(page.locator(f'#status-counts [data-status="{s}"]').inner_text())
        for s in ("on_track", "at_risk", "off_track", "no_data")
    }


def test_as_of_a_past_date_shows_the_older_status(watched, sign_in):
    page = sign_in("viewer@demo.test")
    now = status_counts(page)
    assert now["no_data"] < sum(now.values())  # the demo has actuals today
    # The demo's objectives were set 160 days ago (services.dataio.demo): a day later, few
    # actuals had come in, and the objectives stood as they were then.
    long_ago = date.today() - timedelta(days=159)
    page.get_by_label("As of", exact=True).fill(long_ago.isoformat())
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url(f"**/?as_of={long_ago.isoformat()}")
    expect(page.get_by_text(f"as they stood on {long_ago.day} {long_ago:%B %Y}")).to_be_visible()
    expect(page.get_by_role("link", name="Back to today")).to_be_visible()
    then = status_counts(page)
    # other browser tests share this server and may add objectives: compare, don't assume
    assert 0 < sum(then.values()) <= sum(now.values())
    assert then != now
    # the chart drew the older figures as well
    assert_charts_drawn(watched, 3)
    figure = json.loads(page.locator("#chart-by-service-data").text_content())
    by_status = {t["name"]: sum(t["x"]) for t in figure["data"]}
    assert by_status["○ No data"] == then["no_data"]
    assert by_status["● On track"] == then["on_track"]
    drawn = page.evaluate(
        "() => document.getElementById('chart-by-service').data"
        ".map(t => t.x.reduce((a, b) => a + b, 0))"
    )
    assert drawn[-1] == then["no_data"]  # what Plotly holds, not only the page's JSON
