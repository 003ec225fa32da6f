"""On a phone (375 px) the lists people work from fit the screen: the status, results and due
dates show without scrolling a table sideways; what does not fit goes under each row's title.

DESIGN §8 lets a wide table scroll inside its own box; these lists are read on the move
(a lead checking their plans, an executive the audit log), so they show what matters first.
"""

from __future__ import annotations

import pytest

LISTS = [
    ("/objectives/", ["Status", "Results"]),
    ("/plans/", ["Due date", "Progress"]),
    ("/objectives/indicators/", ["Status", "Actual"]),
    ("/exports/", ["Download"]),
    ("/admin/audit", ["What"]),
    ("/admin/users", ["Role"]),
]

# How far each visible table scrolls sideways inside its box (screen-reader copies of chart
# data, clipped to a pixel, are not visible and left out).
SIDEWAYS = """() => [...document.querySelectorAll('main .table-responsive')]
  .filter(box => box.getBoundingClientRect().width > 1 && box.offsetParent !== null)
  .map(box => box.scrollWidth - box.clientWidth)"""


@pytest.mark.parametrize(("path", "headings"), LISTS, ids=[p for p, _ in LISTS])
def test_a_list_fits_a_phone(page_as, path, headings):
    page = page_as("ceo@demo.test")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(path)
    overflow = page.evaluate(SIDEWAYS)
    assert overflow, f"{path}: no table found"
    assert max(overflow) <= 1, f"{path}: a table scrolls sideways by {max(overflow)} px"
    shown = page.locator("main table thead th:visible").all_inner_texts()
    for heading in headings:
        assert heading in shown, (path, shown)


def test_the_contribution_matrix_reads_down_a_phone(page_as):
    """Objectives × departments is five columns too wide for a phone: there each objective
    lists its departments' plans and gaps one under another, each under its department."""
    page = page_as("ceo@demo.test")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/reports/matrix")
    sideways = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert sideways <= 0, f"the page scrolls sideways by {sideways} px"
    overflow = page.evaluate(SIDEWAYS)
    assert overflow, "no matrix found"
    assert max(overflow) <= 1, f"the matrix scrolls sideways by {max(overflow)} px"
    cells = page.locator("table.matrix td[data-department]:visible")
    assert cells.count(), "no department shown under any objective"
    for cell in cells.all():
        text = cell.inner_text()
        name = cell.locator(".matrix-department")
        assert name.is_visible(), f"a cell without its department's name: {text!r}"
        assert text.startswith(name.inner_text()), text
    page.set_viewport_size({"width": 1440, "height": 900})
    assert page.locator("table.matrix thead th").nth(1).is_visible()  # a grid again
    assert not page.locator(".matrix-department").first.is_visible()
