"""The rules of DESIGN §3 evaluated over the database (services.metrics), as of any date.

Indicators default to increase 0 → 100 over 2026 (2026-01-01 → 2026-12-31, 364 days), so on
FIXED_TODAY, 2026-06-15 (day 165), the expected value is 100 × 165/364 = 45.33 and the
at-risk band is 0.1 × 100 = 10.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import Indicator, Measurement, Milestone
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.evaluation.rules import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK
from strategy_app.services.plumbing import data_version
from tests.conftest import FIXED_TODAY
from tests.queries import counting_queries


def archive(*items) -> None:
    for item in items:
        item.archived_at = datetime.now(UTC)
    db.session.flush()


# --- latest_actuals -------------------------------------------------------------------------


def test_latest_actuals_takes_the_latest_measurement_on_or_before_the_date(app, make):
    a = make.indicator(
        actuals=[(date(2026, 3, 1), 30.0), (date(2026, 1, 10), 10.0), (date(2026, 7, 1), 70.0)]
    )
    b = make.indicator(actuals=[(date(2026, 7, 1), 5.0)])
    c = make.indicator()
    ids = [a.id, b.id, c.id]

    # the July measurements lie after 2026-06-15: ignored; b has none before, c none at all
    assert metrics.latest_actuals(ids, FIXED_TODAY) == {a.id: (date(2026, 3, 1), 30.0)}
    # a measurement dated exactly as_of counts
    assert metrics.latest_actuals(ids, date(2026, 3, 1)) == {a.id: (date(2026, 3, 1), 30.0)}
    assert metrics.latest_actuals(ids, date(2026, 2, 28)) == {a.id: (date(2026, 1, 10), 10.0)}
    assert metrics.latest_actuals(ids, date(2026, 1, 9)) == {}
    assert metrics.latest_actuals(ids, date(2026, 7, 1)) == {
        a.id: (date(2026, 7, 1), 70.0),
        b.id: (date(2026, 7, 1), 5.0),
    }


def test_latest_actuals_of_only_the_indicators_asked_for(app, make):
    a = make.indicator(actuals=[(date(2026, 2, 1), 1.0)])
    b = make.indicator(actuals=[(date(2026, 2, 1), 2.0)])
    assert metrics.latest_actuals([b.id], FIXED_TODAY) == {b.id: (date(2026, 2, 1), 2.0)}
    assert metrics.latest_actuals(None, FIXED_TODAY) == {
        a.id: (date(2026, 2, 1), 1.0),
        b.id: (date(2026, 2, 1), 2.0),
    }
    with counting_queries() as queries:
        assert metrics.latest_actuals([], FIXED_TODAY) == {}
    assert queries == []


# --- evaluate_indicators --------------------------------------------------------------------


def test_evaluate_indicators_matches_the_rules(app, make):
    rising = make.indicator(
        milestones=[(date(2026, 4, 1), 60.0)],
        actuals=[(date(2026, 2, 1), 10.0), (date(2026, 6, 10), 65.0)],
    )
    falling = make.indicator(
        direction="decrease",
        baseline_value=50.0,
        target_value=10.0,
        actuals=[(date(2026, 5, 1), 30.0), (date(2026, 7, 1), 60.0)],
    )
    steady = make.indicator(
        direction="maintain",
        baseline_value=95.0,
        target_value=95.0,
        tolerance=0.05,
        actuals=[(date(2026, 6, 1), 89.0)],
    )
    empty = make.indicator()
    db.session.expire_all()  # evaluate what the database holds
    indicators = list(db.session.scalars(sa.select(Indicator).order_by(Indicator.id)))

    with counting_queries() as queries:
        results = metrics.evaluate_indicators(indicators, FIXED_TODAY)
    assert len(queries) == 2  # the milestones of all, the latest actuals of all
    with counting_queries() as queries:
        assert metrics.evaluate_indicators(indicators, FIXED_TODAY) == results
    assert len(queries) == 1  # the milestones are loaded by now

    for i in indicators:
        ms = sorted((m.date, m.value) for m in i.measurements)
        spec = rules.IndicatorSpec(
            direction=i.direction,
            baseline_value=i.baseline_value,
            baseline_date=i.baseline_date,
            target_value=i.target_value,
            target_date=i.target_date,
            tolerance=i.tolerance,
            milestones=tuple((m.date, m.expected_value) for m in i.milestones),
        )
        assert results[i.id] == rules.evaluate(spec, rules.actual(ms, FIXED_TODAY), FIXED_TODAY)

    # rising: from the milestone (Apr 1, 60) to (Dec 31, 100), Jun 15 is day 75 of 274:
    # expected 60 + 40 × 75/274 = 70.95; 65 falls short by 5.95 ≤ 10
    assert results[rising.id].expected == pytest.approx(60 + 40 * 75 / 274)
    assert (results[rising.id].progress, results[rising.id].status) == (0.65, AT_RISK)
    # falling: expected 50 − 40 × 165/364 = 31.87; 30 is below it; (30 − 50)/(10 − 50) = 0.5;
    # the July measurement of 60 is not yet known on Jun 15
    assert results[falling.id].actual == 30.0
    assert (results[falling.id].progress, results[falling.id].status) == (0.5, ON_TRACK)
    # steady: span 95, band 0.05 × 95 = 4.75; |89 − 95| − 4.75 = 1.25 ≤ 4.75
    assert (results[steady.id].progress, results[steady.id].status) == (0.0, AT_RISK)
    assert (results[empty.id].actual, results[empty.id].status) == (None, NO_DATA)


# --- cascade --------------------------------------------------------------------------------


@pytest.fixture
def org(app, make):
    """A cascade with archived and cancelled items to leave out (see each test)."""
    past_due = date(2026, 6, 1)
    o = {}
    o["sales"] = make.department("sales")
    o["logistics"] = make.department("logistics")
    o["old"] = make.department("old")
    company = make.company_strategy()
    o["service"] = service = make.service_strategy(links=[(company, "supports")])

    o["o1"] = o1 = make.objective(service)
    # own indicator: 60 on Jun 1, ahead of 45.33 → on track, progress 0.6
    o["i1"] = make.indicator(o1, actuals=[(date(2026, 6, 1), 60.0)])
    o["i_archived"] = make.indicator(o1, actuals=[(date(2026, 6, 1), 0.0)])
    # sales, in progress at 40 %, overdue; its indicator 40 → short by 5.33 → at risk
    o["p1"] = p1 = make.plan(
        o1, o["sales"], state="in_progress", progress_pct=40, due_date=past_due
    )
    o["i2"] = make.indicator(p1, actuals=[(date(2026, 6, 1), 40.0)])
    # logistics, done (at 50 %: counts as 1); its indicator has no data
    o["p2"] = p2 = make.plan(o1, o["logistics"], state="done", progress_pct=50)
    o["i3"] = make.indicator(p2)
    # cancelled and archived sales plans with off-track indicators: left out
    o["p3"] = p3 = make.plan(o1, o["sales"], state="cancelled", progress_pct=90, due_date=past_due)
    o["i4"] = make.indicator(p3, actuals=[(date(2026, 6, 1), 0.0)])
    o["p4"] = p4 = make.plan(
        o1, o["sales"], state="in_progress", progress_pct=10, due_date=past_due
    )
    o["i5"] = make.indicator(p4, actuals=[(date(2026, 6, 1), 0.0)])

    # an archived objective: its plans and indicators are left out too
    o["o2"] = o2 = make.objective(service)
    o["p5"] = p5 = make.plan(o2, o["sales"], state="blocked", progress_pct=20, due_date=past_due)
    o["i6"] = make.indicator(p5, actuals=[(date(2026, 6, 1), 0.0)])
    o["i7"] = make.indicator(o2, actuals=[(date(2026, 6, 1), 0.0)])

    # an objective with nothing under it
    o["o3"] = make.objective(service)

    # a plan of the archived department
    o["o5"] = o5 = make.objective(service)
    o["p7"] = make.plan(o5, o["old"], state="in_progress", progress_pct=60)

    # an archived service strategy: its (unarchived) objective and plan are left out
    o["archived_service"] = archived_service = make.service_strategy()
    o["o4"] = o4 = make.objective(archived_service)
    o["p6"] = p6 = make.plan(o4, o["sales"], state="planned", due_date=past_due)
    o["i8"] = make.indicator(p6, actuals=[(date(2026, 6, 1), 0.0)])

    archive(o["i_archived"], p4, o2, o["old"], archived_service)
    return o


def test_cascade_objective_rollups(org):
    view = metrics.cascade(FIXED_TODAY)

    assert set(view.rollups) == {org["o1"].id, org["o3"].id, org["o5"].id}
    o1 = view.rollups[org["o1"].id]
    assert o1.results == pytest.approx(1 / 3)  # (0.6 + 0.4 + 0) / 3
    assert o1.execution == pytest.approx(0.7)  # (0.4 + 1.0) / 2
    assert o1.status == AT_RISK  # on track, at risk, no data
    assert view.rollups[org["o3"].id] == rules.Rollup(None, None, NO_DATA)
    # a plan of an archived department still counts towards its objective
    assert view.rollups[org["o5"].id] == rules.Rollup(None, 0.6, NO_DATA)
    assert view.status_counts() == {ON_TRACK: 0, AT_RISK: 1, OFF_TRACK: 0, NO_DATA: 2}


def test_cascade_department_scorecards(org):
    view = metrics.cascade(FIXED_TODAY)

    assert [d.slug for d in view.departments] == ["sales", "logistics"]
    assert set(view.scorecards) == {org["sales"].id, org["logistics"].id}
    sales = view.scorecards[org["sales"].id]
    # p1 and the cancelled p3; not the archived p4, nor p5 and p6 under archived parents
    assert sales.plans == {
        "planned": 0,
        "in_progress": 1,
        "done": 0,
        "blocked": 0,
        "cancelled": 1,
    }
    assert sales.overdue == 1
    assert sales.execution == pytest.approx(0.4)
    assert sales.indicators == {ON_TRACK: 0, AT_RISK: 1, OFF_TRACK: 0, NO_DATA: 0}
    logistics = view.scorecards[org["logistics"].id]
    assert logistics.plans["done"] == 1
    assert (logistics.overdue, logistics.execution) == (0, 1.0)
    assert logistics.indicators == {ON_TRACK: 0, AT_RISK: 0, OFF_TRACK: 0, NO_DATA: 1}


def test_cascade_lists_only_live_items(org):
    view = metrics.cascade(FIXED_TODAY)

    assert [s.id for s in view.service_strategies] == [org["service"].id]
    assert [link.fit for link in view.links[org["service"].id]] == ["supports"]
    assert [o.id for o in view.objectives[org["service"].id]] == [
        org["o1"].id,
        org["o3"].id,
        org["o5"].id,
    ]
    # the cancelled plan is listed (and its indicator evaluated) but counts nowhere
    assert [p.id for p in view.plans[org["o1"].id]] == [org["p1"].id, org["p2"].id, org["p3"].id]
    assert set(view.indicator_results) == {org[k].id for k in ("i1", "i2", "i3", "i4")}
    assert view.indicator_results[org["i1"].id].status == ON_TRACK
    assert view.indicator_results[org["i4"].id].status == OFF_TRACK


def test_rollups_of_live_objectives_come_from_the_cached_figures(org):
    db.session.commit()  # committed data has a data version, under which figures are cached
    wanted = [org["o3"], org["o1"]]
    assert all(o.title for o in wanted)  # loaded, as a page has them
    whole = metrics.overview(FIXED_TODAY)
    with counting_queries() as queries:
        rollups = metrics.objective_rollups(wanted, FIXED_TODAY)
    assert len(queries) == 0  # overview() read the data version in this transaction already
    assert rollups == {o.id: whole.rollups[o.id] for o in wanted}
    assert rollups == metrics.overview(FIXED_TODAY, [o.id for o in wanted]).rollups


@pytest.mark.parametrize("in_list_limit", [500, 1], ids=["ids in SQL", "all rows, filtered"])
def test_objective_rollups_of_some_objectives(org, monkeypatch, in_list_limit):
    monkeypatch.setattr(metrics, "_IN_LIST_LIMIT", in_list_limit)
    db.session.commit()  # committed data has a data version, under which figures are cached
    wanted = [org["o1"], org["o3"], org["o2"]]
    db.session.expire_all()  # milestones not loaded yet; the objectives are, as a page has them
    assert all(o.title for o in wanted)

    metrics.overview(FIXED_TODAY)  # the whole cascade's figures, cached (o2 is not in them)

    with counting_queries() as queries:
        rollups = metrics.objective_rollups(wanted, FIXED_TODAY)

    # objectives, plans, indicators, milestones, actuals (the data version was read by
    # overview() in this transaction already)
    assert len(queries) == 5
    assert rollups == {
        org["o1"].id: metrics.cascade(FIXED_TODAY).rollups[org["o1"].id],
        org["o3"].id: rules.Rollup(None, None, NO_DATA),
        # an archived objective asked for by name: rolled up from what hangs from it, its
        # own indicator (0: off track) and its blocked plan at 20 % with one (0: off track)
        org["o2"].id: rules.Rollup(0.0, 0.2, OFF_TRACK),
    }
    assert metrics.objective_rollups([], FIXED_TODAY) == {}


def test_cascade_as_of_a_past_date(app, make):
    sales = make.department("sales")
    o = make.objective()
    p = make.plan(o, sales, state="in_progress", progress_pct=30, due_date=date(2026, 4, 1))
    i = make.indicator(p, actuals=[(date(2026, 2, 28), 20.0), (date(2026, 5, 31), 25.0)])

    # Mar 1 (day 59): expected 100 × 59/364 = 16.21, the actual of Feb 28 is 20: on track
    march = metrics.cascade(date(2026, 3, 1))
    assert march.indicator_results[i.id].actual == 20.0
    assert march.indicator_results[i.id].status == ON_TRACK
    assert march.rollups[o.id].status == ON_TRACK
    assert march.rollups[o.id].results == pytest.approx(0.2)
    assert march.scorecards[sales.id].overdue == 0  # due Apr 1
    # Jun 15: expected 45.33, the actual of May 31 is 25: short by 20.33 > 10, off track
    june = metrics.cascade(FIXED_TODAY)
    assert june.indicator_results[i.id].actual == 25.0
    assert june.rollups[o.id].status == OFF_TRACK
    assert june.rollups[o.id].results == pytest.approx(0.25)
    assert june.scorecards[sales.id].overdue == 1
    # before the first actual: no data
    assert metrics.cascade(date(2026, 2, 1)).rollups[o.id].status == NO_DATA


def test_cascade_on_an_empty_database(app):
    view = metrics.cascade(FIXED_TODAY)
    assert view.organization is None
    assert (view.rollups, view.scorecards, view.indicator_results) == ({}, {}, {})


# --- a bounded number of queries ------------------------------------------------------------


def add_objectives(make, departments, company, n: int) -> None:
    """n service strategies, each with an objective, two plans, indicators and actuals."""
    for _ in range(n):
        service = make.service_strategy(links=[(company, "supports")])
        o = make.objective(service)
        make.indicator(
            o,
            milestones=[(date(2026, 4, 1), 30.0)],
            actuals=[(date(2026, 2, 1), 5.0), (date(2026, 5, 1), 30.0)],
        )
        for dept in departments:
            p = make.plan(o, dept, state="in_progress", progress_pct=20, due_date=date(2026, 6, 1))
            make.indicator(
                p, milestones=[(date(2026, 3, 1), 10.0)], actuals=[(date(2026, 3, 1), 12.0)]
            )
        archived = make.objective(service)
        make.plan(archived, departments[0])
        archive(archived)


def queries_of_cascade() -> int:
    db.session.commit()
    db.session.expunge_all()  # nothing cached: cascade loads everything itself
    data_version.cache().clear()  # nor its figures (tests/test_refresh.py counts a refresh)
    db.session.execute(sa.text("SELECT 1"))  # the connection is open before counting
    with counting_queries() as queries:
        view = metrics.cascade(FIXED_TODAY)
        # what a page reads of the view needs no further query
        for service in view.service_strategies:
            for link in service.links:
                assert link.fit
        for objective_id in view.rollups:
            for p in view.plans[objective_id]:
                assert p.objective_id == objective_id
    db.session.rollback()
    return len(queries)


def test_cascade_runs_a_fixed_number_of_queries(app, make):
    make.organization()
    departments = [make.department() for _ in range(3)]
    company = make.company_strategy()

    add_objectives(make, departments, company, 2)
    small = queries_of_cascade()
    add_objectives(make, departments, company, 8)  # 5 times as many
    large = queries_of_cascade()

    assert small == large
    assert large <= 14  # display objects (7) + the figures of overview() (6)


def test_cascade_query_count_holds_beyond_batch_sizes(app, make):
    """600 indicators with milestones: more than one selectinload batch (500) would take."""
    add_objectives(make, [make.department()], make.company_strategy(), 1)
    small = queries_of_cascade()

    objective_id = make.objective().id
    n = 600
    db.session.execute(
        sa.insert(Indicator),
        [
            {
                "objective_id": objective_id,
                "name": f"Bulk {k}",
                "direction": "increase",
                "baseline_value": 0.0,
                "baseline_date": date(2026, 1, 1),
                "target_value": 100.0,
                "target_date": date(2026, 12, 31),
                "tolerance": 0.1,
            }
            for k in range(n)
        ],
    )
    ids = list(
        db.session.scalars(sa.select(Indicator.id).where(Indicator.objective_id == objective_id))
    )
    db.session.execute(
        sa.insert(Milestone),
        [{"indicator_id": i, "date": date(2026, 7, 1), "expected_value": 20.0} for i in ids],
    )
    db.session.execute(
        sa.insert(Measurement),
        [{"indicator_id": i, "date": date(2026, 6, 1), "value": 15.0} for i in ids],
    )

    assert queries_of_cascade() == small

    view = metrics.cascade(FIXED_TODAY)
    # milestone Jul 1 = 20: on Jun 15 (day 165 of 181) expected 20 × 165/181 = 18.23;
    # 15 falls short by 3.23 ≤ 10
    result = view.indicator_results[ids[-1]]
    assert result.expected == pytest.approx(20 * 165 / 181)
    assert (result.actual, result.status) == (15.0, AT_RISK)
    assert view.rollups[objective_id].status == AT_RISK
