"""A department lead runs a plan in a real browser; another lead may not touch it; two people
editing the same plan at once do not overwrite each other (DESIGN §6)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

OBJECTIVE = "Take every order right the first time"


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


@pytest.fixture
def other_page(browser, live_server):
    """A second, separate browser (its own cookies): another person at another desk."""
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, errors


def _add_plan(page, title: str) -> str:
    """As the signed-in lead, add a plan to the demo objective; returns the plan's path."""
    page.goto("/plans/")
    page.get_by_role("link", name="Add a plan").first.click()
    page.get_by_label("Objective").select_option(label=OBJECTIVE)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Call each chain buyer before the order cut-off.")
    page.get_by_label("Start date").fill("2026-01-05")
    page.get_by_label("Due date").fill("2030-12-31")
    page.get_by_label("Progress (%)").fill("5")
    page.get_by_role("button", name="Add the plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    return re.sub(r"^https?://[^/]+", "", page.url).split("#")[0]


def test_a_lead_adds_a_plan_checks_in_and_another_lead_cannot_edit(page, sign_in, other_page):
    title = f"Call buyers before cut-off {uuid.uuid4().hex[:8]}"
    sign_in("sales.lead@demo.test")
    path = _add_plan(page, title)
    expect(page.locator("dd", has_text=OBJECTIVE)).to_be_visible()

    page.get_by_role("link", name="Post a check-in").click()
    page.get_by_label("State").select_option(label="In progress")
    page.get_by_label("Progress (%)").fill("30")
    page.get_by_label("4 · high").check()
    note = f"Half the buyers called {uuid.uuid4().hex[:6]}"
    page.get_by_label("What happened, what is next").fill(note)
    page.get_by_role("button", name="Post the check-in").click()
    expect(page.locator("#check-in-list > li").first).to_contain_text(note)
    expect(page.locator("#check-in-list > li").first).to_contain_text("confidence 4/5")
    expect(page.locator("[data-progress]")).to_have_text("30%")
    expect(page.locator("[data-state]")).to_have_text("In progress")

    _sign_in(other_page, "logistics.lead@demo.test")
    other_page.goto(path)
    expect(other_page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(other_page.get_by_role("link", name=re.compile(r"^Edit"))).to_have_count(0)
    expect(other_page.get_by_role("button", name=re.compile(r"^Archive"))).to_have_count(0)
    response = other_page.goto(path + "/edit")
    assert response is not None
    assert response.status == 403
    expect(other_page.get_by_role("heading", level=1)).to_contain_text("Not allowed")


def test_two_people_edit_the_same_plan_and_the_second_keeps_their_text(page, sign_in, other_page):
    title = f"Shared plan {uuid.uuid4().hex[:8]}"
    sign_in("sales.lead@demo.test")
    path = _add_plan(page, title)

    _sign_in(other_page, "ceo@demo.test")
    page.goto(path + "/edit")
    other_page.goto(path + "/edit")

    # the first saves a new title
    page.get_by_label("Title").fill(title + " (renamed)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title + " (renamed)")

    # the second, still on the old version, saves a new description and is refused
    description = "Weekly calls with each chain buyer, notes kept in the CRM."
    other_page.get_by_label("Description").fill(description)
    with other_page.expect_response(lambda r: r.request.method == "POST") as answer:
        other_page.get_by_role("button", name="Save").click()
    assert answer.value.status == 409
    conflict = other_page.locator("#conflict")
    expect(conflict).to_contain_text("Somebody else saved this plan")
    expect(conflict).to_contain_text("Camila Ortega changed Title to")
    expect(other_page.get_by_label("Description")).to_have_value(description)
    expect(other_page.get_by_label("Title")).to_have_value(title + " (renamed)")

    # a deliberate second save goes through and keeps both changes
    other_page.get_by_role("button", name="Save").click()
    expect(other_page.get_by_role("heading", level=1)).to_contain_text(title + " (renamed)")
    expect(other_page.locator("dd", has_text=description)).to_be_visible()
