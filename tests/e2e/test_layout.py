"""The layout at common screen widths: no page scrolls sideways because of the navigation."""

from __future__ import annotations

import pytest

WIDTHS = (375, 768, 1024, 1280, 1366, 1920)
PAGES = ("/", "/plans/", "/meeting/reviews", "/account/")


@pytest.mark.parametrize("width", WIDTHS)
def test_no_sideways_scroll_for_an_executive(sign_in, width):
    page = sign_in("ceo@demo.test")  # an executive sees the most links (Admin too)
    page.set_viewport_size({"width": width, "height": 900})
    for path in PAGES:
        page.goto(path)
        overflow = page.evaluate(
            "document.querySelector('nav').scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} at {width} px: the navigation is {overflow} px too wide"
        assert page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        ), f"{path} scrolls sideways at {width} px"
