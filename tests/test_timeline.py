"""GET /timeline/: plans per department as a Gantt chart, today's line, overdue marked."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

import strategy_app.assets
import strategy_app.timeline
from tests.queries import counting_queries


@pytest.fixture(autouse=True)
def registered(app):
    """The blueprints the lead adds to the factory (registered here until then)."""
    for module, name in ((strategy_app.assets, "assets"), (strategy_app.timeline, "timeline")):
        if name not in app.blueprints:
            module.register(app)


def figure_of(html: str) -> dict:
    found = re.search(r'id="chart-timeline-data">(.*?)</script>', html, re.S)
    assert found, "no timeline chart on the page"
    return json.loads(found[1])


def bars(figure: dict) -> dict[str, list[str]]:
    """Plan labels by legend entry."""
    return {t["name"]: t["y"] for t in figure["data"]}


@pytest.fixture
def plans(make, db_session):
    """Two departments' plans around FIXED_TODAY (2026-06-15): one overdue, one done late."""
    sales = make.department("sales", name="Sales", position=1)
    logistics = make.department("logistics", name="Logistics", position=2)
    objective = make.objective(title="Deliver on time")
    other = make.objective(title="Know the consumer")
    made = {
        "late": make.plan(
            objective,
            logistics,
            title="Re-plan routes",
            start_date=date(2026, 3, 1),
            due_date=date(2026, 5, 1),
            state="in_progress",
        ),
        "done": make.plan(
            objective,
            logistics,
            title="Pick slots",
            start_date=date(2026, 1, 1),
            due_date=date(2026, 2, 1),
            state="done",
        ),
        "open": make.plan(
            other,
            sales,
            title="Ask the buyers",
            start_date=date(2026, 6, 1),
            due_date=date(2026, 9, 1),
            state="planned",
        ),
        "undated": make.plan(other, sales, title="Someday"),
    }
    db_session.commit()
    return made


def test_timeline_draws_plans_with_today_and_overdue_marked(client, login, make, plans):
    login(make.user("viewer"))
    response = client.get("/timeline/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    figure = figure_of(html)
    assert bars(figure) == {
        "✖ Overdue": ["Logistics · Re-plan routes"],
        "▶ Planned or in progress": ["Sales · Ask the buyers"],
        "✓ Done": ["Logistics · Pick slots"],
    }
    # departments in their order (sales first), then by start
    assert figure["layout"]["yaxis"]["categoryarray"] == [
        "Sales · Ask the buyers",
        "Logistics · Pick slots",
        "Logistics · Re-plan routes",
    ]
    overdue = figure["data"][0]
    assert overdue["base"] == ["2026-03-01"]
    assert overdue["x"] == [61 * 86_400_000]
    assert overdue["text"] == ["✖ overdue"]
    assert figure["layout"]["shapes"][0]["x0"] == "2026-06-15"
    assert figure["layout"]["annotations"][0]["text"] == "today"
    assert "1 plan without a due date is not drawn." in html
    assert f'href="/plans/{plans["late"].id}"' in html  # the table view links each plan
    assert "✖ overdue" in html
    assert "Someday" not in html


def test_as_of_a_past_date_moves_the_line_and_what_is_overdue(client, login, make, plans):
    login(make.user("viewer"))
    figure = figure_of(client.get("/timeline/?as_of=2026-04-01").get_data(as_text=True))
    assert "✖ Overdue" not in bars(figure)
    assert figure["layout"]["shapes"][0]["x0"] == "2026-04-01"
    assert figure["layout"]["annotations"][0]["text"] == "as of 2026-04-01"


def test_filters_by_department_and_objective(client, login, make, plans):
    login(make.user("viewer"))
    figure = figure_of(client.get("/timeline/?department=sales").get_data(as_text=True))
    assert figure["layout"]["yaxis"]["categoryarray"] == ["Sales · Ask the buyers"]
    objective_id = plans["late"].objective_id
    html = client.get(f"/timeline/?objective={objective_id}").get_data(as_text=True)
    assert figure_of(html)["layout"]["yaxis"]["categoryarray"] == [
        "Logistics · Pick slots",
        "Logistics · Re-plan routes",
    ]
    empty = client.get(f"/timeline/?department=sales&objective={objective_id}")
    assert empty.status_code == 200
    assert "No plan with a due date matches these filters." in empty.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "department=nowhere",
        "objective=abc",
        "objective=999999",
        "objective=1%00",
        "page=0",
        "page=x",
        "as_of=2026-13-01",
        "department=%3Cscript%3E",
    ],
)
def test_bad_filters_are_4xx(client, login, make, plans, query):
    login(make.user("viewer"))
    response = client.get(f"/timeline/?{query}")
    assert response.status_code == 400
    assert "<script>" not in response.get_data(as_text=True)


def test_archived_plans_and_departments_are_left_out(client, login, make, plans, db_session):
    from strategy_app.models.base import utcnow

    plans["late"].archived_at = utcnow()
    db_session.commit()
    login(make.user("viewer"))
    figure = figure_of(client.get("/timeline/").get_data(as_text=True))
    assert "✖ Overdue" not in bars(figure)


def test_empty_timeline_says_what_to_do(client, login, make, db_session):
    login(make.user("viewer"))
    db_session.commit()
    html = client.get("/timeline/").get_data(as_text=True)
    assert "No plan has a due date yet" in html
    assert "chart-timeline" not in html


def test_timeline_needs_sign_in(client):
    response = client.get("/timeline/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_titles_are_escaped(client, login, make, db_session):
    make.plan(title="<img src=x onerror=alert(1)>", due_date=date(2026, 7, 1))
    login(make.user("viewer"))
    db_session.commit()
    html = client.get("/timeline/").get_data(as_text=True)
    assert "<img src=x" not in html
    label = figure_of(html)["layout"]["yaxis"]["categoryarray"][0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in label  # Plotly shows it as text


def test_pages_and_queries_do_not_grow_with_the_data(client, login, make, db_session):
    dept = make.department("sales", name="Sales")
    objective = make.objective()
    for k in range(3):
        make.plan(objective, dept, title=f"Plan {k}", due_date=date(2026, 7, 1 + k))
    login(make.user("viewer"))
    db_session.commit()
    client.get("/timeline/")
    db_session.commit()
    with counting_queries() as small:
        assert client.get("/timeline/").status_code == 200
    for k in range(60):
        make.plan(make.objective(), dept, title=f"More {k}", due_date=date(2026, 8, 1))
    db_session.commit()
    with counting_queries() as after_write:  # what the writes touched is read afresh
        client.get("/timeline/")
    assert len(after_write) <= 10
    db_session.commit()
    with counting_queries() as large:  # warm again, as the first count was
        html = client.get("/timeline/").get_data(as_text=True)
    assert len(small) == len(large) <= 10
    assert "Plans 1–40 of 63." in html
    assert len(figure_of(html)["layout"]["yaxis"]["categoryarray"]) == 40
    second = client.get("/timeline/?page=2").get_data(as_text=True)
    assert len(figure_of(second)["layout"]["yaxis"]["categoryarray"]) == 23
