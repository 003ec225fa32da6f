"""Issue 4's story, in one browser run: an executive builds a new cascade (vision → company
strategy → service strategy → objective → indicator), the sales lead runs a plan under it and
explains an off-track actual, the logistics lead may not touch that plan, and two people
editing it at once do not overwrite each other (DESIGN §4, §6, §7)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DELIBERATE_STATUS, DEMO_PASSWORD

pytestmark = pytest.mark.e2e

CEO, CEO_NAME = "ceo@demo.test", "Elena Ruiz"
SALES_LEAD = "sales.lead@demo.test"
LOGISTICS_LEAD = "logistics.lead@demo.test"


# --- helpers ------------------------------------------------------------------------------


def _path(page: Page) -> str:
    """The page's path, without the origin and the anchor."""
    return re.sub(r"^https?://[^/]+", "", page.url).split("#")[0]


def _sign_in(page: Page, email: str, then: str) -> None:
    """Sign in through the form, arriving at the page asked for first (`then`, a path)."""
    page.goto("/login?" + urlencode({"next": then}))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(then) + r"(#.*)?$"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def _watch(page: Page, problems: list[str]) -> None:
    """Collect console errors (but deliberate 4xx answers) and page errors, as conftest does."""

    def on_console(message):
        if message.type == "error" and not DELIBERATE_STATUS.search(message.text):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(str(e)))


@pytest.fixture
def second_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """Another person at another desk: a separate browser context with its own cookies."""
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    problems: list[str] = []
    _watch(page, problems)
    yield page
    context.close()
    assert not problems, f"browser console errors (second browser): {problems}"


def _status_code_of_post(page: Page, click: Callable[[], None]) -> int:
    """Click something that submits a form and return the answer's status."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        click()
    return answer.value.status


# --- the story's steps ----------------------------------------------------------------------


def _executive_builds_the_cascade(page: Page, tag: str, today: date) -> dict[str, str]:
    """Step 1: vision, company strategy, supporting service strategy, objective, indicator."""
    vision = f"Every customer served right the first time ({tag})"
    company = f"Win the independent stores {tag}"
    service = f"Same-day answers for independent stores {tag}"
    objective = f"Confirm every store order the same day {tag}"
    indicator = f"Store orders confirmed the same day {tag}"
    rationale = f"Stores that get an answer the same day order again ({tag})."

    _sign_in(page, CEO, then="/strategy/")
    page.get_by_role("link", name="Edit the vision and mission").click()
    expect(page).to_have_url(re.compile(r"/strategy/organization$"))
    page.get_by_label("Vision").fill(vision)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/strategy/$"))
    expect(page.get_by_text("Saved the vision and mission.")).to_be_visible()
    expect(page.locator("[data-vision]")).to_have_text(vision)

    page.get_by_role("link", name="New company strategy").click()
    page.get_by_label("Title").fill(company)
    page.get_by_label("Description").fill("Reach the independent stores of every region.")
    page.get_by_label("Owner").select_option(label=CEO_NAME)
    page.get_by_role("button", name="Add company strategy").click()
    expect(page.get_by_text(f"Company strategy “{company}” added.")).to_be_visible()
    expect(page.locator("#company-list > li", has_text=company)).to_be_visible()

    page.get_by_role("link", name="New service strategy").click()
    page.get_by_label("Title").fill(service)
    page.get_by_label("Statement").fill("A store that orders hears back the same day.")
    page.get_by_label("Period start").fill((today - timedelta(days=200)).isoformat())
    page.get_by_label("Period end").fill((today + timedelta(days=400)).isoformat())
    link = page.get_by_role("group", name=company)
    link.get_by_label("Fit").select_option("supports")
    link.get_by_label("Why").fill(rationale)
    page.get_by_role("button", name="Add service strategy").click()
    expect(page.get_by_role("heading", name=service)).to_be_visible()
    expect(page.get_by_text(rationale)).to_be_visible()
    service_path = _path(page)

    # on the cascade, the new service strategy supports the new company strategy
    page.goto("/strategy/")
    card = page.locator("article[data-service]", has_text=service)
    expect(card).to_contain_text(f"Supports {company}")
    expect(card.locator('[data-flag="unsupported"]')).to_have_count(0)
    expect(card.locator('[data-flag="conflict"]')).to_have_count(0)

    # an objective under it, from the service strategy's page
    page.goto(service_path)
    page.get_by_role("link", name="New objective").click()
    expect(page.get_by_label("Service strategy")).to_have_value(service_path.rsplit("/", 1)[1])
    page.get_by_label("Title").fill(objective)
    page.get_by_label("Description").fill("Each store order gets a confirmation the same day.")
    page.get_by_label("Start date").fill((today - timedelta(days=180)).isoformat())
    page.get_by_label("Due date").fill((today + timedelta(days=365)).isoformat())
    page.get_by_label("Tags").fill("moment of truth: ordering")
    page.get_by_role("button", name="Add the objective").click()
    expect(page.get_by_role("heading", level=1, name=objective)).to_be_visible()
    expect(page.get_by_text("Added the objective")).to_be_visible()
    expect(page.locator("dd", has_text=service)).to_be_visible()
    objective_path = _path(page)

    # its expected result, with a milestone
    page.get_by_role("link", name="Add an indicator", exact=True).click()
    page.get_by_label("Name").fill(indicator)
    page.get_by_label("Unit").fill("%")
    page.get_by_label("Direction").select_option("increase")
    page.get_by_label("Baseline value").fill("60")
    page.get_by_label("Baseline date").fill((today - timedelta(days=180)).isoformat())
    page.get_by_label("Target value").fill("95")
    page.get_by_label("Target date").fill((today + timedelta(days=365)).isoformat())
    page.get_by_label("Tolerance (%)").fill("5")
    milestone_day = (today + timedelta(days=90)).isoformat()
    page.get_by_label("Milestone 1 date", exact=True).fill(milestone_day)
    page.get_by_label("Milestone 1 expected value", exact=True).fill("80")
    page.get_by_role("button", name="Add the indicator").click()
    expect(page).to_have_url(re.compile(re.escape(objective_path) + r"(#.*)?$"))
    row = page.locator("tr[data-indicator]", has_text=indicator)
    expect(row).to_contain_text("60")
    expect(row).to_contain_text("95")
    expect(row).to_contain_text("No data")
    row.get_by_role("link", name=indicator).click()
    milestones = page.get_by_role("table", name="Expected values between the baseline")
    expect(milestones).to_contain_text(milestone_day)
    expect(milestones).to_contain_text("80")

    _sign_out(page)
    return {"objective": objective, "objective_path": objective_path, "indicator": indicator}


def _sales_lead_runs_the_plan(page: Page, tag: str, today: date, cascade: dict) -> tuple[str, str]:
    """Step 2: a sales plan under the new objective, a check-in, an explained off-track actual.

    Returns the plan's path and title.
    """
    plan = f"Call back every store within the hour {tag}"
    kpi = f"Store calls returned within the hour {tag}"
    note = f"A third of the store calls returned so far ({tag})"
    why = f"Two of the four phone agents were on leave ({tag})"
    action = f"Temporary agents from the call centre until the end of the month ({tag})"

    _sign_in(page, SALES_LEAD, then=cascade["objective_path"])
    expect(page.get_by_role("heading", level=1, name=cascade["objective"])).to_be_visible()
    # the lead reads the objective but may not change it or its indicators
    expect(page.get_by_role("link", name=re.compile("add an indicator", re.I))).to_have_count(0)
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)

    page.get_by_role("link", name="Add a plan", exact=True).click()
    objective_id = cascade["objective_path"].rsplit("/", 1)[1]
    expect(page.get_by_label("Objective")).to_have_value(objective_id)
    expect(page.get_by_label("Department").locator("option:checked")).to_have_text("Sales")
    page.get_by_label("Title").fill(plan)
    page.get_by_label("Description").fill("Each missed store call is returned within the hour.")
    page.get_by_label("Start date").fill((today - timedelta(days=30)).isoformat())
    page.get_by_label("Due date").fill((today + timedelta(days=300)).isoformat())
    page.get_by_role("button", name="Add the plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(plan)
    expect(page.get_by_text(f"Plan “{plan}” added.")).to_be_visible()
    expect(page.locator("dd", has_text=cascade["objective"])).to_be_visible()
    expect(page.locator("dd", has_text="Sales")).to_be_visible()
    plan_path = _path(page)

    # a check-in
    page.get_by_role("link", name="Post a check-in").click()
    page.get_by_label("State").select_option(label="In progress")
    page.get_by_label("Progress (%)").fill("35")
    page.get_by_label("4 · high").check()
    page.get_by_label("What happened, what is next").fill(note)
    page.get_by_role("button", name="Post the check-in").click()
    expect(page.get_by_text("Check-in posted.")).to_be_visible()
    latest = page.locator("#check-in-list > li").first
    expect(latest).to_contain_text(note)
    expect(latest).to_contain_text("In progress · 35% · confidence 4/5")
    expect(page.locator("[data-state]")).to_have_text("In progress")
    expect(page.locator("[data-progress]")).to_have_text("35%")

    # the plan's own expected result (the lead may measure it: DESIGN §4)
    page.get_by_role("link", name="Add indicator").click()
    page.get_by_label("Name").fill(kpi)
    page.get_by_label("Unit").fill("%")
    page.get_by_label("Direction").select_option("increase")
    page.get_by_label("Baseline value").fill("40")
    page.get_by_label("Baseline date").fill((today - timedelta(days=60)).isoformat())
    page.get_by_label("Target value").fill("90")
    page.get_by_label("Target date").fill((today + timedelta(days=60)).isoformat())
    page.get_by_label("Tolerance (%)").fill("10")
    page.get_by_role("button", name="Add the indicator").click()
    expect(page.get_by_text(f"Indicator “{kpi}” added.")).to_be_visible()
    row = page.locator("tr[data-indicator]", has_text=kpi)
    expect(row).to_contain_text("No data")

    # an actual far below the 65 % expected today: off track, so it must be explained
    row.get_by_role("link", name=f"Enter an actual for {kpi}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter an actual")
    expect(page.get_by_label("Date", exact=True)).to_have_value(today.isoformat())
    page.get_by_label("Value (%)").fill("42")
    page.get_by_label("Note").fill("From the phone system's weekly report.")
    status = _status_code_of_post(
        page, lambda: page.get_by_role("button", name="Save actual").click()
    )
    assert status == 422
    explain = page.locator("#explain")
    expect(explain).to_contain_text("off track")
    expect(explain).to_contain_text("Nothing is saved until you say why and what follows.")
    expect(page.get_by_label("Value (%)")).to_have_value("42")
    expect(page.get_by_label("Note")).to_have_value("From the phone system's weekly report.")

    # saving again without saying why nor what follows is refused too, beside the fields
    status = _status_code_of_post(
        page, lambda: page.get_by_role("button", name="Save actual and explanation").click()
    )
    assert status == 422
    expect(page.locator("#explain")).to_contain_text("Say why the indicator is off track.")
    expect(page.locator("#explain")).to_contain_text("Choose a corrective action.")
    expect(page.get_by_label("Value (%)")).to_have_value("42")

    # a reason but no corrective action: still refused, and the reason is kept
    page.get_by_label("Why is it off track?").fill(why)
    page.get_by_label("Post a check-in on the plan").check()
    status = _status_code_of_post(
        page, lambda: page.get_by_role("button", name="Save actual and explanation").click()
    )
    assert status == 422
    expect(page.locator("#explain")).to_contain_text("Say what will be done about it.")
    expect(page.get_by_label("Why is it off track?")).to_have_value(why)
    expect(page.locator("#recent-actuals")).to_have_count(0)  # nothing saved so far

    # explained: the actual is saved with a check-in on the plan
    page.get_by_label("What will be done?").fill(action)
    page.get_by_label("Confidence that the plan gets back on track").select_option("2")
    page.get_by_role("button", name="Save actual and explanation").click()
    expect(page.get_by_role("alert").filter(has_text="Saved 42 %")).to_be_visible()
    expect(
        page.get_by_role("alert").filter(has_text=f"Posted a check-in on “{plan}”")
    ).to_be_visible()
    expect(page.locator("#indicator-status")).to_contain_text("Off track")

    # the plan's page: the indicator off track, the explanation and the action in a check-in
    page.goto(plan_path)
    row = page.locator("tr[data-indicator]", has_text=kpi)
    expect(row).to_contain_text("Off track")
    expect(row).to_contain_text("42")
    latest = page.locator("#check-in-list > li").first
    expect(latest).to_contain_text(why)
    expect(latest).to_contain_text(action)
    expect(latest).to_contain_text("confidence 2/5")
    expect(page.locator("#check-in-list > li")).to_have_count(2)
    expect(page.locator("[data-progress]")).to_have_text("35%")

    # and the objective rolls up to the worst status of its plans' indicators
    page.goto(cascade["objective_path"])
    expect(page.locator("#objective-status")).to_contain_text("Off track")
    expect(page.locator("table[data-department='sales']")).to_contain_text(plan)

    _sign_out(page)
    return plan_path, plan


def _logistics_lead_is_refused(page: Page, plan_path: str, plan: str) -> None:
    """Step 3: another department's lead reads the plan but may not change it."""
    _sign_in(page, LOGISTICS_LEAD, then=plan_path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(plan)
    expect(page.get_by_role("link", name=re.compile(r"^Edit"))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^Archive"))).to_have_count(0)
    expect(page.get_by_role("link", name="Post a check-in")).to_have_count(0)
    expect(page.get_by_role("link", name="Add indicator")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^Enter an actual"))).to_have_count(0)

    # the server refuses the pages and the posts themselves, and changes nothing
    response = page.goto(plan_path + "/edit")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_contain_text("Not allowed")
    page.goto(plan_path)
    token = page.locator("input[name=csrf_token]").first.input_value()
    refused = page.request.post(
        plan_path + "/edit",
        form={"csrf_token": token, "title": "Taken over by logistics", "version": "1"},
    )
    assert refused.status == 403
    refused = page.request.post(plan_path + "/archive", form={"csrf_token": token})
    assert refused.status == 403
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text(plan)
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("Archived")

    _sign_out(page)


def _two_people_edit_the_plan(page: Page, other: Page, plan_path: str, plan: str, tag: str):
    """Step 4: the executive saves first; the sales lead's later save is refused, shows what
    the executive changed, and keeps what the lead typed; a deliberate second save goes
    through with both changes."""
    renamed = f"{plan} (every region)"
    theirs = f"The executive's description ({tag})"
    mine = f"Returned calls are logged in the CRM with the store's code ({tag})"

    _sign_in(page, SALES_LEAD, then=plan_path + "/edit")
    _sign_in(other, CEO, then=plan_path + "/edit")
    expect(page.get_by_label("Title")).to_have_value(plan)
    expect(other.get_by_label("Title")).to_have_value(plan)

    # the executive saves first: a new title and a new description
    other.get_by_label("Title").fill(renamed)
    other.get_by_label("Description").fill(theirs)
    other.get_by_role("button", name="Save").click()
    expect(other.get_by_role("heading", level=1)).to_contain_text(renamed)

    # the sales lead, still on the old version, types a description and a budget
    page.get_by_label("Description").fill(mine)
    page.get_by_label("Budget").fill("1500")
    status = _status_code_of_post(page, lambda: page.get_by_role("button", name="Save").click())
    assert status == 409
    conflict = page.locator("#conflict")
    expect(conflict).to_contain_text("Somebody else saved this plan while you were editing it")
    expect(conflict).to_contain_text("Nothing of yours has been saved yet")
    expect(conflict.locator('[data-changed="title"]')).to_contain_text(
        f"{CEO_NAME} changed Title to “{renamed}”."
    )
    expect(conflict.locator('[data-changed="description"]')).to_contain_text(
        f"{CEO_NAME} changed Description to “{theirs}”."
    )
    expect(conflict.locator('[data-changed="description"]')).to_contain_text("your value is kept")
    # what the lead typed is still there; the title they left alone takes the executive's
    expect(page.get_by_label("Description")).to_have_value(mine)
    expect(page.get_by_label("Budget")).to_have_value("1500")
    expect(page.get_by_label("Title")).to_have_value(renamed)

    # nothing of the lead's was saved
    other.goto(plan_path)
    expect(other.locator("dd", has_text=theirs)).to_be_visible()
    expect(other.locator("dd", has_text=mine)).to_have_count(0)

    # a deliberate second save goes through and keeps both people's changes
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(renamed)
    expect(page.locator("dd", has_text=mine)).to_be_visible()
    expect(page.locator("dd", has_text="1,500.00")).to_be_visible()
    other.reload()
    expect(other.locator("dd", has_text=mine)).to_be_visible()


# --- the story ------------------------------------------------------------------------------


def test_a_new_cascade_from_vision_to_an_explained_off_track_actual(page, second_page):
    tag = uuid.uuid4().hex[:8]
    today = date.today()
    cascade = _executive_builds_the_cascade(page, tag, today)
    plan_path, plan = _sales_lead_runs_the_plan(page, tag, today, cascade)
    _logistics_lead_is_refused(page, plan_path, plan)
    _two_people_edit_the_plan(page, second_page, plan_path, plan, tag)
