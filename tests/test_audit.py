"""The audit log: every row change is recorded, in the same transaction, with its actor."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from strategy_app.extensions import db
from strategy_app.models import (
    ApiToken,
    AuditEvent,
    Department,
    Measurement,
    Milestone,
)
from strategy_app.models.base import utcnow
from strategy_app.services.plumbing.audit import record, set_actor
from strategy_app.services.writes import tokens
from strategy_app.services.writes.users import hash_password


def events(entity_type: str | None = None, entity_id: int | None = None) -> list[AuditEvent]:
    """The audit events so far (optionally for one row), oldest first."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if entity_type is not None:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    return list(db.session.scalars(query))


def event_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


@pytest.fixture
def actor(make, db_session):
    """An executive whose changes the session records."""
    user = make.user("executive")
    set_actor(db_session, user.id)
    db_session.commit()
    return user


def without_times(changes: dict) -> dict:
    """An event's changes without the time of writing every update moves on."""
    return {k: v for k, v in changes.items() if k != "updated_at"}


def test_create_is_recorded_with_actor_and_values(actor, make, db_session):
    dept = make.department("sales", name="Sales", service_role="Takes orders")
    db_session.commit()
    [ev] = events("Department", dept.id)
    assert ev.action == "create"
    assert ev.user_id == actor.id
    assert ev.changes["slug"] == [None, "sales"]
    assert ev.changes["name"] == [None, "Sales"]
    assert ev.changes["service_role"] == [None, "Takes orders"]
    assert ev.changes["id"] == [None, dept.id]
    # the row's times too, so that the log alone rebuilds the row (tests/test_replay.py)
    assert ev.changes["created_at"] == [None, dept.created_at.isoformat()]
    assert ev.changes["updated_at"] == [None, dept.updated_at.isoformat()]
    assert ev.created_at.tzinfo is not None


def test_update_records_only_the_changed_fields(actor, make, db_session):
    dept = make.department("sales", name="Sales")
    db_session.commit()
    dept.name = "Sales and accounts"
    dept.position = 4
    db_session.commit()
    create, update = events("Department", dept.id)
    assert create.action == "create"
    assert update.action == "update"
    assert update.user_id == actor.id
    assert without_times(update.changes) == {
        "name": ["Sales", "Sales and accounts"],
        "position": [0, 4],
    }
    assert update.changes["updated_at"][1] > update.changes["updated_at"][0]


def test_update_of_an_expired_row_keeps_the_old_value(actor, make, db_session):
    dept = make.department("sales", name="Sales")
    db_session.commit()  # expires every attribute: the old name is no longer in memory
    dept.name = "Sales and accounts"
    db_session.commit()
    update = events("Department", dept.id)[-1]
    assert without_times(update.changes) == {"name": ["Sales", "Sales and accounts"]}


def test_changing_a_relationship_records_the_foreign_key(actor, make, db_session):
    first, second = make.department("first"), make.department("second")
    plan = make.plan(department_=first)
    db_session.commit()
    plan.department = second
    db_session.commit()
    update = events("ActionPlan", plan.id)[-1]
    assert update.action == "update"
    assert update.changes["department_id"] == [first.id, second.id]


def test_plan_update_of_an_expired_row_keeps_the_old_value(actor, make, db_session):
    plan = make.plan(title="Old title")
    db_session.commit()
    plan.title = "New title"
    db_session.commit()
    update = events("ActionPlan", plan.id)[-1]
    assert update.changes["title"] == ["Old title", "New title"]
    assert plan.version == 2


@pytest.mark.parametrize(
    ("archived", "action"),
    [(False, "archive"), (True, "restore")],
)
def test_archive_and_restore_are_named(actor, make, db_session, archived, action):
    dept = make.department("sales", archived_at=utcnow() if archived else None)
    db_session.commit()
    dept.archived_at = None if archived else utcnow()
    db_session.commit()
    ev = events("Department", dept.id)[-1]
    assert ev.action == action
    before, after = ev.changes["archived_at"]
    assert (before is None) == (not archived)
    assert (after is None) == archived


def test_delete_records_the_values_before(actor, make, db_session):
    dept = make.department("gone", name="Gone")
    db_session.commit()
    dept_id = dept.id
    db_session.delete(dept)
    db_session.commit()
    ev = events("Department", dept_id)[-1]
    assert ev.action == "delete"
    assert ev.user_id == actor.id
    assert ev.changes["slug"] == ["gone", None]
    assert ev.changes["name"] == ["Gone", None]


def test_delete_of_an_expired_row_keeps_the_values(actor, make, db_session):
    dept = make.department("gone", name="Gone")
    db_session.commit()
    dept_id = dept.id
    db_session.expire_all()
    db_session.delete(dept)
    db_session.commit()
    ev = events("Department", dept_id)[-1]
    assert ev.action == "delete"
    assert ev.changes["slug"] == ["gone", None]


def test_orphan_removed_from_a_collection_is_recorded(actor, make, db_session):
    ind = make.indicator(milestones=[(date(2026, 4, 1), 25.0), (date(2026, 7, 1), 50.0)])
    db_session.commit()
    first = ind.milestones[0]
    first_id = first.id
    ind.milestones.remove(first)  # delete-orphan: the row goes at the next flush
    db_session.commit()
    assert db_session.get(Milestone, first_id) is None
    ev = events("Milestone", first_id)[-1]
    assert ev.action == "delete"
    assert ev.changes["expected_value"] == [25.0, None]


def test_actor_is_none_when_not_set(make, db_session):
    dept = make.department("nobody")
    db_session.commit()
    [ev] = events("Department", dept.id)
    assert ev.user_id is None


def test_actor_belongs_to_one_session(app, actor, make, db_session):
    with Session(db.engine) as other:
        other.add(Department(name="Other", slug="other"))
        other.commit()
    [ev] = events("Department")
    assert ev.user_id is None  # the actor was named on db.session, not on this one
    dept = make.department("mine")
    db_session.commit()
    assert events("Department", dept.id)[0].user_id == actor.id


def test_secrets_never_reach_the_log(actor, make, db_session):
    user = make.user("viewer")
    token, plain = tokens.create_token(user, "CRM", "read")
    db_session.commit()
    old_hash = user.password_hash
    user.password_hash = hash_password("another long password")
    db_session.commit()

    [created] = events("User", user.id)[:1]
    assert created.changes["password_hash"] == [None, "(set)"]
    changed = events("User", user.id)[-1]
    assert without_times(changed.changes) == {"password_hash": ["(set)", "(set)"]}
    assert events("ApiToken", token.id)[0].changes["token_hash"] == [None, "(set)"]

    db_session.delete(token)
    db_session.commit()
    assert events("ApiToken", token.id)[-1].changes["token_hash"] == ["(set)", None]

    dumped = json.dumps([ev.changes for ev in events()])
    for secret in (old_hash, user.password_hash, tokens.token_hash(plain), plain):
        assert secret not in dumped
    assert db_session.get(ApiToken, token.id) is None


def test_bookkeeping_only_changes_make_no_event(actor, make, db_session):
    plan = make.plan()
    user = make.user("viewer")
    db_session.commit()
    before = event_count()

    plan.updated_at = utcnow()
    db_session.commit()
    assert plan.version == 2  # the UPDATE did run, and bumped the version
    flag_modified(plan, "title")  # an UPDATE that changes nothing but the version
    db_session.commit()
    assert plan.version == 3
    user.last_login_at = utcnow()
    user.failed_logins = 2
    db_session.commit()
    assert db_session.get(type(user), user.id).failed_logins == 2

    assert event_count() == before


def test_rollback_after_flush_leaves_no_event(actor, make, db_session):
    before = event_count()
    dept = make.department("temporary")  # flushed: the event is written, not committed
    assert event_count() == before + 1
    assert events("Department", dept.id)[0].action == "create"
    db_session.rollback()
    assert event_count() == before
    assert db_session.scalar(sa.select(Department).where(Department.slug == "temporary")) is None


def test_failed_write_takes_its_events_with_it(actor, make, db_session):
    make.department("taken")
    db_session.commit()
    before = event_count()
    make.department("fine")
    db_session.add(Department(name="Again", slug="taken"))
    with pytest.raises(sa.exc.IntegrityError):
        db_session.flush()
    db_session.rollback()
    assert event_count() == before
    assert db_session.scalar(sa.select(Department).where(Department.slug == "fine")) is None


def test_replaced_measurement_keeps_old_value_in_log(actor, make, db_session):
    day = date(2026, 3, 31)
    ind = make.indicator(actuals=[(day, 10.0)])
    db_session.commit()
    [m] = ind.measurements
    m_id = m.id

    again = db_session.scalar(
        sa.select(Measurement).where(Measurement.indicator_id == ind.id, Measurement.date == day)
    )
    again.value = 12.5
    again.note = "corrected"
    db_session.commit()

    assert db_session.scalar(sa.select(sa.func.count()).select_from(Measurement)) == 1
    created, replaced = events("Measurement", m_id)
    assert created.changes["value"] == [None, 10.0]
    assert replaced.action == "update"
    assert replaced.user_id == actor.id
    assert without_times(replaced.changes) == {"value": [10.0, 12.5], "note": ["", "corrected"]}


def test_one_flush_of_many_objects_writes_one_event_each(actor, db_session):
    before = event_count()
    depts = [Department(name=f"D{n}", slug=f"d{n}") for n in range(25)]
    db_session.add_all(depts)
    db_session.commit()
    assert event_count() == before + 25
    logged = {ev.entity_id: ev for ev in events("Department")}
    assert set(logged) == {d.id for d in depts}
    assert {ev.action for ev in logged.values()} == {"create"}
    assert {ev.changes["slug"][1] for ev in logged.values()} == {d.slug for d in depts}

    for d in depts:
        d.position = 7
    db_session.commit()
    updates = [ev for ev in events("Department") if ev.action == "update"]
    assert len(updates) == 25
    assert all(without_times(ev.changes) == {"position": [0, 7]} for ev in updates)


def test_record_adds_an_event_that_is_not_a_row_change(actor, db_session):
    record(db_session, "export", "Report", changes={"format": "csv"})
    db_session.commit()
    [ev] = [ev for ev in events() if ev.action == "export"]
    assert ev.entity_type == "Report"
    assert ev.entity_id is None
    assert ev.user_id == actor.id
    assert ev.changes == {"format": "csv"}
    # recording is itself not audited as an AuditEvent row change
    assert events("AuditEvent") == []


def test_record_names_another_user(actor, make, db_session):
    other = make.user("viewer")
    db_session.commit()
    record(db_session, "login", "User", other.id, user_id=other.id)
    db_session.rollback()  # a rollback discards a recorded event too
    assert [ev for ev in events() if ev.action == "login"] == []
    record(db_session, "login", "User", other.id, user_id=other.id)
    db_session.commit()
    [ev] = [ev for ev in events() if ev.action == "login"]
    assert ev.user_id == other.id != actor.id
