"""Numbers as people write them: "12,500" and "12 500" are 12500 in every number field of the
forms; what cannot be read is refused in words (and a separate module from
test_plain_words, whose module-wide world would otherwise share the database with these)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.test_plain_words import Messages

# --- numbers as people write them ---------------------------------------------------------------


@pytest.fixture
def plan_world(app, make):
    from strategy_app.extensions import db

    sales = make.department("sales")
    boss = make.user("executive", email="boss@example.test")
    objective = make.objective(make.service_strategy(), title="Deliver on time")
    plan = make.plan(objective, sales, title="Call late orders")
    indicator = make.indicator(plan, name="Orders called", baseline_value=0.0, target_value=100.0)
    db.session.commit()
    return {
        "boss": boss,
        "objective": objective.id,
        "sales": sales.id,
        "plan": plan.id,
        "indicator": indicator.id,
    }


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("12,500", 12500.0),
        ("12 500", 12500.0),
        ("12\u00a0500", 12500.0),
        ("1,234,567.5", 1234567.5),
    ],
)
def test_a_budget_with_thousands_separators_is_a_number(client, login, plan_world, typed, stored):
    from strategy_app.extensions import db
    from strategy_app.models import ActionPlan

    login(plan_world["boss"])
    form = {
        "objective_id": plan_world["objective"],
        "department_id": plan_world["sales"],
        "title": "A plan with a budget",
        "state": "planned",
        "progress_pct": "0",
        "budget": typed,
    }
    r = client.post("/plans/new", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    plan = db.session.scalar(
        sa.select(ActionPlan).where(ActionPlan.title == "A plan with a budget")
    )
    assert plan.budget == stored


@pytest.mark.parametrize("typed", ["12,5", "12.500,00", "1,2,3", "twelve"])
def test_a_number_that_cannot_be_read_is_refused_in_words(client, login, plan_world, typed):
    from strategy_app.extensions import db
    from strategy_app.models import ActionPlan

    login(plan_world["boss"])
    form = {
        "objective_id": plan_world["objective"],
        "department_id": plan_world["sales"],
        "title": "Refused",
        "state": "planned",
        "progress_pct": "0",
        "budget": typed,
    }
    r = client.post("/plans/new", data=form)
    assert r.status_code == 422
    page = Messages()
    page.feed(r.get_data(as_text=True))
    assert page.beside["budget"] == (
        "Write a number such as 12500 — thousands separators are fine."
    )
    assert page.summary["budget"] == [
        "Budget: Write a number such as 12500 — thousands separators are fine."
    ]
    assert db.session.scalar(sa.select(ActionPlan).where(ActionPlan.title == "Refused")) is None


def test_indicator_and_actual_values_take_thousands_separators(client, login, plan_world):
    from strategy_app.extensions import db
    from strategy_app.models import Indicator, Measurement

    login(plan_world["boss"])
    r = client.post(
        f"/plans/{plan_world['plan']}/indicators/new",
        data={
            "name": "Orders a year",
            "direction": "increase",
            "baseline_value": "1,200",
            "baseline_date": "2026-01-01",
            "target_value": "12 500",
            "target_date": "2026-12-31",
            "tolerance": "10",
            "milestones-0-date": "2026-06-30",
            "milestones-0-expected_value": "6,000.5",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    made = db.session.scalar(sa.select(Indicator).where(Indicator.name == "Orders a year"))
    assert (made.baseline_value, made.target_value) == (1200.0, 12500.0)
    assert [m.expected_value for m in made.milestones] == [6000.5]
    r = client.post(
        f"/actuals/{plan_world['indicator']}/new",
        data={"date": "2026-05-01", "value": "1 250", "note": ""},
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    values = db.session.scalars(
        sa.select(Measurement.value).where(Measurement.indicator_id == plan_world["indicator"])
    ).all()
    assert 1250.0 in values
