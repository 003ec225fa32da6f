"""After a change, the cascade's figures are refreshed where the change touched them only,
and are the same as if everything had been computed afresh (services.data_version's change
numbers, metrics._refresh)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import CheckIn, DataChange, Indicator, Measurement, Milestone
from strategy_app.services.evaluation import clock, history, metrics
from strategy_app.services.plumbing import data_version
from strategy_app.services.reads import alignment
from tests.conftest import FIXED_TODAY
from tests.queries import counting_queries


def fresh() -> metrics.Overview:
    """The whole overview computed from nothing (no cache)."""
    return metrics._overview(FIXED_TODAY, None)


def same(a: metrics.Overview, b: metrics.Overview) -> None:
    assert a.objective_service == b.objective_service
    assert a.results == b.results
    assert a.rollups == b.rollups
    assert a.scorecards == b.scorecards


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def world(app, make):
    """Two departments, two service strategies, three objectives with plans and indicators."""
    make.organization()
    sales, logistics = make.department(), make.department()
    company = make.company_strategy()
    services = [make.service_strategy(links=[(company, "supports")]) for _ in range(2)]
    objectives = [make.objective(services[0]), make.objective(services[0])]
    objectives.append(make.objective(services[1]))
    plans = []
    for o in objectives:
        make.indicator(o, milestones=[(date(2026, 4, 1), 30.0)], actuals=[(date(2026, 5, 1), 40.0)])
        for dept in (sales, logistics):
            p = make.plan(o, dept, state="in_progress", progress_pct=30, due_date=date(2026, 6, 1))
            make.indicator(p, actuals=[(date(2026, 3, 1), 12.0)])
            plans.append(p)
    db.session.commit()
    return {
        "departments": (sales, logistics),
        "services": services,
        "objectives": objectives,
        "plans": plans,
    }


def refreshed_after(change) -> metrics.Overview:
    """Cache the overview, make a change and commit it, and read the overview again."""
    metrics.overview(FIXED_TODAY)
    db.session.commit()
    change()
    db.session.commit()
    return metrics.overview(FIXED_TODAY)


def first_indicator_of(plan) -> Indicator:
    return db.session.scalar(sa.select(Indicator).where(Indicator.action_plan_id == plan.id))


def move_to_objective(indicator: Indicator, objective) -> None:
    with db.session.no_autoflush:  # both references change in one UPDATE
        indicator.action_plan = None
        indicator.objective = objective


CHANGES = {
    "a new actual": lambda w, make: db.session.add(
        Measurement(indicator=first_indicator_of(w["plans"][0]), date=date(2026, 6, 10), value=90.0)
    ),
    "an actual edited": lambda w, make: setattr(
        db.session.scalar(
            sa.select(Measurement).where(
                Measurement.indicator_id == first_indicator_of(w["plans"][1]).id
            )
        ),
        "value",
        0.5,
    ),
    "an actual deleted": lambda w, make: db.session.delete(
        db.session.scalar(
            sa.select(Measurement).where(
                Measurement.indicator_id == first_indicator_of(w["plans"][2]).id
            )
        )
    ),
    "a milestone added": lambda w, make: db.session.add(
        Milestone(
            indicator=first_indicator_of(w["plans"][3]),
            date=date(2026, 5, 1),
            expected_value=95.0,
        )
    ),
    "a plan's state and progress": lambda w, make: (
        setattr(w["plans"][0], "state", "blocked"),
        setattr(w["plans"][0], "progress_pct", 80),
    ),
    "a plan moved to another objective": lambda w, make: setattr(
        w["plans"][0], "objective", w["objectives"][2]
    ),
    "a plan moved to another department": lambda w, make: setattr(
        w["plans"][1], "department", w["departments"][0]
    ),
    "a plan archived": lambda w, make: setattr(w["plans"][4], "archived_at", now()),
    "an indicator archived": lambda w, make: setattr(
        first_indicator_of(w["plans"][5]), "archived_at", now()
    ),
    "an indicator moved from a plan to an objective": lambda w, make: move_to_objective(
        first_indicator_of(w["plans"][0]), w["objectives"][1]
    ),
    "an indicator's target": lambda w, make: setattr(
        first_indicator_of(w["plans"][2]), "target_value", 20.0
    ),
    "an objective archived": lambda w, make: setattr(w["objectives"][1], "archived_at", now()),
    "an objective moved to another service strategy": lambda w, make: setattr(
        w["objectives"][0], "service_strategy", w["services"][1]
    ),
    "a new objective with a plan": lambda w, make: make.indicator(
        make.plan(make.objective(w["services"][1]), w["departments"][1], progress_pct=10),
        actuals=[(date(2026, 2, 1), 70.0)],
    ),
    "a service strategy archived": lambda w, make: setattr(w["services"][0], "archived_at", now()),
    "a department archived": lambda w, make: setattr(w["departments"][1], "archived_at", now()),
    "a check-in": lambda w, make: db.session.add(
        CheckIn(action_plan=w["plans"][0], state="in_progress", progress_pct=30, text="On it")
    ),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_refresh_after_a_change_equals_a_fresh_computation(world, make, name):
    before = fresh()
    after = refreshed_after(lambda: CHANGES[name](world, make))
    same(after, fresh())
    if name != "a check-in":
        assert (after.results, after.rollups, after.scorecards) != (
            before.results,
            before.rollups,
            before.scorecards,
        ) or after.objective_service != before.objective_service, "the change moved nothing"


def test_changes_one_after_another_keep_the_figures_right(world, make):
    """Every change in turn, each read after the one before: the refreshes add up."""
    metrics.overview(FIXED_TODAY)
    db.session.commit()
    for change in CHANGES.values():
        change(world, make)
        db.session.commit()
        same(metrics.overview(FIXED_TODAY), fresh())
        db.session.commit()


def test_several_changes_between_two_reads_are_all_applied(world, make):
    metrics.overview(FIXED_TODAY)
    db.session.commit()
    for name in ("a new actual", "a plan archived", "an objective archived", "a milestone added"):
        CHANGES[name](world, make)
        db.session.commit()
    same(metrics.overview(FIXED_TODAY), fresh())


def test_a_refresh_reads_only_what_was_touched(world, make):
    """After one actual, a few small queries, however many objectives there are; a change
    that touches nothing the figures read costs none but the change count's."""
    for _ in range(20):  # many objectives the change does not touch
        o = make.objective(world["services"][0])
        make.indicator(make.plan(o, world["departments"][0]), actuals=[(date(2026, 1, 5), 1.0)])
    db.session.commit()

    read: list[str] = []

    def queries_after(change) -> int:
        metrics.overview(FIXED_TODAY)
        db.session.commit()
        change()
        db.session.commit()
        db.session.execute(sa.text("SELECT 1"))
        with counting_queries() as queries:
            metrics.overview(FIXED_TODAY)
        db.session.commit()
        read[:] = queries
        return len(queries)

    indicator = first_indicator_of(world["plans"][0])
    one_actual = queries_after(
        lambda: db.session.add(Measurement(indicator=indicator, date=date(2026, 6, 2), value=1.0))
    )
    # change count with the changes, the objectives touched, plans, indicators, milestones,
    # actuals: fewer than computing everything afresh, and on a few rows
    assert one_actual <= 6
    check_in = queries_after(
        lambda: db.session.add(
            CheckIn(action_plan=world["plans"][0], state="in_progress", progress_pct=5)
        )
    )
    assert check_in == 1  # the change count with the changes: nothing to recompute

    # A change that touches everything is not read: the figures are computed afresh at once,
    # in as many queries as with no figure kept at all.
    everything = queries_after(lambda: setattr(world["services"][1], "archived_at", now()))
    assert not any(q.startswith("SELECT data_changes") for q in read)  # no read of its own
    data_version.cache().clear()
    db.session.execute(sa.text("SELECT 1"))  # the transaction is open before counting
    with counting_queries() as queries:
        metrics.overview(FIXED_TODAY)
    assert everything == len(queries)


def test_a_figure_older_than_the_kept_changes_is_computed_afresh(world, make, monkeypatch):
    metrics.overview(FIXED_TODAY)
    db.session.commit()
    CHANGES["a new actual"](world, make)
    db.session.commit()
    db.session.execute(sa.delete(DataChange))  # as if they had been forgotten
    db.session.commit()
    calls = []
    real = metrics._overview
    monkeypatch.setattr(metrics, "_overview", lambda *a: calls.append(1) or real(*a))
    same(metrics.overview(FIXED_TODAY), fresh())
    assert calls, "not computed afresh"


def test_each_change_is_numbered_in_commit_order_with_what_it_touched(world, make):
    def last():
        return db.session.execute(
            sa.select(DataChange.seq, DataChange.touched).order_by(DataChange.seq.desc()).limit(1)
        ).one()

    seq, _ = last()
    indicator = first_indicator_of(world["plans"][0])
    db.session.add(Measurement(indicator=indicator, date=date(2026, 6, 3), value=3.0))
    db.session.commit()
    seq2, touched = last()
    assert seq2 == seq + 1
    assert touched["refs"]["indicator_id"] == [indicator.id]
    assert list(touched["ids"]) == ["Measurement"]
    assert data_version._current_row().seq == seq2


def test_a_bulk_change_is_recorded_as_touching_everything(app, make, monkeypatch):
    monkeypatch.setattr(data_version, "MOST_TOUCHED", 5)
    o = make.objective()
    for _ in range(3):
        make.plan(o)  # each plan: its id, and its department's
    db.session.commit()
    touched = db.session.scalar(
        sa.select(DataChange.touched).order_by(DataChange.seq.desc()).limit(1)
    )
    assert touched == {"all": True}


def test_another_app_instance_sees_a_change_on_its_next_request(world, app_factory, make):
    """Two app instances (two workers, or two hosts) on one database, each with its cache:
    what one writes shows in the other's very next request, refreshed, not stale."""
    plan = world["plans"][0]
    indicator_id = first_indicator_of(plan).id
    assert metrics.overview(FIXED_TODAY).results[indicator_id].actual == 12.0
    db.session.commit()

    other = app_factory()
    with other.app_context():
        assert metrics.overview(FIXED_TODAY).results[indicator_id].actual == 12.0
        db.session.add(Measurement(indicator_id=indicator_id, date=date(2026, 6, 10), value=77.0))
        db.session.commit()
        db.session.remove()

    assert metrics.overview(FIXED_TODAY).results[indicator_id].actual == 77.0
    same(metrics.overview(FIXED_TODAY), fresh())


def fresh_alignment():
    return alignment._assemble(FIXED_TODAY, alignment._parts(FIXED_TODAY, None))


@pytest.mark.parametrize("name", list(CHANGES))
def test_the_alignment_report_after_a_change_equals_a_fresh_one(world, make, name):
    alignment.findings(FIXED_TODAY)
    db.session.commit()
    CHANGES[name](world, make)
    db.session.commit()
    assert alignment.findings(FIXED_TODAY).findings == fresh_alignment().findings


def test_the_alignment_report_follows_changes_one_after_another(world, make):
    alignment.findings(FIXED_TODAY)
    db.session.commit()
    seen = set()
    for change in CHANGES.values():
        change(world, make)
        db.session.commit()
        report = alignment.findings(FIXED_TODAY)
        assert report.findings == fresh_alignment().findings
        seen.add(report.total)
        db.session.commit()
    assert len(seen) > 2, "the changes moved no finding: the test proves nothing"


def test_an_actual_entered_through_one_instance_shows_on_the_next_page_of_another(
    world, app_factory, make, client
):
    """Two app instances on one database (two gunicorn workers, or two hosts), each with its
    own kept figures: an actual entered through the first's form, bringing an off-track
    indicator back on track, shows on the second's very next page."""
    indicator = first_indicator_of(world["plans"][0])
    name, indicator_id, email = indicator.name, indicator.id, make.user("executive").email
    url = "/objectives/indicators/?status=off_track"
    db.session.commit()
    db.session.close()  # no read transaction left open on this side

    other = app_factory()
    reader = other.test_client()
    with other.app_context():
        r = reader.post("/login", data={"email": email, "password": make.PASSWORD})
        assert r.status_code == 302
        assert name in reader.get(url).get_data(as_text=True)  # off track, and kept now

    r = client.post("/login", data={"email": email, "password": make.PASSWORD})
    assert r.status_code == 302
    r = client.post(
        f"/actuals/{indicator_id}/new",
        data={
            "date": FIXED_TODAY.isoformat(),
            "value": "60",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    db.session.close()

    with other.app_context():
        page = reader.get(url).get_data(as_text=True)
    assert name not in page


# --- a past day: a change made after it leaves it as it was ---------------------------------

PAST_DAY = date(2026, 3, 5)


@pytest.fixture
def dated_world(app, make):
    """A plan and an indicator made on 2 March, an actual on the 4th; today is the 10th."""
    with clock.travel(date(2026, 3, 2)):
        o = make.objective()
        plan = make.plan(o, make.department(), state="in_progress", progress_pct=10)
        indicator = make.indicator(plan, actuals=[(date(2026, 3, 1), 10.0)])
        db.session.commit()
    with clock.travel(date(2026, 3, 4)):
        db.session.add(Measurement(indicator=indicator, date=date(2026, 3, 4), value=20.0))
        db.session.commit()
    return plan, indicator


@pytest.fixture
def computed(monkeypatch) -> list[int]:
    """One item per computation of the whole overview."""
    calls: list[int] = []
    real = metrics._overview
    monkeypatch.setattr(metrics, "_overview", lambda *a: calls.append(1) or real(*a))
    return calls


def past_overview() -> metrics.Overview:
    """The overview of PAST_DAY, read in the past."""
    db.session.commit()
    assert history.enter(PAST_DAY)
    try:
        return metrics.overview(PAST_DAY)
    finally:
        history.leave()


def test_a_past_day_is_not_computed_again_after_a_change_made_since(dated_world, computed):
    plan, indicator = dated_world
    with clock.travel(date(2026, 3, 10)):
        before = past_overview()
        assert before.results[indicator.id].actual == 20.0
        plan.progress_pct = 90
        db.session.add(Measurement(indicator=indicator, date=date(2026, 3, 3), value=99.0))
        db.session.commit()
        after = past_overview()
        assert len(computed) == 1  # reused: what was entered on the 10th was not known on the 5th
        assert after.results[indicator.id].actual == 20.0
        data_version.cache().clear()
        same(after, past_overview())  # and it is what a fresh one reads


def test_a_change_recorded_on_or_before_the_day_has_it_computed_again(dated_world, computed):
    _plan, indicator = dated_world
    with clock.travel(date(2026, 3, 10)):
        past_overview()
    with clock.travel(PAST_DAY):  # a late story written on its day (as the demo's loader does)
        db.session.add(Measurement(indicator=indicator, date=PAST_DAY, value=55.0))
        db.session.commit()
    with clock.travel(date(2026, 3, 10)):
        after = past_overview()
    assert len(computed) == 2
    assert after.results[indicator.id].actual == 55.0
