"""The benchmark data set of DESIGN §8 (`seed-bench --plans N`), scaled down to 50 plans."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    AuditEvent,
    CheckIn,
    Department,
    Indicator,
    Measurement,
    Milestone,
    Objective,
    Organization,
    User,
)
from strategy_app.services.dataio import bench_data
from strategy_app.services.evaluation import history, metrics, rules
from strategy_app.services.writes.users import check_password, find_by_email
from tests.conftest import FIXED_TODAY, wipe

SCALED_50 = {
    "departments": 5,
    "objectives": 5,
    "action_plans": 50,
    "indicators": 15,
    "measurements": 1500,
    "check_ins": 200,
}


def table_counts() -> dict[str, int]:
    """Rows in every table of the schema."""
    return {
        t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
        for t in db.metadata.sorted_tables
    }


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_generate_creates_the_scaled_counts(app, db_session):
    counts = bench_data.generate(50)
    assert counts.items() >= SCALED_50.items()
    rows = table_counts()
    for table, n in counts.items():
        assert rows[table] == n, table
    assert rows["organizations"] == 1
    assert rows["users"] >= 8  # executives, a lead per department, members, viewers
    assert rows["company_strategies"] >= 2
    assert rows["service_strategies"] >= 2
    assert rows["strategy_links"] >= rows["service_strategies"]
    assert 0 < rows["milestones"] < rows["measurements"]


def test_full_size_ratios_match_design_section_8():
    sizes = bench_data._Generator(5000, None, FIXED_TODAY)
    assert (sizes.n_objectives, sizes.n_plans, sizes.n_indicators) == (500, 5000, 1500)
    assert sizes.n_indicators * bench_data.MEASUREMENTS_PER_INDICATOR == 150_000
    assert (sizes.n_check_ins, sizes.n_users) == (20_000, 50)
    assert len(bench_data.DEPARTMENTS) == 5


def test_every_indicator_has_exactly_one_parent_half_each(app, db_session):
    bench_data.generate(50)
    both_or_neither = (Indicator.objective_id.is_(None)) == (Indicator.action_plan_id.is_(None))
    assert count(Indicator, both_or_neither) == 0
    on_objectives = count(Indicator, Indicator.objective_id.is_not(None))
    on_plans = count(Indicator, Indicator.action_plan_id.is_not(None))
    assert (on_objectives, on_plans) == (7, 8)
    # Every objective has an indicator of its own; plan indicators sit on distinct plans.
    assert count(Objective, ~Objective.indicators.any()) == 0
    plan_parents = db_session.scalars(
        sa.select(Indicator.action_plan_id).where(Indicator.action_plan_id.is_not(None))
    ).all()
    assert len(set(plan_parents)) == len(plan_parents)


def test_measurements_are_unique_per_indicator_and_date(app, db_session):
    bench_data.generate(50)
    duplicates = db_session.execute(
        sa.select(Measurement.indicator_id, Measurement.date)
        .group_by(Measurement.indicator_id, Measurement.date)
        .having(sa.func.count() > 1)
    ).all()
    assert duplicates == []
    per_indicator = db_session.scalars(
        sa.select(sa.func.count()).select_from(Measurement).group_by(Measurement.indicator_id)
    ).all()
    assert per_indicator == [100] * 15
    # Actuals reach up to today, never beyond; milestones lie strictly inside the period.
    assert db_session.scalar(sa.select(sa.func.max(Measurement.date))) <= FIXED_TODAY
    outside = count(
        Milestone,
        Milestone.indicator_id == Indicator.id,
        (Milestone.date <= Indicator.baseline_date) | (Milestone.date >= Indicator.target_date),
    )
    assert outside == 0


def test_plans_take_the_state_of_their_latest_check_in(app, db_session):
    bench_data.generate(50)
    plans = db_session.scalars(sa.select(ActionPlan)).all()
    assert sum(len(p.check_ins) for p in plans) == 200
    for plan in plans:
        if plan.check_ins:  # newest first
            latest = plan.check_ins[0]
            assert (latest.state, latest.progress_pct) == (plan.state, plan.progress_pct)
        else:
            assert (plan.state, plan.progress_pct) == ("planned", 0)
        assert plan.owner.department_id == plan.department_id


def test_bench_users_sign_in_with_the_documented_password(app, db_session):
    bench_data.generate(50)
    ceo = find_by_email(bench_data.BENCH_EMAIL)
    assert ceo.role == "executive"
    assert check_password(ceo, bench_data.BENCH_PASSWORD)
    leads = db_session.scalars(sa.select(Department.lead_id)).all()
    assert None not in leads
    assert count(User, User.role == "lead", User.id.in_(leads)) == 5
    assert count(User, User.email.not_like(f"%@{bench_data.BENCH_DOMAIN}")) == 0


def test_bulk_inserts_leave_one_audit_event_and_each_plan_move(app, db_session):
    counts = bench_data.generate(50)
    events = db_session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    whole = [e for e in events if e.action == "seed_bench"]
    assert [(e.entity_type, e.changes) for e in whole] == [("Database", counts)]
    moves = [e for e in events if e.action != "seed_bench"]
    assert {(e.action, e.entity_type) for e in moves} == {("update", "ActionPlan")}
    # Each plan's moves, replayed from "planned" at 0 %, end where the plan stands today.
    stands: dict[int, dict] = {}
    for e in sorted(moves, key=lambda e: (e.created_at, e.id)):
        stands.setdefault(e.entity_id, {"state": "planned", "progress_pct": 0})
        stands[e.entity_id].update({k: after for k, (_before, after) in e.changes.items()})
    plans = db_session.execute(sa.select(ActionPlan.id, ActionPlan.state, ActionPlan.progress_pct))
    for plan in plans:
        want = {"state": plan.state, "progress_pct": plan.progress_pct}
        assert stands.get(plan.id, {"state": "planned", "progress_pct": 0}) == want, plan.id


def test_the_data_set_has_a_past(app, db_session):
    """A quarter ago fewer plans had started and the others stood elsewhere (DESIGN §7)."""
    bench_data.generate(50)

    def plans() -> list[tuple]:
        return db_session.execute(
            sa.select(ActionPlan.id, ActionPlan.state, ActionPlan.progress_pct)
        ).all()

    now = plans()
    assert history.enter(FIXED_TODAY - timedelta(days=91))
    try:
        then = plans()
        objectives = count(Objective)
    finally:
        history.leave()
    assert 0 < len(then) < len(now)
    assert objectives == count(Objective)  # set long before
    assert min(p.id for p in now) in {p.id for p in then}  # the plan a benchmark opens
    moved = {p.id for p in then} & {p.id for p in now if p not in then}
    assert moved, "no plan stood elsewhere a quarter ago"


def test_cascade_evaluates_the_generated_data(app, db_session):
    bench_data.generate(50)
    view = metrics.cascade(FIXED_TODAY)
    objective_ids = set(db_session.scalars(sa.select(Objective.id)))
    assert set(view.rollups) == objective_ids
    assert sum(view.status_counts().values()) == 5
    assert len(view.indicator_results) == 15
    assert all(r.status != rules.NO_DATA for r in view.indicator_results.values())
    assert len(view.scorecards) == 5


def test_cli_seeds_then_refuses_a_second_run(app, runner, db_session):
    result = runner.invoke(args=["seed-bench", "--plans", "50"])
    assert result.exit_code == 0, result.output
    for kind, n in SCALED_50.items():
        assert f"{kind} {n}" in result.output
    db_session.rollback()
    before = table_counts()
    assert before["action_plans"] == 50

    again = runner.invoke(args=["seed-bench", "--plans", "50"])
    assert again.exit_code != 0
    assert "empty" in again.output
    assert "Traceback" not in again.output
    db_session.rollback()
    assert table_counts() == before


@pytest.mark.parametrize("existing", ["department", "plan", "bench user"])
def test_refuses_a_database_that_is_not_empty(app, make, db_session, existing):
    if existing == "department":
        make.department("sales")
    elif existing == "plan":
        make.plan()
    else:
        make.user("viewer", email=f"someone@{bench_data.BENCH_DOMAIN}")
    db_session.commit()
    before = table_counts()
    with pytest.raises(ValueError, match="empty"):
        bench_data.generate(50)
    db_session.rollback()
    assert table_counts() == before


@pytest.mark.parametrize("plans", [0, -5, 2.5, "50", True])
def test_refuses_a_bad_size(app, db_session, plans):
    with pytest.raises(ValueError, match="plans"):
        bench_data.generate(plans)
    assert table_counts()["departments"] == 0


def test_a_failure_half_way_leaves_nothing_behind(app, db_session, monkeypatch):
    def broken(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bench_data._Generator, "measurements", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        bench_data.generate(50)
    assert set(table_counts().values()) == {0}


def test_keeps_an_existing_organization_and_users(app, make, db_session):
    make.organization(name="Existing Co")
    admin = make.user("executive", email="admin@example.test")
    db_session.commit()
    counts = bench_data.generate(20)
    assert counts["organizations"] == 0
    assert db_session.scalars(sa.select(Organization.name)).all() == ["Existing Co"]
    assert find_by_email("admin@example.test").id == admin.id
    assert count(User) == counts["users"] + 1


def _content() -> tuple:
    """The generated data without ids and timestamps (which differ from run to run)."""
    plans = db_session_rows(
        sa.select(ActionPlan.title, ActionPlan.state, ActionPlan.progress_pct, ActionPlan.budget)
    )
    indicators = db_session_rows(
        sa.select(Indicator.name, Indicator.baseline_value, Indicator.target_value)
    )
    values = db_session_rows(sa.select(Measurement.date, Measurement.value))
    check_ins = db_session_rows(sa.select(CheckIn.state, CheckIn.progress_pct, CheckIn.text))
    return plans, indicators, values, check_ins


def db_session_rows(stmt) -> list[tuple]:
    return sorted(tuple(r) for r in db.session.execute(stmt))


def _fresh_content(app, seed: int) -> tuple:
    """Empty the database, generate 20 plans' worth with this seed and read it back."""
    db.session.remove()  # let go of this context's connection (SQLite locks) before wiping
    wipe(app)
    bench_data.generate(20, seed=seed)
    return _content()


def test_generation_is_deterministic(app, db_session):
    first = _fresh_content(app, seed=7)
    assert _fresh_content(app, seed=7) == first
    assert _fresh_content(app, seed=8) != first
