"""An executive adds an objective and an indicator with milestones, in a real browser."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD

DEMO_SERVICE = "Win the first moment of truth with direct customers (large chains)"


def _new_objective(page: Page, title: str) -> None:
    """Fill and send the new-objective form; ends on the objective's page."""
    page.goto("/objectives/")
    page.get_by_role("link", name="Add an objective").click()
    page.get_by_label("Service strategy").select_option(label=DEMO_SERVICE)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Chain buyers get a complete answer in one call.")
    page.get_by_label("Start date").fill("2026-01-01")
    page.get_by_label("Due date").fill("2027-06-30")
    page.get_by_label("Tags").fill("customer, moment of truth: ordering")
    page.get_by_role("button", name="Add the objective").click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()


def _fill_indicator(page: Page, name: str) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Unit").fill("%")
    page.get_by_label("Direction").select_option("increase")
    page.get_by_label("Baseline value").fill("62")
    page.get_by_label("Baseline date").fill("2026-01-01")
    page.get_by_label("Target value").fill("85")
    page.get_by_label("Target date").fill("2027-06-30")
    page.get_by_label("Tolerance (%)").fill("5")


def _milestone(page: Page, n: int, day: str, value: str) -> None:
    page.get_by_label(f"Milestone {n} date", exact=True).fill(day)
    page.get_by_label(f"Milestone {n} expected value", exact=True).fill(value)


def test_executive_adds_an_objective_and_an_indicator_with_milestones(page, sign_in):
    title = f"Answer chain buyers in one contact {uuid.uuid4().hex[:8]}"
    sign_in("ceo@demo.test")
    _new_objective(page, title)
    expect(page.get_by_text("Added the objective")).to_be_visible()
    expect(page.get_by_text("moment of truth: ordering").first).to_be_visible()

    page.get_by_role("link", name="Add an indicator", exact=True).click()
    _fill_indicator(page, "First-contact resolution")
    rows = page.locator("[data-milestone-row]")
    expect(rows).to_have_count(3)
    # the script adds a row in the page (no round trip) and can remove one
    page.get_by_role("button", name="Add another row").click()
    expect(rows).to_have_count(4)
    expect(page.get_by_label("Milestone 4 date", exact=True)).to_be_focused()
    page.get_by_role("button", name="Remove milestone 1").click()
    expect(rows).to_have_count(3)
    _milestone(page, 2, "2026-07-01", "70")
    _milestone(page, 3, "2027-01-01", "78")
    page.get_by_role("button", name="Add the indicator").click()

    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    row = page.locator("tr[data-indicator]", has_text="First-contact resolution")
    expect(row).to_contain_text("No data")
    expect(row).to_contain_text("62")
    expect(row).to_contain_text("85")
    expect(page.locator("#objective-status")).to_contain_text("No data")

    row.get_by_role("link", name="First-contact resolution").click()
    expect(page.get_by_role("heading", level=1, name="First-contact resolution")).to_be_visible()
    milestones = page.get_by_role("table", name="Expected values between the baseline")
    expect(milestones).to_contain_text("2026-07-01")
    expect(milestones).to_contain_text("2027-01-01")
    expect(page.get_by_text("No actual has been entered yet")).to_be_visible()

    # the objective is listed with its tags
    page.goto("/objectives/?q=" + title.rsplit(" ", 1)[1])
    listed = page.locator("tr[data-objective]", has_text=title)
    expect(listed).to_contain_text("customer")
    expect(listed).to_contain_text("No data")


def test_a_wrong_milestone_date_is_shown_beside_it_and_nothing_is_lost(page, sign_in):
    title = f"Deliver in full {uuid.uuid4().hex[:8]}"
    sign_in("ceo@demo.test")
    _new_objective(page, title)
    page.get_by_role("link", name="Add an indicator", exact=True).click()
    _fill_indicator(page, "Orders delivered in full")
    _milestone(page, 1, "2026-09-01", "75")
    _milestone(page, 2, "2028-01-01", "90")  # after the target date
    page.get_by_role("button", name="Add the indicator").click()

    date_input = page.get_by_label("Milestone 2 date", exact=True)
    expect(date_input).to_have_value("2028-01-01")
    expect(date_input).to_have_attribute("aria-invalid", "true")
    error = page.locator("#milestones-1-date-errors")
    expect(error).to_contain_text("strictly between the baseline and target dates")
    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Orders delivered in full")
    expect(page.get_by_label("Milestone 1 date", exact=True)).to_have_value("2026-09-01")
    expect(page.get_by_label("Milestone 2 expected value", exact=True)).to_have_value("90")
    expect(page.get_by_label("Tolerance (%)")).to_have_value("5")

    date_input.fill("2027-03-01")
    page.get_by_role("button", name="Add the indicator").click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(page.locator("tr[data-indicator]", has_text="Orders delivered in full")).to_be_visible()


@pytest.fixture
def no_js_page(browser, live_server):
    """A page with JavaScript turned off: the forms must work without it."""
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_add_another_row_works_without_javascript(no_js_page):
    page = no_js_page
    page.goto("/login")
    page.get_by_label("Email").fill("ceo@demo.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    title = f"Know the chains' week {uuid.uuid4().hex[:8]}"
    _new_objective(page, title)
    page.get_by_role("link", name="Add an indicator", exact=True).click()
    _fill_indicator(page, "Orders planned with the chains")
    for n in (1, 2, 3):
        _milestone(page, n, f"2026-0{n + 2}-01", str(62 + n))
    page.get_by_role("button", name="Add another row").click()  # a round trip to the server
    expect(page.get_by_label("Milestone 4 date", exact=True)).to_have_value("")
    expect(page.get_by_label("Milestone 3 date", exact=True)).to_have_value("2026-05-01")
    expect(page.get_by_label("Name")).to_have_value("Orders planned with the chains")
    _milestone(page, 4, "2026-10-01", "80")
    page.get_by_role("button", name="Add the indicator").click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    page.get_by_role("link", name="Orders planned with the chains").click()
    milestones = page.get_by_role("table", name="Expected values between the baseline")
    expect(milestones.locator("tbody tr")).to_have_count(4)


def test_the_indicator_form_fits_a_phone(page, sign_in):
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in("ceo@demo.test")
    page.goto("/objectives/")
    page.locator("tr[data-objective] a").first.click()
    expect(page).to_have_url(re.compile(r"/objectives/\d+$"))
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the objective page scrolls sideways ({width} px)"
    page.get_by_role("link", name="Add an indicator", exact=True).click()
    # measured once the form has loaded with its stylesheets (not mid-navigation)
    expect(page).to_have_url(re.compile(r"/objectives/\d+/indicators/new$"))
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the indicator form scrolls sideways ({width} px)"
