"""The department pages: index of scorecards, one department's plans, dependencies both ways."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import date

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import Department, Indicator, Objective, PlanDependency
from strategy_app.models.base import utcnow
from strategy_app.services.plumbing import numbers
from tests.queries import page_query_counts

ROLES = ("executive", "lead", "member", "viewer")


@contextlib.contextmanager
def counting_queries():
    """Count the SQL statements run inside the block."""
    queries: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        queries.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield queries
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def html(response) -> str:
    return response.get_data(as_text=True)


def main(response) -> str:
    """The page's own content (without the navigation)."""
    return html(response).split('<main id="main"', 1)[1].split("</main>", 1)[0]


def section(page: str, heading_id: str) -> str:
    """The text of the <section> labelled by heading_id."""
    return page.split(f'aria-labelledby="{heading_id}"', 1)[1].split("</section>", 1)[0]


def depends(plan, blocked_by, note: str = "") -> None:
    db.session.add(PlanDependency(plan=plan, blocked_by=blocked_by, note=note))
    db.session.flush()


@pytest.fixture
def world(app, make):
    """Sales (blocked by logistics, and holding up logistics), logistics, an archived finance."""
    sales = make.department("sales", name="Sales", position=0, service_role="Takes the orders.")
    logistics = make.department("logistics", name="Logistics", position=1)
    finance = make.department("finance", name="Finance", position=2, archived_at=utcnow())
    lead = make.user("lead", sales, name="Sam Sales")
    sales.lead = lead
    other_lead = make.user("lead", logistics, name="Lou Logistics")
    logistics.lead = other_lead
    member = make.user("member", sales)
    cs = make.company_strategy()
    service = make.service_strategy(links=[(cs, "supports")], title="Service first")
    o1 = make.objective(service, title="Deliver on time")
    o2 = make.objective(service, title="Answer every call")
    p1 = make.plan(
        o1,
        sales,
        title="Promise dates",
        state="in_progress",
        progress_pct=40,
        due_date=date(2026, 6, 1),
        owner=lead,
    )
    p2 = make.plan(o2, sales, title="Call-back rota", state="done", progress_pct=100)
    p3 = make.plan(o1, sales, title="Share the forecast", state="planned")
    l1 = make.plan(o1, logistics, title="Route planning", state="in_progress")
    l2 = make.plan(o1, logistics, title="Dock schedule", state="planned")
    l3 = make.plan(o1, logistics, title="Fleet renewal", state="done")
    depends(p1, l1, "needs the routes")  # sales is blocked by logistics
    depends(l2, p3, "needs the forecast")  # sales holds up logistics
    depends(p3, p2)  # the same department: shown on neither list
    depends(p3, l3)  # a done blocker holds nothing up any more
    make.indicator(p1, actuals=[(date(2026, 6, 1), 10.0)])  # off track
    make.plan(o1, finance, title="Archived department's plan")
    db.session.commit()
    return {
        "sales": sales,
        "logistics": logistics,
        "finance": finance,
        "lead": lead,
        "other_lead": other_lead,
        "member": member,
        "o1": o1,
        "o2": o2,
        "p1": p1,
        "p2": p2,
        "p3": p3,
        "l1": l1,
        "l2": l2,
    }


def test_index_lists_live_departments_in_order_with_lead_role_and_scorecard(
    client, login, world, make
):
    login(make.user("viewer"))
    page = main(client.get("/departments/"))
    assert page.index('data-department="sales"') < page.index('data-department="logistics"')
    assert 'data-department="finance"' not in page
    sales = page.split('data-department="sales"', 1)[1].split("</article>", 1)[0]
    assert "Sam Sales" in sales
    assert "Takes the orders." in sales
    assert 'href="/departments/sales"' in sales
    # the scorecard from metrics: 3 plans (1 planned, 1 in progress, 1 done), 1 overdue
    assert "In progress 1" in sales
    assert "Done 1" in sales
    assert "Planned 1" in sales
    assert 'data-overdue="1"' in sales
    assert "Off track 1" in sales
    assert "47%" in sales  # execution: mean of 0.4, 1.0 (done) and 0.0


def test_view_groups_plans_by_objective(client, login, world, make):
    login(make.user("viewer"))
    page = main(client.get("/departments/sales"))
    assert "Takes the orders." in page
    assert "Sam Sales" in page
    plans = section(page, "plans-h")
    first = plans.split(f'data-objective="{world["o1"].id}"', 1)[1].split("data-objective=", 1)[0]
    second = plans.split(f'data-objective="{world["o2"].id}"', 1)[1]
    assert "Deliver on time" in first
    assert "Promise dates" in first
    assert "Share the forecast" in first
    assert "Call-back rota" not in first
    assert "Call-back rota" in second
    assert "Answer every call" in second
    assert "Route planning" not in plans  # another department's plan
    # state, progress and overdue
    row = plans.split(f'data-plan="{world["p1"].id}"', 1)[1].split("</tr>", 1)[0]
    assert "In progress" in row
    assert "40%" in row
    assert "Overdue" in row
    assert "2026-06-01" in row


def test_blocks_and_holds_up_both_ways(client, login, world, make):
    login(make.user("viewer"))
    sales = main(client.get("/departments/sales"))
    blocked = section(sales, "blocks-h")
    assert "Promise dates" in blocked
    assert "Route planning" in blocked
    assert "needs the routes" in blocked
    assert "Logistics" in blocked
    assert "Share the forecast" not in blocked  # its blockers: same department, or done
    holding = section(sales, "holds-h")
    assert "Share the forecast" in holding
    assert "Dock schedule" in holding
    assert "Route planning" not in holding

    logistics = main(client.get("/departments/logistics"))
    assert "Dock schedule" in section(logistics, "blocks-h")
    assert "Share the forecast" in section(logistics, "blocks-h")
    assert "Promise dates" in section(logistics, "holds-h")
    assert "Route planning" in section(logistics, "holds-h")
    assert "Fleet renewal" not in section(logistics, "holds-h")


def test_dependencies_of_archived_or_closed_plans_are_left_out(client, login, world, make):
    world["l1"].archived_at = utcnow()
    world["p3"].state = "cancelled"
    db.session.commit()
    login(make.user("viewer"))
    sales = main(client.get("/departments/sales"))
    assert "No plan of another department holds up Sales." in sales
    assert "Sales holds up no other department" not in sales  # p3's holding-up stays
    logistics = main(client.get("/departments/logistics"))
    assert "Logistics holds up no other department's plan." in logistics


def test_empty_lists_say_so(client, login, make):
    make.department("systems", name="Systems")
    viewer = make.user("viewer")
    db.session.commit()
    login(viewer)
    page = main(client.get("/departments/systems"))
    assert "Systems has no plans yet." in page
    assert "No plan of another department holds up Systems." in page
    assert "Systems holds up no other department" in page
    assert "No service role written yet." in page


def test_no_departments_at_all(client, login, make):
    login(make.user("viewer"))
    assert "No departments yet." in main(client.get("/departments/"))


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("executive", True),
        ("lead", True),
        ("other_lead", False),
        ("member", False),
        ("viewer", False),
    ],
)
def test_add_a_plan_button_only_for_who_may(app, client, login, world, make, who, shown):
    user = {
        "executive": lambda: make.user("executive"),
        "lead": lambda: world["lead"],
        "other_lead": lambda: world["other_lead"],
        "member": lambda: world["member"],
        "viewer": lambda: make.user("viewer"),
    }[who]()
    db.session.commit()
    login(user)
    page = main(client.get("/departments/sales"))
    expected = shown and "plans.new" in app.view_functions
    assert ("Add a plan" in page) is expected
    if expected:
        assert f"department_id={world['sales'].id}" in page


def test_unknown_or_archived_slug_is_404(client, login, world, make):
    login(make.user("viewer"))
    assert client.get("/departments/nope").status_code == 404
    assert client.get("/departments/finance").status_code == 404
    assert client.get("/departments/sa%00les").status_code == 404
    assert client.get("/departments/" + "x" * 5000).status_code == 404


@pytest.mark.parametrize("path", ["/departments/", "/departments/sales"])
@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "2026-02-30", "%00", "9" * 40])
def test_bad_as_of_is_400(client, login, world, make, path, bad):
    login(make.user("viewer"))
    assert client.get(f"{path}?as_of={bad}").status_code == 400


@pytest.mark.parametrize("path", ["/departments/", "/departments/sales"])
@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31", "2026-05-01"])
def test_as_of_shows_the_past(client, login, world, make, path, as_of):
    login(make.user("viewer"))
    r = client.get(f"{path}?as_of={as_of}")
    if as_of == "0001-01-01" and path != "/departments/":
        assert r.status_code == 404  # the department did not exist yet (DESIGN §7)
        return
    assert r.status_code == 200
    assert f"as they stood on {numbers.day(date.fromisoformat(as_of))}" in main(r)


def test_as_of_changes_the_overdue_count(client, login, world, make):
    login(make.user("viewer"))
    page = main(client.get("/departments/sales?as_of=2026-05-01"))
    assert 'data-overdue="0"' in page
    assert "Overdue</span>" not in section(page, "plans-h")


def test_bad_page_numbers_are_404(client, login, world, make):
    login(make.user("viewer"))
    assert client.get("/departments/sales?page=abc").status_code == 404
    assert client.get("/departments/sales?page=0").status_code == 404
    assert client.get("/departments/sales?page=2").status_code == 404
    assert client.get("/departments/sales?page=1").status_code == 200


def test_plans_paginate(client, login, make):
    sales = make.department("sales", name="Sales")
    objective = make.objective()
    for n in range(55):
        make.plan(objective, sales, title=f"Plan number {n:02d}")
    viewer = make.user("viewer")
    db.session.commit()
    login(viewer)
    first = main(client.get("/departments/sales"))
    assert "Plan number 49" in first
    assert "Plan number 50" not in first
    assert "Pages of plans" in first
    second = main(client.get("/departments/sales?page=2"))
    assert "Plan number 50" in second
    assert "Plan number 54" in second


def test_html_is_escaped(client, login, make):
    evil = "<script>alert(1)</script>"
    d = make.department("evil", name=evil, service_role=evil)
    make.plan(make.objective(title=evil), d, title=evil)
    viewer = make.user("viewer")
    db.session.commit()
    login(viewer)
    for path in ("/departments/", "/departments/evil"):
        page = html(client.get(path))
        assert evil not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_history_of_the_department_is_shown(client, login, world, make):
    login(make.user("viewer"))
    page = main(client.get("/departments/sales"))
    assert 'id="history-h"' in page


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/departments/", "/departments/sales"])
def test_every_role_reads(client, login, world, make, role, path):
    user = make.user(role, world["sales"] if role in ("lead", "member") else None)
    db.session.commit()
    login(user)
    r = client.get(path)
    assert r.status_code == 200
    assert "style=" not in main(r)
    # no inline script (charts carry their figure as JSON data, and load scripts by src)
    assert not re.findall(r'<script(?![^>]*(?:type="application/json"|src=))', main(r))


@pytest.mark.parametrize("path", ["/departments/", "/departments/sales", "/departments/nope"])
def test_signed_out_goes_to_login(client, world, path):
    r = client.get(path)
    assert r.status_code == 302
    assert re.search(r"/login", r.headers["Location"])


# --- query counts -------------------------------------------------------------------------


def build(make, department_ids, n: int) -> None:
    """n objectives, each with a plan (with an indicator and actual) per department, chained."""
    departments = [db.session.get(Department, i) for i in department_ids]
    previous = None
    service = make.service_strategy()
    for k in range(n):
        objective = make.objective(service)
        make.indicator(objective, actuals=[(date(2026, 3, 1), 20.0)])
        for d in departments:
            plan = make.plan(objective, d, owner=d.lead, due_date=date(2026, 7, 1))
            make.indicator(
                plan, milestones=[(date(2026, 4, 1), 30.0)], actuals=[(date(2026, 5, 1), 10.0 + k)]
            )
            if previous is not None:
                depends(plan, previous)
            previous = plan
    db.session.commit()


def queries_of(client, path: str) -> int:
    db.session.expunge_all()  # nothing cached from building the data
    with counting_queries() as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_the_data(client, login, make):
    departments = []
    for n in range(3):
        d = make.department(f"d{n}", position=n)
        d.lead = make.user("lead", d)
        departments.append(d)
    viewer = make.user("viewer")
    db.session.commit()
    login(viewer)
    ids = [d.id for d in departments]
    build(make, ids, 2)
    small = {p: queries_of(client, p) for p in ("/departments/", "/departments/d1")}
    build(make, ids, 8)
    large = {p: queries_of(client, p) for p in ("/departments/", "/departments/d1")}
    assert small == large, (small, large)
    assert max(large.values()) <= 20, large


def test_plans_of_many_owners_cost_no_query_per_owner(client, login, make):
    """Each plan shows its owner: read in one query with the page, however many people."""
    sales = make.department("sales")
    viewer = make.user("viewer")
    objective = make.objective(make.service_strategy())
    db.session.commit()
    login(viewer)
    ids = sales.id, objective.id

    def with_owners(n: int) -> int:
        sales, objective = db.session.get(Department, ids[0]), db.session.get(Objective, ids[1])
        for k in range(n):
            owner = make.user("member", sales, email=f"owner{n}-{k}@example.test")
            make.plan(objective, sales, title=f"Plan {n}-{k}", owner=owner)
        db.session.commit()
        db.session.expunge_all()  # nobody loaded beforehand
        return page_query_counts(client, "/departments/sales")  # (cold, warm)

    few = with_owners(2)
    many = with_owners(10)
    assert few == many
    page = main(client.get("/departments/sales"))
    assert page.count("data-plan=") >= 12


def test_view_names_what_is_off_track_and_charts_its_indicators(client, login, world, make):
    on = make.indicator(world["p3"], name="Forecast shared", actuals=[(date(2026, 6, 1), 50.0)])
    db.session.commit()
    login(make.user("viewer"))
    page = main(client.get("/departments/sales"))
    off = db.session.scalar(sa.select(Indicator).where(Indicator.action_plan_id == world["p1"].id))
    # the scorecard's "Off track 1" says which, with a link to it
    named = page.split('id="off-track-list"', 1)[1].split("</p>", 1)[0]
    assert f'href="/objectives/indicators/{off.id}">{off.name}</a>' in named
    assert on.name not in named
    # a status column per plan: the worst of its indicators, or none
    plans = section(page, "plans-h")
    row = plans.split(f'data-plan="{world["p1"].id}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-cell="status">\n<span class="badge status-off_track">' in row
    row = plans.split(f'data-plan="{world["p2"].id}"', 1)[1].split("</tr>", 1)[0]
    assert "no indicator" in row
    # its indicators' expected vs actual, the worst first
    found = re.search(
        r'<script type="application/json" id="chart-department-indicators-data">(.*?)</script>',
        page,
    )
    figure = json.loads(found.group(1))
    headings = [a["text"].split("<br>")[0] for a in figure["layout"]["annotations"]]
    assert headings[0].startswith(off.name)
    assert headings[1].startswith("Forecast shared")
    overdue = page.split('id="overdue-list"', 1)[1].split("</p>", 1)[0]
    assert "Promise dates" in overdue
