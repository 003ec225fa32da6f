"""The printable report lists, per department, the plans and indicators that most need the
room's attention, a bounded number of each, and says where the rest are."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from strategy_app.exports import report as report_page
from strategy_app.extensions import db
from strategy_app.models import Department
from strategy_app.services.plumbing import data_version
from tests.queries import counting_queries


@pytest.fixture
def sales(app, make, client, login):
    make.organization()
    dept = make.department(slug="sales", name="Sales")
    objective = make.objective(title="Grow the regions")
    plans = {
        "late": make.plan(
            objective, dept, title="Late plan", state="in_progress", due_date=date(2026, 1, 10)
        ),
        "blocked": make.plan(
            objective, dept, title="Blocked plan", state="blocked", due_date=date(2026, 11, 1)
        ),
        "soon": make.plan(
            objective, dept, title="Soon plan", state="planned", due_date=date(2026, 8, 1)
        ),
        "later": make.plan(objective, dept, title="Later plan", state="planned"),
    }
    # one indicator per plan: the late plan's far behind, the others on track
    make.indicator(plans["late"], name="Behind", actuals=[(date(2026, 6, 1), 1.0)])
    for key in ("blocked", "soon", "later"):
        make.indicator(plans[key], name=f"Fine {key}", actuals=[(date(2026, 6, 1), 60.0)])
    login(make.user("viewer"))
    db.session.commit()
    return client


def section(client) -> str:
    body = client.get("/exports/report").get_data(as_text=True)
    return body[body.index('data-department="sales"') :]


def test_every_plan_is_listed_when_there_are_few(sales):
    html = section(sales)
    for title in ("Late plan", "Blocked plan", "Soon plan", "Later plan"):
        assert title in html
    assert "report-more" not in html


def test_the_plans_that_most_need_attention_come_first_and_the_rest_are_pointed_to(
    sales, monkeypatch
):
    monkeypatch.setattr(report_page, "MOST_LISTED", 2)
    html = section(sales)
    assert "Late plan" in html  # overdue
    assert "Blocked plan" in html
    assert "Soon plan" not in html
    assert "Later plan" not in html
    more = re.search(r'class="[^"]*report-more[^"]*" data-listed="2" data-total="4">([^<]*)', html)
    assert more, "no note saying where the other plans are"
    assert "2 plans that most need attention" in more.group(1)
    assert "/exports/plans.csv" in html
    assert "/departments/sales" in html
    # indicators: the one behind first, and a note on the others
    assert html.index("Behind") < html.index("Fine blocked")
    assert 'data-listed="2" data-total="4"' in html[html.index("Indicators of its plans") :]
    assert "/exports/indicators.csv" in html


def test_the_report_costs_the_same_queries_whatever_the_number_of_plans(sales, make):
    def count() -> int:
        db.session.commit()
        data_version.cache().clear()  # rendered afresh each time
        with counting_queries() as queries:
            body = sales.get("/exports/report").get_data(as_text=True)
        return len(queries), body.count("<tr data-plan=")

    small, listed = count()
    dept = db.session.scalar(sa.select(Department).where(Department.slug == "sales"))
    objective = make.objective()
    for n in range(report_page.MOST_LISTED + 5):
        make.indicator(make.plan(objective, dept, title=f"Extra {n}"), name=f"Extra {n}")
    large, listed_large = count()
    assert large == small
    assert listed == 4
    assert listed_large == report_page.MOST_LISTED
