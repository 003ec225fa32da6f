"""An object's audit trail told as a story: who changed what, when, in labels and names (not
columns and ids), long texts as a diff; in a bounded number of queries."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    Assessment,
    AuditEvent,
    CompanyStrategy,
    Department,
    Indicator,
    Measurement,
    NpsResponse,
    Objective,
    Review,
    ServiceStrategy,
    User,
    Webhook,
)
from strategy_app.schemas.wording import KIND_WORDS, LABELS, VALUE_WORDS
from strategy_app.services.evaluation import checklist
from strategy_app.services.plumbing.webhooks import EVENT_LABELS

LONG = 80  # characters: a longer text is shown as what was removed and added
ACTIONS = {
    "create": "created it",
    "insert": "created it",
    "update": "changed",
    "archive": "archived it",
    "restore": "restored it",
    "refused": "was refused a change",
    "delete": "deleted it",
    "variance_explained": "explained an off-track actual",
    "login": "signed in",
    "logout": "signed out",
}
# The column each kind of thing goes by: its title or name, or its date ("the review of 3 Mar
# 2026") when it has none; an actual goes by its day and its indicator's name. Change lines
# (NAMED) and the audit log (THING_NAMES) both name by it.
_INDICATOR_NAME = (
    sa.select(Indicator.name).where(Indicator.id == Measurement.indicator_id).scalar_subquery()
)
NAME_COLUMN: dict[type, Any] = {
    ActionPlan: ActionPlan.title,
    Assessment: Assessment.date,
    CompanyStrategy: CompanyStrategy.title,
    Department: Department.name,
    Indicator: Indicator.name,
    Measurement: (Measurement.date, _INDICATOR_NAME),
    NpsResponse: NpsResponse.date,
    Objective: Objective.title,
    Review: Review.date,
    ServiceStrategy: ServiceStrategy.title,
    User: User.name,
    Webhook: Webhook.name,
}
# What an id field names.
NAMED = {
    "owner_id": User,
    "author_id": User,
    "entered_by_id": User,
    "lead_id": User,
    "user_id": User,
    "assessor_id": User,
    "department_id": Department,
    "objective_id": Objective,
    "service_strategy_id": ServiceStrategy,
    "company_strategy_id": CompanyStrategy,
    "action_plan_id": ActionPlan,
    "blocked_by_id": ActionPlan,
    "indicator_id": Indicator,
    "plan_id": ActionPlan,
    "review_id": Review,
    "assessment_id": Assessment,
    "response_id": NpsResponse,
    "measurement_id": Measurement,
}
# Labels of the fields only history shows (the forms' and the API's are in wording.LABELS).
HISTORY_LABELS = {
    "active": "Active",
    "actuals_source": "Actuals come from",
    "archived_at": "Archived on",
    "assessment_id": "Assessment",
    "assessor_id": "Assessed by",
    "author_id": "Author",
    "check_in_id": "Check-in",
    "comment": "Comment",
    "corrective_action": "Corrective action",
    "customer_ref": "Customer reference",
    "display_precision": "Decimals shown",
    "entered_by_id": "Entered by",
    "events": "Sends on",
    "expected": "Expected then",
    "expires_at": "Expires on",
    "frequency": "Reminders",
    "health_element": "Service-health element",
    "last_used_at": "Last used",
    "lead_id": "Lead",
    "measurement_id": "Actual",
    "must_change_password": "Must change the password",
    "nps_segment": "NPS segment",
    "plan_id": "Plan",
    "resolved_at": "Resolved on",
    "response_id": "NPS response",
    "review_id": "Review",
    "revoked_at": "Revoked on",
    "score": "Score",
    "segment": "Segment",
    "source": "Source",
    "statement_key": "Statement",
    "token_hash": "Token",
    "url": "Address",
    "user_id": "Person",
    "value": "Value",
    "weekday": "Day of the week",
}
# Ids of things that have neither a name nor a date to tell: only that there is one.
LINKED = {"check_in_id": "posted on the plan"}
# Numbers that read better with their unit.
SUFFIXES = {"progress_pct": "%", "confidence": " of 5"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HIDDEN = frozenset({"id", "version", "updated_at", "created_at", "password_hash", "session_token"})
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Recorded so that the log can rebuild rows, but not news to a reader.
BOOKKEEPING = {"created_at", "updated_at"}


@dataclass(frozen=True)
class Change:
    """One field's before and after, in words (a long text: what was removed and added)."""

    field: str
    before: Any
    after: Any
    label: str = ""
    removed: str = ""
    added: str = ""

    @property
    def long(self) -> bool:
        return bool(self.removed or self.added)


@dataclass(frozen=True)
class Entry:
    """One event in an object's history: one change of several fields."""

    at: datetime
    who: str
    action: str
    changes: list[Change] = field(default_factory=list)

    @property
    def what(self) -> str:
        return ACTIONS.get(self.action, self.action)


def _words(value: Any) -> str | None:
    """A stored value as a person reads it: a readable date, yes/no, a list joined."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or None
    text = str(value)
    if _TIMESTAMP.match(text):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        return f"{moment.day} {moment:%b %Y, %H:%M} UTC"
    if _DAY.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return text
        return f"{day.day} {day:%b %Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return text


def _diff(before: str, after: str) -> tuple[str, str]:
    """The words removed from before and added in after."""
    a, b = before.split(), after.split()
    removed, added = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            removed.append(" ".join(a[i1:i2]))
        if op in ("insert", "replace"):
            added.append(" ".join(b[j1:j2]))
    return " … ".join(removed), " … ".join(added)


def _names_of(wanted: dict[type, set[int]]) -> dict[type, dict[int, Any]]:
    """What each wanted thing goes by (NAME_COLUMN): a name, a day, or a day and a name; one
    query per kind of thing."""
    found = {}
    for model, ids in wanted.items():
        if not ids:
            continue
        columns = NAME_COLUMN[model]
        columns = columns if isinstance(columns, tuple) else (columns,)
        rows = db.session.execute(sa.select(model.id, *columns).where(model.id.in_(ids))).all()
        found[model] = {row[0]: row[1] if len(row) == 2 else tuple(row[1:]) for row in rows}
    return found


def _name_words(value: Any) -> Any:
    """A day and a name as a person says them (an actual: "30 Nov 2026 for “Fill rate”")."""
    if isinstance(value, tuple):
        day, name = value
        return f"{_words(day.isoformat())} for “{name}”" if name else _words(day.isoformat())
    return value


def _mentioned(events, wanted: dict[type, set[int]]) -> dict[type, set[int]]:
    """wanted, with the ids the events' changes mention (owner_id, plan_id...), by model."""
    for event in events:
        changes = event.changes if isinstance(event.changes, dict) else {}
        for key, pair in changes.items():
            if key in NAMED and isinstance(pair, list):
                wanted.setdefault(NAMED[key], set()).update(v for v in pair if isinstance(v, int))
    return wanted


def _by_field(names: dict[type, dict[int, Any]]) -> dict[str, dict[int, Any]]:
    """Names by model as the change lines look them up: by the field that mentions them."""
    return {key: names.get(model, {}) for key, model in NAMED.items()}


def _coded(key: str, value: Any) -> Any:
    """A stored code in words (a plan's state, a strategy's fit, a webhook's events...)."""
    if value is None or value == "":
        return value
    if isinstance(value, list):
        return [_coded(key, v) for v in value]
    if key in VALUE_WORDS and isinstance(value, str):
        return VALUE_WORDS[key].get(value, value)
    if key == "events" and isinstance(value, str):
        return EVENT_LABELS.get(value, value)
    if key == "health_element" and isinstance(value, str):
        element = checklist.element(value)
        return element.title if element else value
    if key == "statement_key" and isinstance(value, str):
        element = checklist.element_of(value)
        found = element and next((s for s in element.statements if s.key == value), None)
        return found.text if found else value
    if key == "tolerance" and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value * 100:.10g}%"
    if key == "weekday" and isinstance(value, int) and 0 <= value < len(WEEKDAYS):
        return WEEKDAYS[value]
    if key in SUFFIXES and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{_words(value)}{SUFFIXES[key]}"
    if key in LINKED and value is not None:
        return LINKED[key]
    return value


def _change(key: str, pair: list, names: dict[str, dict[int, str]]) -> Change:
    before, after = pair
    if key in NAMED:
        known = names.get(key, {})
        before = _name_words(known.get(before, "(removed)")) if isinstance(before, int) else before
        after = _name_words(known.get(after, "(removed)")) if isinstance(after, int) else after
    else:
        before, after = _coded(key, before), _coded(key, after)
    before, after = _words(before), _words(after)
    label = HISTORY_LABELS.get(key) or LABELS.get(key)
    label = label or key.removesuffix("_id").replace("_", " ").capitalize()
    if isinstance(before, str) and isinstance(after, str) and max(len(before), len(after)) > LONG:
        removed, added = _diff(before, after)
        return Change(key, before, after, label, removed or "", added or "")
    return Change(key, before, after, label)


def history(obj: Any, limit: int = 50) -> list[Entry]:
    """The newest events about obj (its model's name and id), each a change of its fields."""
    rows = db.session.execute(
        sa.select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.entity_type == type(obj).__name__, AuditEvent.entity_id == obj.id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    names = _by_field(_names_of(_mentioned((event for event, _ in rows), {})))
    return [
        Entry(
            at=event.created_at,
            who=name or "the system",
            action=event.action,
            changes=[
                _change(k, v, names)
                for k, v in sorted((event.changes or {}).items())
                if isinstance(v, list)
                and len(v) == 2
                and k not in HIDDEN | BOOKKEEPING
                and v[0] != v[1]
            ],
        )
        for event, name in rows
    ]


# --- the whole audit log, in words (the executives' audit page) ---------------------------

# The kinds of thing the log names (by NAME_COLUMN), by the name the audit records them under.
THING_NAMES = {model.__name__: model for model in NAME_COLUMN}
# Each recorded action, as the log says it (a sentence that goes on with the thing).
LOG_ACTIONS = {
    "create": "Created",
    "insert": "Created",
    "update": "Changed",
    "archive": "Archived",
    "restore": "Restored",
    "delete": "Deleted",
    "login": "Signed in",
    "logout": "Signed out",
    "login_failed": "A sign-in failed",
    "refused": "Was refused",
    "admin_action": "Administered",
    "variance_explained": "Explained an off-track actual of",
}


def _first_up(text: str) -> str:
    """Text with its first letter a capital (not str.capitalize: "NPS response" stays)."""
    return text[:1].upper() + text[1:]


_FILTER_WORDS = {"User": "People's accounts", "ReminderPreference": "Reminder settings"}
# The kinds of thing, as the audit page's filter offers them.
FILTER_KINDS = {
    kind: _FILTER_WORDS.get(kind) or _first_up(words.split(" ", 1)[1])
    for kind, words in KIND_WORDS.items()
}
# Who signs in is the person: the log does not repeat them as the thing.
_ABOUT_THE_PERSON = {"login", "logout", "login_failed"}
# What a refused request had asked to do (policy's actions, in words).
REFUSED_WORDS = {
    "strategy": "change the strategy",
    "plan": "plan a department's work",
    "progress": "post progress on a plan",
    "measure": "enter an actual",
    "health": "record the customer's voice",
    "follow_up": "work on a follow-up",
    "admin": "administer the app",
    "api_read": "read through the API",
    "api_write": "change through the API",
    "review": "record a review",
    "restore": "restore an archived item",
}
LOG_LABELS = {
    "action": "Asked to",
    "address": "From address",
    "email": "Email typed",
    "operation": "What",
    "request": "Page",
    "throttle_rows_cleared": "Sign-in locks cleared",
    "tokens_revoked": "API tokens revoked",
}
LOG_VALUES = {
    "operation": {"reset_password": "reset the password"},
    "action": REFUSED_WORDS,
}
SECRET_LABELS = {"password_hash": "Password", "token_hash": "Token", "session_token": "Session"}
SHOWN = 200  # characters of a value shown in the log


@dataclass(frozen=True)
class LogLine:
    """One event of the audit log, told: when, who, what they did to which thing, details."""

    at: datetime
    who: str | None  # None: the system
    what: str
    thing: str  # "the plan “Re-plan routes”", "the review of 3 Mar 2026", "" (the person)
    changes: list[Change] = field(default_factory=list)


def _thing_words(value: Any) -> str:
    """A thing known by its date is "of" it (the review of 3 Mar 2026), a name is quoted, an
    actual is of its day for its indicator."""
    if isinstance(value, date):
        value = (value, None)
    return f"of {_name_words(value)}" if isinstance(value, tuple) else f"“{value}”"


def _shorter(text: Any) -> Any:
    if isinstance(text, str) and len(text) > SHOWN:
        return text[:SHOWN] + "…"
    return text


def _log_change(action: str, key: str, value: Any, names: dict) -> Change | None:
    """One recorded field, told; None for what is not news (bookkeeping, no value)."""
    if key in BOOKKEEPING or key in ("id", "version"):
        return None
    if key in SECRET_LABELS:  # never shown, only that it changed
        return Change(key, None, "changed" if action != "create" else "set", SECRET_LABELS[key])
    if isinstance(value, list) and len(value) == 2:
        before, after = value
        if action in ("create", "insert"):
            before = None
        elif action == "delete":
            before, after = None, before
        if before == after or (before in (None, "") and after in (None, "")):
            return None
        told = _change(key, [before, after], names)
        if told.long and action in ("create", "insert", "delete"):
            told = Change(key, None, told.after, told.label)
        return Change(
            told.field,
            _shorter(told.before),
            _shorter(told.after),
            told.label,
            _shorter(told.removed),
            _shorter(told.added),
        )
    if isinstance(value, dict | list):
        value = (
            ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else value
        )
    words = LOG_VALUES.get(key, {}).get(value, value) if isinstance(value, str) else value
    label = LOG_LABELS.get(key) or HISTORY_LABELS.get(key) or LABELS.get(key)
    label = label or key.removesuffix("_id").replace("_", " ").capitalize()
    return Change(key, None, _shorter(_words(words)), label)


def log_lines(events: list[AuditEvent]) -> list[LogLine]:
    """The events told as the audit page shows them, in a few queries whatever their number:
    one per kind of thing they name (who did it, what it was about, the ids of its changes)."""
    wanted: dict[type, set[int]] = {User: {e.user_id for e in events if e.user_id is not None}}
    for e in events:
        if e.entity_type in THING_NAMES and e.entity_id is not None:
            wanted.setdefault(THING_NAMES[e.entity_type], set()).add(e.entity_id)
    found = _names_of(_mentioned(events, wanted))  # one query per kind, people included
    who, names = found.get(User, {}), _by_field(found)
    lines = []
    for e in events:
        thing = ""
        if e.action not in _ABOUT_THE_PERSON and e.entity_type in KIND_WORDS:
            thing = KIND_WORDS[e.entity_type]
            name = found.get(THING_NAMES.get(e.entity_type), {}).get(e.entity_id)
            if name not in (None, ""):
                thing = f"{thing} {_thing_words(name)}"
            elif e.entity_type in THING_NAMES and e.entity_id is not None:
                thing = f"{thing} (since deleted)"
        changes = e.changes if isinstance(e.changes, dict) else {"detail": e.changes}
        told = [_log_change(e.action, str(k), v, names) for k, v in changes.items()]
        lines.append(
            LogLine(
                at=e.created_at,
                who=who.get(e.user_id, "a deleted account") if e.user_id is not None else None,
                what=LOG_ACTIONS.get(e.action, e.action.replace("_", " ").capitalize()),
                thing=thing,
                changes=[c for c in told if c is not None],
            )
        )
    return lines
