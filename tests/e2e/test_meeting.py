"""Meeting mode in a real browser: one slide at a time with the keyboard, charts drawn under
the strict CSP, and a review recorded with a decision that becomes an action plan."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.test_dashboard_charts import assert_charts_drawn, watched  # noqa: F401

pytestmark = pytest.mark.e2e

OBJECTIVE = "Take every order right the first time"


def visible_slides(page) -> list[str]:
    return page.eval_on_selector_all(
        "[data-slide]", "els => els.filter(e => e.offsetParent !== null).map(e => e.id)"
    )


def test_meeting_mode_moves_with_the_keyboard(watched, sign_in):  # noqa: F811
    page = sign_in("ceo@demo.test")
    page.get_by_role("link", name="Meeting", exact=True).click()
    expect(page).to_have_url(re.compile(r"/meeting$"))
    # the first slide comes with the page, the next ones are fetched ahead: their charts too
    assert_charts_drawn(watched, 2)
    assert page.locator("#slide-overview[data-src]").count() == 0
    assert page.locator("#slide-departments-compared[data-loaded]").count() == 1
    counter = page.locator("#meeting-counter")
    total = page.locator("[data-slide]").count()
    # the fixed slides, one per off-track objective, two per demo department, the closing one
    assert total >= 5 + 2 * 5 + 1
    expect(counter).to_have_text(f"Slide 1 of {total}: Overview")
    assert visible_slides(page) == ["slide-overview"]

    page.keyboard.press("ArrowRight")
    expect(counter).to_have_text(f"Slide 2 of {total}: Department scorecards")
    assert visible_slides(page) == ["slide-scorecards"]
    expect(page.locator("#slide-scorecards h2")).to_be_focused()
    expect(page.locator("#meeting-scorecards")).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(counter).to_have_text(f"Slide 3 of {total}: Departments compared")
    # the chart drawn while its slide was hidden now fills the slide's width
    plot = page.locator("#meeting-chart-departments")
    width = plot.evaluate("el => el.querySelector('svg.main-svg').getBoundingClientRect().width")
    assert width == pytest.approx(plot.bounding_box()["width"], abs=2)

    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(counter).to_contain_text(f"Slide 5 of {total}")
    page.keyboard.press("ArrowLeft")
    expect(counter).to_have_text(f"Slide 4 of {total}: Off track and at risk")
    assert visible_slides(page) == ["slide-troubled"]
    expect(page).to_have_url(re.compile(r"#slide-troubled$"))

    # buttons for the mouse and screen readers
    page.get_by_role("button", name="Next slide").click()
    expect(counter).to_contain_text(f"Slide 5 of {total}: Biggest misses")
    page.get_by_role("button", name="Previous slide").click()
    expect(counter).to_contain_text(f"Slide 4 of {total}")

    # the last slide is the last: → stays there
    page.keyboard.press("End")
    page.keyboard.press("ArrowRight")
    expect(counter).to_contain_text(f"Slide {total} of {total}: Decisions and the record")
    expect(page.get_by_role("button", name="Next slide")).to_be_disabled()

    # Esc goes back to the deck's index; a slide is picked from it
    page.keyboard.press("Escape")
    index = page.get_by_role("navigation", name="Slides")
    expect(index).to_be_visible()
    assert visible_slides(page) == []
    index.get_by_role("link", name="Logistics", exact=True).click()
    expect(counter).to_contain_text("Logistics")
    assert visible_slides(page) == ["slide-department-logistics"]
    expect(index).to_be_hidden()

    # keys typed into the as-of field do not move the slides
    page.get_by_label("As of", exact=True).focus()
    page.keyboard.press("ArrowLeft")
    expect(counter).to_contain_text("Logistics")

    # full screen, and Esc leaves it
    page.get_by_role("button", name="Full screen").click()
    page.wait_for_function("document.fullscreenElement && document.fullscreenElement.id")
    assert page.evaluate("document.fullscreenElement.id") == "meeting"
    expect(page.get_by_role("button", name="Leave full screen")).to_be_visible()
    logistics = page.locator("[data-slide]").evaluate_all(
        "els => els.findIndex(e => e.id === 'slide-department-logistics')"
    )
    page.locator("#meeting").press("ArrowRight")
    results = f"Slide {logistics + 2} of {total}: Logistics: expected vs actual"
    expect(counter).to_have_text(results)
    page.keyboard.press("Escape")
    page.wait_for_function("!document.fullscreenElement")
    expect(page.get_by_role("button", name="Full screen")).to_be_visible()

    # a reload opens the slide the address names; charts still drawn, no CSP violation
    page.reload()
    expect(counter).to_have_text(results)
    assert visible_slides(page) == ["slide-department-logistics-results"]
    expect(page.locator("#slide-department-logistics-results-chart")).to_have_class(
        re.compile(r"\bchart-drawn\b")
    )
    assert_charts_drawn(watched, 2)


def test_without_javascript_the_deck_is_one_long_page(browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Email").fill("viewer@demo.test")
        from tests.e2e.conftest import DEMO_PASSWORD

        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto("/meeting")
        assert len(visible_slides(page)) == page.locator("[data-slide]").count() >= 16
        expect(page.get_by_role("navigation", name="Slides")).to_be_visible()
        expect(page.locator("#meeting-counter")).to_be_hidden()
        # every slide after the first is a plain link to its own page, with links on
        page.get_by_role("link", name="Open the slide “Department scorecards”").click()
        expect(page.locator("#meeting-scorecards")).to_be_visible()
        page.get_by_role("link", name="Next slide").click()
        expect(page.locator("#slide-departments-compared h2")).to_have_text("Departments compared")
        page.get_by_role("link", name="All slides").click()
        expect(page).to_have_url(re.compile(r"/meeting#slide-departments-compared$"))
    finally:
        context.close()


def test_record_a_review_with_a_decision_that_becomes_a_plan(page, sign_in):
    title = f"Weekly first-contact review {uuid.uuid4().hex[:8]}"
    sign_in("ceo@demo.test")
    page.goto("/meeting")
    page.keyboard.press("End")
    page.get_by_role("link", name="Record a review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a review")
    expect(page.get_by_label("Date of the review")).not_to_have_value("")
    page.get_by_label("Attendees").fill("Elena Ruiz, Camila Ortega, Tomás Herrera")
    page.get_by_label("Notes").fill("First-contact resolution is behind plan.")

    first = page.get_by_role("group", name="Decision 1")
    first.get_by_label("Decision", exact=True).fill(
        "Review first-contact resolution every week until back on plan."
    )
    expect(first.get_by_label("Objective")).to_be_hidden()  # until it is to become a plan
    first.get_by_label("Make it an action plan").check()
    first.get_by_label("Plan title").fill(title)
    first.get_by_label("Objective").select_option(label=OBJECTIVE)
    first.get_by_label("Department").select_option(label="Sales")
    first.get_by_label("Due date (optional)").fill("2030-06-30")

    page.get_by_role("group", name="Decision 2").get_by_label("Decision", exact=True).fill(
        "Keep the NPS survey monthly."
    )
    page.get_by_role("button", name="Add another decision").click()
    third = page.get_by_role("group", name="Decision 3")
    expect(third.get_by_label("Decision", exact=True)).to_be_focused()
    third.get_by_label("Decision", exact=True).fill("Ask logistics for the carrier report.")

    page.get_by_role("button", name="Save the review", exact=True).click()
    expect(page).to_have_url(re.compile(r"/meeting/reviews/\d+$"))
    expect(page.get_by_role("alert")).to_contain_text("1 decision became a plan")
    decisions = page.locator("#decisions > li")
    expect(decisions).to_have_count(3)
    review_url = page.url

    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.locator("main")).to_contain_text("Sales")

    page.goto("/meeting/reviews")
    row = page.locator(f'tr[data-review="{review_url.rsplit("/", 1)[1]}"]')
    expect(row).to_contain_text("Elena Ruiz")
    expect(row.locator("td").nth(1)).to_have_text("3")
    expect(row.locator("td").nth(2)).to_have_text("1")
