"""Numbers as people write them: one module formats them for pages, charts and exports."""

from __future__ import annotations

from datetime import date

import pytest

from strategy_app.services.plumbing import numbers


@pytest.mark.parametrize(
    ("unit", "values", "decimals"),
    [
        ("%", [60, 85], 0),  # a span of 25 percent: whole percents
        ("%", [82, 95], 1),  # a span of 13: a tenth tells a twentieth of it apart
        ("%", [0.5, 0.9], 1),  # percentages stop at one decimal
        ("drops", [14, 18], 1),
        ("USD", [4.85, 4.35], 2),  # the target is written with two decimals
        ("errors", [12, 4], 1),
        ("orders", [1_000, 25_000], 0),
        ("", [5, 5], 1),  # no span: the target's size
        ("", [0.002, 0.001], 3),  # at most three
        ("", [], 0),
    ],
)
def test_decimals_come_from_the_unit_and_the_values(unit, values, decimals):
    assert numbers.derive_decimals(unit, values) == decimals


def test_an_indicator_s_own_setting_wins():
    class Indicator:
        unit, baseline_value, target_value, display_precision = "%", 60.0, 85.0, 2

    assert numbers.decimals_of(Indicator) == 2
    Indicator.display_precision = None
    assert numbers.decimals_of(Indicator) == 0


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (7.71271, 1, "7.7"),
        (68.6957, 0, "69"),
        (1234567.891, 2, "1,234,567.89"),
        (-0.04, 1, "0.0"),  # no "-0.0"
        (None, 2, "—"),
        (75.85185185185185, None, "75.85"),  # no precision: four significant digits
    ],
)
def test_fmt_writes_the_decimals_asked_for(value, decimals, text):
    assert numbers.fmt(value, decimals) == text


def test_percentages_are_written_one_way():
    assert numbers.pct(0.423) == "42%"
    assert numbers.pct(None) == "—"
    assert numbers.percent_value(0.65, 0) == 65
    assert numbers.percent_value(0.6543) == 65.4
    assert numbers.rounded(75.85185185185185, 1) == 75.9


def test_a_day_is_written_as_people_write_it():
    assert numbers.day(date(2026, 11, 20)) == "20 November 2026"
    assert numbers.day(date(2026, 3, 2)) == "2 March 2026"  # no leading zero
    assert numbers.day(None) == "—"
