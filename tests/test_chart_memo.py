"""Figures are drawn once per set of arguments (charts.memo), and a change redraws them."""

from __future__ import annotations

from datetime import date

from strategy_app import charts
from strategy_app.charts import memo
from strategy_app.services.evaluation import rules

SPEC = rules.IndicatorSpec("increase", 0.0, date(2026, 1, 1), 100.0, date(2026, 12, 31), 0.1)
POINTS = [(date(2026, 3, 1), 20.0), (date(2026, 6, 1), 45.0)]


def counted():
    calls = []

    @memo.remembered
    def build(spec, points, as_of, *, surface="page"):
        calls.append(1)
        return {"data": [{"y": [v for _, v in points]}], "layout": {"title": str(as_of)}}

    return build, calls


def test_the_same_arguments_draw_once_and_every_caller_gets_its_own_copy():
    build, calls = counted()
    first = build(SPEC, POINTS, date(2026, 6, 30))
    first["layout"]["title"] = "changed by a caller"
    first["data"][0]["y"].append(99)
    again = build(SPEC, list(POINTS), date(2026, 6, 30))
    assert len(calls) == 1
    assert again == {"data": [{"y": [20.0, 45.0]}], "layout": {"title": "2026-06-30"}}


def test_a_new_actual_another_date_or_surface_draws_again():
    build, calls = counted()
    build(SPEC, POINTS, date(2026, 6, 30))
    build(SPEC, [*POINTS, (date(2026, 6, 20), 50.0)], date(2026, 6, 30))
    build(SPEC, POINTS, date(2026, 7, 1))
    build(SPEC, POINTS, date(2026, 6, 30), surface="meeting")
    build(rules.IndicatorSpec("decrease", 100.0, SPEC.baseline_date, 0.0, SPEC.target_date),
          POINTS, date(2026, 6, 30))  # fmt: skip
    assert len(calls) == 5


def test_points_given_as_a_generator_are_read_once_and_drawn():
    build, calls = counted()
    figure = build(SPEC, (p for p in POINTS), date(2026, 6, 30))
    assert figure["data"][0]["y"] == [20.0, 45.0]
    assert build(SPEC, iter(POINTS), date(2026, 6, 30)) == figure
    assert len(calls) == 1


def test_the_indicator_figure_is_remembered_and_equal_to_a_fresh_drawing():
    args = (SPEC, POINTS, date(2026, 6, 30), "Deliveries on time", "%")
    kept = charts.expected_vs_actual(*args, today=date(2026, 6, 30))
    fresh = charts.expected_vs_actual.__wrapped__(*args, today=date(2026, 6, 30))
    assert kept == fresh
    moved = charts.expected_vs_actual(
        SPEC, [*POINTS, (date(2026, 6, 29), 5.0)], *args[2:], today=date(2026, 6, 30)
    )
    assert moved["layout"]["meta"]["actual"] == 5.0
    assert kept["layout"]["meta"]["actual"] == 45.0
