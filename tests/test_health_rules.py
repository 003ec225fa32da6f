"""The assessment rule of DESIGN §3 (element = mean answer × 25, overall = mean of all answers ×
25), the weak threshold and the seed's reading guide, by hand-computed examples; no database."""

from __future__ import annotations

import pytest

from strategy_app.charts import health as health_charts
from strategy_app.services.evaluation import checklist, rules
from strategy_app.services.evaluation.rules import assessment_scores

CHECKLIST = checklist.statements_by_element()


def scored(*answers: tuple[str, int]) -> rules.AssessmentScores:
    return assessment_scores(answers, CHECKLIST)


def test_one_statement_answered_scores_its_element_and_the_whole():
    s = scored(("systems.3", 3))
    assert s.elements["systems"] == 75.0  # 3 × 25
    assert s.overall == 75.0
    assert [k for k, v in s.elements.items() if v is not None] == ["systems"]
    assert (s.answered, s.ticked, s.statements) == (1, 1, 40)
    assert not s.on_track  # one tick of forty is no "vast majority"
    assert s.weak() == []


def test_nothing_answered_has_no_score_and_no_weak_element():
    s = scored()
    assert s.overall is None
    assert set(s.elements.values()) == {None}
    assert len(s.elements) == 9
    assert (s.answered, s.ticked) == (0, 0)
    assert not s.on_track
    assert s.weak() == []


def test_element_is_the_mean_of_its_answers_times_25():
    # systems 1, 2, 1, 2 → mean 1.5 → 37.5 (the demo's latest); processes 2, 2, 3, 2, 3 → 2.4 → 60
    s = scored(
        ("systems.1", 1),
        ("systems.2", 2),
        ("systems.3", 1),
        ("systems.4", 2),
        *((f"processes.{n}", v) for n, v in enumerate((2, 2, 3, 2, 3), start=1)),
    )
    assert s.elements["systems"] == 37.5
    assert s.elements["processes"] == pytest.approx(60.0)
    # overall: (1 + 2 + 1 + 2 + 2 + 2 + 3 + 2 + 3) / 9 = 18 / 9 = 2 → 50
    assert s.overall == pytest.approx(50.0)


def test_overall_is_the_mean_of_all_answers_not_of_the_element_scores():
    # strategy.1 = 4 (strategy 100) and the ten performance statements 0 (performance 0):
    # the mean of the two elements would be 50; the mean of the eleven answers is 4/11 × 25.
    s = scored(("strategy.1", 4), *((f"performance.{n}", 0) for n in range(1, 11)))
    assert s.elements["strategy"] == 100.0
    assert s.elements["performance"] == 0.0
    assert s.overall == pytest.approx(100 / 11)  # 9.09…


def test_every_statement_fully_true_is_100_and_on_track():
    s = scored(*((k, 4) for k in checklist.statement_keys()))
    assert set(s.elements.values()) == {100.0}
    assert s.overall == 100.0
    assert s.on_track
    assert s.weak() == []


def test_every_statement_false_is_0_and_every_element_weak():
    s = scored(*((k, 0) for k in checklist.statement_keys()))
    assert s.overall == 0.0
    assert s.weak() == [e.key for e in checklist.ELEMENTS]


@pytest.mark.parametrize(
    ("score", "weak"), [(None, False), (0.0, True), (49.99, True), (50.0, False), (100.0, False)]
)
def test_weak_means_below_50(score, weak):
    assert rules.is_weak(score) is weak


def test_an_element_at_exactly_50_is_not_weak_and_one_below_is():
    s = scored(("systems.1", 2), ("systems.2", 2), ("channels.1", 2), ("channels.2", 1))
    assert s.elements["systems"] == 50.0
    assert s.elements["channels"] == 37.5
    assert s.weak() == ["channels"]


@pytest.mark.parametrize(("ticked", "on_track"), [(31, False), (32, True), (40, True)])
def test_on_track_needs_the_vast_majority_four_in_five_of_forty(ticked, on_track):
    keys = checklist.statement_keys()
    # the first `ticked` statements largely true (3), the rest partly (2): 2 is not a tick
    s = scored(*((k, 3 if n < ticked else 2) for n, k in enumerate(keys)))
    assert s.ticked == ticked
    assert s.on_track is on_track


def test_unanswered_statements_count_as_not_ticked():
    keys = checklist.statement_keys()
    s = scored(*((k, 4) for k in keys[:31]))  # 31 fully true, nine unanswered
    assert s.overall == 100.0
    assert s.ticked == 31
    assert not s.on_track


def test_answers_to_keys_the_checklist_does_not_hold_are_left_out():
    s = scored(("systems.1", 4), ("retired.9", 0))
    assert s.overall == 100.0
    assert s.answered == 1


def test_the_radar_draws_these_scores_with_the_previous_overlaid():
    names = [e.title for e in checklist.ELEMENTS]
    now = scored(("systems.1", 1), ("strategy.1", 4))
    before = scored(("systems.1", 0), ("strategy.1", 2))
    figure = health_charts.radar(
        names,
        health_charts.RadarSeries("Now", [now.elements[e.key] for e in checklist.ELEMENTS]),
        health_charts.RadarSeries("Before", [before.elements[e.key] for e in checklist.ELEMENTS]),
    )
    weak_line, previous, current = figure["data"]
    assert weak_line["r"] == [50.0] * 10  # nine elements, the first repeated to close it
    assert previous["line"]["dash"] == "dash"
    assert current["fill"] == "toself"
    assert current["r"][3] == 25.0  # systems is the fourth element
    assert current["r"][0] == current["r"][-1] == 100.0
    assert previous["r"][0] == 50.0
    rows = figure["layout"]["meta"]["table"]["rows"]
    assert rows[0] == ["Service strategy", "100", "50", "+50"]
    assert rows[3] == ["Systems", "25", "0", "+25"]
    assert rows[4] == ["Processes", "—", "—", "—"]
    assert figure["layout"]["polar"]["radialaxis"]["range"] == [0, 100]


def test_the_radar_without_a_previous_assessment_has_one_series_and_escapes_names():
    figure = health_charts.radar(["<b>A</b>", "B", "C"], health_charts.RadarSeries("x", [1, 2, 3]))
    assert len(figure["data"]) == 2
    assert figure["data"][1]["theta"][0] == "&lt;b&gt;A&lt;/b&gt;"
    assert figure["layout"]["meta"]["table"]["headers"] == ["Element", "This assessment"]
