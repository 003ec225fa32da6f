# ruff: noqa: F811  (the fixtures of test_exports, imported)
"""The objectives and check-ins exports: the figures of metrics, an empty figure with its
reason (never a false zero), archived items only when asked, bounded queries."""

from __future__ import annotations

from datetime import date

import pytest

from strategy_app.extensions import db
from strategy_app.models import CheckIn
from strategy_app.services.evaluation import metrics
from strategy_app.services.reads import exports
from tests.queries import counting_queries
from tests.test_exports import (  # noqa: F401  (fixtures)
    _blueprint,
    header,
    read_csv,
    read_xlsx,
    signed_in,
    world,
)

TODAY = date(2026, 6, 15)


@pytest.fixture
def more(world, make):
    """An objective with nothing under it, and two check-ins (one on an archived plan)."""
    bare = make.objective(world["p_formula"].objective.service_strategy, title="Nothing yet")
    db.session.add_all(
        [
            CheckIn(
                action_plan=world["p_formula"],
                author=world["lead"],
                state="in_progress",
                progress_pct=40,
                confidence=2,
                text="=SUM(1) trucks late",
            ),
            CheckIn(action_plan=world["p_archived"], state="planned", progress_pct=0, text="old"),
        ]
    )
    db.session.commit()
    return {"bare": bare}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_objectives_export_has_the_rollups_and_says_why_a_figure_is_empty(
    signed_in, world, more, fmt
):
    r = signed_in.get(f"/exports/objectives.{fmt}")
    assert r.status_code == 200
    rows = read_csv(r) if fmt == "csv" else read_xlsx(r)
    by_title = {row["title"]: row for row in rows}
    assert set(by_title) == {"Perfect orders", "Nothing yet"}  # not the archived one
    rollup = metrics.objective_rollups([world["p_formula"].objective], TODAY)[
        world["p_formula"].objective.id
    ]
    perfect, bare = by_title["Perfect orders"], by_title["Nothing yet"]
    status, results = header(rows, "status ("), header(rows, "results (as of")
    execution = header(rows, "execution (as of")
    assert perfect[status] == exports.STATUS_WORDS[rollup.status]  # in words (issue 15)
    assert perfect["status code"] == rollup.status
    assert perfect["results: why empty"] in ("", None)
    if fmt == "xlsx":
        assert perfect[results] == pytest.approx(rollup.results)
        assert perfect[execution] == pytest.approx(rollup.execution)
    assert bare[results] in ("", None)  # null, not 0
    assert bare[execution] in ("", None)
    assert bare["results: why empty"] == "no indicator yet"
    assert bare["execution: why empty"] == "no plan yet"
    assert bare[status] == "No data"
    assert bare["status code"] == "no_data"


def test_objectives_export_with_archived(signed_in, world, more):
    rows = read_csv(signed_in.get("/exports/objectives.csv?archived=1"))
    assert {r["title"] for r in rows} >= {"Old objective", "Nothing yet"}
    assert {r["archived"] for r in rows if r["title"] == "Old objective"} == {"yes"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_check_ins_export(signed_in, world, more, fmt):
    r = signed_in.get(f"/exports/check-ins.{fmt}")
    assert r.status_code == 200
    assert f'filename="check-ins-{TODAY.isoformat()}.{fmt}"' in r.headers["Content-Disposition"]
    rows = read_csv(r) if fmt == "csv" else read_xlsx(r)
    assert len(rows) == 1  # the check-in on the archived plan is left out
    (row,) = rows
    assert row["department"] == "Sales"
    assert row["state"] == "In progress"  # in words, the code beside it (issue 15)
    assert row["state code"] == "in_progress"
    assert row["explains the actual of"] in ("", None)  # a check-in of its own
    assert str(row["confidence (1-5)"]) == "2"
    assert row["text"] == "'=SUM(1) trucks late"  # never run as a formula


def test_check_ins_export_as_of_a_date_before_they_were_posted(signed_in, world, more):
    rows = read_csv(signed_in.get("/exports/check-ins.csv?as_of=2000-01-01"))
    assert rows == []


@pytest.mark.parametrize("kind", ["objectives", "check-ins"])
def test_new_exports_queries_are_bounded(signed_in, world, more, make, kind):
    def count() -> int:
        db.session.commit()
        with counting_queries() as queries:
            response = signed_in.get(f"/exports/{kind}.csv")
            response.get_data()
        assert response.status_code == 200
        return len(queries)

    small = count()
    for n in range(20):
        objective = make.objective(title=f"More {n}")
        plan = make.plan(objective, world["sales"], title=f"Plan {n}")
        db.session.add(CheckIn(action_plan=plan, state="planned", progress_pct=n, text="x"))
    db.session.commit()
    assert count() == small


def test_the_exports_page_links_them(signed_in, world):
    body = signed_in.get("/exports/").get_data(as_text=True)
    assert "/exports/objectives.csv" in body
    assert "/exports/check-ins.xlsx" in body
