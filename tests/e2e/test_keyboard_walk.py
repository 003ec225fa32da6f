"""The main tasks with the keyboard alone: sign in, add an objective with an indicator, add a
plan, check in, enter an actual with its explanation, archive and undo, run meeting mode.

Each step moves with Tab (and Enter, arrows, typing) only, and asserts where the focus is:
no mouse click, no fill() and no goto() after the sign-in page.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

MAX_TABS = 80


def focused(page: Page) -> str:
    """What has the focus, for messages: tag#id "text"."""
    return page.evaluate(
        """() => { const e = document.activeElement; if (!e) return "nothing";
        const text = e.innerText || e.value || e.getAttribute("href") || "";
        return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " " +
               JSON.stringify(text.slice(0, 40)); }"""
    )


def is_focused(page: Page, selector: str, text: str = "") -> bool:
    return page.evaluate(
        """([s, t]) => { const e = document.activeElement;
        return !!e && e.matches(s) && (e.innerText || "").includes(t); }""",
        [selector, text],
    )


def tab_to(page: Page, selector: str, *, text: str = "", backwards: bool = False) -> int:
    """Press Tab until the element matching selector (holding text) has the focus."""
    for n in range(1, MAX_TABS + 1):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if is_focused(page, selector, text):
            return n
    raise AssertionError(f"{selector} never got the focus (last: {focused(page)})")


def press_and_wait(page: Page, key: str = "Enter") -> None:
    """Press key on what has the focus and wait for the page it loads."""
    with page.expect_navigation():
        page.keyboard.press(key)


def type_date(page: Page, iso: str) -> None:
    """Type a date into the focused date field, as its segments take it (en-US: mm dd yyyy)."""
    year, month, day = iso.split("-")
    page.keyboard.type(f"{month}{day}{year}")


def assert_focus(page: Page, selector: str) -> None:
    assert is_focused(page, selector), f"expected the focus on {selector}, it is on {focused(page)}"


@pytest.fixture
def keyboard_page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def test_the_main_tasks_with_the_keyboard_alone(keyboard_page):
    page = keyboard_page
    tag = uuid.uuid4().hex[:6]

    # sign in: the cursor starts in the email field
    page.goto("/login")
    assert_focus(page, "#email")
    page.keyboard.type("ceo@demo.test")
    page.keyboard.press("Tab")
    assert_focus(page, "#password")
    page.keyboard.type(DEMO_PASSWORD)
    press_and_wait(page)
    expect(page).to_have_url(re.compile(r"/$"))

    # an objective: the menu, the list's button, the form (cursor in its first field)
    tab_to(page, 'nav a.nav-link[href="/objectives/"]')
    press_and_wait(page)
    tab_to(page, 'main a[href="/objectives/new"]')
    press_and_wait(page)
    assert_focus(page, "#service_strategy_id")
    page.keyboard.press("ArrowDown")  # the first service strategy
    page.keyboard.press("Tab")
    assert_focus(page, "#title")
    page.keyboard.type(f"Answer every call by the third ring {tag}")
    tab_to(page, 'main form button[type="submit"]')
    press_and_wait(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text(tag)
    objective_path = urlsplit(page.url).path

    # its indicator
    tab_to(page, 'main a[href$="/indicators/new"]')
    press_and_wait(page)
    assert_focus(page, "#name")
    page.keyboard.type(f"Calls answered by the third ring {tag}")
    page.keyboard.press("Tab")
    page.keyboard.type("%")
    tab_to(page, "#baseline_value")
    page.keyboard.type("50")
    tab_to(page, "#baseline_date")
    type_date(page, "2026-01-01")
    tab_to(page, "#target_value")
    page.keyboard.type("1,000")  # thousands separators are fine
    tab_to(page, "#target_date")
    type_date(page, "2026-12-31")
    tab_to(page, 'main form button[type="submit"]:not([name="add_row"])')
    press_and_wait(page)
    expect(page.locator("main")).to_contain_text(f"Calls answered by the third ring {tag}")

    # back to the objective (when not already there), then a plan for it
    if urlsplit(page.url).path != objective_path:
        tab_to(page, f'main a[href="{objective_path}"]')
        press_and_wait(page)
    tab_to(page, 'main a[href*="/plans/new"]')
    press_and_wait(page)
    assert_focus(page, "#title")
    page.keyboard.type(f"Hire two call agents {tag}")
    tab_to(page, "#department_id")  # the objective is already chosen
    if not page.evaluate("document.activeElement.value"):
        page.keyboard.press("ArrowDown")
    tab_to(page, "#budget")
    page.keyboard.type("12 500")
    tab_to(page, 'main form button[type="submit"]')
    press_and_wait(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Hire two call agents {tag}")
    expect(page.locator("main")).to_contain_text("12,500")

    # a check-in on it
    tab_to(page, 'main a[href$="/check-in"]')
    press_and_wait(page)
    assert_focus(page, "#state")
    page.keyboard.press("ArrowDown")  # in progress
    page.keyboard.press("Tab")
    assert_focus(page, "#progress_pct")
    page.keyboard.press("Control+a")
    page.keyboard.type("30")
    tab_to(page, "#text")
    page.keyboard.type(f"Two candidates interviewed {tag}")
    tab_to(page, 'main form button[type="submit"]')
    press_and_wait(page)
    expect(page.locator("main")).to_contain_text(f"Two candidates interviewed {tag}")

    # an actual that leaves the indicator off track: the explanation is asked for
    tab_to(page, 'main dl a[href^="/objectives/"]')  # the plan's objective
    press_and_wait(page)
    tab_to(page, 'main a[href^="/objectives/indicators/"]', text=tag)
    press_and_wait(page)
    tab_to(page, 'main a[href^="/actuals/"][href$="/new"]')
    press_and_wait(page)
    assert_focus(page, "#date")
    tab_to(page, "#value")
    page.keyboard.type("10")
    tab_to(page, 'main form button[type="submit"]')
    press_and_wait(page)
    assert_focus(page, "#explanation")  # the second step starts at its first field
    page.keyboard.type(f"Two agents left in May {tag}")
    page.keyboard.press("Tab")
    assert_focus(page, "input[name=kind]")
    page.keyboard.press("Space")
    tab_to(page, "#action")
    page.keyboard.type("Hire two agents by July.")
    tab_to(page, 'main form button[type="submit"]')
    press_and_wait(page)
    expect(page.get_by_role("alert").first).to_be_visible()

    # archive the plan (a confirmation says what goes with it), then undo
    tab_to(page, 'nav a.nav-link[href="/plans/"]')
    press_and_wait(page)
    tab_to(page, "main a", text=f"Hire two call agents {tag}")
    press_and_wait(page)
    tab_to(page, 'main a[href$="/archive"]')
    press_and_wait(page)
    expect(page.locator("#archive-effects")).to_contain_text("check-in")
    tab_to(page, "#confirm-archive")
    press_and_wait(page)
    expect(page.locator("#undo-alert")).to_contain_text("archived")
    assert_focus(page, "#undo-button")  # Undo is right there
    press_and_wait(page)
    expect(page.get_by_role("alert").first).to_contain_text("restored")
    expect(page.locator("main h1")).not_to_contain_text("Archived")

    # meeting mode: the menu, then the arrows
    tab_to(page, 'nav a.nav-link[href="/meeting"]')
    press_and_wait(page)
    counter = page.locator("#meeting-counter")
    expect(counter).to_contain_text("Slide 1 of")
    page.keyboard.press("ArrowRight")
    expect(counter).to_contain_text("Slide 2 of")
    assert_focus(page, "#slide-scorecards h2")
