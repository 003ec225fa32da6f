"""Signing in as the demo executive and seeing the dashboard, in a real browser."""

import re

from playwright.sync_api import expect


def test_demo_executive_signs_in_and_sees_the_dashboard(page, sign_in):
    sign_in("ceo@demo.test")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Vision")).to_be_visible()
    expect(page.get_by_role("heading", name="Objectives at a glance")).to_be_visible()
    # objectives are counted by computed status; those not on track are listed
    counts = {
        s: int(page.locator(f'#status-counts [data-status="{s}"]').inner_text())
        for s in ("on_track", "at_risk", "off_track", "no_data")
    }
    assert sum(counts.values()) >= 4
    needing = counts["off_track"] + counts["at_risk"] + counts["no_data"]
    assert page.locator("[data-objective]").count() == min(needing, 10)
    # all five departments have a scorecard row
    for slug in ("sales", "logistics", "marketing", "finance", "systems"):
        expect(page.locator(f'[data-department="{slug}"]')).to_be_visible()


def test_wrong_password_shows_the_error_beside_the_field(page, sign_in):
    sign_in("ceo@demo.test", "not the right password")
    expect(page).to_have_url(re.compile(r"/login"))
    message = page.get_by_text("The email or password is not right.")
    expect(message).to_have_count(2)  # summarised at the top, and beside the field
    expect(message.last).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("ceo@demo.test")


def test_sign_out_returns_to_the_sign_in_page(page, sign_in):
    sign_in("viewer@demo.test")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))


def test_dashboard_works_at_phone_width(page, sign_in):
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in("sales.lead@demo.test")
    expect(page.get_by_role("heading", name="Vision")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page scrolls sideways at 375 px ({width} px wide)"
