"""The printable report after a change: each department's section is kept per data version,
only the sections a change touched are rendered again, and the page is, byte for byte, the
page a fresh render makes (exports.report, data_version.Cache.get_or_refresh).

Changes are made through the app, as people make them: an actual posted, a plan's state
edited, an objective renamed, a plan archived, a plan moved to another department.
"""

from __future__ import annotations

from datetime import date

import pytest

from strategy_app.exports import report as report_page
from strategy_app.extensions import db
from strategy_app.services.plumbing import data_version, per_version
from tests.conftest import FIXED_TODAY
from tests.queries import counting_queries
from tests.test_plan_pages import edit_data, form_values

PAST = "2026-05-01"
URLS = ("/exports/report", "/exports/report?print=1", f"/exports/report?as_of={PAST}")


def latest(n: int, k: int) -> float:
    """The latest actual of plan k of objective n: all on track under objective 1 (so that its
    own indicator decides its status), from far behind to ahead elsewhere."""
    return 70.0 + k if n == 1 else 10.0 * (n + k)


@pytest.fixture
def world(app, make, client, login):
    """Three departments, two service strategies, four objectives; each objective has an
    indicator of its own (far behind) and a plan in each department, each plan an indicator
    with a milestone and actuals. The executive is signed in."""
    make.organization(name="Acme")
    depts = [
        make.department("sales", name="Sales", position=0),
        make.department("logistics", name="Logistics", position=1),
        make.department("finance", name="Finance", position=2),
    ]
    services = [make.service_strategy(title=f"Service {n}") for n in (1, 2)]
    objectives = [
        make.objective(services[n % 2], title=f"Objective {n}", due_date=date(2026, 12, 31))
        for n in range(4)
    ]
    plans: dict[tuple[int, int], object] = {}
    own = {}
    for n, o in enumerate(objectives):
        own[n] = make.indicator(
            o, name=f"Own {n}", actuals=[(date(2026, 3, 1), 10.0), (date(2026, 6, 1), 12.0)]
        )
        for k, d in enumerate(depts):
            p = make.plan(
                o,
                d,
                title=f"Plan {n}.{k}",
                state="in_progress",
                progress_pct=10 * (n + k),
                due_date=date(2026, 5 + k, 1 + n),
            )
            make.indicator(
                p,
                name=f"Indicator {n}.{k}",
                milestones=[(date(2026, 4, 1), 30.0)],
                actuals=[(date(2026, 2, 1), 5.0 * (n + k)), (date(2026, 6, 1), latest(n, k))],
            )
            plans[n, k] = p
    executive = make.user("executive")
    db.session.commit()
    login(executive)
    return {"departments": depts, "objectives": objectives, "plans": plans, "own": own}


def body(client, url: str) -> str:
    """The report's body: what exports.report renders (the menu around it is not its own)."""
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.get_data(as_text=True)
    start = page.rindex("<link", 0, page.index("css/print.css"))
    return page[start : page.index("</main>")]


def fresh(client, url: str) -> str:
    """The report rendered from nothing: every kept figure and section forgotten."""
    db.session.commit()
    data_version.cache().clear()
    per_version.clear()
    return body(client, url)


def indicator_of(plan) -> int:
    return plan.indicators[0].id


def post_actual(client, indicator_id: int, value: float) -> None:
    r = client.post(
        f"/actuals/{indicator_id}/new", data={"date": FIXED_TODAY.isoformat(), "value": value}
    )
    assert r.status_code == 302, r.get_data(as_text=True)


def edit_plan(client, plan_id: int, **changes) -> None:
    r = client.post(f"/plans/{plan_id}/edit", data=edit_data(client, plan_id, **changes))
    assert r.status_code == 302, r.get_data(as_text=True)


def rename_objective(client, objective_id: int, title: str) -> None:
    url = f"/objectives/{objective_id}/edit"
    page = client.get(url)
    assert page.status_code == 200
    values = form_values(page.get_data(as_text=True), url)
    values["title"] = title
    r = client.post(url, data=values)
    assert r.status_code == 302, r.get_data(as_text=True)


def archive_plan(client, plan_id: int) -> None:
    assert client.post(f"/plans/{plan_id}/archive").status_code == 302


CHANGES = (
    "an actual on a plan's indicator",
    "an actual on an objective's own indicator",
    "a plan's state",
    "an objective renamed",
    "a plan archived",
    "a plan moved to another department",
)


def changes(w) -> dict:
    """Each kind of change (CHANGES, in that order), made through the app by the signed-in
    executive."""
    plans, depts, objectives = w["plans"], w["departments"], w["objectives"]
    ids = {key: p.id for key, p in plans.items()}
    made = {
        "an actual on a plan's indicator": lambda c: post_actual(c, indicator_of(plans[0, 0]), 60),
        "an actual on an objective's own indicator": lambda c: post_actual(c, w["own"][1].id, 99.0),
        "a plan's state": lambda c: edit_plan(c, ids[1, 1], state="blocked"),
        "an objective renamed": lambda c: rename_objective(c, objectives[2].id, "Renamed <b>"),
        "a plan archived": lambda c: archive_plan(c, ids[3, 2]),
        "a plan moved to another department": lambda c: edit_plan(
            c, ids[0, 1], department_id=str(depts[2].id)
        ),
    }
    assert tuple(made) == CHANGES
    return made


@pytest.fixture(params=[None, 2], ids=["all listed", "two listed"])
def most(request, monkeypatch):
    """Sections that list every plan and indicator, or only the two that most need
    attention (so that a change can move which ones are listed)."""
    if request.param is not None:
        monkeypatch.setattr(report_page, "MOST_LISTED", request.param)
    return request.param


@pytest.mark.parametrize("url", URLS)
def test_after_each_change_the_kept_report_equals_a_fresh_render(world, client, most, url):
    before = fresh(client, url)
    for name, change in changes(world).items():
        body(client, url)  # kept as it is now
        db.session.commit()
        change(client)
        db.session.commit()
        after = body(client, url)  # refreshed: only what the change touched rendered again
        assert after == fresh(client, url), name
        if url == URLS[0] and most is None:  # (with two listed, some do not show)
            assert after != before, f"{name}: the report did not change, the test proves nothing"
        before = after


@pytest.mark.parametrize("name", CHANGES)
def test_one_change_then_a_fresh_render_is_the_same(world, client, name):
    """Each change on its own, straight after the report was kept (no change before it)."""
    for url in URLS:
        body(client, url)
    db.session.commit()
    changes(world)[name](client)
    db.session.commit()
    after = {url: body(client, url) for url in URLS}
    for url in URLS:
        assert after[url] == fresh(client, url), url


def rendered_again(monkeypatch) -> list[list[str]]:
    """The department slugs whose sections each later render of the report renders."""
    calls: list[list[str]] = []
    render = report_page._render

    def spy(as_of, now, figures, departments):
        calls.append([d.slug for d in departments])
        return render(as_of, now, figures, departments)

    monkeypatch.setattr(report_page, "_render", spy)
    return calls


def test_a_change_renders_again_only_the_sections_it_touched(world, client, monkeypatch):
    plans, objectives = world["plans"], world["objectives"]
    calls = rendered_again(monkeypatch)

    def after(change) -> list[str]:
        body(client, URLS[0])
        db.session.commit()
        calls.clear()
        change()
        db.session.commit()
        page = body(client, URLS[0])
        assert page == fresh(client, URLS[0])
        return calls[0]

    # An actual on a sales plan's indicator: the sales section only.
    assert after(lambda: post_actual(client, indicator_of(plans[0, 0]), 65.0)) == ["sales"]
    # A plan moved from logistics to finance: those two.
    moved = after(
        lambda: edit_plan(client, plans[2, 1].id, department_id=str(world["departments"][2].id))
    )
    assert moved == ["logistics", "finance"]
    # An objective renamed: every department that lists a plan of it (all three here).
    assert after(lambda: rename_objective(client, objectives[3].id, "New name")) == [
        "sales",
        "logistics",
        "finance",
    ]
    # A change the sections do not show (the organization's name): none, the top only.
    assert after(lambda: rename_organization(client)) == []


def rename_organization(client) -> None:
    url = "/strategy/organization"
    page = client.get(url)
    assert page.status_code == 200
    values = form_values(page.get_data(as_text=True), url)
    values["name"] = "Acme Renamed"
    r = client.post(url, data=values)
    assert r.status_code == 302, r.get_data(as_text=True)


def test_a_change_through_one_app_instance_shows_on_the_next_request_to_another(
    world, client, app_factory, make
):
    """Two app instances on one database (two gunicorn workers, or two hosts), each with its
    own kept sections: an actual entered through the first shows on the second's very next
    report, which is the report a fresh render makes."""
    plan = world["plans"][0, 0]
    indicator_id = indicator_of(plan)
    email = make.user("viewer").email
    db.session.commit()
    db.session.close()  # no read transaction left open on this side

    other = app_factory()
    reader = other.test_client()
    with other.app_context():
        r = reader.post("/login", data={"email": email, "password": make.PASSWORD})
        assert r.status_code == 302
        kept = body(reader, URLS[0])
        assert "no data" not in kept.split(f'data-indicator="{indicator_id}"', 1)[1][:900]
        db.session.close()

    post_actual(client, indicator_id, 77.0)
    db.session.close()

    with other.app_context():
        shown = body(reader, URLS[0])
        row = shown.split(f'data-indicator="{indicator_id}"', 1)[1].split("</tr>", 1)[0]
        assert "77" in row
        assert f"({FIXED_TODAY.isoformat()})" in row
        assert shown == fresh(reader, URLS[0])
        db.session.close()


def test_after_a_change_the_report_reads_a_fixed_number_of_queries(world, client, make):
    """The first report after an actual costs the same queries at any size, and no more
    than one above a report rendered from nothing."""

    def counts() -> tuple[int, int]:
        body(client, URLS[0])
        db.session.commit()
        post_actual(client, indicator_of(world["plans"][0, 0]), 60.0 + len(grown))
        db.session.commit()
        with counting_queries() as after:
            body(client, URLS[0])
        db.session.commit()
        data_version.cache().clear()
        per_version.clear()
        with counting_queries() as cold:
            body(client, URLS[0])
        return len(after), len(cold)

    grown: list = []
    small = counts()
    for n in range(40):
        d = world["departments"][n % 3]
        p = make.plan(world["objectives"][n % 4], d, title=f"Extra {n}")
        grown.append(make.indicator(p, actuals=[(date(2026, 6, 1), float(n))]))
    db.session.commit()
    large = counts()
    assert large == small
    after, cold = small
    assert after <= cold + 1
