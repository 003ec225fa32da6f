"""The alignment report (one data set per kind of finding), the matrix and my updates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from strategy_app.extensions import db
from strategy_app.models import CheckIn, Department, FollowUp, NpsResponse, User
from strategy_app.models.base import utcnow
from strategy_app.services.evaluation.rules import checkpoints, due_an_actual, no_recent_actual
from strategy_app.services.reads import alignment
from strategy_app.services.reads.my_updates import my_updates
from tests.conftest import FIXED_TODAY
from tests.queries import counting_queries

ROLES = ("executive", "lead", "member", "viewer")
PAGES = ("/reports/alignment", "/reports/matrix", "/reports/my-updates")


def html(response) -> str:
    return response.get_data(as_text=True)


def main(response) -> str:
    """The page's own content (without the navigation)."""
    return html(response).split('<main id="main"', 1)[1].split("</main>", 1)[0]


def found(report: alignment.Report) -> dict[str, list[str]]:
    """The subjects of the findings of each kind that has any."""
    return {k: [f.subject for f in fs] for k, fs in report.findings.items() if fs}


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- periods ------------------------------------------------------------------------------

MONTHLY = checkpoints(
    d("2026-01-01"), d("2026-12-31"), [d(f"2026-{m:02d}-01") for m in range(2, 12)]
)
NO_MILESTONES = checkpoints(d("2025-01-01"), d("2026-06-01"))


def test_checkpoints_keep_milestones_inside_in_order():
    inside = [d("2026-05-01"), d("2026-02-01"), d("2026-02-01"), d("2025-01-01")]
    assert checkpoints(d("2026-01-01"), d("2026-12-31"), inside) == [
        d("2026-01-01"),
        d("2026-02-01"),
        d("2026-05-01"),
        d("2026-12-31"),
    ]


@pytest.mark.parametrize(
    ("spec", "last", "as_of", "stale"),
    [
        # ended periods at 06-15: ... [04-01, 05-01], [05-01, 06-01]: actual needed since 04-01
        (MONTHLY, None, "2026-06-15", True),
        (MONTHLY, "2026-03-31", "2026-06-15", True),
        (MONTHLY, "2026-04-01", "2026-06-15", False),
        (MONTHLY, "2026-06-10", "2026-06-15", False),
        # before the first milestone no period has ended
        (MONTHLY, None, "2026-01-31", False),
        # one ended period: an actual is needed since the baseline
        (MONTHLY, None, "2026-02-01", True),
        (MONTHLY, "2026-01-01", "2026-02-10", False),
        # no milestones: one period, flagged once the target date is reached with no actual
        (NO_MILESTONES, None, "2026-05-31", False),
        (NO_MILESTONES, None, "2026-06-01", True),
        (NO_MILESTONES, "2024-12-31", "2026-07-01", True),
        (NO_MILESTONES, "2025-01-01", "2026-07-01", False),
        # long after the target: the last two periods still count
        (MONTHLY, "2026-10-01", "2030-01-01", False),
        (MONTHLY, "2026-09-30", "2030-01-01", True),
        (MONTHLY, None, "0001-01-01", False),
        (MONTHLY, None, "9999-12-31", True),
    ],
)
def test_no_recent_actual(spec, last, as_of, stale):
    assert no_recent_actual(spec, d(last) if last else None, d(as_of)) is stale


@pytest.mark.parametrize(
    ("spec", "last", "as_of", "due"),
    [
        # current period at 06-15 started 06-01
        (MONTHLY, "2026-06-01", "2026-06-15", False),
        (MONTHLY, "2026-05-31", "2026-06-15", True),
        (MONTHLY, None, "2026-06-15", True),
        # nothing has ended during the first period
        (MONTHLY, None, "2026-01-20", False),
        (MONTHLY, None, "2025-12-01", False),
        # no milestones: due once the target date is reached, until an actual since baseline
        (NO_MILESTONES, None, "2026-05-01", False),
        (NO_MILESTONES, None, "2026-06-01", True),
        (NO_MILESTONES, "2025-03-01", "2026-06-20", False),
        # after the target: the last period's actual
        (MONTHLY, "2026-11-15", "2027-03-01", False),
        (MONTHLY, "2026-10-15", "2027-03-01", True),
        (MONTHLY, None, "9999-12-31", True),
    ],
)
def test_due_an_actual(spec, last, as_of, due):
    assert due_an_actual(spec, d(last) if last else None, d(as_of)) is due


# --- the alignment report: a clean data set, then one defect of each kind -----------------


@dataclass
class World:
    cs: object
    service: object
    sales: Department
    logistics: Department
    sales_lead: User
    logistics_lead: User
    objective: object
    sales_plan: object
    logistics_plan: object


@pytest.fixture
def clean(app, make) -> World:
    """An aligned cascade: a supported active strategy, a measured cross-functional objective."""
    cs = make.company_strategy(title="Grow sales")
    service = make.service_strategy(links=[(cs, "supports")], title="Service first")
    sales = make.department("sales", name="Sales", position=0)
    logistics = make.department("logistics", name="Logistics", position=1)
    sales_lead = make.user("lead", sales, name="Sam Sales")
    logistics_lead = make.user("lead", logistics, name="Lou Logistics")
    sales.lead, logistics.lead = sales_lead, logistics_lead
    objective = make.objective(service, title="Deliver on time")
    make.indicator(objective, name="On-time deliveries")  # no period has ended yet
    due = d("2026-09-30")
    sales_plan = make.plan(
        objective, sales, title="Promise dates", owner=sales_lead, due_date=due, state="planned"
    )
    logistics_plan = make.plan(
        objective, logistics, title="Route planning", owner=logistics_lead, due_date=due
    )
    db.session.commit()
    return World(
        cs,
        service,
        sales,
        logistics,
        sales_lead,
        logistics_lead,
        objective,
        sales_plan,
        logistics_plan,
    )


def test_a_clean_data_set_has_no_finding(clean):
    report = alignment.findings(FIXED_TODAY)
    assert found(report) == {}
    assert report.total == 0
    assert list(report.findings) == list(alignment.KIND_KEYS)


def two_plans(make, w: World, objective, **kw) -> None:
    """A plan of each department, with owner and due date."""
    for dept, owner in ((w.sales, w.sales_lead), (w.logistics, w.logistics_lead)):
        make.plan(objective, dept, owner=owner, due_date=d("2026-09-30"), **kw)


def unsupported(make, w: World):
    make.service_strategy(links=[(w.cs, "neutral")], title="Only neutral")
    return {"unsupported_service": ["Only neutral"]}


def supported_by_an_archived_strategy(make, w: World):
    gone = make.company_strategy(title="Old", archived_at=utcnow(), status="archived")
    make.service_strategy(links=[(gone, "supports")], title="Backs an old one", status="draft")
    return {"unsupported_service": ["Backs an old one"]}


def conflicting(make, w: World):
    cut_costs = make.company_strategy(title="Cut costs")
    make.service_strategy(
        links=[(w.cs, "supports"), (cut_costs, "conflicts")], title="Deliver twice a day"
    )
    return {"conflicting_service": ["Deliver twice a day"]}


def unsupported_and_conflicting(make, w: World):
    make.service_strategy(links=[(w.cs, "conflicts")], title="Against growth")
    return {"unsupported_service": ["Against growth"], "conflicting_service": ["Against growth"]}


def without_indicator(make, w: World):
    o = make.objective(w.service, title="Unmeasured")
    two_plans(make, w, o)
    return {"objective_without_indicator": ["Unmeasured"]}


def measured_only_by_a_cancelled_plan(make, w: World):
    o = make.objective(w.service, title="Measured by a cancelled plan")
    two_plans(make, w, o)
    gone = make.plan(o, w.sales, owner=w.sales_lead, due_date=d("2026-09-30"), state="cancelled")
    make.indicator(gone)
    make.indicator(o, archived_at=utcnow())
    return {"objective_without_indicator": ["Measured by a cancelled plan"]}


def measured_by_a_plan(make, w: World):
    o = make.objective(w.service, title="Measured through its plans")
    two_plans(make, w, o)
    make.indicator(o.plans[0])
    return {}


def single_department(make, w: World):
    o = make.objective(w.service, title="Sales alone")
    make.indicator(o)
    for _ in range(2):
        make.plan(o, w.sales, owner=w.sales_lead, due_date=d("2026-09-30"))
    make.plan(o, w.logistics, owner=w.logistics_lead, due_date=d("2026-09-30"), state="cancelled")
    make.plan(o, w.logistics, owner=w.logistics_lead, archived_at=utcnow())
    return {"single_department_objective": ["Sales alone"]}


def without_plan(make, w: World):
    o = make.objective(w.service, title="Nobody on it")
    make.indicator(o)
    make.plan(o, w.sales, owner=w.sales_lead, due_date=d("2026-09-30"), state="cancelled")
    return {"objective_without_plan": ["Nobody on it"]}


def plan_without_owner(make, w: World):
    make.plan(w.objective, w.sales, title="Ownerless", due_date=d("2026-09-30"))
    make.plan(w.objective, w.sales, title="Undated", owner=w.sales_lead)
    make.plan(w.objective, w.logistics, title="Neither", state="done")
    return {"plan_missing_owner_or_due": ["Ownerless", "Undated", "Neither"]}


def stale_indicator(make, w: World):
    make.indicator(
        w.sales_plan,
        name="Orders with a promised date",
        milestones=[(d(f"2026-{m:02d}-01"), m * 8.0) for m in range(2, 6)],
        actuals=[(d("2026-02-15"), 10.0)],
    )
    make.indicator(  # no milestones, target passed, nothing since the baseline
        w.objective,
        name="Complaints",
        baseline_date=d("2025-01-01"),
        target_date=d("2026-06-01"),
        actuals=[(d("2024-12-01"), 3.0)],
    )
    make.indicator(  # fresh enough: an actual since the start of the last two periods
        w.logistics_plan,
        milestones=[(d(f"2026-{m:02d}-01"), m * 8.0) for m in range(2, 6)],
        actuals=[(d("2026-03-01"), 10.0)],
    )
    return {"stale_indicator": ["Orders with a promised date", "Complaints"]}


def idle_department(make, w: World):
    marketing = make.department("marketing", name="Marketing", position=2)
    finance = make.department("finance", name="Finance", position=3)
    make.plan(w.objective, finance, owner=None, state="cancelled")  # cancelled: idle still
    draft = make.service_strategy(links=[(w.cs, "supports")], status="draft", title="Next year")
    later = make.objective(draft, title="Later")
    make.indicator(later)
    make.plan(later, marketing, owner=make.user("lead", marketing), due_date=d("2027-06-01"))
    make.plan(later, w.sales, owner=w.sales_lead, due_date=d("2027-06-01"))
    return {"idle_department": ["Marketing", "Finance"]}


@pytest.mark.parametrize(
    "defect",
    [
        unsupported,
        supported_by_an_archived_strategy,
        conflicting,
        unsupported_and_conflicting,
        without_indicator,
        measured_only_by_a_cancelled_plan,
        measured_by_a_plan,
        single_department,
        without_plan,
        plan_without_owner,
        stale_indicator,
        idle_department,
    ],
)
def test_each_kind_of_finding_is_found_exactly(clean, make, defect):
    expected = defect(make, clean)
    db.session.commit()
    assert found(alignment.findings(FIXED_TODAY)) == expected


def test_archived_and_cancelled_items_are_left_out(clean, make):
    w = clean
    gone = utcnow()
    # an archived service strategy with no link, and a live objective under it
    old = make.service_strategy(title="Old strategy", archived_at=gone)
    make.objective(old, title="Under an archived strategy")
    # a conflict with an archived company strategy
    dead = make.company_strategy(title="Dead", archived_at=gone)
    make.service_strategy(links=[(w.cs, "supports"), (dead, "conflicts")], title="Fine now")
    two_plans(make, w, make.objective(make.service_strategy(links=[(w.cs, "supports")])))
    # archived objective with nothing; archived / cancelled plans with nothing
    make.objective(w.service, title="Archived objective", archived_at=gone)
    make.plan(w.objective, w.sales, title="Archived plan", archived_at=gone)
    cancelled = make.plan(w.objective, w.sales, title="Cancelled plan", state="cancelled")
    # stale indicators that are archived or belong to a cancelled plan
    for parent, kw in ((w.sales_plan, {"archived_at": gone}), (cancelled, {})):
        make.indicator(parent, baseline_date=d("2025-01-01"), target_date=d("2026-01-01"), **kw)
    # an archived department with no plan
    make.department("old-dept", name="Old department", archived_at=gone)
    db.session.commit()
    found_now = found(alignment.findings(FIXED_TODAY))
    # the extra live strategy has a measured-less objective: that one finding is expected
    assert list(found_now) == ["objective_without_indicator"]
    assert len(found_now["objective_without_indicator"]) == 1


def test_idle_departments_need_an_active_strategy_first(app, make):
    make.department("sales", name="Sales")
    make.service_strategy(status="draft")
    db.session.commit()
    assert alignment.findings(FIXED_TODAY)["idle_department"] == []


def test_findings_carry_the_page_that_fixes_them(clean, make):
    stale_indicator(make, clean)
    plan_without_owner(make, clean)
    db.session.commit()
    report = alignment.findings(FIXED_TODAY)
    stale = report["stale_indicator"][0]
    assert stale.endpoint == "actuals.new"
    assert "indicator_id" in stale.args
    assert [t.endpoint for t in stale.targets][1] == "objectives.indicator_view"
    plan = report["plan_missing_owner_or_due"][0]
    assert (plan.endpoint, plan.args) == ("plans.edit", {"id": plan.targets[0].args["id"]})
    assert "has no owner" in plan.message
    assert "no owner and no due date" in report["plan_missing_owner_or_due"][2].message


def test_as_of_a_past_date(clean, make):
    stale_indicator(make, clean)
    db.session.commit()
    assert found(alignment.findings(d("2026-01-15"))) == {}


# --- the alignment page -------------------------------------------------------------------


def fix_url(app, finding) -> str | None:
    """The Fix link the page should show: the first target page that exists."""
    from flask import url_for

    for t in finding.targets:
        if t.endpoint in app.view_functions:
            with app.test_request_context():
                return url_for(t.endpoint, **t.args)
    return None


def test_page_shows_counts_sections_and_fix_links(app, client, login, clean, make):
    for defect in (unsupported, without_plan, stale_indicator, idle_department):
        defect(make, clean)
    ceo = make.user("executive")
    db.session.commit()
    login(ceo)
    page = main(client.get("/reports/alignment"))
    report = alignment.findings(FIXED_TODAY)
    assert f"Findings: {report.total}" in page
    for kind in alignment.KINDS:
        n = len(report[kind.key])
        assert f'data-count="{kind.key}">{n}<' in page
        assert f'href="/reports/alignment#kind-{kind.key}"' in page
        assert f'id="kind-{kind.key}"' in page
    assert "An indicator's periods run from its baseline date" in page
    for findings in report.findings.values():
        for f in findings:
            url = fix_url(app, f)
            assert (f'href="{url}"' if url else "no page to fix this yet") in page
    assert 'href="/departments/marketing"' in page


def test_every_fix_link_answers(app, client, login, clean, make):
    for defect in (
        unsupported,
        conflicting,
        without_indicator,
        single_department,
        without_plan,
        plan_without_owner,
        stale_indicator,
        idle_department,
    ):
        defect(make, clean)
    ceo = make.user("executive")
    db.session.commit()
    login(ceo)
    page = main(client.get("/reports/alignment"))
    links = re.findall(r'class="btn btn-sm btn-outline-primary fix-link" href="([^"]+)"', page)
    assert links
    for url in sorted(set(links)):
        assert client.get(url.replace("&amp;", "&")).status_code == 200, url


def test_an_empty_report_says_all_is_aligned(client, login, clean, make):
    login(make.user("viewer"))
    page = main(client.get("/reports/alignment"))
    assert "No findings: every strategy, objective and plan is aligned." in page
    assert "Findings: 0" in page


def test_one_kind_pages_through_its_findings(client, login, clean, make):
    for n in range(105):
        make.plan(clean.objective, clean.sales, title=f"Loose plan {n:03d}")
    viewer = make.user("viewer")
    db.session.commit()
    login(viewer)
    page = main(client.get("/reports/alignment"))
    assert "Showing the first 100 of 105." in page
    assert "Loose plan 099" in page
    assert "Loose plan 100" not in page
    assert "/reports/alignment?kind=plan_missing_owner_or_due" in page
    one = main(client.get("/reports/alignment?kind=plan_missing_owner_or_due&page=2"))
    assert "Loose plan 100" in one
    assert "Loose plan 104" in one
    assert 'id="kind-stale_indicator"' not in one
    assert client.get("/reports/alignment?kind=nope").status_code == 404
    assert client.get("/reports/alignment?kind=stale_indicator&page=3").status_code == 404


def test_alignment_as_of(client, login, clean, make):
    stale_indicator(make, clean)
    viewer = make.user("viewer")
    db.session.commit()
    login(viewer)
    assert "No findings" in main(client.get("/reports/alignment?as_of=2026-01-15"))
    assert "as they stood on 15 January 2026" in main(
        client.get("/reports/alignment?as_of=2026-01-15")
    )
    assert client.get("/reports/alignment?as_of=0001-01-01").status_code == 200
    assert client.get("/reports/alignment?as_of=9999-12-31").status_code == 200


# --- the contribution matrix --------------------------------------------------------------


def row_cells(page: str, objective_id: int) -> dict[str, tuple[str, str]]:
    """{department slug: (td attributes, td content)} of an objective's row."""
    row = page.split(f'<tr data-objective="{objective_id}">', 1)[1].split("</tr>", 1)[0]
    return {
        slug: (attrs, body)
        for slug, attrs, body in re.findall(
            r'<td data-department="([^"]+)"([^>]*)>(.*?)</td>', row, re.S
        )
    }


def test_matrix_cells(client, login, clean, make):
    w = clean
    make.indicator(w.sales_plan, actuals=[(d("2026-06-01"), 1.0)])  # off track
    w.logistics_plan.state = "in_progress"
    marketing = make.department("marketing", name="Marketing", position=2)
    make.department("old", name="Old", position=3, archived_at=utcnow())
    make.plan(w.objective, marketing, title="Cancelled campaign", state="cancelled")
    draft = make.service_strategy(links=[(w.cs, "supports")], status="draft", title="Next year")
    later = make.objective(draft, title="Later")
    past = make.objective(w.service, title="Finished", due_date=d("2026-03-31"))
    viewer = make.user("viewer")
    db.session.commit()
    login(viewer)
    page = main(client.get("/reports/matrix"))
    # columns: the live departments in order
    header = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert re.findall(r'<th scope="col"[^>]*data-department="([^"]+)"', header) == [
        "sales",
        "logistics",
        "marketing",
    ]
    assert "<caption>" in page
    assert 'class="table-responsive position-relative"' in page
    assert 'scope="row"' in page
    assert 'scope="rowgroup"' in page
    cells = row_cells(page, w.objective.id)
    assert "Promise dates" in cells["sales"][1]
    assert "Off track" in cells["sales"][1]
    assert "✖" in cells["sales"][1]  # not colour alone
    assert "Route planning" in cells["logistics"][1]
    assert "In progress" in cells["logistics"][1]
    assert "On track" not in cells["logistics"][1]  # no indicator: its state instead
    # the cancelled plan is left out: the cell is a gap under an active objective
    assert "Cancelled campaign" not in page
    assert "matrix-gap" in cells["marketing"][0]
    assert "No plan" in cells["marketing"][1]
    # gaps under objectives that are not active do not stand out
    for objective in (later, past):
        for attrs, body in row_cells(page, objective.id).values():
            assert "matrix-gap" not in attrs
            assert "No plan" in body  # still said, to screen readers
    # grouped by service strategy
    assert page.index("Service first") < page.index("Deliver on time") < page.index("Next year")
    assert page.index("Next year") < page.index("Later")


def test_matrix_empty_states(client, login, make):
    viewer = make.user("viewer")
    db.session.commit()
    login(viewer)
    assert "No objectives yet" in main(client.get("/reports/matrix"))


def test_matrix_paginates_and_takes_as_of(client, login, clean, make):
    for n in range(55):
        make.objective(clean.service, title=f"Objective number {n:02d}")
    viewer = make.user("viewer")
    db.session.commit()
    login(viewer)
    first = main(client.get("/reports/matrix"))
    assert "Objective number 48" in first
    assert "Objective number 49" not in first
    second = main(client.get("/reports/matrix?page=2"))
    assert "Objective number 54" in second
    assert "Service first" in second  # the group's heading repeats
    assert client.get("/reports/matrix?page=3").status_code == 404
    assert client.get("/reports/matrix?as_of=bad").status_code == 400
    assert "as they stood on 1 January 2026" in main(client.get("/reports/matrix?as_of=2026-01-01"))


# --- my updates ---------------------------------------------------------------------------


def check_in(plan, author, on: str) -> None:
    at = datetime.combine(d(on), datetime.min.time(), tzinfo=UTC).replace(hour=12)
    db.session.add(
        CheckIn(
            action_plan=plan,
            author=author,
            state=plan.state,
            progress_pct=plan.progress_pct,
            created_at=at,
            updated_at=at,
        )
    )
    db.session.flush()


def follow_up(owner, state: str, ref: str, plan=None) -> FollowUp:
    response = NpsResponse(date=d("2026-06-01"), score=3, customer_ref=ref, comment="Late again")
    f = FollowUp(response=response, owner=owner, state=state, action_plan=plan)
    db.session.add(f)
    db.session.flush()
    return f


@dataclass
class People:
    lead: User
    member: User
    ceo: User
    other_lead: User


@pytest.fixture
def team(clean, make) -> People:
    """Sales plans in every situation; an executive's objective; follow-ups."""
    w = clean
    # The world's own plans were written on 2026-01-01 (conftest): checked in lately, they
    # wait on nobody.
    check_in(w.sales_plan, w.sales_lead, "2026-06-13")
    check_in(w.logistics_plan, w.logistics_lead, "2026-06-13")
    member = make.user("member", w.sales, name="Mia Member")
    ceo = make.user("executive", name="Cleo CEO")
    start = d("2026-01-01")
    # the member's plans: overdue; quiet for 14 days; checked in 13 days ago; not started
    overdue = make.plan(
        w.objective,
        w.sales,
        title="Overdue plan",
        owner=member,
        start_date=start,
        due_date=d("2026-06-14"),
        state="in_progress",
    )
    check_in(overdue, member, "2026-06-14")
    quiet = make.plan(
        w.objective,
        w.sales,
        title="Quiet plan",
        owner=member,
        start_date=start,
        due_date=d("2026-12-31"),
    )
    check_in(quiet, member, "2026-05-01")
    check_in(quiet, member, "2026-06-01")  # 14 days before FIXED_TODAY
    check_in(quiet, member, "2026-06-20")  # after as_of: does not count
    recent = make.plan(
        w.objective,
        w.sales,
        title="Recent plan",
        owner=member,
        start_date=start,
        due_date=d("2026-12-31"),
    )
    check_in(recent, member, "2026-06-02")  # 13 days
    make.plan(
        w.objective,
        w.sales,
        title="Future plan",
        owner=member,
        start_date=d("2026-07-01"),
        due_date=d("2026-12-31"),
    )
    make.plan(
        w.objective,
        w.sales,
        title="Finished plan",
        owner=member,
        start_date=start,
        due_date=d("2026-03-01"),
        state="done",
    )
    make.plan(
        w.objective,
        w.sales,
        title="Archived plan",
        owner=member,
        start_date=start,
        due_date=d("2026-03-01"),
        archived_at=utcnow(),
    )
    # the lead's own department: a plan nobody owns, never checked in, started long ago
    make.plan(w.objective, w.sales, title="Unowned plan", start_date=start)
    # another department's overdue plan
    make.plan(
        w.objective,
        w.logistics,
        title="Logistics late",
        owner=w.logistics_lead,
        start_date=start,
        due_date=d("2026-06-01"),
    )
    # indicators of the member's plan: one due an actual, one up to date
    monthly = [(d(f"2026-{m:02d}-01"), m * 8.0) for m in range(2, 12)]
    make.indicator(
        recent, name="Due indicator", milestones=monthly, actuals=[(d("2026-05-20"), 30.0)]
    )
    make.indicator(
        recent, name="Fresh indicator", milestones=monthly, actuals=[(d("2026-06-01"), 30.0)]
    )
    # the executive's objective, with an indicator due an actual
    theirs = make.objective(w.service, title="CEO objective", owner=ceo)
    make.indicator(theirs, name="CEO indicator", milestones=monthly)
    # follow-ups
    follow_up(member, "open", "CUST-OPEN", plan=overdue)
    follow_up(member, "contacted", "CUST-CONTACTED")
    follow_up(member, "resolved", "CUST-RESOLVED")
    follow_up(ceo, "open", "CUST-CEO")
    db.session.commit()
    return People(w.sales_lead, member, ceo, w.logistics_lead)


def titles(updates) -> set[str]:
    return {item.plan.title for item in updates.plans}


def test_member_sees_their_own_plans(team):
    u = my_updates(team.member, FIXED_TODAY)
    assert titles(u) == {"Overdue plan", "Quiet plan"}
    by_title = {i.plan.title: i for i in u.plans}
    assert by_title["Overdue plan"].overdue
    assert not by_title["Overdue plan"].quiet
    assert by_title["Quiet plan"].quiet
    assert by_title["Quiet plan"].quiet_days == 14
    assert by_title["Quiet plan"].last_check_in == d("2026-06-01")
    assert {i.name for i in u.indicators} == {"Due indicator"}
    assert u.indicators[0].period_start == d("2026-06-01")
    assert u.indicators[0].parent_title == "Recent plan"
    assert {f.response.customer_ref for f in u.follow_ups} == {"CUST-OPEN", "CUST-CONTACTED"}


def test_lead_sees_their_department(team):
    u = my_updates(team.lead, FIXED_TODAY)
    assert titles(u) == {"Overdue plan", "Quiet plan", "Unowned plan"}
    assert {i.name for i in u.indicators} == {"Due indicator"}
    assert u.follow_ups == []


def test_executive_sees_their_objectives_and_follow_ups(team):
    u = my_updates(team.ceo, FIXED_TODAY)
    assert u.plans == []
    assert {i.name for i in u.indicators} == {"CEO indicator"}
    assert u.indicators[0].last_actual is None
    assert [f.response.customer_ref for f in u.follow_ups] == ["CUST-CEO"]


def test_the_other_lead(team):
    u = my_updates(team.other_lead, FIXED_TODAY)
    assert titles(u) == {"Logistics late"}


def test_a_day_earlier_the_quiet_plan_is_not_quiet(team):
    u = my_updates(team.member, d("2026-06-14"))
    assert "Quiet plan" not in titles(u)


def test_my_updates_page(app, client, login, team):
    login(team.member)
    page = main(client.get("/reports/my-updates"))
    assert "Overdue plan" in page
    assert "Quiet plan" in page
    assert "No check-in for 14 days (last on 2026-06-01)" in page
    assert "Recent plan" not in page.split('id="my-plans"', 1)[1].split("</ul>", 1)[0]
    assert "Due indicator" in page
    assert "Fresh indicator" not in page
    assert "CUST-OPEN" in page
    assert "CUST-CONTACTED" in page
    assert "CUST-RESOLVED" not in page
    if "plans.check_in" in app.view_functions:
        assert "Post a check-in" in page
    if "actuals.new" in app.view_functions:
        assert "Enter an actual" in page


def test_long_lists_show_those_due_first_and_the_total(client, login, team, monkeypatch):
    monkeypatch.setattr("strategy_app.services.reads.my_updates.LIMIT", 1)
    u = my_updates(team.lead, FIXED_TODAY)
    assert [i.plan.title for i in u.plans] == ["Overdue plan"]
    assert u.plan_total == 3
    login(team.lead)
    assert "Showing the first 1 of 3, those due first." in main(client.get("/reports/my-updates"))


def test_lead_page_lists_the_unowned_plan(client, login, team):
    login(team.lead)
    page = main(client.get("/reports/my-updates"))
    assert "Unowned plan" in page
    assert "No check-in yet" in page


def test_nothing_waits_on_a_viewer(client, login, make, clean):
    login(make.user("viewer"))
    assert "Nothing waits on you." in main(client.get("/reports/my-updates"))


def test_my_updates_bad_as_of(client, login, make, clean):
    login(make.user("viewer"))
    assert client.get("/reports/my-updates?as_of=2026-99-01").status_code == 400
    assert client.get("/reports/my-updates?as_of=9999-12-31").status_code == 200
    assert client.get("/reports/my-updates?as_of=0001-01-01").status_code == 200


# --- every page: escaped, readable by every role, signed out → login, bounded queries -----


def test_html_is_escaped_everywhere(client, login, make):
    evil = "<script>alert(1)</script>"
    dept = make.department("evil", name=evil)
    lead = make.user("lead", dept)
    service = make.service_strategy(title=evil)
    objective = make.objective(service, title=evil)
    make.plan(objective, dept, title=evil, owner=lead, due_date=d("2026-01-01"))
    follow_up(lead, "open", evil)
    db.session.commit()
    login(lead)
    for path in PAGES:
        page = html(client.get(path))
        assert evil not in page, path
        assert "&lt;script&gt;" in page, path


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", PAGES)
def test_every_role_reads_every_page(client, login, clean, make, role, path):
    user = make.user(role, clean.sales if role in ("lead", "member") else None)
    db.session.commit()
    login(user)
    r = client.get(path)
    assert r.status_code == 200
    assert "style=" not in main(r)
    assert "<script" not in main(r)


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_goes_to_login(client, path):
    r = client.get(path)
    assert r.status_code == 302
    assert "/login" in r.headers["Location"]


def grow(make, n: int, department_ids: list[int], owner_id: int) -> None:
    """n objectives with every kind of finding and every kind of update, for the owner."""
    departments = [db.session.get(Department, i) for i in department_ids]
    owner = db.session.get(User, owner_id)
    cs = make.company_strategy()
    for k in range(n):
        service = make.service_strategy(links=[(cs, "conflicts")])
        objective = make.objective(service, owner=owner)
        make.indicator(objective, milestones=[(d("2026-03-01"), 10.0)])
        for dept in departments[:1]:
            plan = make.plan(objective, dept, owner=owner, start_date=d("2026-01-01"))
            make.indicator(plan, milestones=[(d("2026-02-01"), 5.0), (d("2026-04-01"), 9.0)])
            check_in(plan, owner, "2026-05-01")
            make.plan(objective, dept, owner=owner, due_date=d("2026-06-01"), state="blocked")
        follow_up(owner, "open", f"C-{k}-{owner_id}")
    db.session.commit()


def page_queries(client, path: str) -> int:
    db.session.expunge_all()
    with counting_queries() as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_the_data(client, login, make):
    departments = [make.department(f"d{n}", position=n) for n in range(3)]
    lead = make.user("lead", departments[0])
    db.session.commit()
    ids, lead_id = [x.id for x in departments], lead.id
    login(lead)
    grow(make, 2, ids, lead_id)
    small = {p: page_queries(client, p) for p in PAGES}
    grow(make, 10, ids, lead_id)
    large = {p: page_queries(client, p) for p in PAGES}
    assert small == large, (small, large)
    assert max(large.values()) <= 20, large
