"""Every audited kind of thing: its history panel in labels, names and words (issue 15).

For each model the audit log records, an "update" event changes every one of its fields at
once (codes from the model's own list of allowed values, ids of real rows, timestamps), and
the history panel rendered from it must show no column name, no id, no code and no raw
timestamp: each field under its label, each id as the name (or date) of what it points to,
each code in words. Then the variance explanation event, which carries fields of its own.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import render_template

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    Assessment,
    AuditEvent,
    CheckIn,
    Measurement,
    NpsResponse,
    Review,
)
from strategy_app.models.reminders import WEBHOOK_EVENTS
from strategy_app.services.evaluation import checklist
from strategy_app.services.plumbing.audit import SKIPPED_FIELDS, set_actor
from strategy_app.services.reads.history import BOOKKEEPING, HIDDEN, history

FAKE_ID = 987_654
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\+00:00")


def audited_models() -> list[type]:
    return sorted(
        (
            m.class_
            for m in db.Model.registry.mappers
            if getattr(m.class_, "__audit__", True) and m.class_ is not AuditEvent
        ),
        key=lambda c: c.__name__,
    )


def codes_of(model: type, key: str) -> tuple[str, ...]:
    """The allowed values of a coded column, read from its CHECK constraint."""
    for constraint in model.__table__.constraints:
        if isinstance(constraint, sa.CheckConstraint):
            text = str(constraint.sqltext)
            if re.match(rf"\s*{key}\s+IN\s*\(", text):
                return tuple(re.findall(r"'([^']+)'", text))
    return ()


@pytest.fixture
def world(app, make):
    """Two of everything a field can point to, so that each id has a name to show."""
    sales, logistics = make.department("sales", name="Sales"), make.department("log")
    make.user("executive", name="Erin Exec", email="e@example.test")
    make.user("lead", sales, name="Lee Lead", email="l@example.test")
    cs = [make.company_strategy(title=f"Company {n}", position=n) for n in range(2)]
    ss = [make.service_strategy(title=f"Service {n}") for n in range(2)]
    objectives = [make.objective(ss[n], title=f"Objective {n}") for n in range(2)]
    plans = [make.plan(objectives[0], (sales, logistics)[n], title=f"Plan {n}") for n in range(2)]
    make.indicator(plans[0], name="Indicator 0", actuals=[(date(2026, 3, 1), 5)])
    make.indicator(objectives[0], name="Indicator 1", actuals=[(date(2026, 4, 1), 6)])
    for n in range(2):
        db.session.add(Review(date=date(2026, 3, 1 + n), notes=""))
        db.session.add(Assessment(date=date(2026, 4, 1 + n), notes=""))
        db.session.add(NpsResponse(date=date(2026, 5, 1 + n), score=9, segment="chains"))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Measurement.id))) == 2
    return cs


def _pair(model: type, column: sa.Column) -> list:
    """A before and an after for this column, as the audit log keeps them."""
    key = column.key
    if column.foreign_keys:
        (fk,) = column.foreign_keys
        ids = db.session.scalars(sa.select(fk.column).order_by(fk.column).limit(2)).all()
        assert len(ids) == 2, f"the world needs two rows of {fk.column.table.name}"
        return list(ids)
    codes = codes_of(model, key)
    if codes:
        return [codes[0], codes[-1]]
    if key == "events":
        return [list(WEBHOOK_EVENTS[:1]), list(WEBHOOK_EVENTS[1:3])]
    if key == "health_element":
        return [checklist.ELEMENTS[0].key, checklist.ELEMENTS[1].key]
    if key == "statement_key":
        return [checklist.statement_keys()[0], checklist.statement_keys()[1]]
    kind = column.type
    if isinstance(kind, sa.JSON):
        return [["first"], ["first", "second"]]
    if isinstance(kind, sa.DateTime) or key.endswith("_at"):
        return [None, datetime(2026, 12, 6, 8, 16, 9, 94682, tzinfo=UTC).isoformat()]
    if isinstance(kind, sa.Date):
        return ["2026-01-01", "2026-06-30"]
    if isinstance(kind, sa.Boolean):
        return [False, True]
    if isinstance(kind, sa.Integer):
        return [1, 3]
    if isinstance(kind, sa.Float | sa.Numeric):
        return [0.1, 0.25]
    return ["before words", "after words"]


def _panel(entity_type: str) -> tuple[list, str]:
    obj = type(entity_type, (SimpleNamespace,), {})(id=FAKE_ID)
    entries = history(obj)
    page = render_template("_history.html", entries=entries)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return entries, re.sub(r"\s+", " ", text)


def _check(entity_type: str, entries: list, text: str, coded: dict, ids: set) -> list[str]:
    problems = []
    if SNAKE.search(text):
        problems.append(f"{entity_type}: a column name or code on screen: {SNAKE.findall(text)}")
    if ISO_MOMENT.search(text):
        problems.append(f"{entity_type}: a raw timestamp: {ISO_MOMENT.findall(text)}")
    for entry in entries:
        if "_" in entry.what:
            problems.append(f"{entity_type}: the action {entry.what!r}")
        for c in entry.changes:
            if "_" in c.label or c.label == c.field:
                problems.append(f"{entity_type}: {c.field} labelled {c.label!r}")
            for value in (c.before, c.after):
                if c.field in ids and value is not None and str(value).isdigit():
                    problems.append(f"{entity_type}: {c.field} shown as the id {value}")
                if value in coded.get(c.field, ()):
                    problems.append(f"{entity_type}: {c.field} shown as the code {value!r}")
    return problems


def test_every_audited_kind_of_thing_has_a_history_in_words(app, world):
    problems: list[str] = []
    with app.test_request_context():
        for model in audited_models():
            columns = [
                c
                for c in model.__table__.columns
                if c.key not in SKIPPED_FIELDS | HIDDEN | BOOKKEEPING
            ]
            changes = {c.key: _pair(model, c) for c in columns}
            db.session.add(
                AuditEvent(
                    action="update",
                    entity_type=model.__name__,
                    entity_id=FAKE_ID,
                    changes=changes,
                )
            )
            db.session.commit()
            entries, text = _panel(model.__name__)
            shown = {c.field for e in entries for c in e.changes}
            secret = {"password_hash", "session_token", "token_hash"}
            missing = set(changes) - shown - secret
            if missing:
                problems.append(f"{model.__name__}: changes not shown: {sorted(missing)}")
            coded = {c.key: codes_of(model, c.key) for c in columns}
            ids = {c.key for c in columns if c.foreign_keys}
            problems += _check(model.__name__, entries, text, coded, ids)
    assert not problems, "\n".join(problems)


def test_an_explained_off_track_actual_reads_as_a_story(app, world):
    plan = db.session.scalars(sa.select(ActionPlan)).first()
    check_in = CheckIn(action_plan=plan, state="in_progress", progress_pct=10, text="x")
    db.session.add(check_in)
    db.session.commit()
    changes = {
        "date": [None, "2026-06-15"],
        "value": [None, 10.0],
        "expected": [None, 42.5],
        "explanation": [None, "Two agents were on leave."],
        "corrective_action": [None, "check_in"],
        "action": [None, "Train two more."],
        "check_in_id": [None, check_in.id],
        "action_plan_id": [None, plan.id],
    }
    db.session.add(
        AuditEvent(
            action="variance_explained",
            entity_type="Indicator",
            entity_id=FAKE_ID,
            changes=changes,
        )
    )
    db.session.commit()
    with app.test_request_context():
        entries, text = _panel("Indicator")
    (entry,) = entries
    assert entry.what == "explained an off-track actual"
    by_label = {c.label: c.after for c in entry.changes}
    assert by_label["Corrective action"] == "A check-in on the plan"
    assert by_label["Check-in"] == "posted on the plan"
    assert by_label["Action plan"] == plan.title
    assert by_label["Date"] == "15 Jun 2026"
    problems = _check(
        "Indicator", entries, text, {"corrective_action": ("check_in",)}, {"check_in_id"}
    )
    assert not problems, problems


def test_plan_states_in_a_plan_history_are_words(client, login, make):
    boss = make.user("executive", name="Erin Exec", email="e@example.test")
    set_actor(db.session, boss.id)
    plan = make.plan(state="planned")
    db.session.commit()
    plan.state, plan.progress_pct = "in_progress", 40
    db.session.commit()
    login(boss)
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    section = page.split('id="history-h"', 1)[1].split("</section>", 1)[0]
    assert "State: Planned → In progress" in section
    assert "Progress: 0% → 40%" in section
    assert "in_progress" not in section.replace('data-action="', "")
