"""The dashboard: status counts, attention, departments, charts, recent entries; bounded queries."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest

from strategy_app.models import CheckIn, Measurement
from tests.queries import page_query_counts


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
    assert "as they stood on 1 May 2026" in html


def test_dashboard_bad_as_of_is_a_400(client, login, make, db_session):
    login(make.user("viewer"))
    db_session.commit()
    assert client.get("/?as_of=2026-02-30").status_code == 400


def test_dashboard_queries_do_not_grow_with_the_data(client, login, make, db_session):
    """As many queries on a large cascade as on a small one, computed afresh or reused."""
    user = make.user("viewer")
    service, dept, _ = build(make, 2)
    db_session.commit()
    login(user)
    client.get("/")
    small = page_query_counts(client, "/")
    build(make, 10, service, dept)
    large = page_query_counts(client, "/")
    assert small == large
    cold, warm = large
    assert cold <= 22  # 20, and 2 for the count on "My updates" in the navigation
    assert warm < cold  # the figures of an unchanged cascade are not computed again


def test_empty_dashboard_says_what_to_do(client, login, make, db_session):
    login(make.user("executive"))
    db_session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "No customer-service strategy yet" in html
    assert "No objectives yet." in html


def figures(html: str) -> dict[str, dict]:
    """The figure JSON of every chart on a page, by chart id."""
    blocks = re.findall(r'<script type="application/json" id="([\w-]+)-data">(.*?)</script>', html)
    return {name: json.loads(body) for name, body in blocks}


def table_rows(html: str, chart_id: str) -> list[list[str]]:
    """The body rows of a chart's table view, as text."""
    start = html.index(f'id="{chart_id}-figure"')
    body = html[html.index("<tbody>", start) : html.index("</tbody>", start)]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_dashboard_charts_carry_the_numbers(client, login, make, db_session):
    build(make, 4)
    login(make.user("viewer"))
    db_session.commit()
    html = client.get("/").get_data(as_text=True)
    charts = figures(html)
    assert set(charts) == {"chart-by-service", "chart-execution", "chart-overdue", "chart-misses"}
    by_status = {t["name"]: t["x"] for t in charts["chart-by-service"]["data"]}
    assert by_status == {"● On track": [2], "▲ At risk": [1], "✖ Off track": [1], "○ No data": [0]}
    execution, results = charts["chart-execution"]["data"]
    assert execution["x"] == ["Sales"]
    assert execution["y"] == [40.0]
    # results: the mean progress of the department's plans' indicators (10, 40, 60, 60 of 100)
    assert results["y"] == [pytest.approx(42.5)]
    assert ">43%</td>" in html  # the departments table shows the same figure
    # every plan was due on May 1: four overdue
    assert charts["chart-overdue"]["data"][0]["y"] == [4]
    # shortfall on June 15 (expected 100 × 165/364 = 45.33): 35.33 and 5.33, off track first
    misses = table_rows(html, "chart-misses")
    assert [r[2] for r in misses] == ["✖ Off track", "▲ At risk"]
    assert [r[5] for r in misses] == ["35.33", "5.33"]
    assert [r[6] for r in misses] == ["35%", "5%"]  # percentages one way everywhere
    for figure in charts.values():
        json.dumps(figure, allow_nan=False)
    assert "Show as table: Biggest misses: shortfall vs expected" in html
    assert charts["chart-misses"]["layout"]["meta"]["table"] is None  # sent once, as HTML


def test_dashboard_lists_recent_actuals_and_check_ins(client, login, make, db_session):
    lead = make.user("lead", name="Ana Lead")
    o = make.objective(title="Deliver on time")
    p = make.plan(o, lead.department, title="Re-plan routes")
    i = make.indicator(p, name="On-time deliveries")
    for k in range(12):
        db_session.add(
            Measurement(indicator=i, date=date(2026, 1, 1 + k), value=k, entered_by=lead)
        )
    db_session.add(Measurement(indicator=i, date=date(2026, 7, 1), value=99))  # after today
    stamp = datetime(2026, 6, 10, 9, 30, tzinfo=UTC)
    for k in range(12):
        db_session.add(
            CheckIn(
                action_plan=p,
                author=lead,
                state="in_progress",
                progress_pct=k,
                text=f"Check-in {k}",
                created_at=stamp,
            )
        )
    db_session.add(
        CheckIn(
            action_plan=p,
            author=lead,
            state="done",
            progress_pct=100,
            text="Later",
            created_at=datetime(2026, 6, 16, 8, tzinfo=UTC),
        )
    )  # posted after the fixed today
    db_session.commit()
    login(make.user("viewer"))
    html = client.get("/").get_data(as_text=True)
    actuals = html[
        html.index('id="recent-actuals"') : html.index(
            "</table>", html.index('id="recent-actuals"')
        )
    ]
    assert actuals.count("data-measurement=") == 10
    assert "2026-01-12" in actuals  # newest entered first
    assert "2026-01-02" not in actuals  # the eleventh and twelfth are not listed
    assert "2026-07-01" not in actuals  # dated after today
    assert "Ana Lead" in actuals
    assert "On-time deliveries" in actuals
    check_ins = html[html.index('id="recent-check-ins"') :]
    assert check_ins.count("data-check-in=") == 10
    assert "Check-in 11" in check_ins
    assert "Check-in 1<" not in check_ins
    assert "Later" not in check_ins
    assert "2026-06-10 09:30 UTC" in check_ins
    assert "Re-plan routes" in check_ins


def test_dashboard_as_of_a_past_date_moves_the_charts_too(client, login, make, db_session):
    build(make, 2)
    login(make.user("viewer"))
    db_session.commit()
    html = client.get("/?as_of=2026-04-30").get_data(as_text=True)
    charts = figures(html)
    by_status = {t["name"]: t["x"] for t in charts["chart-by-service"]["data"]}
    assert by_status["○ No data"] == [2]
    assert charts["chart-overdue"]["data"][0]["y"] == [0]  # due May 1: not yet overdue
    assert "chart-misses" not in charts
    assert "No indicator falls short of what was expected on 2026-04-30." in html


def test_dashboard_escapes_names_everywhere(client, login, make, db_session):
    service = make.service_strategy(title="<script>alert(1)</script>")
    build(make, 1, service)
    login(make.user("viewer"))
    db_session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the table view
    by_service = figures(html)["chart-by-service"]
    assert by_service["data"][0]["y"] == ["&lt;script&gt;alert(1)&lt;/script&gt;"]


def test_dashboard_follows_a_change_made_through_another_app_instance(
    client, login, make, db_session, app_factory
):
    """The dashboard's rankings are kept while nothing changes: an actual entered through
    another worker (another app, with its own caches) shows on this one's next request."""
    _, _, made = build(make, 3)
    on_track_plan = made[2].plans[0]
    indicator_id = on_track_plan.indicators[0].id
    login(make.user("viewer"))
    db_session.commit()
    first = client.get("/").get_data(as_text=True)
    assert 'data-status="off_track">1<' in first
    assert client.get("/").get_data(as_text=True).count("data-objective=") == first.count(
        "data-objective="
    )
    db_session.commit()  # the test's own session reads afresh from here on

    other = app_factory()
    with other.app_context():
        from strategy_app.extensions import db

        db.session.add(Measurement(indicator_id=indicator_id, date=date(2026, 6, 10), value=5.0))
        db.session.commit()
        db.session.remove()

    html = client.get("/").get_data(as_text=True)
    assert 'data-status="off_track">2<' in html
    assert f'data-objective="{made[2].id}"' in html  # now needs attention
