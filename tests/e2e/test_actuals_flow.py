"""The sales lead enters actuals in a real browser: an off-track value must be explained, and a
pasted CSV is previewed line by line and saves nothing until every line is right."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PLAN = "Joint demand forecast with the top five chains"  # a sales plan of the demo
INDICATOR = "Forecast accuracy (top five chains)"  # maintain 85 %, tolerance 5 %


def _indicator_ids(page) -> tuple[int, int]:
    """The demo indicator's id and its plan's, through the JSON API with a read token."""
    page.goto("/account/")
    page.get_by_label("Name", exact=True).fill(f"e2e lookup {uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#token").input_value()
    answer = page.request.get(
        "/api/v1/indicators?per_page=200", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.ok, answer.text()
    found = next(i for i in answer.json()["items"] if i["name"] == INDICATOR)
    return found["id"], found["action_plan_id"]


def _open_the_actual_form(page) -> str | None:
    """From the plan's page when there is one (returns its path), else straight to the form."""
    answer = page.goto(f"/plans/?q={PLAN}")
    plan_link = page.get_by_role("link", name=PLAN)
    if answer is not None and answer.ok and plan_link.count():
        plan_link.first.click()
        plan_path = re.sub(r"^https?://[^/]+", "", page.url)
        page.get_by_role("link", name=f"Enter an actual for {INDICATOR}").click()
        return plan_path
    indicator_id, _ = _indicator_ids(page)
    page.goto(f"/actuals/{indicator_id}/new")
    return None


def test_an_off_track_actual_must_be_explained_and_the_check_in_shows(page, sign_in):
    sign_in("sales.lead@demo.test")
    plan_path = _open_the_actual_form(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter an actual")
    expect(page.locator("#indicator-h")).to_contain_text(INDICATOR)
    expect(page.locator("#indicator-facts")).to_contain_text("Maintain")
    expect(page.locator("#indicator-facts")).to_contain_text("Expected today")

    # 50 % against a target of 85 % ± 5 %: off track, so the first save is refused
    page.get_by_label("Value (%)").fill("50")
    page.get_by_label("Note").fill("Two chains sent no sell-out data this month.")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Save actual").click()
    assert answer.value.status == 422
    expect(page.locator("#explain")).to_contain_text("Nothing is saved until you say why")
    expect(page.get_by_label("Value (%)")).to_have_value("50")
    expect(page.locator("[data-latest]")).not_to_contain_text("50 %")

    # explained with a check-in on the plan: now it is saved
    why = f"Two chains changed their ordering system {uuid.uuid4().hex[:6]}"
    page.get_by_label("Why is it off track?").fill(why)
    page.get_by_label("Post a check-in on the plan").check()
    page.get_by_label("What will be done?").fill("Weekly forecast call with both chains.")
    page.get_by_label("Confidence that the plan gets back on track").select_option("2")
    page.get_by_role("button", name="Save actual and explanation").click()
    expect(page.get_by_role("alert").filter(has_text="Saved 50 %")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="Posted a check-in")).to_be_visible()

    # the plan's page (or, without one, the actuals page) shows the check-in
    if plan_path is not None:
        page.goto(plan_path)
        expect(page.locator("#check-in-list > li").first).to_contain_text(why)
    else:
        indicator_id, _ = _indicator_ids(page)
        page.goto(f"/actuals/{indicator_id}/new")
        expect(page.locator("#check-ins > li").first).to_contain_text(why)


def test_a_csv_paste_is_previewed_and_saves_nothing_until_fixed(page, sign_in):
    sign_in("sales.lead@demo.test")
    _open_the_actual_form(page)
    page.get_by_role("link", name="Paste or upload several (CSV)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import actuals from CSV")

    # old dates (behind the latest actual) change no status; line 3 is not a date
    marker = uuid.uuid4().hex[:6]
    bad = f"date,value,note\n2020-01-06,84,week 1 {marker}\n2020-13-01,85,oops\n"
    page.get_by_label("Paste CSV").fill(bad)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Preview").click()
    assert answer.value.status == 422
    expect(page.locator("#preview-errors")).to_contain_text("Line 3: date “2020-13-01”")
    expect(page.locator('#preview-table tr[data-line="3"]')).to_contain_text("2020-13-01")
    expect(page.locator('#preview-table tr[data-line="2"]')).to_contain_text("New")
    expect(page.get_by_role("button", name=re.compile("^Save all"))).to_have_count(0)
    expect(page.get_by_label("Paste CSV")).to_have_value(bad)

    # fixed: the preview offers to save both rows, and saving writes them
    page.get_by_label("Paste CSV").fill(bad.replace("2020-13-01", "2020-01-13"))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-summary")).to_contain_text("2 actual(s) to save")
    page.get_by_role("button", name="Save all 2").click()
    expect(page.get_by_role("alert").filter(has_text="Imported 2 actual(s)")).to_be_visible()


def test_the_actuals_page_works_at_phone_width(page, sign_in):
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in("sales.lead@demo.test")
    _open_the_actual_form(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter an actual")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page scrolls sideways at 375 px ({width} px wide)"
