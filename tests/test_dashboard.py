"""The dashboard: status counts, what needs attention, departments; bounded queries."""

from __future__ import annotations

import contextlib
from datetime import date

import sqlalchemy as sa

from strategy_app.extensions import db


@contextlib.contextmanager
def counting():
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def build(make, n: int, service=None, dept=None):
    """n objectives: one off track, one at risk, the rest on track (FIXED_TODAY 2026-06-15)."""
    service = service or make.service_strategy(title="Win the first moment of truth")
    dept = dept or make.department("sales", name="Sales")
    made = []
    for k in range(n):
        o = make.objective(service, title=f"Objective {k}")
        p = make.plan(o, dept, state="in_progress", progress_pct=40, due_date=date(2026, 5, 1))
        # expected on Jun 15: 45.3 (0 → 100 over 2026); shortfall decides the status
        value = {0: 10.0, 1: 40.0}.get(k, 60.0)
        make.indicator(p, actuals=[(date(2026, 6, 1), value)])
        made.append(o)
    return service, dept, made


def test_dashboard_shows_counts_attention_and_departments(client, login, make, db_session):
    make.organization(vision="Be the preferred supplier of consumers")
    _, _, made = build(make, 4)
    viewer = make.user("viewer")
    db_session.commit()
    login(viewer)
    html = client.get("/").get_data(as_text=True)
    assert "Be the preferred supplier of consumers" in html
    assert 'data-status="off_track">1<' in html
    assert 'data-status="at_risk">1<' in html
    assert 'data-status="on_track">2<' in html
    # worst first: the off-track objective before the at-risk one; on-track ones not listed
    assert html.index(f'data-objective="{made[0].id}"') < html.index(
        f'data-objective="{made[1].id}"'
    )
    assert f'data-objective="{made[2].id}"' not in html
    assert 'data-department="sales"' in html


def test_dashboard_as_of_shows_the_older_status(client, login, make, db_session):
    build(make, 1)
    login(make.user("viewer"))
    db_session.commit()
    html = client.get("/?as_of=2026-05-01").get_data(as_text=True)
    assert 'data-status="no_data">1<' in html  # the only actual is dated June 1
    assert "as they stood on 2026-05-01" in html


def test_dashboard_bad_as_of_is_a_400(client, login, make, db_session):
    login(make.user("viewer"))
    db_session.commit()
    assert client.get("/?as_of=2026-02-30").status_code == 400


def test_dashboard_queries_do_not_grow_with_the_data(client, login, make, db_session):
    user = make.user("viewer")
    service, dept, _ = build(make, 2)
    db_session.commit()
    login(user)
    client.get("/")
    db_session.commit()  # each count starts from a fresh transaction
    with counting() as small:
        assert client.get("/").status_code == 200
    build(make, 10, service, dept)
    db_session.commit()
    with counting() as large:
        assert client.get("/").status_code == 200
    assert len(small) == len(large)
    assert len(large) <= 15


def test_empty_dashboard_says_what_to_do(client, login, make, db_session):
    login(make.user("executive"))
    db_session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "No customer-service strategy yet" in html
    assert "No objectives yet." in html
