"""The computation rules of DESIGN §3 (services.rules), by hand-computed examples; no database.

Most specs run over ten days, 2026-01-01 → 2026-01-11, so that day k of the period is k/10 of
the way from baseline to target: expected values are round numbers.
"""

from __future__ import annotations

import math
from datetime import date

import pytest

from strategy_app.services.evaluation import rules
from strategy_app.services.evaluation.rules import (
    AT_RISK,
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    IndicatorResult,
    IndicatorSpec,
    PlanFacts,
)

JAN = 1
START, END = date(2026, 1, 1), date(2026, 1, 11)


def d(day: int, month: int = JAN, year: int = 2026) -> date:
    return date(year, month, day)


def spec(
    direction: str = "increase",
    b: float = 0.0,
    t: float = 100.0,
    tol: float = 0.10,
    milestones: tuple[tuple[date, float], ...] = (),
    start: date = START,
    end: date = END,
) -> IndicatorSpec:
    return IndicatorSpec(
        direction=direction,
        baseline_value=b,
        baseline_date=start,
        target_value=t,
        target_date=end,
        tolerance=tol,
        milestones=milestones,
    )


# --- span -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "b", "t", "span"),
    [
        ("increase", 20, 80, 60),  # |80 − 20|
        ("decrease", 50, 10, 40),  # |10 − 50|
        ("increase", -30, -10, 20),  # |−10 − (−30)|
        ("decrease", 5, -5, 10),  # across zero
        ("maintain", 150, 200, 200),  # maintain: |t|, not |t − b| = 50
        ("maintain", 200, 200, 200),
        ("maintain", 0, -40, 40),  # |−40|
        ("increase", 50, 50, 50),  # t = b: |t|
        ("decrease", -5, -5, 5),  # t = b: |−5|
        ("maintain", 5, 0, 1),  # maintain with t = 0: 1
        ("increase", 0, 0, 1),  # t = b = 0: 1
        ("decrease", 0, 0, 1),
    ],
)
def test_span(direction, b, t, span):
    assert rules.span(spec(direction, b, t)) == span


# --- expected(d) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "value"),
    [
        (d(31, 12, 2025), 0),  # before the baseline date: b
        (d(1), 0),  # on the baseline date: b
        (d(2), 10),  # 0 + 100 × 1/10
        (d(6), 50),  # 0 + 100 × 5/10
        (d(10), 90),  # 0 + 100 × 9/10
        (d(11), 100),  # on the target date: t
        (d(1, 2), 100),  # after it: t
        (d(1, 1, 2030), 100),
    ],
)
def test_expected_increase(on, value):
    assert rules.expected(spec(), on) == pytest.approx(value)


@pytest.mark.parametrize(
    ("on", "value"),
    [
        (d(20, 12, 2025), 50),
        (d(1), 50),
        (d(3), 42),  # 50 + (10 − 50) × 2/10
        (d(6), 30),  # 50 − 40 × 5/10
        (d(11), 10),
        (d(12), 10),
    ],
)
def test_expected_decrease(on, value):
    assert rules.expected(spec("decrease", 50, 10), on) == pytest.approx(value)


def test_expected_does_not_need_a_whole_number_of_days_per_unit():
    # 0 → 100 over 2026 (364 days); on 2026-06-15, day 165: 100 × 165/364
    s = spec(end=d(31, 12))
    assert rules.expected(s, d(15, 6)) == pytest.approx(100 * 165 / 364)


ONE_MILESTONE = ((d(3), 60.0),)


@pytest.mark.parametrize(
    ("on", "value"),
    [
        (d(1), 0),
        (d(2), 30),  # 0 + 60 × 1/2
        (d(3), 60),  # on the milestone: its value
        (d(5), 70),  # 60 + (100 − 60) × 2/8
        (d(7), 80),  # 60 + 40 × 4/8
        (d(11), 100),
    ],
)
def test_expected_through_a_milestone(on, value):
    assert rules.expected(spec(milestones=ONE_MILESTONE), on) == pytest.approx(value)


# Jan 7 = 20 lies below Jan 3 = 60: the line goes up, down, then up again (and is given out
# of date order).
ZIGZAG = ((d(7), 20.0), (d(3), 60.0))


@pytest.mark.parametrize(
    ("on", "value"),
    [
        (d(2), 30),  # 0 + 60 × 1/2
        (d(3), 60),
        (d(5), 40),  # 60 + (20 − 60) × 2/4
        (d(7), 20),
        (d(9), 60),  # 20 + (100 − 20) × 2/4
        (d(11), 100),
    ],
)
def test_expected_through_milestones_out_of_order_and_non_monotonic(on, value):
    assert rules.expected(spec(milestones=ZIGZAG), on) == pytest.approx(value)


def test_expected_survives_a_milestone_validation_would_refuse():
    # a milestone on the baseline date and two on one date must not divide by zero; the one
    # outside the period is ignored
    s = spec(milestones=((d(1), 40.0), (d(6), 50.0), (d(6), 70.0), (d(1, 3), 5.0)))
    assert rules.validate_spec(s)
    for day in range(1, 12):
        assert math.isfinite(rules.expected(s, d(day)))
    assert rules.expected(s, d(11)) == 100


# --- actual(d) ------------------------------------------------------------------------------

MEASURED = [(d(2), 5.0), (d(5), 40.0), (d(9), 70.0)]


@pytest.mark.parametrize(
    ("on", "latest"),
    [
        (d(1), None),  # nothing measured yet: no data
        (d(2), (d(2), 5.0)),  # a measurement dated exactly d counts
        (d(4), (d(2), 5.0)),
        (d(5), (d(5), 40.0)),
        (d(8), (d(5), 40.0)),  # the one of Jan 9 lies in the future: ignored
        (d(9), (d(9), 70.0)),
        (d(31, 12), (d(9), 70.0)),
    ],
)
def test_actual_is_the_latest_measurement_on_or_before_d(on, latest):
    assert rules.actual(MEASURED, on) == latest


def test_actual_without_measurements_is_none():
    assert rules.actual([], d(5)) is None


# --- progress -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "b", "t", "value", "progress"),
    [
        ("increase", 20, 80, 50, 0.5),  # (50 − 20) / (80 − 20)
        ("increase", 20, 80, 35, 0.25),  # 15 / 60
        ("increase", 20, 80, 80, 1.0),
        ("increase", 20, 80, 95, 1.0),  # overshoot: clamped to 1
        ("increase", 20, 80, 20, 0.0),
        ("increase", 20, 80, 10, 0.0),  # worse than baseline: clamped to 0
        ("decrease", 50, 10, 30, 0.5),  # (30 − 50) / (10 − 50)
        ("decrease", 50, 10, 40, 0.25),  # −10 / −40
        ("decrease", 50, 10, 10, 1.0),
        ("decrease", 50, 10, 5, 1.0),  # below target: clamped to 1
        ("decrease", 50, 10, 60, 0.0),  # above baseline: clamped to 0
        ("increase", -30, -10, -25, 0.25),  # 5 / 20
        # t = b: reached or not
        ("increase", 50, 50, 50, 1.0),
        ("increase", 50, 50, 60, 1.0),
        ("increase", 50, 50, 49.9, 0.0),
        ("decrease", 50, 50, 50, 1.0),
        ("decrease", 50, 50, 40, 1.0),
        ("decrease", 50, 50, 50.1, 0.0),
        # maintain, t = 200, tolerance 0.1: within 0.1 × 200 = 20 of t
        ("maintain", 200, 200, 200, 1.0),
        ("maintain", 200, 200, 220, 1.0),  # exactly on the boundary counts
        ("maintain", 200, 200, 180, 1.0),
        ("maintain", 200, 200, 220.5, 0.0),
        ("maintain", 200, 200, 179, 0.0),
        ("maintain", 150, 200, 210, 1.0),  # span is |t| = 200, not |t − b| = 50
        # maintain t = 0: span 1, band 0.1
        ("maintain", 0, 0, 0.1, 1.0),
        ("maintain", 0, 0, -0.1, 1.0),
        ("maintain", 0, 0, 0.2, 0.0),
        # decimals on the boundary: |0.77 − 0.7| = 0.07 = 0.1 × 0.7 exactly (not in binary)
        ("maintain", 0.7, 0.7, 0.77, 1.0),
        ("maintain", 0.7, 0.7, 0.63, 1.0),
        ("maintain", 0.7, 0.7, 0.7701, 0.0),
    ],
)
def test_progress(direction, b, t, value, progress):
    assert rules.progress(spec(direction, b, t), value) == pytest.approx(progress)


@pytest.mark.parametrize("direction", ["increase", "decrease", "maintain"])
def test_progress_without_data_is_zero(direction):
    assert rules.progress(spec(direction, 10, 10), None) == 0


def test_progress_maintain_with_zero_tolerance_needs_the_target_exactly():
    s = spec("maintain", 5, 5, tol=0)
    assert rules.progress(s, 5) == 1
    assert rules.progress(s, 5.001) == 0


# --- status ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shortfall", "status"),
    [
        # increase 0 → 100; on Jan 6 expected 50; span 100, band 0.1 × 100 = 10
        (None, None, NO_DATA),
        (60, -10, ON_TRACK),  # 50 − 60
        (50, 0, ON_TRACK),  # shortfall exactly 0
        (45, 5, AT_RISK),
        (40, 10, AT_RISK),  # shortfall exactly 0.1 × span
        (39.9, 10.1, OFF_TRACK),
        (0, 50, OFF_TRACK),
    ],
)
def test_status_increase(value, shortfall, status):
    s = spec()
    if value is not None:
        assert rules.shortfall(s, value, d(6)) == pytest.approx(shortfall)
    assert rules.status(s, value, d(6)) == status


@pytest.mark.parametrize(
    ("value", "shortfall", "status"),
    [
        # decrease 50 → 10; on Jan 6 expected 30; span 40, band 4; shortfall = actual − expected
        (None, None, NO_DATA),
        (25, -5, ON_TRACK),  # below expected is good when decreasing
        (30, 0, ON_TRACK),
        (33, 3, AT_RISK),
        (34, 4, AT_RISK),  # exactly 0.1 × 40
        (34.5, 4.5, OFF_TRACK),
        (50, 20, OFF_TRACK),
    ],
)
def test_status_decrease(value, shortfall, status):
    s = spec("decrease", 50, 10)
    if value is not None:
        assert rules.shortfall(s, value, d(6)) == pytest.approx(shortfall)
    assert rules.status(s, value, d(6)) == status


@pytest.mark.parametrize(
    ("value", "shortfall", "status"),
    [
        # maintain 200; band 0.1 × 200 = 20; shortfall = |actual − 200| − 20, any date
        (200, -20, ON_TRACK),
        (220, 0, ON_TRACK),  # exactly on the band
        (180, 0, ON_TRACK),
        (230, 10, AT_RISK),
        (240, 20, AT_RISK),  # |40| − 20 = 20 = 0.1 × span
        (160, 20, AT_RISK),
        (241, 21, OFF_TRACK),
        (159, 21, OFF_TRACK),
    ],
)
@pytest.mark.parametrize("on", [d(1, 12, 2025), d(6), d(1, 6)])
def test_status_maintain(value, shortfall, status, on):
    s = spec("maintain", 200, 200)
    assert rules.shortfall(s, value, on) == pytest.approx(shortfall)
    assert rules.status(s, value, on) == status


def test_status_maintain_uses_span_of_target_not_of_the_change():
    # b = 150, t = 200: span |t| = 200, band 20; with |t − b| = 50 the band would be 5
    s = spec("maintain", 150, 200)
    assert rules.status(s, 210, d(6)) == ON_TRACK  # |10| − 20 < 0
    assert rules.status(s, 235, d(6)) == AT_RISK  # |35| − 20 = 15 ≤ 20


@pytest.mark.parametrize(
    ("value", "status"),
    [(50, ON_TRACK), (50.01, ON_TRACK), (49.99, OFF_TRACK), (0, OFF_TRACK)],
)
def test_status_with_zero_tolerance_has_no_at_risk_band(value, status):
    assert rules.status(spec(tol=0), value, d(6)) == status


@pytest.mark.parametrize(
    ("value", "status"),
    [
        # before the baseline date expected is b = 0; band 10
        (0, ON_TRACK),
        (3, ON_TRACK),
        (-5, AT_RISK),  # 0 − (−5) = 5
        (-10, AT_RISK),
        (-11, OFF_TRACK),
    ],
)
def test_status_before_baseline_date(value, status):
    assert rules.status(spec(), value, d(15, 12, 2025)) == status


@pytest.mark.parametrize(
    ("value", "status"),
    [
        # after the target date expected is t = 100; band 10
        (100, ON_TRACK),
        (120, ON_TRACK),
        (95, AT_RISK),
        (90, AT_RISK),
        (89, OFF_TRACK),
    ],
)
def test_status_after_target_date(value, status):
    assert rules.status(spec(), value, d(1, 3)) == status


def test_status_follows_milestones():
    # milestone Jan 3 = 60: on Jan 3 expected is 60, so 55 is at risk (not on track as it
    # would be against the straight line's 20)
    s = spec(milestones=ONE_MILESTONE)
    assert rules.status(s, 55, d(3)) == AT_RISK
    assert rules.status(s, 45, d(3)) == OFF_TRACK  # 60 − 45 = 15 > 10


@pytest.mark.parametrize(
    ("s", "on", "value", "status"),
    [
        # decrease 0.7 → 0.1: on Jan 6 expected 0.4 (0.39999999999999997 in binary)
        (spec("decrease", 0.7, 0.1), d(6), 0.4, ON_TRACK),
        # increase 0 → 0.7: on the target date, 0.63 falls short by 0.07 = 0.1 × 0.7
        (spec("increase", 0, 0.7), d(11), 0.63, AT_RISK),
        # maintain 0.7: |0.77 − 0.7| − 0.07 = 0 exactly
        (spec("maintain", 0.7, 0.7), d(6), 0.77, ON_TRACK),
        # maintain 0.7: |0.84 − 0.7| − 0.07 = 0.07 = 0.1 × 0.7
        (spec("maintain", 0.7, 0.7), d(6), 0.84, AT_RISK),
        (spec("maintain", 0.7, 0.7), d(6), 0.8401, OFF_TRACK),
    ],
)
def test_status_boundaries_hold_for_decimal_values(s, on, value, status):
    assert rules.status(s, value, on) == status


def test_evaluate_gives_every_field():
    r = rules.evaluate(spec(), (d(5), 45.0), d(6))
    assert r == IndicatorResult(
        expected=pytest.approx(50), actual=45.0, actual_date=d(5), progress=0.45, status=AT_RISK
    )
    empty = rules.evaluate(spec(), None, d(6))
    assert (empty.actual, empty.actual_date, empty.progress, empty.status) == (
        None,
        None,
        0,
        NO_DATA,
    )


# --- validation -----------------------------------------------------------------------------


def test_a_valid_spec_has_no_errors():
    assert rules.validate_spec(spec(milestones=ZIGZAG)) == {}
    assert rules.validate_spec(spec(tol=0)) == {}
    assert rules.validate_spec(spec(tol=1)) == {}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"end": d(1)}, "target_date", id="baseline date = target date"),
        pytest.param({"end": d(31, 12, 2025)}, "target_date", id="target before baseline"),
        pytest.param(
            {"milestones": ((d(1), 5.0),)}, "milestones", id="milestone on the baseline date"
        ),
        pytest.param(
            {"milestones": ((d(11), 5.0),)}, "milestones", id="milestone on the target date"
        ),
        pytest.param(
            {"milestones": ((d(31, 12, 2025), 5.0),)},
            "milestones",
            id="milestone before the period",
        ),
        pytest.param(
            {"milestones": ((d(1, 2), 5.0),)}, "milestones", id="milestone after the period"
        ),
        pytest.param(
            {"milestones": ((d(5), 5.0), (d(5), 6.0))},
            "milestones",
            id="two milestones on one date",
        ),
        pytest.param({"tol": -0.01}, "tolerance", id="tol=-0.01"),
        pytest.param({"tol": 1.01}, "tolerance", id="tol=1.01"),
        pytest.param({"tol": math.nan}, "tolerance", id="tol=nan"),
        pytest.param({"tol": math.inf}, "tolerance", id="tol=inf"),
        pytest.param({"b": math.nan}, "baseline_value", id="b=nan"),
        pytest.param({"b": -math.inf}, "baseline_value", id="b=-inf"),
        pytest.param({"t": math.inf}, "target_value", id="t=inf"),
        pytest.param({"t": math.nan}, "target_value", id="t=nan"),
        pytest.param({"milestones": ((d(5), math.nan),)}, "milestones", id="milestone value nan"),
        pytest.param({"milestones": ((d(5), math.inf),)}, "milestones", id="milestone value inf"),
    ],
)
def test_validate_spec_refuses(kwargs, field):
    errors = rules.validate_spec(spec(**kwargs))
    assert list(errors) == [field]
    assert all(isinstance(m, str) and m for m in errors[field])


# --- action plans ---------------------------------------------------------------------------

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("due", "state", "overdue"),
    [
        (date(2026, 6, 14), "planned", True),
        (date(2026, 6, 14), "in_progress", True),
        (date(2026, 6, 14), "blocked", True),
        (date(2026, 6, 14), "done", False),
        (date(2026, 6, 14), "cancelled", False),
        (TODAY, "in_progress", False),  # due today is not yet overdue
        (date(2026, 6, 16), "in_progress", False),
        (None, "in_progress", False),  # no due date: never overdue
        (None, "blocked", False),
    ],
)
def test_plan_overdue(due, state, overdue):
    assert rules.plan_overdue(due, state, TODAY) is overdue


@pytest.mark.parametrize(
    ("state", "pct", "execution"),
    [
        ("planned", 0, 0.0),
        ("in_progress", 40, 0.4),
        ("blocked", 75, 0.75),
        ("in_progress", 100, 1.0),
        ("done", 40, 1.0),  # done counts as 1 whatever its percentage
        ("done", 0, 1.0),
        ("cancelled", 90, None),  # left out of every average
    ],
)
def test_plan_execution(state, pct, execution):
    assert rules.plan_execution(state, pct) == execution


# --- objective roll-up ----------------------------------------------------------------------


def res(progress: float, status: str) -> IndicatorResult:
    return IndicatorResult(
        expected=0.0, actual=None, actual_date=None, progress=progress, status=status
    )


def plan(state: str = "in_progress", pct: int = 0, **kw) -> PlanFacts:
    return PlanFacts(
        id=kw.pop("id", 1), state=state, progress_pct=pct, due_date=kw.pop("due", None), **kw
    )


def test_objective_rollup_from_own_and_plans_indicators():
    rollup = rules.objective_rollup(
        [res(0.5, ON_TRACK), res(1.0, ON_TRACK)],
        [
            (plan("in_progress", 40), [res(0.0, OFF_TRACK)]),
            (plan("done", 10), []),
            # left out: a cancelled plan and an archived one, with their indicators
            (plan("cancelled", 90), [res(1.0, OFF_TRACK)]),
            (plan("planned", 0, archived=True), [res(0.0, OFF_TRACK), res(0.0, OFF_TRACK)]),
        ],
    )
    assert rollup.results == pytest.approx(0.5)  # (0.5 + 1.0 + 0.0) / 3
    assert rollup.execution == pytest.approx(0.7)  # (0.4 + 1.0) / 2
    assert rollup.status == OFF_TRACK


def test_objective_rollup_ignores_the_indicators_of_cancelled_and_archived_plans():
    rollup = rules.objective_rollup(
        [res(0.25, ON_TRACK)],
        [
            (plan("cancelled", 0), [res(0.0, OFF_TRACK)]),
            (plan("in_progress", 50, archived=True), [res(0.0, OFF_TRACK)]),
        ],
    )
    assert rollup == rules.Rollup(results=0.25, execution=None, status=ON_TRACK)


def test_objective_rollup_counts_no_data_indicators_as_zero_progress():
    rollup = rules.objective_rollup([res(0.0, NO_DATA), res(0.8, AT_RISK)], [])
    assert rollup.results == pytest.approx(0.4)  # (0 + 0.8) / 2
    assert rollup.status == AT_RISK  # no_data is ignored when another has data


def test_objective_rollup_with_nothing_at_all():
    assert rules.objective_rollup([], []) == rules.Rollup(None, None, NO_DATA)


def test_objective_rollup_with_plans_but_no_indicator():
    rollup = rules.objective_rollup([], [(plan("in_progress", 30), []), (plan("blocked", 10), [])])
    assert rollup.results is None
    assert rollup.execution == pytest.approx(0.2)  # (0.3 + 0.1) / 2
    assert rollup.status == NO_DATA


def test_objective_rollup_with_only_no_data_indicators():
    rollup = rules.objective_rollup([res(0.0, NO_DATA)], [(plan(), [res(0.0, NO_DATA)])])
    assert rollup == rules.Rollup(results=0.0, execution=0.0, status=NO_DATA)


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [
        ([], NO_DATA),
        ([NO_DATA], NO_DATA),
        ([NO_DATA, NO_DATA], NO_DATA),
        ([ON_TRACK], ON_TRACK),
        ([ON_TRACK, NO_DATA], ON_TRACK),
        ([ON_TRACK, AT_RISK], AT_RISK),
        ([AT_RISK, ON_TRACK, NO_DATA], AT_RISK),
        ([ON_TRACK, OFF_TRACK, AT_RISK], OFF_TRACK),
        ([NO_DATA, OFF_TRACK], OFF_TRACK),
    ],
)
def test_worst_status(statuses, worst):
    assert rules.worst_status(statuses) == worst
    assert rules.objective_rollup([res(0, s) for s in statuses], []).status == worst


# --- department scorecard -------------------------------------------------------------------


def test_department_scorecard():
    past, future = date(2026, 6, 1), date(2026, 7, 1)
    card = rules.department_scorecard(
        [
            (plan("in_progress", 40, due=past), [res(0.5, ON_TRACK), res(0.0, OFF_TRACK)]),
            (plan("done", 10, due=past), [res(1.0, AT_RISK)]),
            (plan("cancelled", 90, due=past), [res(0.0, OFF_TRACK)]),
            (plan("blocked", 20), [res(0.0, NO_DATA)]),
            (plan("planned", 0, due=future), []),
            (plan("in_progress", 10, due=past, archived=True), [res(0.0, OFF_TRACK)]),
        ],
        TODAY,
    )
    # the archived plan is in no count; the cancelled one only in the count by state
    assert card.plans == {"planned": 1, "in_progress": 1, "done": 1, "blocked": 1, "cancelled": 1}
    assert card.overdue == 1  # only the in-progress plan (done/cancelled never are)
    assert card.execution == pytest.approx(0.4)  # (0.4 + 1.0 + 0.2 + 0.0) / 4
    assert card.indicators == {ON_TRACK: 1, AT_RISK: 1, OFF_TRACK: 1, NO_DATA: 1}


def test_department_scorecard_overdue_depends_on_the_date():
    plans = [(plan("in_progress", 10, due=date(2026, 4, 1)), [])]
    assert rules.department_scorecard(plans, date(2026, 3, 1)).overdue == 0
    assert rules.department_scorecard(plans, date(2026, 4, 1)).overdue == 0
    assert rules.department_scorecard(plans, date(2026, 4, 2)).overdue == 1


def test_department_scorecard_without_plans():
    card = rules.department_scorecard([], TODAY)
    assert set(card.plans.values()) == {0}
    assert card.overdue == 0
    assert card.execution is None
    assert card.indicators == {ON_TRACK: 0, AT_RISK: 0, OFF_TRACK: 0, NO_DATA: 0}


def test_department_scorecard_with_only_cancelled_plans_has_no_execution():
    card = rules.department_scorecard([(plan("cancelled", 50), [res(0, OFF_TRACK)])], TODAY)
    assert card.plans["cancelled"] == 1
    assert card.execution is None
    assert card.indicators[OFF_TRACK] == 0


# --- NPS and the service-health assessment --------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "score"),
    [
        ([], None),
        ([10, 9, 10], 100),  # all promoters
        ([0, 6, 3], -100),  # all detractors
        ([7, 8], 0),  # passives only
        ([9], 100),  # 9 is a promoter
        ([8], 0),  # 8 is a passive
        ([7], 0),  # 7 is a passive
        ([6], -100),  # 6 is a detractor
        ([10, 9, 8, 7, 6], 20),  # 100 × (2 − 1) / 5
        ([10, 0, 0], -33),  # round(−33.33…)
        ([10, 10, 0], 33),  # round(33.33…)
        ([10, 9, 0], 33),
        ([10, 10, 7], 67),  # round(66.66…)
        ([10, 10, 10, 10, 10, 10, 8, 8, 8, 1], 50),  # 100 × (6 − 1) / 10
        # exactly half-way: Python's round() rounds half to even, 100 × 1 / 8 = 12.5 → 12
        ([10, 7, 7, 7, 7, 7, 7, 7], 12),
    ],
)
def test_nps(scores, score):
    assert rules.nps(scores) == score


@pytest.mark.parametrize(
    ("answers", "score"),
    [
        ([], None),
        ([4, 4, 4], 100),
        ([0, 0], 0),
        ([2], 50),
        ([1, 2, 3, 4], 62.5),  # mean 2.5 × 25
        ([3, 2, 2], 7 / 3 * 25),  # 58.33…
    ],
)
def test_assessment_score(answers, score):
    result = rules.assessment_score(answers)
    assert result == (None if score is None else pytest.approx(score))


# --- forecast -------------------------------------------------------------------------------

YEAR = spec(end=d(31, 12))  # increase 0 → 100 over 2026


@pytest.mark.parametrize(
    ("measured", "forecast"),
    [
        # 1 a day from Jan 1: 100 reached on day 100, 2026-04-11
        ([(d(1), 0.0), (d(11), 10.0)], date(2026, 4, 11)),
        # given out of order
        ([(d(11), 10.0), (d(1), 0.0)], date(2026, 4, 11)),
        # least squares through (0, 0), (1, 2), (2, 1): slope 0.5, intercept 0.5;
        # 100 reached at x = 99.5 / 0.5 = 199, Jan 1 + 199 days = 2026-07-19
        ([(d(1), 0.0), (d(2), 2.0), (d(3), 1.0)], date(2026, 7, 19)),
        # 7 every 3 days: x = 300 / 7 = 42.86, the first whole day after is 43: 2026-02-13
        ([(d(1), 0.0), (d(4), 7.0)], date(2026, 2, 13)),
        # flat trend: never
        ([(d(1), 5.0), (d(5), 5.0)], None),
        # heading away from the target: never
        ([(d(1), 10.0), (d(5), 5.0)], None),
        # fewer than two measurements: no trend
        ([], None),
        ([(d(1), 5.0)], None),
        # already reached: the date of the last measurement
        ([(d(1), 90.0), (d(5), 120.0)], d(5)),
        ([(d(1), 90.0), (d(5), 100.0)], d(5)),
        # … even when a least-squares line through the points lies below the target there
        ([(d(1), 0.0), (d(2), 0.0), (d(3), 100.0)], d(3)),
    ],
)
def test_forecast_date_increase(measured, forecast):
    assert rules.forecast_date(measured, YEAR) == forecast


@pytest.mark.parametrize(
    ("measured", "forecast"),
    [
        # decrease 100 → 20, 1 a day down: 20 reached at x = 80, 2026-03-22
        ([(d(1), 100.0), (d(11), 90.0)], date(2026, 3, 22)),
        ([(d(1), 90.0), (d(11), 100.0)], None),  # rising: the wrong way
        ([(d(1), 30.0), (d(11), 15.0)], d(11)),  # already at or below 20
    ],
)
def test_forecast_date_decrease(measured, forecast):
    assert rules.forecast_date(measured, spec("decrease", 100, 20, end=d(31, 12))) == forecast


def test_forecast_date_is_the_day_after_the_last_measurement_when_the_trend_is_past_the_target():
    # the trend line (slope 49.5, intercept 13.5) passes 100 at x = 1.75, before the last
    # measurement (99 on Jan 3): the forecast is the next day, not a date already measured
    measured = [(d(1), 0.0), (d(2), 90.0), (d(3), 99.0)]
    assert rules.forecast_date(measured, YEAR) == d(4)


def test_forecast_date_of_maintain_is_none():
    assert rules.forecast_date([(d(1), 0.0), (d(5), 50.0)], spec("maintain", 100, 100)) is None


def test_forecast_date_too_far_away_is_none():
    # 1e-10 a day: 100 takes 1e12 days, past the last date Python knows
    assert rules.forecast_date([(d(1), 0.0), (d(2), 1e-10)], YEAR) is None


@pytest.mark.parametrize(
    ("start", "since", "on", "quiet"),
    [
        (d(1), d(1), d(14), False),  # 13 days since the start
        (d(1), d(1), d(15), True),  # 14 days: quiet
        (None, d(1), d(15), True),  # no start date: counted from `since` alone
        (d(20), d(1), d(19), False),  # not started yet: never quiet
        (d(1), d(10), d(23), False),  # a check-in on the 10th: 13 days
        (d(1), d(10), d(24), True),
    ],
)
def test_plan_quiet_after_check_in_days(start, since, on, quiet):
    assert rules.CHECK_IN_DAYS == 14
    assert rules.plan_quiet(start, since, on) is quiet
