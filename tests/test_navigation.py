"""The navigation: the count on "My updates" is the page's own, read in two queries and kept
while the data stays the same."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, CheckIn, Objective
from strategy_app.services.reads.my_updates import my_updates, waiting_count
from tests.queries import counting_queries

TODAY = date(2026, 6, 15)


def _world(make):
    sales = make.department("sales")
    lead = make.user("lead", sales, email="lead@example.test")
    objective = make.objective(title="Deliver", owner=lead)
    overdue = make.plan(objective, sales, title="Overdue", due_date=date(2026, 3, 1))
    quiet = make.plan(objective, sales, title="Quiet", start_date=date(2026, 1, 1))
    fresh = make.plan(objective, sales, title="Fresh", start_date=date(2026, 1, 1))
    db.session.add(CheckIn(action_plan=fresh, state="in_progress", progress_pct=10))
    make.plan(objective, sales, title="Done", state="done", due_date=date(2026, 1, 1))
    make.indicator(overdue, name="Due", milestones=[(date(2026, 3, 1), 20.0)])
    make.indicator(objective, name="Own", actuals=[(date(2026, 6, 10), 40.0)])
    make.indicator(quiet, name="Never", baseline_date=date(2026, 1, 1))
    db.session.commit()
    return lead


def test_the_badge_counts_what_my_updates_lists(app, make):
    lead = _world(make)
    full = my_updates(lead, TODAY)
    expected = full.plan_total + full.indicator_total + len(full.follow_ups)
    assert expected >= 3
    db.session.commit()  # a fresh transaction, as a request starts with
    assert lead.role == "lead"  # loaded again before counting
    with counting_queries() as statements:
        assert waiting_count(lead, TODAY) == expected
    assert len(statements) == 3  # the data version, then the count's two queries
    with counting_queries() as statements:
        assert waiting_count(lead, TODAY) == expected
    assert statements == []  # nothing changed: the count is kept
    db.session.commit()
    assert lead.role == "lead"  # loaded again before counting
    with counting_queries() as statements:
        assert waiting_count(lead, TODAY) == expected
    assert len(statements) == 1  # a new transaction reads the data version again
    viewer = make.user("viewer", email="nobody@example.test")
    db.session.commit()
    assert viewer.role == "viewer"  # loaded before counting
    with counting_queries() as statements:
        assert waiting_count(viewer, TODAY) == 0
    assert len(statements) == 3


def test_the_badge_shows_in_the_navigation(client, login, make):
    lead = _world(make)
    login(lead)
    body = client.get("/").get_data(as_text=True)
    badge = re.search(r'id="my-updates-count">(\d+)', body)
    assert badge
    full = my_updates(lead, TODAY)
    assert int(badge[1]) == full.plan_total + full.indicator_total + len(full.follow_ups)


def test_no_badge_when_nothing_waits(client, login, make):
    viewer = make.user("viewer", email="v@example.test")
    db.session.commit()
    login(viewer)
    assert 'id="my-updates-count"' not in client.get("/").get_data(as_text=True)


def _badge(client) -> int:
    found = re.search(r'id="my-updates-count">(\d+)', client.get("/").get_data(as_text=True))
    return int(found[1]) if found else 0


def test_the_badge_follows_a_change_made_through_another_app_instance(
    client, login, make, app_factory
):
    """The count is kept per data version: a change made by another worker (another app, with
    its own cache) shows on this one's very next request."""
    lead = _world(make)
    login(lead)
    before = _badge(client)
    assert _badge(client) == before  # kept
    department_id, lead_id = lead.department_id, lead.id
    objective_id = db.session.scalar(sa.select(Objective.id).where(Objective.title == "Deliver"))
    db.session.commit()

    other = app_factory()
    with other.app_context():
        db.session.add(
            ActionPlan(
                objective_id=objective_id,
                department_id=department_id,
                owner_id=lead_id,
                title="Late too",
                due_date=date(2026, 4, 1),
            )
        )
        db.session.commit()
        db.session.remove()

    assert _badge(client) == before + 1


def test_my_updates_follows_a_change_made_through_another_app_instance(
    client, login, make, app_factory
):
    """What waits on a person is kept while nothing changes: a plan closed through another
    worker leaves their list on this one's next request."""
    lead = _world(make)
    login(lead)
    assert ">Overdue<" in client.get("/reports/my-updates").get_data(as_text=True)
    plan_id = db.session.scalar(sa.select(ActionPlan.id).where(ActionPlan.title == "Overdue"))
    db.session.commit()

    other = app_factory()
    with other.app_context():
        plan = db.session.get(ActionPlan, plan_id)
        plan.state, plan.progress_pct = "done", 100
        db.session.commit()
        db.session.remove()

    assert ">Overdue<" not in client.get("/reports/my-updates").get_data(as_text=True)
