"""Complete backup and restore (`export` / `import`, DESIGN §5): round trips and refusals."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    Assessment,
    AssessmentAnswer,
    AuditEvent,
    CheckIn,
    Department,
    FollowUp,
    Indicator,
    LoginThrottle,
    Measurement,
    NpsResponse,
    Objective,
    PlanDependency,
    RateLimitBucket,
    Review,
    ReviewDecision,
    User,
)
from strategy_app.models.reminders import (
    ReminderPreference,
    ReminderSend,
    Webhook,
    WebhookDelivery,
)
from strategy_app.services.dataio import backup
from strategy_app.services.plumbing import audit
from strategy_app.services.writes import tokens
from tests.conftest import wipe

LAST_LOGIN = datetime(2026, 6, 14, 9, 30, 15, 123456, tzinfo=UTC)
TAGS = ["momento de verdad: la entrega", "🚚 on time", "CSF #1", 'quote " and \\ slash']


@pytest.fixture
def rich(app, make, db_session):
    """A data set with rows in every table, committed; returns a few objects' ids."""
    sales = make.department("sales", name="Ventas", service_role="Atiende al cliente — ñ")
    logistics = make.department("logistics", colour="#123abc", position=2)
    executive = make.user("executive", email="ceo@example.test", last_login_at=LAST_LOGIN)
    audit.set_actor(db_session, executive.id)
    lead = make.user("lead", department=sales, name="Zoë Ünal")
    member = make.user("member", department=logistics)
    make.user(
        "viewer",
        active=False,
        failed_logins=5,
        locked_until=datetime(2026, 6, 1, 8, 0, tzinfo=timezone(timedelta(hours=-5))),
    )
    sales.lead = lead
    make.organization(name="Distribuidora Ñandú", mission="Llegar a tiempo 🙂")
    growth = make.company_strategy(title="Grow sales", position=1)
    costs = make.company_strategy(title="Reduce costs", status="archived")
    service = make.service_strategy(
        links=[(growth, "supports"), (costs, "conflicts")],
        statement="Next-day delivery",
        owner=executive,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    objective = make.objective(
        service, tags=TAGS, owner=lead, start_date=date(2026, 1, 1), due_date=date(2026, 12, 31)
    )
    plan = make.plan(objective, sales, budget=Decimal("1500"), owner=lead, state="in_progress")
    other = make.plan(objective, logistics, budget=Decimal("0.10"), progress_pct=100, state="done")
    make.plan(objective, logistics, archived_at=datetime(2026, 5, 5, tzinfo=UTC))
    db_session.add(CheckIn(action_plan=plan, author=lead, state="blocked", progress_pct=40))
    db_session.add(PlanDependency(plan=plan, blocked_by=other, note="needs trucks"))
    measured = make.indicator(
        objective,
        milestones=[(date(2026, 3, 31), 0.1), (date(2026, 6, 30), -2.5)],
        actuals=[(date(2026, 2, 1), 1e-7), (date(2026, 3, 1), -3.75), (date(2026, 4, 1), 0.1)],
        baseline_value=-10.0,
        unit="%",
    )
    make.indicator(plan, external_key="crm-42", direction="decrease", tolerance=0.05)
    db_session.add(
        Measurement(
            indicator=measured,
            date=date(2026, 5, 1),
            value=123456.789,
            source="api",
            entered_by=member,
            note="from the CRM",
        )
    )
    tokens.create_token(executive, "CRM", "write", days=30)
    assessment = Assessment(date=date(2026, 6, 1), assessor=executive, notes="first")
    assessment.answers = [
        AssessmentAnswer(statement_key="culture.1", score=0, comment="nada aún"),
        AssessmentAnswer(statement_key="culture.2", score=4),
    ]
    db_session.add(assessment)
    detractor = NpsResponse(date=date(2026, 6, 2), score=3, segment="retail", comment="late")
    db_session.add(detractor)
    db_session.add(NpsResponse(date=date(2026, 6, 3), score=10, customer_ref="C-7"))
    db_session.add(FollowUp(response=detractor, owner=lead, state="contacted", action_plan=plan))
    review = Review(date=date(2026, 6, 10), attendees="CEO, leads", notes="on track?")
    review.decisions = [
        ReviewDecision(text="Add a truck", action_plan=other),
        ReviewDecision(text="Call the detractor"),
    ]
    db_session.add(review)
    # reminders (issue 16): a preference, a day's reminder, a webhook and its queue
    at = datetime(2026, 6, 15, 7, 0, 1, 250000, tzinfo=UTC)
    hook = Webhook(name="#strategy", url="https://203.0.113.10/h", events=["off_track"])
    db_session.add_all(
        [
            ReminderPreference(user=lead, frequency="weekly", weekday=4),
            ReminderSend(user=lead, day=date(2026, 6, 15), status="sent", claimed_at=at, items=3),
            hook,
            WebhookDelivery(
                webhook=hook,
                event="off_track",
                dedupe_key="plan_overdue:1:2026-06-01",
                payload={"text": "Off track", "data": {"actual": 1.5, "names": ["ü", "<b>"]}},
                next_attempt_at=at,
            ),
        ]
    )
    audit.record(db_session, "export", "Database")
    db_session.add(LoginThrottle(key="ceo@example.test|203.0.113.9", failures=2))
    db_session.execute(
        sa.insert(RateLimitBucket.__table__),
        [
            {"key": "token:9", "window_start": 2**40, "count": 3},
            {"key": "ip:1", "window_start": 0, "count": 1},
        ],
    )
    db_session.commit()
    return {"plan": plan.id, "indicator": measured.id, "executive": executive.id, "sales": sales.id}


def restart(app) -> None:
    """Empty the database (the app keeps running)."""
    db.session.remove()
    wipe(app)


def counts() -> dict[str, int]:
    return {
        t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
        for t in db.metadata.sorted_tables
    }


def assert_empty() -> None:
    """Nothing was written, as seen by the same session (the import rolled back itself)."""
    assert set(counts().values()) == {0}


def test_export_covers_every_table_in_canonical_form(app, rich):
    doc = backup.export_document()
    head = ScriptDirectory.from_config(
        current_app.extensions["migrate"].migrate.get_config()
    ).get_current_head()
    assert doc["format"] == "strategy-tracker-export"
    assert doc["version"] == 1
    assert doc["schema"] == head
    assert set(doc) == {"format", "version", "schema", "tables"}
    assert list(doc["tables"]) == [t.name for t in db.metadata.sorted_tables]
    empty = [name for name, rows in doc["tables"].items() if not rows]
    assert empty == [], "the data set must cover every table"
    for table in db.metadata.sorted_tables:
        keys = [tuple(r[c.name] for c in table.primary_key) for r in doc["tables"][table.name]]
        assert keys == sorted(keys), table.name

    tables = doc["tables"]
    plan = next(p for p in tables["action_plans"] if p["id"] == rich["plan"])
    assert plan["budget"] == "1500.00"
    assert sorted(p["budget"] for p in tables["action_plans"] if p["budget"]) == ["0.10", "1500.00"]
    values = {m["date"]: m["value"] for m in tables["measurements"]}
    assert values == {
        "2026-02-01": 1e-7,
        "2026-03-01": -3.75,
        "2026-04-01": 0.1,
        "2026-05-01": 123456.789,
    }
    users = {u["email"]: u for u in tables["users"]}
    assert users["ceo@example.test"]["last_login_at"] == "2026-06-14T09:30:15.123456+00:00"
    locked = [u for u in tables["users"] if u["locked_until"]]
    assert [u["locked_until"] for u in locked] == ["2026-06-01T13:00:00+00:00"]
    assert locked[0]["active"] is False
    assert tables["objectives"][0]["tags"] == TAGS
    sales = next(d for d in tables["departments"] if d["id"] == rich["sales"])
    lead = next(u for u in tables["users"] if u["name"] == "Zoë Ünal")
    assert sales["lead_id"] == lead["id"]
    assert all(e["created_at"].endswith("+00:00") for e in tables["audit_events"])
    assert all(isinstance(e["changes"], dict) for e in tables["audit_events"])


def test_two_exports_of_the_same_data_are_identical(app, rich):
    text = backup.dumps(backup.export_document())
    assert text == backup.dumps(backup.export_document())
    assert text.endswith("}\n")
    assert "🚚 on time" in text  # ensure_ascii=False
    assert json.loads(text) == backup.export_document()


def test_export_import_export_gives_the_same_document(app, rich):
    before = backup.export_document()
    restart(app)
    imported = backup.import_document(json.loads(backup.dumps(before)))
    assert imported == {name: len(rows) for name, rows in before["tables"].items()}
    assert backup.dumps(backup.export_document()) == backup.dumps(before)


def test_import_writes_no_audit_events(app, rich):
    doc = backup.export_document()
    restart(app)
    backup.import_document(doc)
    db.session.remove()
    assert counts()["audit_events"] == len(doc["tables"]["audit_events"])
    latest = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
    assert latest == max(e["id"] for e in doc["tables"]["audit_events"])


def test_cli_round_trip_is_byte_identical(app, rich, runner, tmp_path):
    path_a, path_b = tmp_path / "a.json", tmp_path / "b.json"
    result = runner.invoke(args=["export", str(path_a)])
    assert result.exit_code == 0, result.output
    assert "Exported to" in result.output
    restart(app)
    result = runner.invoke(args=["import", str(path_a)])
    assert result.exit_code == 0, result.output
    total = sum(len(rows) for rows in json.loads(path_a.read_text("utf-8"))["tables"].values())
    assert f"Imported {total} rows" in result.output
    db.session.remove()
    result = runner.invoke(args=["export", str(path_b)])
    assert result.exit_code == 0, result.output
    assert path_a.read_bytes() == path_b.read_bytes()


def test_restored_objects_read_back_through_the_orm(app, rich):
    doc = backup.export_document()
    restart(app)
    backup.import_document(doc)
    db.session.remove()

    plan = db.session.get(ActionPlan, rich["plan"])
    assert isinstance(plan.budget, Decimal)
    assert plan.budget == Decimal("1500.00")
    assert plan.department.slug == "sales"
    assert [c.state for c in plan.check_ins] == ["blocked"]
    indicator = db.session.get(Indicator, rich["indicator"])
    actuals = {m.date: m.value for m in indicator.measurements}
    assert actuals[date(2026, 2, 1)] == 1e-7
    assert actuals[date(2026, 3, 1)] == -3.75
    assert [(m.date, m.expected_value) for m in indicator.milestones] == [
        (date(2026, 3, 31), 0.1),
        (date(2026, 6, 30), -2.5),
    ]
    executive = db.session.get(User, rich["executive"])
    assert executive.last_login_at == LAST_LOGIN
    assert executive.last_login_at.utcoffset() == timedelta(0)
    assert db.session.get(Department, rich["sales"]).lead.name == "Zoë Ünal"
    assert db.session.scalars(sa.select(Objective.tags)).one() == TAGS
    follow_up = db.session.scalars(sa.select(FollowUp)).one()
    assert (follow_up.response.score, follow_up.action_plan_id) == (3, rich["plan"])


def test_new_rows_can_be_added_after_an_import(app, rich, make):
    doc = backup.export_document()
    restart(app)
    backup.import_document(doc)
    db.session.remove()
    top = {n: max(r["id"] for r in rows) for n, rows in doc["tables"].items() if "id" in rows[0]}
    department = make.department("marketing")
    user = make.user("member", department=department)
    indicator = make.indicator(make.plan(), actuals=[(date(2026, 7, 1), 5.0)])
    db.session.add(Review(date=date(2026, 7, 2)))
    db.session.commit()
    assert department.id > top["departments"]
    assert user.id > top["users"]
    assert indicator.id > top["indicators"]
    assert indicator.measurements[0].id > top["measurements"]
    # the new writes are audited as usual, after the restored events
    assert counts()["audit_events"] > len(doc["tables"]["audit_events"])


def test_import_into_a_database_that_is_not_empty_is_refused(app, rich):
    doc = backup.export_document()
    with pytest.raises(ValueError, match="the database is not empty"):
        backup.import_document(doc)
    db.session.remove()
    assert backup.export_document() == doc


def test_cli_import_into_a_database_that_is_not_empty_is_refused(app, rich, runner, tmp_path):
    path = tmp_path / "backup.json"
    assert runner.invoke(args=["export", str(path)]).exit_code == 0
    before = counts()
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code != 0
    assert "the database is not empty" in result.output
    db.session.remove()
    assert counts() == before


def _set(table: str, column: str, value):
    def change(doc):
        doc["tables"][table][0][column] = value

    return change


BROKEN = {
    "format": (lambda d: d.update(format="something-else"), "not a strategy-tracker export"),
    "no marker": (lambda d: d.pop("format"), "not a strategy-tracker export"),
    "version": (lambda d: d.update(version=2), "unsupported export version 2"),
    "schema": (lambda d: d.update(schema="abc123"), "schema revision 'abc123'"),
    "tables": (lambda d: d.update(tables=[]), "'tables' must be an object"),
    "unknown table": (lambda d: d["tables"].update(x=[]), "unknown table 'x'"),
    "missing table": (lambda d: d["tables"].pop("reviews"), "missing table 'reviews'"),
    "rows": (lambda d: d["tables"].update(reviews={}), "rows must be a list"),
    "row": (lambda d: d["tables"]["reviews"].append([1]), "a row must be an object"),
    "unknown column": (_set("users", "shoe_size", 44), "unknown column 'shoe_size'"),
    "missing column": (lambda d: d["tables"]["users"][0].pop("email"), "missing column 'email'"),
    "string in integer": (_set("departments", "position", "3"), "expected an integer, got '3'"),
    "float in integer": (_set("check_ins", "progress_pct", 40.5), "expected an integer"),
    "huge integer": (_set("check_ins", "progress_pct", 2**40), "out of range"),
    "impossible date": (_set("measurements", "date", "2026-13-45"), "column 'date'"),
    "date format": (_set("reviews", "date", "10/06/2026"), "expected a date YYYY-MM-DD"),
    "datetime": (_set("users", "created_at", "yesterday"), "column 'created_at'"),
    "naive datetime": (_set("users", "created_at", "2026-01-01T10:00:00"), "no UTC offset"),
    "decimal": (_set("action_plans", "budget", "lots"), "column 'budget'"),
    "decimal scale": (_set("action_plans", "budget", "1.005"), "at most 2 places"),
    "float decimal": (_set("action_plans", "budget", 1.5), "decimal number as a string"),
    "float": (_set("measurements", "value", "0.1"), "expected a number"),
    "boolean": (_set("users", "active", 1), "expected true or false"),
    "string": (_set("users", "name", 7), "expected a string"),
    "length": (_set("departments", "colour", "#" + "a" * 10), "longer than 7"),
    "null": (_set("users", "email", None), "column 'email': must not be null"),
    "foreign key": (_set("measurements", "indicator_id", 9999), "the database refused"),
    "check": (_set("nps_responses", "score", 11), "the database refused"),
    "duplicate id": (
        lambda d: d["tables"]["reviews"].append(dict(d["tables"]["reviews"][0])),
        "the database refused",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_malformed_documents_are_refused_and_nothing_is_written(app, rich, case):
    change, message = BROKEN[case]
    doc = copy.deepcopy(backup.export_document())
    change(doc)
    restart(app)
    with pytest.raises(ValueError, match=re.escape(message)):
        backup.import_document(doc)
    assert_empty()


@pytest.mark.parametrize("doc", [[], "backup", None, 42])
def test_documents_that_are_not_objects_are_refused(app, doc):
    with pytest.raises(ValueError, match="not a strategy-tracker export"):
        backup.import_document(doc)
    assert_empty()


def test_valid_document_imports_after_a_refused_one(app, rich):
    doc = backup.export_document()
    broken = copy.deepcopy(doc)
    broken["tables"]["measurements"][0]["indicator_id"] = 9999  # fails late, after inserts
    restart(app)
    with pytest.raises(ValueError, match="the database refused"):
        backup.import_document(broken)
    assert_empty()
    backup.import_document(doc)
    db.session.remove()
    assert backup.export_document() == doc


def test_an_unexpected_error_after_the_inserts_rolls_everything_back(app, rich, monkeypatch):
    doc = backup.export_document()
    restart(app)

    def fail(*_args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(backup, "_set_columns", fail)  # runs after every table is inserted
    with pytest.raises(RuntimeError, match="disk on fire"):
        backup.import_document(doc)
    assert_empty()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "Cannot import"),
        (b"\xff\xfe garbage", "Cannot import"),
        (b'{"format": "strategy-tracker-export", "version": 1}', "Cannot import"),
    ],
)
def test_cli_refuses_broken_files(app, runner, tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert_empty()


def test_cli_refuses_an_unknown_table_and_writes_nothing(app, rich, runner, tmp_path):
    doc = backup.export_document()
    doc["tables"]["secrets"] = [{"id": 1}]
    path = tmp_path / "backup.json"
    path.write_text(backup.dumps(doc), encoding="utf-8")
    restart(app)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code != 0
    assert "unknown table 'secrets'" in result.output
    assert_empty()
