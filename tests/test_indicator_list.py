"""The indicator list: everything off track at a glance, filtered by status, department,
objective and unit, in a bounded number of queries."""

from __future__ import annotations

import re
from datetime import date

import pytest

from strategy_app.extensions import db
from strategy_app.models.base import utcnow
from tests.queries import page_query_counts


@pytest.fixture
def world(app, make):
    sales, logistics = make.department("sales"), make.department("logistics")
    w = {"viewer": make.user("viewer", email="v@example.test")}
    objective = make.objective(title="Deliver on time")
    other = make.objective(title="Know the customer")
    sales_plan = make.plan(objective, sales, title="Call late orders")
    log_plan = make.plan(objective, logistics, title="New trucks")
    cancelled = make.plan(objective, sales, title="Dropped", state="cancelled")
    w["off"] = make.indicator(
        sales_plan, name="Calls made", unit="calls", actuals=[(date(2026, 6, 1), 1.0)]
    )
    w["on"] = make.indicator(
        log_plan, name="Trucks bought", unit="%", actuals=[(date(2026, 6, 1), 90.0)]
    )
    w["none"] = make.indicator(other, name="Interviews", unit="%")
    make.indicator(cancelled, name="Not counted")
    make.indicator(objective, name="Archived gauge", archived_at=utcnow())
    w.update(sales=sales.id, objective=objective.id, other=other.id)
    db.session.commit()
    return w


def names(body: str) -> list[str]:
    row = r'<tr data-indicator="\d+">\s*<th scope="row"[^>]*><a [^>]*>([^<]+)</a>'
    return re.findall(row, body)


def test_every_counted_indicator_worst_first(client, login, world):
    login(world["viewer"])
    r = client.get("/objectives/indicators/")
    assert r.status_code == 200
    assert names(r.get_data(as_text=True)) == ["Calls made", "Interviews", "Trucks bought"]
    assert "— no actual yet" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=off_track", ["Calls made"]),
        ("status=no_data", ["Interviews"]),
        ("unit=%25", ["Interviews", "Trucks bought"]),
        ("unit=calls&status=on_track", []),
    ],
)
def test_filters(client, login, world, query, expected):
    login(world["viewer"])
    r = client.get(f"/objectives/indicators/?{query}")
    assert r.status_code == 200
    assert names(r.get_data(as_text=True)) == expected


def test_filter_by_department_and_objective(client, login, world):
    login(world["viewer"])
    body = client.get(f"/objectives/indicators/?department={world['sales']}").get_data(True)
    assert names(body) == ["Calls made"]
    body = client.get(f"/objectives/indicators/?objective={world['other']}").get_data(True)
    assert names(body) == ["Interviews"]


@pytest.mark.parametrize("query", ["status=sleeping", "department=abc", "unit=parsecs"])
def test_bad_filters_are_a_400_in_words(client, login, world, query):
    login(world["viewer"])
    r = client.get(f"/objectives/indicators/?{query}")
    assert r.status_code == 400
    assert "Choose one of the listed values." in r.get_data(as_text=True)


def test_indicator_list_queries_do_not_grow(client, login, world, make):
    login(world["viewer"])
    _, small = page_query_counts(client, "/objectives/indicators/")
    objective = make.objective(title="More")
    for n in range(40):
        plan = make.plan(objective, title=f"Plan {n}")
        make.indicator(plan, name=f"Gauge {n}", actuals=[(date(2026, 5, 1), 3.0)])
    db.session.commit()
    _, large = page_query_counts(client, "/objectives/indicators/")
    assert large == small


def test_the_list_follows_a_change_made_through_another_app_instance(
    client, login, world, app_factory
):
    """The ordered list is kept while nothing changes; an actual entered through another
    worker moves the indicator on this one's next request."""
    from strategy_app.models import Measurement

    interviews = world["none"].id
    login(world["viewer"])
    assert names(client.get("/objectives/indicators/?status=off_track").get_data(as_text=True)) == [
        "Calls made"
    ]
    db.session.commit()
    other = app_factory()
    with other.app_context():
        db.session.add(Measurement(indicator_id=interviews, date=date(2026, 6, 10), value=0.0))
        db.session.commit()
        db.session.remove()
    body = client.get("/objectives/indicators/?status=off_track").get_data(as_text=True)
    assert names(body) == ["Calls made", "Interviews"]
    assert names(client.get("/objectives/indicators/?status=no_data").get_data(as_text=True)) == []
