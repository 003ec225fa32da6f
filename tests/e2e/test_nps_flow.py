"""The customer's voice in a real browser: a lead opens a detractor's follow-up from "My
updates" and resolves it in two clicks; a detractor entered by hand opens a follow-up at once."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_a_lead_resolves_a_follow_up_from_my_updates_in_two_clicks(page, sign_in):
    sign_in("sales.lead@demo.test")
    page.goto("/reports/my-updates")
    follow_ups = page.locator("#my-follow-ups > li")
    expect(follow_ups.first).to_be_visible()
    before = follow_ups.count()
    first = follow_ups.first
    customer = first.locator("strong").first.inner_text()

    first.get_by_role("link", name=re.compile("Open the follow-up")).click()  # click 1
    expect(page.get_by_role("heading", level=1)).to_contain_text(customer)
    expect(page.locator("#follow-up-owner")).to_have_text("Camila Ortega")
    page.get_by_role("button", name="Resolve: the loop is closed").click()  # click 2

    expect(page.get_by_role("alert").filter(has_text="the loop is closed")).to_be_visible()
    expect(page.locator("#follow-up-state")).to_contain_text("Resolved")
    page.goto("/reports/my-updates")
    if before > 1:
        expect(page.locator("#my-follow-ups > li")).to_have_count(before - 1)
    else:
        expect(page.locator("#my-follow-ups")).to_have_count(0)


def test_a_detractor_entered_by_hand_opens_a_follow_up(page, sign_in):
    sign_in("marketing.lead@demo.test")
    page.goto("/nps/")
    expect(page.locator("#chart-nps-trend .main-svg").first).to_be_attached()
    ref = f"IS-{uuid.uuid4().hex[:4]}"
    page.get_by_label("Score (0–10)").fill("11")
    page.get_by_label("Customer reference").fill(ref)
    page.get_by_role("button", name="Record the response").click()
    expect(page.locator("#score-errors")).to_have_text("The score must be from 0 to 10.")
    expect(page.get_by_label("Customer reference")).to_have_value(ref)  # kept

    page.get_by_label("Score (0–10)").fill("3")
    page.get_by_label("Segment or channel").fill("independent stores")
    page.get_by_label("What they said").fill("<b>Nobody</b> called back.")
    page.get_by_role("button", name="Record the response").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ref)
    expect(page.locator("#follow-up-state")).to_contain_text("Open")
    expect(page.locator("#follow-up-comment")).to_have_text("<b>Nobody</b> called back.")

    page.get_by_role("button", name="Mark contacted").click()
    expect(page.locator("#follow-up-state")).to_contain_text("Contacted")


@pytest.mark.parametrize("width", [375, 1440, 1920])
def test_the_nps_pages_fit_every_width(page_as, width, tmp_path):
    page = page_as("ceo@demo.test")
    page.set_viewport_size({"width": width, "height": 900})
    for path in ("/nps/", "/nps/follow-ups"):
        page.goto(path)
        page.wait_for_load_state("load")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at {width} px"
        name = path.strip("/").replace("/", "-") or "nps"
        page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
        if path == "/nps/":  # the chart alone, to look at closely
            chart = page.locator("#chart-nps-trend-figure")
            chart.screenshot(path=str(tmp_path / f"chart-{width}.png"))
            with page.expect_navigation():
                page.locator("#follow-up-link, #recent-responses a").first.click()
            page.screenshot(path=str(tmp_path / f"follow-up-{width}.png"), full_page=True)
