"""No false zeros in charts and exports (issue 15, DESIGN §3: null, never 0).

A department without plans has no execution and one without indicators no results: its bars
are missing, and the chart says why where they would stand ("no plan yet", "no indicator
yet"), as does the table under it. The exports leave such a cell empty (never 0) and say why
in words; an objective's status is written in words, its code in a column of its own.
"""

from __future__ import annotations

import pytest

from strategy_app import charts
from strategy_app.extensions import db
from tests.test_exports import (  # noqa: F401  (fixtures)
    header,
    read_csv,
    read_xlsx,
    signed_in,
    world,
)
from tests.test_more_exports import more  # noqa: F401  (fixture)

ROWS = [
    charts.DepartmentRow("Sales", 0.4, 0.25, {"planned": 1}, 0),
    charts.DepartmentRow("Marketing", None, None, {}, 0),  # nothing yet
    charts.DepartmentRow("Finance", 0.0, None, {"planned": 2}, 0),  # a real 0 %, no indicator
]


def _notes(figure) -> list[tuple[float, str]]:
    return sorted(
        (a["x"], a["text"])
        for a in figure["layout"].get("annotations", [])
        if a.get("text") in ("no plan yet", "no indicator yet")
    )


@pytest.mark.parametrize("build", [charts.execution_vs_results, charts.department_comparison])
def test_a_missing_bar_says_why_where_it_would_stand(build):
    figure = build(ROWS)
    execution, results = (t for t in figure["data"] if t["name"] in ("Execution", "Results"))
    assert execution["y"] == [40.0, None, 0.0]  # the real 0 stays a 0; nothing is not 0
    assert results["y"] == [25.0, None, None]
    assert _notes(figure) == [
        (0.8, "no plan yet"),
        (1.2, "no indicator yet"),
        (2.2, "no indicator yet"),
    ]
    rows = figure["layout"]["meta"]["table"]["rows"]
    assert rows[1][1:3] == ["— (no plan yet)", "— (no indicator yet)"]
    assert rows[2][1:3] == ["0%", "— (no indicator yet)"]


def test_every_department_with_data_has_no_note():
    figure = charts.execution_vs_results(ROWS[:1])
    assert _notes(figure) == []


def test_the_charts_on_every_surface_say_why(signed_in):  # noqa: F811
    for surface in (charts.PAGE, charts.MEETING, charts.PRINT):
        figure = charts.department_comparison(ROWS, surface=surface)
        assert len(_notes(figure)) == 3, surface


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_leave_null_figures_empty_never_zero(signed_in, world, more, make, fmt):  # noqa: F811
    make.indicator(world["p_html"], name="Not measured yet")
    db.session.commit()
    objectives = signed_in.get(f"/exports/objectives.{fmt}")
    rows = read_csv(objectives) if fmt == "csv" else read_xlsx(objectives)
    bare = {r["title"]: r for r in rows}["Nothing yet"]
    for start, why in (("results (as of", "no indicator yet"), ("execution (as of", "no plan yet")):
        assert bare[header(rows, start)] in ("", None)
        assert bare[f"{start.split(' ')[0]}: why empty"] == why
    assert bare[header(rows, "status (as of")] == "No data"  # words, not "no_data"

    plans = signed_in.get(f"/exports/plans.{fmt}")
    rows = read_csv(plans) if fmt == "csv" else read_xlsx(plans)
    cancelled = {r["title"]: r for r in rows}["Dropped idea"]
    assert cancelled[header(rows, "execution")] in ("", None)  # cancelled: none, not 0

    indicators = signed_in.get(f"/exports/indicators.{fmt}")
    rows = read_csv(indicators) if fmt == "csv" else read_xlsx(indicators)
    empty = [r for r in rows if r["name"] == "Not measured yet"]
    assert len(empty) == 1
    for r in empty:
        assert r[header(rows, "actual (")] in ("", None)
        assert r[header(rows, "progress (")] in ("", None)
        assert r[header(rows, "status (")] == "No data"
