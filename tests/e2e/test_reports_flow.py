"""The alignment report, the contribution matrix and my updates, in a real browser."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

SERVICE = "Win the first moment of truth with direct customers (large chains)"
DEPARTMENTS = ("sales", "logistics", "marketing", "finance", "systems")


def test_ceo_reads_the_alignment_report_and_follows_a_fix_link(page, sign_in):
    title = f"Answer every complaint within a day {uuid.uuid4().hex[:8]}"
    sign_in("ceo@demo.test")

    # an objective with neither an indicator nor a plan: two findings to fix
    page.goto("/objectives/new")
    page.get_by_label("Service strategy").select_option(label=SERVICE)
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Add the objective").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()

    page.get_by_role("button", name="More").click()  # the rarer pages are grouped there
    page.get_by_role("link", name="Alignment", exact=True).click()
    expect(page.get_by_role("heading", name="Alignment report")).to_be_visible()
    counts = page.locator("#finding-counts")
    expect(counts).to_be_visible()
    assert counts.locator("[data-count]").count() == 8
    assert int(counts.locator('[data-count="objective_without_plan"]').inner_text()) >= 1

    # a count leads to its section
    counts.get_by_role("link", name="Objectives with no plan").click()
    expect(page).to_have_url(re.compile(r"#kind-objective_without_plan$"))
    finding = page.locator("#kind-objective_without_plan li.finding", has_text=title)
    expect(finding).to_be_visible()

    # its Fix link opens a page that answers
    with page.expect_navigation() as navigation:
        finding.get_by_role("link", name=re.compile(r"^Fix")).click()
    assert navigation.value.status == 200
    assert "/reports/alignment" not in page.url


def test_matrix_has_a_column_per_department_and_fits_a_phone(page, sign_in):
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in("ceo@demo.test")
    page.goto("/reports/matrix")
    expect(page.get_by_role("heading", name="Contribution matrix")).to_be_visible()
    table = page.get_by_role("table")
    for slug in DEPARTMENTS:
        expect(table.locator(f'thead th[data-department="{slug}"]')).to_have_count(1)
    assert table.locator("tbody tr[data-objective]").count() >= 3
    # the table scrolls inside its wrapper; the page itself does not scroll sideways
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page scrolls sideways at 375 px ({width} px wide)"


def test_sales_lead_sees_what_waits_on_them(page, sign_in):
    sign_in("sales.lead@demo.test")
    page.get_by_role("link", name="My updates").click()
    expect(page.get_by_role("heading", name="My updates", level=1)).to_be_visible()
    nothing = page.locator("#nothing-waits")
    items = page.locator("#my-plans li, #my-indicators li, #my-follow-ups li")
    assert nothing.count() + items.count() >= 1
    if nothing.count():
        expect(nothing).to_have_text("Nothing waits on you.")
    else:
        expect(items.first).to_be_visible()
