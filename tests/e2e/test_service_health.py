"""Service health in a real browser: a lead scores the checklist, sees the radar with the previous
assessment overlaid, and turns the weak element into an action plan in one form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from strategy_app.services.evaluation import checklist
from tests.e2e.test_dashboard_charts import assert_charts_drawn, watched  # noqa: F401

pytestmark = pytest.mark.e2e

OBJECTIVE = "Take every order right the first time"


def test_a_lead_assesses_compares_and_plans_from_a_weak_element(watched, sign_in):  # noqa: F811
    page = sign_in("sales.lead@demo.test")
    page.get_by_role("link", name="Service health", exact=True).click()
    expect(page).to_have_url(re.compile(r"/service-health$"))
    expect(page.locator("#verdict")).to_contain_text("Not yet on track")  # the demo's latest
    page.get_by_role("link", name="New assessment").click()
    expect(page.get_by_role("heading", name="New assessment")).to_be_visible()

    # Systems is answered "a little" or "not at all"; everything else "largely" or "fully".
    for n, statement in enumerate(checklist.statements()):
        name = statement.key.replace(".", "_")
        score = (1 if n % 2 else 0) if statement.key.startswith("systems.") else 3 + n % 2
        page.locator(f"#score_{name}-{score + 1}").check()
    page.get_by_label("Comment on Systems, statement 3 (optional)").fill(
        "Agents still switch screens <b>three</b> times"
    )
    page.get_by_role("button", name="Save the assessment").click()

    expect(page).to_have_url(re.compile(r"/service-health/assessments/\d+$"))
    expect(page.locator(".alert-success")).to_contain_text("saved")
    # 36 statements 3 or 4 (18 each), systems 0, 1, 0, 1: overall (18 × 3 + 18 × 4 + 2) / 40 × 25
    expect(page.locator("#overall-score")).to_have_text("80")
    expect(page.locator("#verdict")).to_contain_text("On track")
    expect(page.locator("#verdict")).to_contain_text("Keep an eye on Systems")
    expect(page.locator('[data-statement="systems.3"] .comment')).to_have_text(
        "Agents still switch screens <b>three</b> times"
    )

    # the radar: this assessment over the previous one (the demo's latest), the weak line
    assert_charts_drawn(watched, 1)
    names = page.locator("#health-radar").evaluate("el => el.data.map(t => t.name)")
    assert names[0] == "Weak below 50"
    assert re.fullmatch(r"Previous \(\d{4}-\d{2}-\d{2}\)", names[1])
    assert names[2].startswith("This assessment (")
    assert page.locator("#health-radar .scatterlayer .trace").count() == 3
    page.get_by_text("Show as table: Service health by element").click()
    expect(page.locator("#health-radar-figure table")).to_contain_text("Systems")

    # the weak element becomes a plan of the lead's department, in one form
    weak = page.locator('[data-weak="systems"]')
    expect(weak).to_contain_text("12.5 / 100")
    weak.get_by_role("link", name="Make an action plan for Systems").click()
    expect(page.get_by_role("heading", name="Make an action plan for Systems")).to_be_visible()
    expect(page.get_by_label("Department that carries it")).to_have_value(re.compile(r"\d+"))
    page.get_by_label("Plan title").fill("Agents see the whole account on one screen")
    page.get_by_label("Objective it serves").select_option(label=OBJECTIVE)
    page.get_by_role("button", name="Make the plan").click()

    expect(page).to_have_url(re.compile(r"/plans/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Agents see the whole account on one screen"
    )
    expect(page.locator("main")).to_contain_text("Systems scored 12.5 out of 100")
    page.go_back()
    page.goto(page.url.split("/service-health")[0] + "/service-health")
    expect(page.locator("#element-systems")).to_contain_text(
        "Agents see the whole account on one screen"
    )


def test_a_viewer_reads_but_is_not_offered_to_assess(page_as):
    page = page_as("viewer@demo.test")
    page.goto("/service-health")
    expect(page.locator("#verdict")).to_be_visible()
    expect(page.get_by_role("link", name="New assessment")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("Make an action plan"))).to_have_count(0)
    assert page.goto("/service-health/new").status == 403
