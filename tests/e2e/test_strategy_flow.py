"""The executive writes the top of the cascade in a browser; the viewer only reads it."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect


def test_executive_writes_vision_strategies_and_sees_the_conflict_flagged(page, sign_in):
    tag = uuid.uuid4().hex[:8]
    vision = f"Be the distributor every chain trusts ({tag})"
    company_title = f"Open new regions {tag}"
    service_title = f"Order by phone in every region {tag}"

    sign_in("ceo@demo.test")
    page.goto("/strategy/")
    expect(page.get_by_role("heading", name="Strategy cascade")).to_be_visible()

    # the vision
    page.get_by_role("link", name="Edit the vision and mission").click()
    page.get_by_label("Vision").fill(vision)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/strategy/$"))
    expect(page.get_by_text("Saved the vision and mission.")).to_be_visible()
    expect(page.locator("[data-vision]")).to_have_text(vision)

    # a new company strategy, last in the order
    page.get_by_role("link", name="New company strategy").click()
    page.get_by_label("Title").fill(company_title)
    page.get_by_label("Description").fill("Reach independent stores outside the capital.")
    page.get_by_label("Owner").select_option(label="Camila Ortega")
    page.get_by_role("button", name="Add company strategy").click()
    expect(page.get_by_text(f"Company strategy “{company_title}” added.")).to_be_visible()
    company = page.locator("#company-list > li").last
    expect(company).to_contain_text(company_title)
    expect(company).to_contain_text("Owner: Camila Ortega")

    # a service strategy that supports it and conflicts with "Reduce costs"
    page.get_by_role("link", name="New service strategy").click()
    page.get_by_label("Title").fill(service_title)
    page.get_by_label("Statement").fill("A free telephone line in every new region.")
    page.get_by_label("Period start").fill("2026-01-01")
    page.get_by_label("Period end").fill("2026-12-31")
    supports = page.get_by_role("group", name=company_title)
    supports.get_by_label("Fit").select_option("supports")
    supports.get_by_label("Why").fill("New regions order by phone first.")
    conflicts = page.get_by_role("group", name="Reduce costs", exact=True)
    conflicts.get_by_label("Fit").select_option("conflicts")
    conflicts.get_by_label("Why").fill("A line per region costs more than it saves.")
    page.get_by_role("button", name="Add service strategy").click()

    expect(page.get_by_role("heading", name=service_title)).to_be_visible()
    expect(page.locator('[data-flag="conflict"]')).to_contain_text("Reduce costs")
    expect(page.get_by_text("New regions order by phone first.")).to_be_visible()

    page.get_by_role("link", name="Strategy cascade").click()
    card = page.locator("article[data-service]", has_text=service_title)
    expect(card.locator('[data-flag="conflict"]')).to_contain_text("conflicts with")
    expect(card.locator('[data-flag="conflict"]')).to_contain_text("Reduce costs")
    expect(card.locator('[data-flag="unsupported"]')).to_have_count(0)
    expect(card.locator('[data-fit="supports"]')).to_have_count(1)
    expect(card).to_contain_text(f"Supports {company_title}")
    expect(card).to_contain_text("Conflicts with Reduce costs")


def test_viewer_sees_the_cascade_without_edit_buttons(page, sign_in):
    sign_in("viewer@demo.test")
    page.goto("/strategy/")
    expect(page.get_by_role("heading", name="Company strategies", exact=True)).to_be_visible()
    expect(page.locator("article[data-service]").first).to_be_visible()
    for name in ("Edit", "Archive", "Up", "Down", "Restore"):
        expect(page.get_by_role("button", name=re.compile(rf"^{name}\b"))).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^(Edit|New|Write|Add)\b"))).to_have_count(0)
    # and the server refuses the form itself
    response = page.goto("/strategy/company/new")
    assert response.status == 403


def test_cascade_and_service_form_work_at_phone_width(page, sign_in):
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in("ceo@demo.test")
    for path in ("/strategy/", "/strategy/service/new"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} scrolls sideways at 375 px ({width} px wide)"
