"""The figure JSON of strategy_app.charts carries the right numbers for known data sets."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import pytest

from strategy_app import charts
from strategy_app.services.evaluation import rules

GREEN, YELLOW, RED, GREY = "#146c43", "#ffc107", "#b02a37", "#adb5bd"
AS_OF = date(2026, 6, 15)

# increase 0 → 100 over 2026, a milestone of 30 on April 1, tolerance 10 % (span 100).
RISING = rules.IndicatorSpec(
    "increase", 0.0, date(2026, 1, 1), 100.0, date(2026, 12, 31), 0.1, ((date(2026, 4, 1), 30.0),)
)
# Feb 1: expected 30×31/90 = 10.33 → 12 on track; Mar 1: expected 30×59/90 = 19.67 → 5 is
# 14.67 short (> 10) off track; Jun 1: expected 30 + 70×61/274 = 45.58 → 40 at risk.
RISING_ACTUALS = [
    (date(2026, 2, 1), 12.0),
    (date(2026, 3, 1), 5.0),
    (date(2026, 6, 1), 40.0),
    (date(2026, 7, 1), 99.0),  # after AS_OF: left out
]


def trace(figure: dict, name_start: str) -> dict:
    """The first trace whose name starts with name_start."""
    return next(t for t in figure["data"] if t.get("name", "").startswith(name_start))


def serialisable(figure: dict) -> str:
    """json.dumps refuses NaN and infinities with allow_nan=False."""
    return json.dumps(figure, allow_nan=False)


def test_expected_line_runs_through_baseline_milestones_and_target():
    figure = charts.expected_vs_actual(RISING, RISING_ACTUALS, AS_OF, "Order fill rate", "%")
    expected = trace(figure, "Expected")
    points = dict(zip(expected["x"], expected["y"], strict=True))
    assert points["2026-01-01"] == 0
    assert points["2026-04-01"] == 30
    assert points["2026-12-31"] == 100
    # the meta carries the figures as of AS_OF: 30 + 70 × 75/274 on June 15 (day 165)
    assert figure["layout"]["meta"]["expected"] == pytest.approx(30 + 70 * 75 / 274)
    assert figure["layout"]["meta"]["expected"] == pytest.approx(49.16058394)
    # the table view has the expected value on every date it lists
    rows = {r[0]: r for r in figure["layout"]["meta"]["table"]["rows"]}
    assert rows["2026-04-01"][1] == "30 %"
    assert rows["2026-03-01"][1] == "19.67 %"  # 30 × 59/90
    assert rows["2026-06-01"][1] == "45.58 %"  # 30 + 70 × 61/274


def test_actual_points_exclude_what_was_dated_after_as_of():
    figure = charts.expected_vs_actual(RISING, RISING_ACTUALS, AS_OF, "Order fill rate", "%")
    actual = trace(figure, "Actual")
    assert actual["x"] == ["2026-02-01", "2026-03-01", "2026-06-01"]
    assert actual["y"] == [12.0, 5.0, 40.0]
    assert figure["layout"]["meta"]["actual"] == 40.0
    assert figure["layout"]["meta"]["actual_date"] == "2026-06-01"
    assert "99" not in serialisable(figure["data"])


def test_each_point_has_its_status_colour_symbol_and_word():
    figure = charts.expected_vs_actual(RISING, RISING_ACTUALS, AS_OF, "Order fill rate", "%")
    actual = trace(figure, "Actual")
    assert actual["marker"]["color"] == [GREEN, RED, YELLOW]
    assert actual["marker"]["symbol"] == ["circle", "x", "triangle-up"]
    assert [t.split(" · ")[1] for t in actual["text"]] == ["● On track", "✖ Off track", "▲ At risk"]
    # the latest point, at AS_OF: expected 49.16, actual 40 → 9.16 short (≤ 10): at risk
    latest = trace(figure, "Status on 2026-06-15: ▲ At risk")  # the word is in the legend
    assert latest["marker"]["color"] == YELLOW
    assert latest["marker"]["symbol"] == "triangle-up"
    assert figure["layout"]["meta"]["status"] == rules.AT_RISK
    assert "▲ At risk on 2026-06-15" in figure["layout"]["title"]["subtitle"]["text"]


def test_forecast_date_is_the_least_squares_trend_reaching_the_target():
    # x = days since Feb 1: 0, 28, 120; y = 12, 5, 40.
    # slope = Sxy/Sxx = 2128 / (23648/3) = 399/1478; intercept = 19 − slope × 148/3.
    # (100 − intercept) / slope = 418206/1197 = 349.38 → day 350 → 2027-01-17.
    slope = 399 / 1478
    intercept = 19 - slope * 148 / 3
    assert math.ceil((100 - intercept) / slope) == 350
    figure = charts.expected_vs_actual(RISING, RISING_ACTUALS, AS_OF, "Order fill rate", "%")
    meta = figure["layout"]["meta"]
    assert meta["forecast"] == "2027-01-17" == (date(2026, 2, 1) + timedelta(350)).isoformat()
    assert meta["forecast_text"] == "reaches target on 2027-01-17 (after the target date)"
    forecast = trace(figure, "Forecast")
    assert forecast["x"] == ["2026-06-01", "2027-01-17"]
    assert forecast["y"] == [40.0, 100.0]
    assert forecast["line"]["dash"] == "dash"
    assert "Forecast: reaches target on 2027-01-17" in figure["layout"]["title"]["subtitle"]["text"]


def test_tolerance_band_is_expected_plus_or_minus_tolerance_times_span():
    figure = charts.expected_vs_actual(RISING, RISING_ACTUALS, AS_OF, "Order fill rate", "%")
    lower, upper = figure["data"][0], figure["data"][1]
    assert upper["fill"] == "tonexty"
    # straight between the bends of the expected line, so drawn at those dates
    assert dict(zip(lower["x"], lower["y"], strict=True)) == {
        "2026-01-01": -10,
        "2026-04-01": 20,
        "2026-12-31": 90,
    }
    assert dict(zip(upper["x"], upper["y"], strict=True))["2026-04-01"] == 40
    assert upper["name"] == "Tolerance ± 10 %"
    assert figure["layout"]["meta"]["band"] == [-10, 10]


def test_markers_at_the_target_date_and_at_as_of():
    figure = charts.expected_vs_actual(
        RISING, RISING_ACTUALS, AS_OF, "Order fill rate", "%", today=AS_OF
    )
    lines = {s["x0"] for s in figure["layout"]["shapes"]}
    assert lines == {"2026-12-31", "2026-06-15"}
    labels = {a["text"] for a in figure["layout"]["annotations"]}
    assert labels == {"target 100 %", "today"}
    past = charts.expected_vs_actual(
        RISING, RISING_ACTUALS, date(2026, 5, 1), "x", "%", today=AS_OF
    )
    assert "as of 2026-05-01" in {a["text"] for a in past["layout"]["annotations"]}


def test_titles_and_axis_titles_carry_the_unit():
    figure = charts.expected_vs_actual(RISING, RISING_ACTUALS, AS_OF, "Order fill rate", "%")
    assert figure["layout"]["title"]["text"] == "Order fill rate"
    assert figure["layout"]["xaxis"]["title"]["text"] == "Date"
    assert figure["layout"]["yaxis"]["title"]["text"] == "%"
    assert figure["layout"]["xaxis"]["type"] == "date"


def test_decrease_direction():
    # 50 → 30 over 2026 (364 days), tolerance 20 % of a span of 20: ± 4.
    spec = rules.IndicatorSpec("decrease", 50.0, date(2026, 1, 1), 30.0, date(2026, 12, 31), 0.2)
    actuals = [(date(2026, 3, 1), 48.0), (date(2026, 5, 1), 45.0), (date(2026, 7, 2), 43.0)]
    figure = charts.expected_vs_actual(spec, actuals, date(2026, 7, 2), "Cost to serve", "USD")
    meta = figure["layout"]["meta"]
    assert meta["expected"] == pytest.approx(40.0)  # 50 − 20 × 182/364
    assert meta["status"] == rules.AT_RISK  # 43 − 40 = 3 ≤ 4
    # Mar 1 expected 50 − 20×59/364 = 46.76: 48 is 1.24 above (≤ 4) → at risk;
    # May 1 expected 50 − 20×120/364 = 43.41: 45 is 1.59 above → at risk.
    assert trace(figure, "Actual")["marker"]["color"] == [YELLOW, YELLOW, YELLOW]
    # x = 0, 61, 123; Sxx = 22694/3, Sxy = −922/3: slope = −922/22694;
    # intercept = 136/3 − slope × 184/3; 30 is reached on day ceil(438.8) = 439 → 2027-05-14.
    slope = -922 / 22694
    intercept = 136 / 3 - slope * 184 / 3
    assert math.ceil((30 - intercept) / slope) == 439
    assert meta["forecast"] == (date(2026, 3, 1) + timedelta(439)).isoformat() == "2027-05-14"
    band = figure["data"][0]["y"], figure["data"][1]["y"]
    x = figure["data"][0]["x"]
    assert band[0][x.index("2026-12-31")] == 26
    assert band[1][x.index("2026-12-31")] == 34
    assert figure["layout"]["yaxis"]["title"]["text"] == "USD"


def test_maintain_direction_has_a_band_around_the_target_and_no_forecast():
    # maintain 95, tolerance 5 %: span = |t| = 95, band 95 ± 4.75.
    spec = rules.IndicatorSpec("maintain", 95.0, date(2026, 1, 1), 95.0, date(2026, 12, 31), 0.05)
    actuals = [(date(2026, 2, 1), 92.0), (date(2026, 3, 1), 89.0), (date(2026, 4, 1), 80.0)]
    figure = charts.expected_vs_actual(spec, actuals, AS_OF, "Availability", "%")
    lower, upper = figure["data"][0]["y"], figure["data"][1]["y"]
    assert all(v == pytest.approx(90.25) for v in lower)
    assert all(v == pytest.approx(99.75) for v in upper)
    # |92 − 95| = 3 ≤ 4.75 on track; 6 − 4.75 = 1.25 at risk; 15 − 4.75 = 10.25 off track
    assert trace(figure, "Actual")["marker"]["color"] == [GREEN, YELLOW, RED]
    meta = figure["layout"]["meta"]
    assert meta["status"] == rules.OFF_TRACK
    assert meta["forecast"] is None
    assert "maintains" in meta["forecast_text"]
    assert not any(t["name"].startswith("Forecast") for t in figure["data"])


def test_not_on_course_and_already_reached():
    falling = [(date(2026, 2, 1), 20.0), (date(2026, 3, 1), 10.0)]
    figure = charts.expected_vs_actual(RISING, falling, AS_OF, "x", "")
    assert figure["layout"]["meta"]["forecast"] is None
    assert figure["layout"]["meta"]["forecast_text"] == "not on course to reach the target"
    assert figure["layout"]["yaxis"]["title"]["text"] == "Value"
    reached = [(date(2026, 2, 1), 20.0), (date(2026, 3, 1), 100.0)]
    figure = charts.expected_vs_actual(RISING, reached, AS_OF, "x", "")
    assert figure["layout"]["meta"]["forecast_text"] == "target reached on 2026-03-01"


def test_no_data():
    figure = charts.expected_vs_actual(RISING, [], AS_OF, "New indicator", "%")
    names = [t["name"] for t in figure["data"]]
    assert "Actual" not in names
    assert not any(n.startswith("Forecast") for n in names)
    meta = figure["layout"]["meta"]
    assert meta["status"] == rules.NO_DATA
    assert meta["actual"] is None
    assert meta["forecast_text"] == "too few actuals for a forecast"
    assert "○ No data on 2026-06-15: no actual yet" in figure["layout"]["title"]["subtitle"]["text"]
    serialisable(figure)


def test_figures_are_json_without_nan_and_names_are_escaped_for_plotly():
    figure = charts.expected_vs_actual(
        RISING, RISING_ACTUALS, AS_OF, "<b>Bold</b> & <script>", "<i>u</i>"
    )
    assert "NaN" not in serialisable(figure)
    assert "Infinity" not in serialisable(figure)
    # what Plotly renders (not layout.meta, which is data for the page and the tests)
    drawn = serialisable({**figure, "layout": {**figure["layout"], "meta": None}})
    for tag in ("<b>", "<script>", "<i>"):
        assert tag not in drawn
    assert figure["layout"]["title"]["text"] == "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;script&gt;"
    # the table view keeps the raw text (the template escapes it)
    assert figure["layout"]["meta"]["title"] == "<b>Bold</b> & <script>"


def test_small_multiples_legend_names_a_line_the_first_plot_lacks():
    # the first plot has no actual (so no forecast): the legend still names both, once
    empty = charts.expected_vs_actual(RISING, [], AS_OF, "Empty", "%")
    full = charts.expected_vs_actual(RISING, RISING_ACTUALS, AS_OF, "Full", "%", today=AS_OF)
    figure = charts.small_multiples([("Empty", empty), ("Full", full), ("Again", full)])
    shown = [t["name"] for t in figure["data"] if t["showlegend"]]
    assert shown.count("Actual") == shown.count("Forecast") == 1
    assert shown[-1] == f"Dotted lines: as of {AS_OF.isoformat()}, target date"
    # on a phone the five entries need more than one row: the legend's band grows with them
    phone = figure["layout"]["meta"]["narrow"]
    assert phone["margin"]["b"] > 2 * charts.PHONE.legend * 1.3 + 24


def test_small_multiples_puts_each_figure_on_its_own_axes():
    one = charts.expected_vs_actual(RISING, RISING_ACTUALS, AS_OF, "One", "%")
    two = charts.expected_vs_actual(RISING, [], AS_OF, "Two", "%")
    three = charts.expected_vs_actual(RISING, RISING_ACTUALS[:2], AS_OF, "Three", "%")
    figure = charts.small_multiples([("One", one), ("Two", two), ("Three", three)], columns=2)
    layout = figure["layout"]
    assert (layout["meta"]["grid"]["rows"], layout["meta"]["grid"]["columns"]) == (2, 2)
    assert {t["xaxis"] for t in figure["data"]} == {"x", "x2", "x3"}
    assert {"xaxis", "xaxis2", "xaxis3", "yaxis3"} <= layout.keys()
    assert layout["yaxis2"]["title"]["text"] == "%"
    # one legend entry per kind of line, and what the dotted lines are
    shown = [t["name"] for t in figure["data"] if t["showlegend"]]
    assert shown == [
        "Tolerance band",
        "Expected",
        "Actual",
        "Forecast",
        f"Dotted lines: as of {AS_OF.isoformat()}, target date",
    ]
    titles = [a["text"] for a in layout["annotations"]]
    assert titles[0].startswith("One<br>▲ At risk · forecast 2027-01-17")
    assert titles[1] == "Two<br>○ No data"
    assert {s["yref"] for s in layout["shapes"]} == {"y domain", "y2 domain", "y3 domain"}
    assert [r[:2] for r in layout["meta"]["table"]["rows"]] == [
        ["One", "▲ At risk"],
        ["Two", "○ No data"],
        ["Three", "✖ Off track"],
    ]
    serialisable(figure)
    # on a phone each heading fits the width (Plotly clips long lines): the name shortened,
    # the status and forecast wrapped
    long_name = "Contacts with the full customer record on screen at every call"
    phone = charts.small_multiples([(long_name, one)])["layout"]["meta"]["narrow"]
    lines = phone["annotations"][0]["text"].split("<br>")
    assert lines == [
        "Contacts with the full customer record on…",
        "▲ At risk · forecast 2027-01-17 (late)",
    ]
    empty = charts.small_multiples([])
    assert empty["data"] == []
    assert "No indicators yet." in serialisable(empty)


DEPARTMENTS = [
    charts.DepartmentRow("Sales", 0.4, 0.25, {"planned": 1, "in_progress": 2}, 1),
    charts.DepartmentRow("Logistics", None, None, {}, 0),
    {"name": "Finance", "execution": 1.0, "results": 0.5, "plans": {"done": 3}, "overdue": 0},
]


def test_department_charts_carry_execution_results_states_and_overdue():
    figure = charts.execution_vs_results(DEPARTMENTS)
    execution, results = figure["data"]
    assert execution["x"] == ["Sales", "Logistics", "Finance"]
    assert execution["y"] == [40.0, None, 100.0]
    assert results["y"] == [25.0, None, 50.0]
    assert execution["text"] == ["40%", "—", "100%"]  # percentages one way everywhere
    assert figure["layout"]["yaxis"]["title"]["text"] == "Percent (%)"
    overdue = charts.overdue_by_department(DEPARTMENTS)
    assert overdue["data"][0]["y"] == [1, 0, 0]
    assert overdue["data"][0]["text"][0] == "✖ 1"
    compared = charts.department_comparison(DEPARTMENTS)
    states = {t["name"]: t for t in compared["data"] if t.get("yaxis") == "y2"}
    assert states["In progress"]["y"] == [2, 0, 0]
    assert states["Done"]["y"] == [0, 0, 3]
    assert states["In progress"]["base"] == [1, 0, 0]  # stacked on the planned ones
    assert compared["layout"]["meta"]["table"]["rows"][0] == [
        "Sales", "40%", "25%", 1, 1, 2, 0, 0, 0,
    ]  # fmt: skip
    for f in (figure, overdue, compared):
        serialisable(f)


def test_objectives_by_service_stacks_the_statuses_with_words_and_patterns():
    figure = charts.objectives_by_service(
        [("Perfect order", {"on_track": 2, "off_track": 1}), ("Know the customer", {})]
    )
    by_name = {t["name"]: t for t in figure["data"]}
    assert by_name["● On track"]["x"] == [2, 0]
    assert by_name["✖ Off track"]["x"] == [1, 0]
    assert by_name["✖ Off track"]["marker"]["color"] == RED
    assert by_name["✖ Off track"]["marker"]["pattern"]["shape"] == "x"
    assert by_name["○ No data"]["marker"]["color"] == GREY
    assert by_name["● On track"]["y"] == ["Perfect order", "Know the customer"]
    assert figure["layout"]["barmode"] == "stack"


def test_biggest_misses_ranks_and_labels():
    misses = [
        charts.Miss("NPS", "points", rules.OFF_TRACK, 40, 20, 20, 0.5, "Listen", 1),
        charts.Miss("Fill rate", "%", rules.AT_RISK, 95, 93, 2, 0.08, "Deliver", 2),
    ]
    figure = charts.biggest_misses(misses)
    off = trace(figure, "✖ Off track")
    assert (off["x"], off["y"]) == ([50.0], ["NPS"])
    # bars and labels in the same unit (% of span), said by the axis title
    assert off["text"] == ["✖ 50%"]
    assert off["customdata"] == ["short by 20 points"]
    assert (
        "% of each indicator's baseline-to-target span"
        in (figure["layout"]["xaxis"]["title"]["text"])
    )
    assert figure["layout"]["xaxis"]["ticksuffix"] == " %"
    assert figure["layout"]["yaxis"]["categoryarray"] == ["NPS", "Fill rate"]
    assert figure["layout"]["meta"]["table"]["rows"][1] == [
        "Fill rate", "Deliver", "▲ At risk", "95 %", "93 %", "2 %", "8%",
    ]  # fmt: skip


def test_timeline_bars_start_at_the_start_and_last_until_due():
    bar = charts.TimelineBar
    bars = [
        bar(1, "Route plan", "Logistics", date(2026, 3, 1), date(2026, 5, 1), "in_progress", True),
        bar(2, "Invoices", "Finance", date(2026, 6, 1), date(2026, 9, 1), "planned", False),
        bar(3, "Done one", "Sales", date(2026, 1, 1), date(2026, 1, 1), "done", False),
    ]
    figure = charts.timeline(bars, AS_OF, today=AS_OF)
    overdue = trace(figure, "✖ Overdue")
    assert overdue["base"] == ["2026-03-01"]
    assert overdue["x"] == [61 * 86_400_000]
    assert overdue["text"] == ["✖ overdue"]
    assert overdue["marker"]["color"] == RED
    assert overdue["marker"]["pattern"]["shape"] == "x"
    assert trace(figure, "✓ Done")["x"] == [86_400_000]  # a zero-length plan still shows a day
    assert figure["layout"]["yaxis"]["categoryarray"] == [
        "Logistics · Route plan",
        "Finance · Invoices",
        "Sales · Done one",
    ]
    assert figure["layout"]["shapes"][0]["x0"] == "2026-06-15"
    assert figure["layout"]["annotations"][0]["text"] == "today"
    # first plan on top; under the last one an empty band holds the today label (y=0 is the
    # bottom of the plot), so the label never covers a bar
    assert figure["layout"]["yaxis"]["range"] == [3.5, -0.5]
    assert figure["layout"]["annotations"][0]["y"] == 0
    assert figure["layout"]["annotations"][0]["yanchor"] == "bottom"
    assert figure["layout"]["meta"]["table"]["rows"][0][-1] == "✖ overdue"
    serialisable(figure)


def test_strategy_map_nodes_colours_and_fit_labels():
    nodes = [
        charts.MapNode("vision", "", "Acme", "vision", rules.OFF_TRACK),
        charts.MapNode("c1", "vision", "Grow sales", "company", rules.ON_TRACK),
        charts.MapNode("c1/s1", "c1", "Perfect order", "service", rules.ON_TRACK, "supports"),
        charts.MapNode("c2", "vision", "Cut costs", "company", rules.NO_DATA),
        charts.MapNode("c2/s1", "c2", "Perfect order", "service", rules.OFF_TRACK, "conflicts"),
    ]
    figure = charts.strategy_map(nodes)
    sun = figure["data"][0]
    assert sun["type"] == "sunburst"
    assert sun["ids"] == ["vision", "c1", "c1/s1", "c2", "c2/s1"]
    assert sun["parents"] == ["", "vision", "c1", "vision", "c2"]
    assert sun["marker"]["colors"] == [RED, GREEN, GREEN, GREY, RED]
    assert sun["labels"][2] == "● Perfect order · supports ✓"
    assert sun["labels"][4] == "✖ Perfect order · conflicts ✖"
    assert "conflicts ✖ the company strategy" in sun["customdata"][4]
    assert figure["layout"]["meta"]["table"]["rows"][4] == [
        "Service strategy", "Perfect order", "Cut costs", "conflicts ✖", "✖ Off track",
    ]  # fmt: skip
    serialisable(figure)


def test_status_colours_and_symbols_cover_every_status():
    assert charts.status_colours == charts.STATUS_COLOURS
    assert charts.STATUS_COLOURS == {
        "on_track": GREEN, "at_risk": YELLOW, "off_track": RED, "no_data": GREY,
    }  # fmt: skip
    assert set(charts.STATUS_SYMBOLS) == set(rules.STATUSES)
    assert len(set(charts.STATUS_SYMBOLS.values())) == 4


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (45.3424657, "45.34"), (1234567, "1,234,567"), (0.0345, "0.0345"), (-2.5, "-2.5")],
)
def test_fmt_number(value, text):
    assert charts.fmt_number(value) == text


def test_narrow_screens_get_short_labels_and_one_column():
    misses = [charts.Miss("A very long indicator name indeed", "%", rules.AT_RISK, 9, 8, 1, 0.1)]
    narrow = charts.biggest_misses(misses)["layout"]["meta"]["narrow"]
    assert narrow["yaxis"]["tickvals"] == ["A very long indicator name indeed"]
    assert narrow["yaxis"]["ticktext"] == ["A very long indic…"]
    assert narrow["title"]["font"]["size"] == 15
    one = charts.expected_vs_actual(RISING, RISING_ACTUALS, AS_OF, "One", "%")
    grid = charts.small_multiples([("One", one), ("Two", one), ("Three", one)])["layout"]
    assert (grid["meta"]["grid"]["columns"], grid["meta"]["narrow"]["meta"]["grid"]) == (
        2,
        {"rows": 3, "columns": 1},
    )


def test_objectives_by_service_fits_a_slide_however_many_strategies():
    """CI's projector check found the overview slide 18 px too tall once other tests had
    added service strategies: on a slide the chart keeps to the room a chart has there."""
    rows = [(f"Service strategy {n}", {"on_track": n}) for n in range(8)]
    slide = charts.objectives_by_service(rows, surface=charts.MEETING)
    assert slide["layout"]["height"] <= charts.MEETING.height
    # the overview slide gives it less: the vision, the figures and two lines share the slide
    overview = charts.objectives_by_service(rows, surface=charts.MEETING, room=400)
    assert overview["layout"]["height"] == 400
    page = charts.objectives_by_service(rows)
    assert page["layout"]["height"] > charts.PAGE.height  # a page grows and scrolls
