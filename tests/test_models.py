"""The schema itself refuses bad rows; optimistic locking; timestamps in UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    ApiToken,
    Assessment,
    AssessmentAnswer,
    CheckIn,
    CompanyStrategy,
    Department,
    FollowUp,
    Indicator,
    Measurement,
    Milestone,
    NpsResponse,
    PlanDependency,
    ServiceStrategy,
    StrategyLink,
    User,
)
from strategy_app.models.base import utcnow
from tests import factories as f


def _add(obj):
    db.session.add(obj)
    return obj


# Each builder adds one row (its parents flushed first) with the given column values.
def user(**kw) -> User:
    kw.setdefault("email", "someone@example.test")
    return _add(User(name="Someone", password_hash="x", **kw))


def plan(**kw) -> ActionPlan:
    return _add(ActionPlan(objective=f.objective(), department=f.department(), title="P", **kw))


def check_in(**kw) -> CheckIn:
    kw = {"state": "in_progress", "progress_pct": 50, **kw}
    return _add(CheckIn(action_plan=f.plan(), **kw))


def indicator(**kw) -> Indicator:
    kw = {
        "name": "On-time deliveries",
        "baseline_value": 80.0,
        "baseline_date": date(2026, 1, 1),
        "target_value": 95.0,
        "target_date": date(2026, 12, 31),
        **kw,
    }
    if "objective_id" not in kw and "action_plan_id" not in kw:
        kw["objective_id"] = f.objective().id
    return _add(Indicator(**kw))


def measurement(**kw) -> Measurement:
    return _add(Measurement(indicator=f.indicator(), date=date(2026, 3, 1), value=1.0, **kw))


def nps(**kw) -> NpsResponse:
    return _add(NpsResponse(date=date(2026, 3, 1), **{"score": 9, **kw}))


def answer(**kw) -> AssessmentAnswer:
    assessment = _add(Assessment(date=date(2026, 3, 1)))
    return _add(AssessmentAnswer(assessment=assessment, statement_key="s1", **kw))


def link(**kw) -> StrategyLink:
    return _add(
        StrategyLink(
            service_strategy=f.service_strategy(), company_strategy=f.company_strategy(), **kw
        )
    )


def token(**kw) -> ApiToken:
    return _add(ApiToken(user=f.user("viewer"), name="CRM", token_hash="h" * 64, **kw))


def follow_up(**kw) -> FollowUp:
    return _add(FollowUp(response=nps(score=2), **kw))


def company_strategy(**kw) -> CompanyStrategy:
    return _add(CompanyStrategy(title="Grow sales", **kw))


def service_strategy(**kw) -> ServiceStrategy:
    return _add(ServiceStrategy(title="Serve well", **kw))


def department(**kw) -> Department:
    return _add(Department(name="Sales", **{"slug": "sales", **kw}))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def assert_refused(build: Callable, model, **bad) -> None:
    """Flushing the row fails in the database, and a rollback leaves nothing behind."""
    before = count(model)
    build(**bad)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert count(model) == before


def assert_accepted(build: Callable, **good) -> None:
    """The same row with sound values is stored (so the refusal has the reason under test)."""
    row = build(**good)
    db.session.flush()
    assert sa.inspect(row).persistent
    assert db.session.get(type(row), row.id) is row
    db.session.rollback()


# (builder, model, a good value set, a bad value set): the good row proves the builder
# itself is sound, so the bad one fails for the one reason under test.
VALUE_CASES = {
    "plan progress below 0": (plan, ActionPlan, {"progress_pct": 0}, {"progress_pct": -1}),
    "plan progress above 100": (plan, ActionPlan, {"progress_pct": 100}, {"progress_pct": 101}),
    "check-in progress below 0": (check_in, CheckIn, {"progress_pct": 0}, {"progress_pct": -1}),
    "check-in progress above 100": (
        check_in,
        CheckIn,
        {"progress_pct": 100},
        {"progress_pct": 101},
    ),
    "confidence below 1": (check_in, CheckIn, {"confidence": 1}, {"confidence": 0}),
    "confidence above 5": (check_in, CheckIn, {"confidence": 5}, {"confidence": 6}),
    "NPS score below 0": (nps, NpsResponse, {"score": 0}, {"score": -1}),
    "NPS score above 10": (nps, NpsResponse, {"score": 10}, {"score": 11}),
    "answer below 0": (answer, AssessmentAnswer, {"score": 0}, {"score": -1}),
    "answer above 4": (answer, AssessmentAnswer, {"score": 4}, {"score": 5}),
    "tolerance below 0": (indicator, Indicator, {"tolerance": 0.0}, {"tolerance": -0.01}),
    "tolerance above 1": (indicator, Indicator, {"tolerance": 1.0}, {"tolerance": 1.01}),
    "baseline date on target date": (
        indicator,
        Indicator,
        {"baseline_date": date(2026, 12, 30)},
        {"baseline_date": date(2026, 12, 31)},
    ),
    "baseline date after target date": (
        indicator,
        Indicator,
        {"target_date": date(2026, 1, 2)},
        {"target_date": date(2025, 12, 31)},
    ),
    "unknown role": (user, User, {"role": "viewer"}, {"role": "admin"}),
    "upper-case email": (
        user,
        User,
        {"email": "mixed@example.test"},
        {"email": "Mixed@Example.test"},
    ),
    "lead without department": (user, User, {"role": "viewer"}, {"role": "lead"}),
    "member without department": (user, User, {"role": "executive"}, {"role": "member"}),
    "unknown plan state": (plan, ActionPlan, {"state": "blocked"}, {"state": "paused"}),
    "unknown check-in state": (check_in, CheckIn, {"state": "done"}, {"state": "finished"}),
    "unknown direction": (indicator, Indicator, {"direction": "maintain"}, {"direction": "up"}),
    "unknown fit": (link, StrategyLink, {"fit": "conflicts"}, {"fit": "great"}),
    "unknown source": (measurement, Measurement, {"source": "nps"}, {"source": "guess"}),
    "unknown scope": (token, ApiToken, {"scope": "write"}, {"scope": "admin"}),
    "unknown follow-up state": (follow_up, FollowUp, {"state": "resolved"}, {"state": "closed"}),
    "unknown company strategy status": (
        company_strategy,
        CompanyStrategy,
        {"status": "archived"},
        {"status": "draft"},
    ),
    "unknown service strategy status": (
        service_strategy,
        ServiceStrategy,
        {"status": "draft"},
        {"status": "paused"},
    ),
    "empty department slug": (department, Department, {"slug": "s"}, {"slug": ""}),
}


@pytest.mark.parametrize(("build", "model", "good", "bad"), VALUE_CASES.values(), ids=VALUE_CASES)
def test_database_refuses_bad_values(app, build, model, good, bad):
    assert_accepted(build, **good)
    assert_refused(build, model, **bad)


def test_lead_with_department_is_accepted(app):
    assert_accepted(user, role="lead", department=f.department())


def test_indicator_needs_exactly_one_parent(app):
    obj, pl = f.objective(), f.plan()
    assert_accepted(indicator, objective_id=obj.id)
    obj, pl = f.objective(), f.plan()
    assert_accepted(indicator, action_plan_id=pl.id)
    obj, pl = f.objective(), f.plan()
    assert_refused(indicator, Indicator, objective_id=obj.id, action_plan_id=pl.id)
    assert_refused(indicator, Indicator, objective_id=None, action_plan_id=None)


def _second(first: Callable, second: Callable):
    """Add a row, flush it, then add a second that clashes with it."""

    def build():
        made = first()
        db.session.flush()
        return second(made)

    return build


def _dependency(p):
    return _add(PlanDependency(plan=p, blocked_by=p))


UNIQUE_CASES = {
    "department slug": (
        Department,
        lambda: f.department("sales"),
        lambda _: department(slug="sales"),
        lambda _: department(slug="logistics"),
    ),
    "user email": (
        User,
        lambda: user(email="ana@example.test"),
        lambda _: user(email="ana@example.test"),
        lambda _: user(email="bo@example.test"),
    ),
    "measurement per indicator and date": (
        Measurement,
        lambda: f.indicator(actuals=[(date(2026, 3, 1), 5.0)]),
        lambda i: _add(Measurement(indicator=i, date=date(2026, 3, 1), value=6.0)),
        lambda i: _add(Measurement(indicator=i, date=date(2026, 3, 2), value=6.0)),
    ),
    "milestone per indicator and date": (
        Milestone,
        lambda: f.indicator(milestones=[(date(2026, 6, 30), 50.0)]),
        lambda i: _add(Milestone(indicator=i, date=date(2026, 6, 30), expected_value=60.0)),
        lambda i: _add(Milestone(indicator=i, date=date(2026, 7, 1), expected_value=60.0)),
    ),
    "strategy link per pair": (
        StrategyLink,
        lambda: link(fit="supports"),
        lambda lk: _add(
            StrategyLink(
                service_strategy=lk.service_strategy,
                company_strategy=lk.company_strategy,
                fit="neutral",
            )
        ),
        lambda lk: _add(
            StrategyLink(
                service_strategy=lk.service_strategy,
                company_strategy=f.company_strategy(),
                fit="neutral",
            )
        ),
    ),
    "plan dependency per pair": (
        PlanDependency,
        lambda: _add(PlanDependency(plan=f.plan(), blocked_by=f.plan())),
        lambda d: _add(PlanDependency(plan=d.plan, blocked_by=d.blocked_by)),
        lambda d: _add(PlanDependency(plan=d.blocked_by, blocked_by=d.plan)),
    ),
    "plan depending on itself": (
        PlanDependency,
        lambda: f.plan(),
        _dependency,
        lambda p: _add(PlanDependency(plan=p, blocked_by=f.plan())),
    ),
}


@pytest.mark.parametrize(
    ("model", "first", "clash", "fine"), UNIQUE_CASES.values(), ids=UNIQUE_CASES
)
def test_database_refuses_clashing_rows(app, model, first, clash, fine):
    assert_accepted(_second(first, fine))
    assert_refused(_second(first, clash), model)


FOREIGN_KEYS = {
    "plan objective": (plan, "objective_id"),
    "plan department": (plan, "department_id"),
    "user department": (lambda: user(role="viewer"), "department_id"),
    "measurement indicator": (measurement, "indicator_id"),
    "check-in plan": (check_in, "action_plan_id"),
}


@pytest.mark.parametrize(("build", "column"), FOREIGN_KEYS.values(), ids=FOREIGN_KEYS)
def test_foreign_keys_are_enforced(app, build, column):
    """Also on SQLite, where they are off unless the connection turns them on."""
    row = build()
    db.session.flush()
    setattr(row, column, 999_999)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_plan_with_unknown_objective_is_refused(app):
    dept = f.department()
    db.session.add(ActionPlan(objective_id=987_654, department_id=dept.id, title="Orphan"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert count(ActionPlan) == 0


def _open() -> Session:
    # Each session stands for one request; loading ends its transaction, as a request does.
    return Session(db.engine, expire_on_commit=False)


def test_optimistic_lock_refuses_a_stale_save(app):
    plan_id = f.plan(title="Original").id
    db.session.commit()

    with _open() as alice, _open() as bob:
        mine = alice.get(ActionPlan, plan_id)
        alice.commit()
        theirs = bob.get(ActionPlan, plan_id)
        bob.commit()
        assert mine.version == theirs.version == 1

        mine.title = "Alice's title"
        alice.commit()
        assert mine.version == 2

        theirs.title = "Bob's title"
        with pytest.raises(StaleDataError):
            bob.commit()
        bob.rollback()

    db.session.expire_all()
    saved = db.session.get(ActionPlan, plan_id)
    assert saved.title == "Alice's title"
    assert saved.version == 2


def test_version_counts_every_update(app):
    p = f.plan()
    db.session.commit()
    assert p.version == 1
    for n, state in enumerate(["in_progress", "blocked", "done"], start=2):
        p.state = state
        db.session.commit()
        assert p.version == n
    db.session.expire_all()
    assert db.session.scalar(sa.select(ActionPlan.version)) == 4


def _utc(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() == timedelta(0)


def test_timestamps_are_set_in_utc_and_updated_at_moves(app):
    start = utcnow()  # the clock the app stamps with (the tests move it: conftest)
    dept = f.department("sales")
    db.session.commit()
    db.session.expire_all()  # read back from the database, not from memory
    created, updated = dept.created_at, dept.updated_at
    assert _utc(created)
    assert _utc(updated)
    assert start <= created <= utcnow()

    dept.name = "Sales and accounts"
    db.session.commit()
    db.session.expire_all()
    assert dept.created_at == created
    assert _utc(dept.updated_at)
    assert dept.updated_at > updated


def test_timestamps_from_other_zones_are_stored_in_utc(app):
    u = user(
        role="viewer", locked_until=datetime(2026, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    )
    db.session.commit()
    db.session.expire_all()
    assert u.locked_until == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert _utc(u.locked_until)
    u.locked_until = datetime(2026, 5, 2, 8, 30)  # naive: taken as UTC
    db.session.commit()
    db.session.expire_all()
    assert u.locked_until == datetime(2026, 5, 2, 8, 30, tzinfo=UTC)
