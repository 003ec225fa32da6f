"""The NPS rules of DESIGN §3 and the closed loop, with numbers worked by hand."""

from __future__ import annotations

from datetime import date

import pytest

from strategy_app.services.evaluation import rules
from strategy_app.services.reads import nps as nps_reads
from strategy_app.services.writes.nps import monthly_nps_values


def test_categories_at_their_edges():
    assert [rules.nps_category(s) for s in range(11)] == (
        ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2
    )
    assert [s for s in range(11) if rules.is_detractor(s)] == [0, 1, 2, 3, 4, 5, 6]


def test_no_responses_has_no_nps():
    assert rules.nps([]) is None
    assert rules.nps_counts([]) == (0, 0, 0, 0, None)


def test_all_detractors_is_minus_100():
    assert rules.nps_counts([0, 3, 6, 6]) == (4, 0, 0, 4, -100)


def test_all_promoters_is_100_and_all_passives_0():
    assert rules.nps([9, 10, 10]) == 100
    assert rules.nps([7, 8, 7]) == 0


def test_one_response():
    assert rules.nps_counts([9]) == (1, 1, 0, 0, 100)
    assert rules.nps_counts([7]) == (1, 0, 1, 0, 0)
    assert rules.nps_counts([6]) == (1, 0, 0, 1, -100)


def test_a_mixed_month_by_hand():
    # 10 answers: promoters 9, 10, 9, 10 (4); passives 7, 8 (2); detractors 0, 5, 6, 3 (4).
    # NPS = round(100 × (4 − 4) / 10) = 0.
    assert rules.nps_counts([9, 10, 7, 0, 5, 9, 8, 6, 10, 3]) == (10, 4, 2, 4, 0)
    # 7 answers: 3 promoters, 3 passives, 1 detractor → 100 × 2 / 7 = 28.57 → 29.
    assert rules.nps_counts([9, 9, 10, 7, 8, 8, 2]) == (7, 3, 3, 1, 29)
    # 3 answers: 1 promoter, 2 detractors → 100 × −1 / 3 = −33.3 → −33.
    assert rules.nps([10, 1, 4]) == -33


def test_rounding_is_pythons_round():
    # 8 answers, 1 promoter, 0 detractors: 12.5 → round() gives 12 (halves to even).
    assert rules.nps([9, 7, 7, 7, 7, 7, 7, 7]) == round(12.5) == 12


def test_closed_loop_rate_and_median_days():
    assert rules.closed_loop_rate(0, 0) is None
    assert rules.closed_loop_rate(3, 4) == 0.75
    assert rules.median_days([]) is None
    assert rules.median_days([5]) == 5
    assert rules.median_days([9, 1, 4]) == 4
    assert rules.median_days([10, 2, 4, 6]) == 5


ROWS = [
    (date(2026, 4, 3), 10, "chains"),
    (date(2026, 4, 9), 4, "stores"),
    (date(2026, 4, 30), 8, "chains"),
    (date(2026, 5, 2), 9, "chains"),
    (date(2026, 5, 20), 2, "chains"),
    (date(2026, 5, 21), 0, "stores"),
    (date(2026, 6, 1), 9, ""),
]


def test_grouped_by_month_and_by_segment():
    months = nps_reads.by_month(ROWS)
    # April: 10 (P), 4 (D), 8 (p) → 0; May: 9 (P), 2 (D), 0 (D) → −33; June: 9 → 100.
    assert [(g.label, g.counts) for g in months] == [
        ("2026-04", (3, 1, 1, 1, 0)),
        ("2026-05", (3, 1, 0, 2, -33)),
        ("2026-06", (1, 1, 0, 0, 100)),
    ]
    chains = nps_reads.by_month(ROWS, "chains")
    assert [(g.label, g.counts.nps) for g in chains] == [("2026-04", 50), ("2026-05", 0)]
    segments = {g.label: g.counts for g in nps_reads.by_segment(ROWS)}
    # chains: 10, 8, 9, 2 → 2 promoters, 1 detractor of 4 → 25; stores: 4, 0 → −100.
    assert segments == {
        "": (1, 1, 0, 0, 100),
        "chains": (4, 2, 1, 1, 25),
        "stores": (2, 0, 0, 2, -100),
    }


@pytest.mark.parametrize(
    ("today", "june_date"),
    [(date(2026, 6, 15), date(2026, 6, 15)), (date(2026, 7, 2), date(2026, 6, 30))],
)
def test_the_monthly_values_an_indicator_takes(today, june_date):
    values = monthly_nps_values(ROWS, None, today)
    # Month ends; the running month on today's date.
    assert values == {date(2026, 4, 30): 0.0, date(2026, 5, 31): -33.0, june_date: 100.0}
    assert monthly_nps_values(ROWS, "stores", today) == {
        date(2026, 4, 30): -100.0,
        date(2026, 5, 31): -100.0,
    }
    assert monthly_nps_values([], None, today) == {}
