"""Expected-vs-actual charts on the indicator, objective and plan pages (issue 5).

The known data set: "Orders right first time" rises 0 → 100 % over 2026 with a milestone of
40 on April 1 and a tolerance of 10 % (span 100). Its actuals lie on one straight line,
value = 0.5 × (days since Jan 1) − 0 from Jan 11: 5, 25, 45, 65 on days 10, 50, 90, 130.
The least-squares trend is that line, so it reaches 100 on day 200: 2026-07-20.

On FIXED_TODAY (2026-06-15) the expected value is 40 + 60 × 75/274 = 56.42 and the latest
actual, 65 (May 11), is on track. As of 2026-03-01 only the first two actuals count; the
expected value is 40 × 59/90 = 26.22 and 25 falls 1.22 short (≤ 10): at risk.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from datetime import date

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Measurement, Objective
from strategy_app.models.base import utcnow
from tests import factories
from tests.queries import counting_queries

GREEN, YELLOW, RED, GREY = "#146c43", "#ffc107", "#b02a37", "#adb5bd"
ACTUALS = [
    (date(2026, 1, 11), 5.0),
    (date(2026, 2, 20), 25.0),
    (date(2026, 4, 1), 45.0),
    (date(2026, 5, 11), 65.0),
]
LATER = (date(2026, 7, 1), 99.0)  # after FIXED_TODAY: never drawn


@pytest.fixture
def data(app, make):
    """An objective with its own indicator, a live plan's, and some that must not be charted."""
    sales = make.department("sales", name="Sales", position=0)
    make.user("viewer", name="Vic Viewer", email="viewer@example.test")
    make.user("executive", name="Chief Executive", email="ceo@example.test")
    objective = make.objective(title="Take every order right")
    own = make.indicator(
        objective,
        name="Orders right first time",
        unit="%",
        milestones=[(date(2026, 4, 1), 40.0)],
        actuals=[*ACTUALS, LATER],
    )
    make.indicator(objective, name="Archived indicator", archived_at=utcnow())
    plan = make.plan(objective, sales, title="Scripts for the first call", state="in_progress")
    plan_indicator = make.indicator(
        plan,
        name="Calls answered in 20 s",
        unit="calls",
        direction="decrease",
        baseline_value=500.0,
        target_value=100.0,
        actuals=[(date(2026, 2, 1), 480.0), (date(2026, 5, 1), 470.0)],
    )
    cancelled = make.plan(objective, sales, title="Dropped", state="cancelled")
    make.indicator(cancelled, name="Of a cancelled plan")
    archived = make.plan(objective, sales, title="Shelved", archived_at=utcnow())
    make.indicator(archived, name="Of an archived plan")
    db.session.commit()
    return {
        "objective": objective.id,
        "own": own.id,
        "plan": plan.id,
        "plan_indicator": plan_indicator.id,
    }


@pytest.fixture
def reader(client, data):
    response = client.post(
        "/login", data={"email": "viewer@example.test", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    return client


def page_of(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    return response.get_data(as_text=True)


def figure_in(page: str, chart_id: str) -> dict:
    """The figure JSON that templates/_charts.html puts in <script type=application/json>."""
    match = re.search(
        rf'<script type="application/json" id="{re.escape(chart_id)}-data">(.*?)</script>',
        page,
        re.S,
    )
    assert match, f"no figure {chart_id} on the page"
    assert f'data-figure="{chart_id}-data"' in page
    return json.loads(match.group(1))


def trace(figure: dict, name_start: str) -> dict:
    return next(t for t in figure["data"] if t.get("name", "").startswith(name_start))


def text_of(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    assert match, element_id
    return htmllib.unescape(match.group(1))


# --- the indicator page ---------------------------------------------------------------------


def test_indicator_page_embeds_expected_actuals_status_and_forecast(reader, data):
    page = page_of(reader, f"/objectives/indicators/{data['own']}")
    figure = figure_in(page, "chart-indicator")
    expected = trace(figure, "Expected")
    line = dict(zip(expected["x"], expected["y"], strict=True))
    assert line["2026-01-01"] == 0  # baseline
    assert line["2026-04-01"] == 40  # milestone
    assert line["2026-12-31"] == 100  # target
    assert figure["layout"]["meta"]["expected"] == pytest.approx(40 + 60 * 75 / 274)  # today
    actual = trace(figure, "Actual")
    assert actual["x"] == ["2026-01-11", "2026-02-20", "2026-04-01", "2026-05-11"]
    assert actual["y"] == [5, 25, 45, 65]  # July 1 is after today: not drawn
    latest = trace(figure, "Status on 2026-06-15")
    assert latest["x"] == ["2026-05-11"]
    assert latest["y"] == [65]
    assert latest["marker"]["color"] == GREEN
    meta = figure["layout"]["meta"]
    assert meta["status"] == "on_track"
    assert meta["forecast"] == "2026-07-20"
    assert trace(figure, "Forecast")["x"] == ["2026-05-11", "2026-07-20"]
    assert figure["layout"]["yaxis"]["title"]["text"] == "%"
    # the same status and forecast in words
    assert text_of(page, "indicator-status-line").startswith("● On track on 2026-06-15")
    assert "actual 65 % (2026-05-11) against 56 % expected" in text_of(  # whole percents
        page, "indicator-status-line"
    )
    forecast = text_of(page, "indicator-forecast")
    assert (
        forecast
        == "Forecast: will reach the target of 100 % by 2026-07-20 (target date 2026-12-31)."
    )
    # and drawn by charts.js, with Plotly served by the app
    assert "js/charts.js" in page


def test_indicator_page_has_a_table_view_of_the_same_numbers(reader, data):
    page = page_of(reader, f"/objectives/indicators/{data['own']}")
    assert "Show as table: Expected vs actual: Orders right first time" in page
    table = re.search(r'<details class="chart-table">(.*?)</details>', page, re.S).group(1)
    rows = {
        m.group(1): [htmllib.unescape(c) for c in re.findall(r"<td>(.*?)</td>", m.group(2))]
        for m in re.finditer(r'<th scope="row">([\d-]+)</th>(.*?)</tr>', table, re.S)
    }
    assert rows["2026-01-01"][:2] == ["0 %", "—"]
    assert rows["2026-04-01"] == ["40 %", "45 %", "● On track"]
    assert rows["2026-02-20"] == ["22 %", "25 %", "● On track"]  # 40 × 50/90 = 22.22
    assert rows["2026-12-31"][:2] == ["100 %", "—"]
    assert "2026-07-01" not in rows
    # the table lives in the page, not a second time in the JSON
    assert "table" not in figure_in(page, "chart-indicator")["layout"]["meta"] or (
        figure_in(page, "chart-indicator")["layout"]["meta"]["table"] is None
    )


def test_as_of_in_the_past_drops_later_actuals_and_changes_the_status(reader, data):
    page = page_of(reader, f"/objectives/indicators/{data['own']}?as_of=2026-03-01")
    figure = figure_in(page, "chart-indicator")
    actual = trace(figure, "Actual")
    assert actual["x"] == ["2026-01-11", "2026-02-20"]
    assert actual["y"] == [5, 25]
    latest = trace(figure, "Status on 2026-03-01")
    assert latest["marker"]["color"] == YELLOW
    meta = figure["layout"]["meta"]
    assert meta["status"] == "at_risk"
    assert meta["expected"] == pytest.approx(40 * 59 / 90)
    assert meta["forecast"] == "2026-07-20"  # the same line through two points
    assert "status-at_risk" in re.search(r'id="indicator-status">(.*?)</dd>', page, re.S).group(1)
    assert text_of(page, "indicator-status-line").startswith("▲ At risk on 2026-03-01")
    assert "as of 2026-03-01" in json.dumps(figure["layout"]["annotations"])
    # the table of actuals stands on the same date: later ones are counted, not listed
    table = re.search(
        r'<table class="table table-sm align-middle" id="actuals">(.*?)</table>', page, re.S
    )
    assert re.findall(r'<th scope="row" class="text-nowrap">([\d-]+)</th>', table.group(1)) == [
        "2026-02-20",
        "2026-01-11",
    ]
    later = db.session.scalar(
        sa.select(sa.func.count(Measurement.id)).where(
            Measurement.indicator_id == data["own"], Measurement.date > date(2026, 3, 1)
        )
    )
    assert later > 0
    assert f'data-later-actuals="{later}"' in page
    assert "data-later-actuals" not in page_of(reader, f"/objectives/indicators/{data['own']}")
    # before the first actual: no data, no forecast
    page = page_of(reader, f"/objectives/indicators/{data['own']}?as_of=2026-01-05")
    figure = figure_in(page, "chart-indicator")
    assert figure["layout"]["meta"]["status"] == "no_data"
    assert not [t for t in figure["data"] if t.get("name") == "Actual"]
    assert text_of(page, "indicator-forecast").startswith("No forecast yet")
    assert "No actual is dated on or before 2026-01-05." in page
    assert reader.get(f"/objectives/indicators/{data['own']}?as_of=soon").status_code == 400


def test_a_trend_away_from_the_target_is_not_on_course(reader, data, make):
    indicator = make.indicator(
        db.session.get(Objective, data["objective"]),
        name="Falling",
        actuals=[(date(2026, 2, 1), 20.0), (date(2026, 5, 1), 10.0)],
    )
    late = make.indicator(
        db.session.get(Objective, data["objective"]),
        name="Slow",
        actuals=[(date(2026, 2, 1), 10.0), (date(2026, 6, 1), 20.0)],
    )
    db.session.commit()
    page = page_of(reader, f"/objectives/indicators/{indicator.id}")
    figure = figure_in(page, "chart-indicator")
    assert figure["layout"]["meta"]["forecast"] is None
    assert figure["layout"]["meta"]["status"] == "off_track"
    assert trace(figure, "Status on")["marker"]["color"] == RED
    assert text_of(page, "indicator-forecast").startswith("Forecast: not on course")
    page = page_of(reader, f"/objectives/indicators/{late.id}")
    forecast = figure_in(page, "chart-indicator")["layout"]["meta"]["forecast"]
    assert forecast > "2026-12-31"
    assert text_of(page, "indicator-forecast") == (
        f"Forecast: not on course — at the actuals' trend it reaches the target of 100"
        f" on {forecast}, after its target date 2026-12-31."
    )


# --- the objective page ---------------------------------------------------------------------


def panels(figure: dict) -> list[str]:
    """The panel titles of a small multiple (each annotation's first line)."""
    return [a["text"].split("<br>")[0] for a in figure["layout"]["annotations"]]


def test_objective_page_has_one_panel_per_live_indicator(reader, data):
    page = page_of(reader, f"/objectives/{data['objective']}")
    figure = figure_in(page, "chart-indicators")
    # its own indicator, then its live plan's; not the archived one, nor those of the
    # cancelled and the archived plan
    assert panels(figure) == ["Orders right first time (%)", "Calls answered in 20 s (calls)"]
    assert {t["xaxis"] for t in figure["data"]} == {"x", "x2"}
    grid = figure["layout"]["meta"]["grid"]
    assert (grid["rows"], grid["columns"]) == (1, 2)
    own = [t for t in figure["data"] if t["xaxis"] == "x"]
    expected = next(t for t in own if t["name"] == "Expected")
    assert dict(zip(expected["x"], expected["y"], strict=True))["2026-04-01"] == 40
    assert next(t for t in own if t["name"] == "Actual")["y"] == [5, 25, 45, 65]
    heading = figure["layout"]["annotations"][0]["text"]
    assert "● On track · forecast 2026-07-20" in heading
    # the decreasing plan indicator: 470 (May 1) against 500 − 400 × 165/364 expected today
    theirs = [t for t in figure["data"] if t["xaxis"] == "x2"]
    assert next(t for t in theirs if t["name"] == "Actual")["y"] == [480, 470]
    assert next(t for t in theirs if t["name"].startswith("Status on"))["marker"]["color"] == RED
    # the table view names each indicator and links to its page
    for key in ("own", "plan_indicator"):
        assert f'href="/objectives/indicators/{data[key]}"' in page
    assert "(plan: Scripts for the first call)" in page
    for hidden in ("Archived indicator", "Of a cancelled plan", "Of an archived plan"):
        assert hidden not in page


def test_objective_page_as_of_draws_the_older_figures(reader, data):
    page = page_of(reader, f"/objectives/{data['objective']}?as_of=2026-03-01")
    figure = figure_in(page, "chart-indicators")
    own = [t for t in figure["data"] if t["xaxis"] == "x"]
    assert next(t for t in own if t["name"] == "Actual")["y"] == [5, 25]
    latest = next(t for t in own if t["name"].startswith("Status on 2026-03-01"))
    assert latest["marker"]["color"] == YELLOW
    assert figure["layout"]["annotations"][0]["text"].startswith(
        "Orders right first time (%)<br>▲ At risk"
    )


def test_objective_without_indicators_shows_the_empty_state(client, make):
    make.user("executive", email="ceo@example.test")
    make.user("viewer", email="viewer@example.test")
    objective = make.objective(title="Nothing measured yet")
    plan = make.plan(objective)
    make.indicator(make.plan(objective, state="cancelled"), name="Of a cancelled plan")
    db.session.commit()
    for email, link in (("viewer@example.test", False), ("ceo@example.test", True)):
        client.post("/login", data={"email": email, "password": factories.PASSWORD})
        page = page_of(client, f"/objectives/{objective.id}")
        assert "No expected results yet — " in page
        assert 'id="chart-indicators-data"' not in page
        new = f'<a href="/objectives/{objective.id}/indicators/new">add an indicator</a>'
        assert (new in page) is link
        client.post("/logout")
    assert plan.id


# --- the plan page --------------------------------------------------------------------------


def test_plan_page_charts_each_of_its_indicators(reader, data, make):
    plan = db.session.get(ActionPlan, data["plan"])
    make.indicator(plan, name="Second", unit="", actuals=[(date(2026, 3, 1), 50.0)])
    db.session.commit()
    page = page_of(reader, f"/plans/{data['plan']}")
    figure = figure_in(page, "chart-plan-indicators")
    assert sorted(panels(figure)) == ["Calls answered in 20 s (calls)", "Second"]
    assert f'href="/objectives/indicators/{data["plan_indicator"]}"' in page
    assert "js/charts.js" in page


# --- bounded queries ------------------------------------------------------------------------


def queries(client, path: str) -> list[str]:
    client.get(path)  # warm up
    db.session.expire_all()  # as in production, nothing is known before the request
    with counting_queries() as statements:
        page_of(client, path)
    return statements


def _objective_with(make, n: int):
    """An objective with n indicators (own and its plans'), each with milestones and actuals."""
    objective = make.objective(title=f"With {n}")
    plans = [make.plan(objective, title=f"Plan {n}-{k}") for k in range(2)]
    first = None
    for k in range(n):
        parent = objective if k % 3 == 0 else plans[k % 2]
        indicator = make.indicator(
            parent,
            name=f"Indicator {n}-{k}",
            milestones=[(date(2026, 3, 1), 20.0), (date(2026, 9, 1), 70.0)],
            actuals=[(date(2026, m, 1), 10.0 * m + k) for m in range(1, 6)],
        )
        first = first or indicator
    db.session.commit()
    return objective, plans[1], first


def test_objective_page_queries_do_not_grow_with_its_indicators(reader, make):
    one, _, _ = _objective_with(make, 1)
    six, _, _ = _objective_with(make, 6)
    small = queries(reader, f"/objectives/{one.id}")
    big = queries(reader, f"/objectives/{six.id}")
    assert (
        len(
            figure_in(page_of(reader, f"/objectives/{six.id}"), "chart-indicators")["layout"][
                "annotations"
            ]
        )
        == 6
    )
    assert len(small) == len(big), (small, big)
    measurement_queries = [s for s in big if re.search(r"\bFROM measurements\b", s)]
    assert len(measurement_queries) <= 2  # the actuals of every indicator, and the roll-up's
    assert len(big) <= 20


def test_plan_and_indicator_page_queries_do_not_grow(reader, make):
    _, small_plan, small_indicator = _objective_with(make, 2)
    _, big_plan, big_indicator = _objective_with(make, 12)
    for small_path, big_path in (
        (f"/plans/{small_plan.id}", f"/plans/{big_plan.id}"),
        (
            f"/objectives/indicators/{small_indicator.id}",
            f"/objectives/indicators/{big_indicator.id}",
        ),
    ):
        assert len(queries(reader, small_path)) == len(queries(reader, big_path)), big_path
