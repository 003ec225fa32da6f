"""Expected-vs-actual charts on the demo's indicator, objective and plan pages, in a browser."""

from __future__ import annotations

import json
import re
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


@pytest.fixture
def watched(page):
    """The page, with CSP violations recorded from its first script on (console too)."""
    page.add_init_script(WATCH_CSP)
    csp_messages: list[str] = []
    page.on(
        "console",
        lambda m: csp_messages.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.csp_messages = csp_messages
    return page


def assert_drawn(page, chart_id: str) -> dict:
    """The chart is a drawn Plotly plot, no CSP violation happened; returns its figure JSON."""
    page.wait_for_load_state("networkidle")
    plot = page.locator(f"#{chart_id}")
    expect(plot).to_have_class(re.compile(r"\bjs-plotly-plot\b.*\bchart-drawn\b"))
    expect(plot.locator("svg.main-svg").first).to_be_attached()
    assert page.evaluate("window.__cspViolations") == []
    assert page.csp_messages == []
    return json.loads(page.locator(f"#{chart_id}-data").text_content())


# The demo's ordering objective: its own indicator and three of its plans' (one without actuals).
OBJECTIVE = "Take every order right the first time"
INDICATOR = "First-contact resolution"
PLAN = "Self-service account status and stock view for chain buyers"


def open_objective(page) -> None:
    page.goto("/objectives/")
    page.get_by_role("link", name=OBJECTIVE, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=OBJECTIVE)).to_be_visible()


def test_demo_objective_and_indicator_pages_draw_their_charts(watched, sign_in):
    page = sign_in("viewer@demo.test")
    open_objective(page)
    figure = assert_drawn(page, "chart-indicators")
    panels = [a["text"].split("<br>")[0] for a in figure["layout"]["annotations"]]
    assert panels[0] == f"{INDICATOR} (%)"
    assert len(panels) == 4  # its own indicator and those of its three plans that have one
    # one plot area per indicator, as Plotly laid them out
    drawn_axes = page.evaluate(
        "() => Object.keys(document.getElementById('chart-indicators')._fullLayout)"
        ".filter(k => /^xaxis\\d*$/.test(k)).length"
    )
    assert drawn_axes == len(panels)
    page.get_by_text("Show as table: Indicators: expected vs actual").click()
    table = page.get_by_role("table", name="Indicators: expected vs actual")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(len(panels))

    table.get_by_role("link", name=f"{INDICATOR} (%)", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=INDICATOR)).to_be_visible()
    figure = assert_drawn(page, "chart-indicator")
    assert next(t for t in figure["data"] if t["name"] == "Actual")["x"]
    expect(page.locator("#chart-indicator .gtitle")).to_have_text(INDICATOR)
    expect(page.locator("#indicator-forecast")).to_contain_text("orecast")
    page.get_by_text(f"Show as table: Expected vs actual: {INDICATOR}").click()
    expect(page.get_by_role("table", name=f"Expected vs actual: {INDICATOR}")).to_be_visible()


def test_indicator_page_as_of_a_past_date_draws_fewer_actuals(watched, sign_in):
    page = sign_in("viewer@demo.test")
    open_objective(page)
    page.locator("main").get_by_role("link", name=INDICATOR, exact=True).first.click()
    now = assert_drawn(page, "chart-indicator")
    now_x = next(t for t in now["data"] if t["name"] == "Actual")["x"]
    # The demo enters each month's actual the day after it (services.dataio.demo): on the
    # day after the last but one, the last had not come in.
    day = (date.fromisoformat(now_x[-2]) + timedelta(days=1)).isoformat()
    page.get_by_label("As of", exact=True).fill(day)
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url(f"**?as_of={day}")
    then = assert_drawn(page, "chart-indicator")
    then_x = next(t for t in then["data"] if t["name"] == "Actual")["x"]
    assert then_x == now_x[:-1]
    assert then["layout"]["meta"]["actual_date"] == then_x[-1]
    # what Plotly holds, not only the page's JSON
    drawn = page.evaluate(
        "() => document.getElementById('chart-indicator').data"
        ".find(t => t.name === 'Actual').x.length"
    )
    assert drawn == len(then_x)


def test_demo_plan_page_draws_its_indicators(watched, sign_in):
    page = sign_in("viewer@demo.test")
    open_objective(page)
    page.get_by_role("link", name=PLAN, exact=True).click()
    figure = assert_drawn(page, "chart-plan-indicators")
    assert [a["text"].split("<br>")[0] for a in figure["layout"]["annotations"]] == [
        "Order-entry errors per 1,000 lines (errors)"
    ]
