"""Hostile values in every field of every HTML form: never a 500, and nothing written.

DESIGN §6: "Bad input anywhere gets a clear 4xx and changes nothing". For each route of the
app that takes a POST (outside the JSON API, which has its own tests) the test signs in as an
executive on a small world of real objects, finds a page showing a form that posts to the
route by following the app's own links, reads the form's fields from the HTML, and posts the
form again and again with one field replaced by a hostile value (or left out, or sent twice),
and to the route with a hostile id in its path. Every answer must be below 500. When the app
refuses (4xx, or the form shown again), no row of any table may have changed; when it accepts
(a redirect), what it stored must be exactly what was sent, and the pages showing it must
escape it. Forms that only appear after a first post (the CSV preview's "save" step, the
explanation asked for an off-track actual) are found in the answers and posted in the same way.
The CSV import also gets hostile files (binary, too large, wrong encodings, formula cells), and
every filter form (GET) the same hostile values in its query string.

Speed: the world is built once per worker and every accepted post is undone row by row; a
listener on the engine tells whether a post committed any write, so the whole database is
compared only when it did (and after each field's cases, as a safety net).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import quote, quote_from_bytes, urljoin, urlsplit

import openpyxl
import pytest
import sqlalchemy as sa
from flask import g
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from strategy_app import create_app
from strategy_app.extensions import db
from strategy_app.models import (
    ApiToken,
    Assessment,
    AssessmentAnswer,
    FollowUp,
    NpsResponse,
    PlanDependency,
    Review,
    ReviewDecision,
    User,
)
from strategy_app.models.base import utcnow
from strategy_app.services.dataio.checklist import statement_keys
from strategy_app.services.plumbing import data_version
from strategy_app.services.plumbing.audit import set_actor
from strategy_app.services.writes.tokens import token_hash
from tests import factories
from tests.conftest import RequestClient, make_config, wipe
from tests.sweep_world import reminder_objects

XSS = "<script>alert(1)</script>"
LONG = "x" * 100_000
BAD_UTF8 = b"\xff\xfe bad \xed\xa0\x80 utf-8 \xc3"  # invalid bytes, an encoded lone surrogate
NEW_PASSWORD = "a brand new passphrase for 2026"

# (label, value): a str is sent as form text, bytes go raw into the body (not UTF-8).
HOSTILE: list[tuple[str, str | bytes]] = [
    ("100k chars", LONG),
    ("script", XSS),
    ("sql", "'; DROP TABLE users; --"),
    ("emoji", "👩🏽‍💻"),
    ("nul", "nul\x00byte"),
    ("invalid utf-8", BAD_UTF8),
    ("NaN", "NaN"),
    ("inf", "inf"),
    ("-1e309", "-1e309"),
    ("-999999999999", "-999999999999"),
    ("1e400", "1e400"),
    ("9999-12-31", "9999-12-31"),
    ("0000-00-00", "0000-00-00"),
    ("2026-02-30", "2026-02-30"),
    ("unknown id", "999999999"),
    ("huge int", "99999999999999999999"),
    ("empty", ""),
]
MISSING, REPEATED = object(), object()  # the field left out; sent twice (as shown, a script)
CASES = [*HOSTILE, ("missing", MISSING), ("repeated", REPEATED)]
# Ids in the path: unknown, out of the converter's range, not a number.
HOSTILE_PATH_IDS = ("999999999", "0", "-1", "99999999999999999999", "abc", "1e3")

# Bookkeeping that any request may change (the audit log records refusals too; sign-in
# counters; rate limits). Everything else must stay exactly as it was.
SKIP_TABLES = frozenset(
    {"audit_events", "data_changes", "data_versions", "login_throttles", "rate_limit_buckets"}
)
SKIP_COLUMNS = {
    "users": frozenset(
        {"failed_logins", "locked_until", "last_login_at", "session_token", "updated_at"}
    )
}
# Fields not stored as typed: a password is hashed, a version compared, a button or a carried
# preview acts, a number of days becomes an expiry time, a choice picks what is written.
NOT_STORED = re.compile(
    r"(^|-)(csrf_token|version|original|password|current_password|new_password|confirm|"
    r"checked|explaining|preview|save|add_row|add_decision|submit|days|kind|csv_text|"
    r"csv_file)$"
)
# Routes that answer 200 with a page showing what they made (a secret shown once).
WRITES_WITH_200 = frozenset({"account.create_token", "admin.new_user", "admin.reset_password"})
# Pages that show what was stored, rendered after hostile text was accepted: the page the
# app redirected to, the form's page, these, and the pages of the form's part of the app.
SHOWN_ON = ("/", "/strategy/", "/admin/audit")
SHOWN_ON_BY_PART = {
    "strategy": ("/strategy-map/", "/reports/alignment", "/reports/matrix", "service"),
    "objectives": ("/objectives/", "/timeline/", "/reports/matrix", "objective", "indicators"),
    "plans": ("/plans/", "/timeline/", "/reports/my-updates", "plan", "/departments/sales"),
    "actuals": ("indicators", "plan", "/exports/report", "/reports/my-updates"),
    "admin": ("/admin/users", "/admin/departments", "/departments/", "/departments/sales"),
    "account": ("/account/",),
    "meetings": ("/meeting",),
}
# Links the crawl does not follow: downloads, the API, static files.
NOT_CRAWLED = re.compile(r"^/(api/|static/|assets/|bootstrap/|exports/.+\.|favicon)")
# First posts whose answer shows a further form (the second step of a two-step form).
STEP_TWO = {
    "actuals.new": [{"value": "1"}],  # off track: the explanation is asked for
    "actuals.upload": [
        {"csv_text": "2026-05-01,60,on track"},
        {"csv_text": "2026-05-01,1,off track"},  # ... with the explanation
    ],
    "nps.import_csv": [{"csv_text": "2026-05-01,4,chains,C-1,from the test"}],
}


def _overrides(endpoint: str, w) -> dict[str, str]:
    """Where the page's defaults would not make a valid form (see baseline())."""
    return {
        "auth.login": {"email": w.executive_email},
        "plans.new": {"owner_id": ""},  # the first user is not of the first department
        "plans.dependency_add": {"blocked_by_id": str(w.third_plan)},  # not yet a blocker
        "nps.import_csv": {"csv_text": "2026-05-01,4,chains,C-1,from the test"},
        "admin.webhook_add": {"url": "https://203.0.113.10/hook"},  # not resolved: an IP
        "health.assessment_new": {"score_systems_1": "2"},  # every statement starts unanswered
    }.get(endpoint, {})


def _post_endpoints() -> list[str]:
    """Every endpoint of the HTML app that takes a POST (the JSON API is tested elsewhere)."""
    app = create_app(make_config("sqlite://"))
    return sorted(
        {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if "POST" in (rule.methods or ()) and not rule.endpoint.startswith("api.")
        }
    )


POST_ENDPOINTS = _post_endpoints()
# Reached from the link in a reminder e-mail, not from a page; tests/test_reminders.py posts
# forged and hostile tokens to it.
POST_ENDPOINTS.remove("account.unsubscribe_confirm")


# --- reading forms from HTML ------------------------------------------------------------------


@dataclass
class Control:
    name: str
    kind: str  # the input's type, "select", "textarea", "button"
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)
    selected: str | None = None


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    controls: list[Control] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(c.name for c in self.controls if c.name))

    @property
    def key(self) -> tuple:
        return (urlsplit(self.action).path, tuple(sorted(self.names)))

    @property
    def files(self) -> set[str]:
        return {c.name for c in self.controls if c.kind == "file"}


class PageParser(HTMLParser):
    """Every <form> of a page with its controls as a browser sees them, and every link."""

    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: Control | None = None
        self._textarea: Control | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, a["href"]))
        if tag == "form":
            self._form = Form(
                action=urljoin(self.url, a.get("action") or self.url),
                method=(a.get("method") or "get").lower(),
                enctype=a.get("enctype") or "application/x-www-form-urlencoded",
            )
            self.forms.append(self._form)
            return
        form, name = self._form, a.get("name", "")
        if form is None:
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            kind = "button" if kind in ("submit", "image", "reset") else kind
            if name or kind == "button":
                form.controls.append(Control(name, kind, a.get("value", ""), "checked" in a))
        elif tag == "button" and (a.get("type") or "submit").lower() == "submit":
            form.controls.append(Control(name, "button", a.get("value", "")))
        elif tag == "select" and name:
            self._select = Control(name, "select")
            form.controls.append(self._select)
        elif tag == "option" and self._select is not None and "value" in a:
            self._select.options.append(a["value"])
            if "selected" in a:
                self._select.selected = a["value"]
        elif tag == "textarea" and name:
            self._textarea = Control(name, "textarea")
            form.controls.append(self._textarea)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            if self._select.selected is None:
                options = self._select.options
                self._select.selected = options[0] if options else ""
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            value = self._textarea.value  # a textarea's first newline is not its value
            for newline in ("\r\n", "\n"):
                if value.startswith(newline):
                    value = value[len(newline) :]
                    break
            self._textarea.value = value
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data


def parse_page(url: str, body: str) -> PageParser:
    parser = PageParser(url)
    parser.feed(body)
    parser.close()
    return parser


# --- filling a form as a careful user would ---------------------------------------------------

DATE_FILL = {
    "start_date": "2026-02-01",
    "due_date": "2026-11-30",
    "period_start": "2026-01-01",
    "period_end": "2026-12-31",
    "baseline_date": "2026-01-01",
    "target_date": "2026-12-31",
    "date": "2026-05-01",
}
TEXT_FILL = {
    "title": "Title filled in by the hostile-form test",
    "name": "Name filled in by the hostile-form test",
    "text": "Text filled in by the hostile-form test",
    "email": "new.person@example.test",
    "slug": "new-dept",
    "value": "50",
    "baseline_value": "0",
    "target_value": "100",
    "expected_value": "50",
    "tolerance": "0.1",
    "score": "3",
    "csv_text": "2026-05-01,60,from the test",
    "current_password": factories.PASSWORD,
    "password": factories.PASSWORD,
    "new_password": NEW_PASSWORD,
    "confirm": NEW_PASSWORD,
    "explanation": "A supplier failed us.",
    "action": "Find a second supplier by July.",
    "colour": "#336699",
}
LATER_ROW = re.compile(r"-([1-9]\d*)-")  # a FieldList row after the first: left blank


def baseline(form: Form, overrides: dict | None = None) -> list[tuple[str, str]]:
    """The form as a user would send it: what is shown, sensible values in empty fields, and
    the first submit button (pressing Enter); blank rows of a list stay blank but the first."""
    pairs: list[tuple[str, str]] = []
    first_button = next((c for c in form.controls if c.kind == "button"), None)
    radios_done: set[str] = set()
    for c in form.controls:
        if not c.name or c.kind == "file" or (c.kind == "button" and c is not first_button):
            continue
        if c.kind == "button":
            pairs.append((c.name, c.value))
        elif c.kind == "checkbox":
            if c.checked:
                pairs.append((c.name, c.value or "on"))
        elif c.kind == "radio":
            if c.name not in radios_done:
                group = [r for r in form.controls if r.name == c.name]
                pairs.append((c.name, next((r for r in group if r.checked), group[0]).value))
                radios_done.add(c.name)
        else:
            value = (c.selected if c.kind == "select" else c.value) or ""
            short = c.name.rsplit("-", 1)[-1]
            if not value and not LATER_ROW.search(c.name):
                if c.kind == "select":
                    value = next((o for o in c.options if o), "")
                elif c.kind == "date" or short in DATE_FILL:
                    value = DATE_FILL.get(short, "2026-03-01")
                else:
                    value = TEXT_FILL.get(short, "")
            pairs.append((c.name, value))
    for name, value in (overrides or {}).items():
        pairs = replace(pairs, name, value)
    return pairs


def replace(pairs, name, value):
    """The pairs with the value of name replaced (MISSING: left out; REPEATED: the value as
    it was and then a script, both sent)."""
    out, placed = [], False
    for k, v in pairs:
        if k != name:
            out.append((k, v))
        elif not placed:
            placed = True
            if value is REPEATED:
                out += [(k, v), (k, XSS)]
            elif value is not MISSING:
                out.append((k, value))
    if not placed and value is REPEATED:
        out += [(name, XSS), (name, XSS)]
    elif not placed and value is not MISSING:
        out.append((name, value))
    return out


def _enc(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else quote(value, safe="").encode("ascii")


def urlencoded(pairs) -> bytes:
    """The body a browser sends; a bytes value goes in raw, not percent-encoded."""
    return b"&".join(_enc(k) + b"=" + _enc(v) for k, v in pairs)


def multipart(pairs, files: set[str]) -> tuple[bytes, str]:
    """A multipart/form-data body; a file field's value is the file's contents."""
    boundary = "hostileformboundary7MA4YWxkTrZu0gW"
    out = io.BytesIO()
    for k, v in pairs:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"'.encode())
        if k in files:
            out.write(b'; filename="hostile.csv"\r\nContent-Type: text/csv')
        out.write(b"\r\n\r\n")
        out.write(v if isinstance(v, bytes) else v.encode("utf-8", "surrogatepass"))
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


# --- the database before and after ------------------------------------------------------------


def snapshot() -> dict[str, dict[int, dict]]:
    """Every committed row of every domain table, by table and id (raw values: quick)."""
    db.session.remove()  # as at the end of a request: what was not committed is gone
    rows: dict[str, dict[int, dict]] = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in SKIP_TABLES:
                continue
            skip = SKIP_COLUMNS.get(table.name, frozenset())
            names = [c.name for c in table.columns if c.name not in skip]
            cols = ", ".join(f'"{n}"' for n in names)
            result = conn.exec_driver_sql(f'SELECT {cols} FROM "{table.name}"')
            at = names.index("id")
            rows[table.name] = {r[at]: dict(zip(names, r, strict=True)) for r in result}
    return rows


def diff(before, after) -> dict[str, dict]:
    """What changed: {table: {"new": [rows], "gone": [ids], "changed": {id: {col: (a, b)}}}}."""
    out = {}
    for table, rows in after.items():
        old = before.get(table, {})
        new = [rows[i] for i in rows.keys() - old.keys()]
        gone = sorted(old.keys() - rows.keys())
        changed = {}
        for i in rows.keys() & old.keys():
            cols = {k: (old[i][k], v) for k, v in rows[i].items() if old[i][k] != v}
            if cols:
                changed[i] = cols
        if new or gone or changed:
            out[table] = {"new": new, "gone": gone, "changed": changed}
    return out


def describe(changes) -> str:
    parts = []
    for table, c in changes.items():
        bits = [f"{len(c['new'])} new"] if c["new"] else []
        bits += [f"{len(c['gone'])} deleted"] if c["gone"] else []
        bits += [f"#{i} {sorted(cols)}" for i, cols in c["changed"].items()]
        parts.append(f"{table}: {', '.join(bits)}")
    return "; ".join(parts)


def _raw(row: dict, dialect: str) -> dict:
    if dialect != "postgresql":
        return row
    from psycopg.types.json import Json

    return {k: Json(v) if isinstance(v, dict | list) else v for k, v in row.items()}


def restore(before, now) -> None:
    """Undo the difference between two snapshots in plain SQL: changed rows get their old
    values back, new rows go (children first), removed rows come back (parents first)."""
    tables = [t.name for t in db.metadata.sorted_tables if t.name in before]
    with db.engine.begin() as conn:
        dialect = conn.dialect.name
        for table in tables:
            old, cur = before[table], now.get(table, {})
            for i in sorted(old.keys() & cur.keys()):
                if old[i] != cur[i]:
                    sets = ", ".join(f'"{k}" = :{k}' for k in old[i] if k != "id")
                    sql = f'UPDATE "{table}" SET {sets} WHERE id = :id'
                    conn.execute(sa.text(sql), _raw(old[i], dialect))
        for table in reversed(tables):
            gone = sorted(now.get(table, {}).keys() - before[table].keys())
            if gone:
                ids = ", ".join(str(int(i)) for i in gone)
                conn.execute(sa.text(f'DELETE FROM "{table}" WHERE id IN ({ids})'))
        for table in tables:
            for i in sorted(before[table].keys() - now.get(table, {}).keys()):
                row = before[table][i]
                cols, marks = ", ".join(f'"{k}"' for k in row), ", ".join(f":{k}" for k in row)
                sql = f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'
                conn.execute(sa.text(sql), _raw(row, dialect))
        # Plain SQL passes by the audit hook: say that everything changed, as a restore from
        # a backup does, so that no figure kept under the data version outlives the undo.
        data_version.bump(conn)


_WRITE = re.compile(
    r"\s*(?:insert\s+(?:or\s+\w+\s+)?into|update|delete\s+from|replace\s+into)\s+\"?(\w+)", re.I
)
_OTHER_WRITE = re.compile(r"\s*(?:with|insert|update|delete|replace|truncate|alter|drop)\b", re.I)


class WriteWatch:
    """Whether a write to a domain table was committed since last asked (so a refused post
    that wrote nothing needs no comparison of the whole database)."""

    def __init__(self, engine):
        self.committed = False
        self.engine = engine
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        sa.event.listen(engine, "commit", self._commit)
        sa.event.listen(engine, "rollback", self._rollback)

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._statement)
        sa.event.remove(self.engine, "commit", self._commit)
        sa.event.remove(self.engine, "rollback", self._rollback)

    def _statement(self, conn, cursor, statement, params, context, executemany):
        m = _WRITE.match(statement)
        if m and m.group(1).lower() in SKIP_TABLES:
            return
        if m or _OTHER_WRITE.match(statement):
            conn.info["hostile_write"] = True
            if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                self.committed = True

    def _commit(self, conn):
        if conn.info.pop("hostile_write", False):
            self.committed = True

    def _rollback(self, conn):
        conn.info.pop("hostile_write", None)

    def take(self) -> bool:
        committed, self.committed = self.committed, False
        return committed


def _flatten(value):
    if isinstance(value, str) and value[:1] in ("[", "{"):
        with contextlib.suppress(ValueError):
            value = json.loads(value)  # a JSON column read raw
    if isinstance(value, dict):
        for v in value.values():
            yield from _flatten(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _flatten(v)
    else:
        yield value


def written_values(changes) -> list:
    """Every value a change wrote (a new row: all its columns; a changed row: new values)."""
    values = []
    for change in changes.values():
        for row in change["new"]:
            values += list(_flatten(list(row.values())))
        for cols in change["changed"].values():
            values += list(_flatten([b for _, b in cols.values()]))
    return values


def signature(changes, before) -> list:
    """What a write did, without what differs each time: ids and times of new rows, and
    references to them (so that two posts that stored the same values compare equal)."""
    refs = {}
    for table in db.metadata.sorted_tables:
        for col in table.columns:
            for fk in col.foreign_keys:
                refs[(table.name, col.name)] = fk.column.table.name
    out = []
    for table, c in sorted(changes.items()):
        for row in c["new"]:
            kept = {}
            for k, v in row.items():
                if k == "id" or k.endswith("_at"):
                    continue
                ref = refs.get((table, k))
                kept[k] = "<new>" if ref and v is not None and v not in before[ref] else v
            out.append((table, "new", sorted(kept.items(), key=repr)))
        out += [(table, "gone", i) for i in c["gone"]]
        for i, cols in sorted(c["changed"].items()):
            kept = {k: v for k, v in cols.items() if not k.endswith("_at")}
            out.append((table, "changed", i, sorted(kept.items(), key=repr)))
    return sorted(out, key=repr)


def stored_as_sent(sent: str, values) -> bool:
    """Whether sent is among the written values whole (as text, a number or a date; in a
    longer text too, as when an explanation is added to an actual's note)."""
    try:
        number = float(sent)
    except ValueError:
        number = math.nan
    for v in values:
        if isinstance(v, str) and sent in v:
            return True
        if isinstance(v, bool) or not math.isfinite(number):
            continue
        if isinstance(v, int | float | Decimal) and float(v) == number:
            return True
        if isinstance(v, date) and not isinstance(v, datetime) and v.isoformat() == sent:
            return True
    return False


# --- the world ----------------------------------------------------------------------------------


def build_world() -> SimpleNamespace:
    """A little of everything, live and archived, so that every form shows somewhere."""
    make, now = factories, utcnow()
    w = SimpleNamespace()
    make.organization()
    w.sales = make.department("sales", service_role="Takes the orders.", colour="#1f77b4")
    w.logistics = make.department("logistics", service_role="Delivers.")
    w.old_department = make.department("old-dept", archived_at=now)
    w.executive = make.user("executive", email="exec@example.test", name="Erin Exec")
    w.lead = make.user("lead", w.sales, email="lead@example.test", name="Lee Lead")
    w.member = make.user("member", w.sales, email="member@example.test", name="Mo Member")
    w.gone = make.user("member", w.logistics, email="gone@example.test", active=False)
    w.sales.lead_id = w.lead.id
    w.company = make.company_strategy(title="Grow sales", description="Sell more.")
    w.old_company = make.company_strategy(title="Old strategy", archived_at=now)
    w.service = make.service_strategy(
        links=[(w.company, "supports")],
        title="Serve every order on time",
        statement="On time, complete.",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    w.old_service = make.service_strategy(title="Old service", archived_at=now)
    w.objective = make.objective(
        w.service,
        title="Deliver on time",
        owner_id=w.executive.id,
        start_date=date(2026, 1, 1),
        due_date=date(2026, 12, 31),
        tags=["moment of truth: delivery"],
    )
    w.old_objective = make.objective(w.service, title="Old objective", archived_at=now)
    w.plan = make.plan(
        w.objective,
        w.sales,
        title="Call every late order",
        owner_id=w.member.id,
        state="in_progress",
        progress_pct=40,
        start_date=date(2026, 2, 1),
        due_date=date(2026, 11, 30),
        budget=1000,
    )
    w.other_plan = make.plan(w.objective, w.logistics, title="New trucks", state="planned")
    w.third_plan = make.plan(w.objective, w.logistics, title="Hire drivers", state="planned")
    w.old_plan = make.plan(w.objective, w.sales, title="Old plan", archived_at=now)
    db.session.add(PlanDependency(plan=w.plan, blocked_by=w.other_plan, note="trucks"))
    w.objective_indicator = make.indicator(
        w.objective,
        name="Orders on time",
        unit="%",
        milestones=[(date(2026, 6, 1), 50.0)],
        actuals=[(date(2026, 4, 1), 30.0)],
    )
    w.old_indicator = make.indicator(w.objective, name="Old indicator", archived_at=now)
    w.plan_indicator = make.indicator(
        w.plan, name="Late orders called", unit="%", actuals=[(date(2026, 4, 1), 35.0)]
    )
    token = ApiToken(user=w.executive, name="CRM", scope="read", token_hash=token_hash("stk_x"))
    w.review = Review(date=date(2026, 5, 1), attendees="Erin, Lee", notes="Late orders.")
    w.review.decisions = [ReviewDecision(text="Call the late orders", action_plan=w.plan)]
    w.old_review = Review(date=date(2026, 3, 1), notes="Old", archived_at=now)
    w.assessment = Assessment(date=date(2026, 5, 1), assessor=w.executive, notes="First.")
    # 1 of 4: its element is weak (25 of 100), so its page offers to make a plan of it
    w.assessment.answers = [AssessmentAnswer(statement_key=statement_keys()[0], score=1)]
    w.response = NpsResponse(date=date(2026, 5, 2), score=3, segment="retail", comment="Late.")
    w.follow_up = FollowUp(response=w.response, owner=w.lead, note="Call them.")
    w.promoter = NpsResponse(date=date(2026, 5, 3), score=10, segment="retail")
    db.session.add_all([token, w.review, w.old_review, w.assessment, w.response, w.promoter])
    reminder_objects()  # a webhook and a failed delivery: their admin forms show
    db.session.commit()
    ids = SimpleNamespace(**{k: v.id for k, v in vars(w).items()})
    ids.executive_email = w.executive.email
    return ids


def world_pages(w) -> list[str]:
    """Where the crawl starts: the dashboard and each object's page, archived ones too."""
    return [
        "/",
        f"/objectives/{w.objective}",
        f"/objectives/{w.old_objective}",
        f"/objectives/indicators/{w.objective_indicator}",
        f"/objectives/indicators/{w.old_indicator}",
        f"/plans/{w.plan}",
        f"/plans/{w.old_plan}",
        f"/strategy/service/{w.service}",
        f"/strategy/service/{w.old_service}",
        f"/admin/users/{w.gone}/edit",
    ]


# --- per worker: the app, the world, and what the crawl found ----------------------------------


class Shared:
    """What the tests of one worker share: the app, the world and the pages crawled."""

    def __init__(self, app):
        self.app = app
        self.adapter = app.url_map.bind("localhost")
        self.world = None
        self.before = None
        self.forms: dict[str, dict[tuple, tuple[str, Form]]] = {}  # endpoint: {key: (page, form)}
        self.get_forms: dict[tuple, tuple[str, Form]] = {}  # filters: {key: (page, form)}
        self.queue: deque[str] = deque()
        self.seen: set[str] = set()
        self.queued: set[str] = set()
        self.per_path: dict[str, int] = {}

    def endpoint_of(self, url: str, method: str = "GET") -> tuple[str | None, dict]:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None, {}
        try:
            return self.adapter.match(parts.path, method=method)
        except (HTTPException, RequestRedirect):
            return None, {}

    def ensure_world(self) -> None:
        """The world as built (rebuilt when a test left anything changed, or at first)."""
        vars(g).clear()
        if self.before is not None and snapshot() == self.before:
            return
        db.session.remove()
        wipe(self.app)
        set_actor(db.session, None)
        self.world = build_world()
        self.before = snapshot()
        self.queue = deque(world_pages(self.world))
        self.queued = set(self.queue)
        self.seen.clear()
        self.forms.clear()
        self.get_forms.clear()

    def crawl(self, client, endpoint: str | None, limit: int = 400) -> None:
        """Follow links (breadth first, the endpoint's part of the app first) until a page
        shows a form posting to endpoint (None: until every page was seen)."""
        part = endpoint.split(".")[0] if endpoint else None
        fetched = 0
        while self.queue and fetched < limit and (endpoint is None or endpoint not in self.forms):
            url = self.queue.popleft()
            if url in self.seen:
                continue
            self.seen.add(url)
            fetched += 1
            r = client.get(url)
            if r.status_code != 200 or r.mimetype != "text/html":
                continue
            page = parse_page(url, r.get_data(as_text=True))
            for form in page.forms:
                ep, _ = self.endpoint_of(form.action, "POST")
                if form.method == "post" and ep:
                    self.forms.setdefault(ep, {}).setdefault(form.key, (url, form))
                elif form.method == "get" and self.endpoint_of(form.action)[0]:
                    self.get_forms.setdefault(form.key, (url, form))
            for link in page.links:
                parts = urlsplit(link)
                if parts.netloc not in ("", "localhost") or NOT_CRAWLED.match(parts.path):
                    continue
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                if target in self.seen or target in self.queued:
                    continue
                if parts.query and "archived" not in parts.query:
                    self.per_path[parts.path] = self.per_path.get(parts.path, 0) + 1
                    if self.per_path[parts.path] > 2:  # filters and pages: a couple of each
                        continue
                ep, _ = self.endpoint_of(parts.path)
                if ep is not None:
                    self.queue.append(target)
                    self.queued.add(target)
            if part:  # this part of the app first
                ours = [(self.endpoint_of(u)[0] or "").split(".")[0] == part for u in self.queue]
                self.queue = deque(
                    [u for u, o in zip(self.queue, ours, strict=True) if o]
                    + [u for u, o in zip(self.queue, ours, strict=True) if not o]
                )


@pytest.fixture(scope="module")
def shared(database_url):
    app = create_app(make_config(database_url))
    app.test_client_class = RequestClient
    with app.app_context():
        yield Shared(app)
        db.session.remove()
    wipe(app)
    with app.app_context():
        db.engine.dispose()


# --- posting cases --------------------------------------------------------------------------------


@dataclass
class Source:
    """Where a form comes from: a page, or the answer to a first post of another form."""

    page: str
    key: tuple
    via: tuple | None = None  # (the parent Source, the pairs posted to it)


def has_errors(body: bytes) -> bool:
    return b"is-invalid" in body or b"alert-danger" in body or b"invalid-feedback" in body


class Harness:
    """Posts the cases of one route, checks each, and undoes what an accepted one wrote."""

    def __init__(self, shared: Shared, endpoint: str):
        self.shared, self.endpoint = shared, endpoint
        self.anonymous = endpoint == "auth.login"
        self.problems: list[str] = []
        self.cases = self.undone = 0
        self.raised = ""  # the exception the last post raised (a 500 in production)
        self.last_signature, self.last_values = None, []
        self.as_filled_in: tuple = (None, [], {})  # its write's signature, values, and pairs
        self.script_fields: list[str] = []  # fields that stored a script (then pages checked)
        self.watch = WriteWatch(db.engine)
        shared.ensure_world()
        self.world = shared.world
        self.sign_in()

    def close(self) -> None:
        self.watch.close()

    def forget_failed_sign_ins(self) -> None:
        """Sign-in throttling is bookkeeping: cleared so each case meets the real checks."""
        with db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM login_throttles"))
            conn.execute(sa.text("UPDATE users SET failed_logins = 0, locked_until = NULL"))
        self.watch.take()

    def sign_in(self) -> None:
        vars(g).clear()
        self.forget_failed_sign_ins()
        self.client = self.shared.app.test_client()
        self._forms: dict[tuple, Form] = {}
        if not self.anonymous:
            data = {"email": self.world.executive_email, "password": factories.PASSWORD}
            r = self.client.post("/login", data=data)
            assert r.status_code == 302, r.get_data(as_text=True)[:500]
        self.token = self.session_token()
        self.watch.take()

    def session_token(self) -> str | None:
        email = self.world.executive_email
        token = db.session.scalar(sa.select(User.session_token).where(User.email == email))
        db.session.remove()
        return token

    def undo(self, now) -> None:
        """Put every row back as it was (much quicker than building the world again)."""
        vars(g).clear()
        db.session.remove()
        restore(self.shared.before, now)
        self.undone += 1
        if self.session_token() != self.token:  # a password change ends the session
            self.sign_in()
        self.watch.take()

    def unchanged(self, what: str) -> None:
        """The safety net under WriteWatch: the whole database compared."""
        now = snapshot()
        changes = diff(self.shared.before, now)
        if changes:
            self.problems.append(f"{what}: left {describe(changes)}")
            self.undo(now)
        self.watch.take()

    # finding forms
    def find(self) -> list[Source]:
        """The forms posting to the endpoint on the first page that shows one."""
        if self.anonymous:  # the sign-in page, for the signed-out
            r = self.client.get("/login")
            forms = parse_page("/login", r.get_data(as_text=True)).forms
            found = {f.key: ("/login", f) for f in forms if f.method == "post"}
        else:
            self.shared.crawl(self.client, self.endpoint)
            found = self.shared.forms.get(self.endpoint, {})
        if not found:
            return []
        page = next(iter(found.values()))[0]
        return [Source(p, key) for key, (p, _) in found.items() if p == page]

    def form(self, source: Source) -> Form:
        """The form, read again from its page (or its first post) after sign-in."""
        if source.key in self._forms:
            return self._forms[source.key]
        if source.via is None:
            r = self.client.get(source.page)
            assert r.status_code == 200, f"{source.page} answered {r.status_code}"
        else:
            parent, pairs = source.via
            r = self.send(self.form(parent), pairs)
        for f in parse_page(source.page, r.get_data(as_text=True)).forms:
            if f.method == "post":
                self._forms.setdefault(f.key, f)
        assert source.key in self._forms, f"the form {source.key} is gone from {source.page}"
        return self._forms[source.key]

    def baseline(self, source: Source, overrides: dict | None = None):
        extra = {**_overrides(self.endpoint, self.world), **(overrides or {})}
        return baseline(self.form(source), extra)

    # posting
    def get(self, path: str):
        """A GET; what it raises (a 500 in production) is an answer too."""
        try:
            return self.client.get(path)
        except Exception as exc:
            db.session.remove()
            self.raised = f"{type(exc).__name__}: {str(exc)[:200]}"
            return self.shared.app.response_class(self.raised, status=500)

    def send(self, form: Form, pairs, action: str | None = None):
        parts = urlsplit(action or form.action)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if form.enctype == "multipart/form-data":
            body, ctype = multipart(pairs, form.files)
        else:
            body, ctype = urlencoded(pairs), "application/x-www-form-urlencoded"
        try:
            return self.client.post(path, data=body, content_type=ctype)
        except Exception as exc:
            db.session.remove()
            self.raised = f"{type(exc).__name__}: {str(exc)[:200]}"
            return self.shared.app.response_class(self.raised, status=500)

    def case(self, source, label, name, value, pairs=None, action=None, pages=False):
        """Post one case and check it (and the pages showing it when asked); the answer."""
        form = self.form(source)
        if pairs is None:
            pairs = replace(self.baseline(source), name, value)
        what = f"{self.endpoint} {name} = {label}"
        self.cases += 1
        if self.anonymous:
            self.forget_failed_sign_ins()
        self.watch.take()
        r = self.send(form, pairs, action)
        body = r.get_data()
        if r.status_code >= 500:
            self.problems.append(f"{what}: {r.status_code} {self.raised}")
        self.raised = ""
        if XSS.encode() in body:
            self.problems.append(f"{what}: the answer ({r.status_code}) holds a raw <script>")
        now = snapshot() if self.watch.take() else None
        changes = diff(self.shared.before, now) if now else {}
        accepted = self.accepted(r)
        if changes and not accepted:
            self.problems.append(f"{what}: answered {r.status_code} but wrote {describe(changes)}")
        self.last_signature = signature(changes, self.shared.before) if changes else None
        self.last_values = written_values(changes)
        if changes and accepted and isinstance(value, str | bytes) and value:
            stored = not NOT_STORED.search(name) and not LATER_ROW.search(name)
            if stored:  # (a later row's field alone is a blank row: ignored, as documented)
                self._check_stored(what, name, value, changes)
            if value == XSS and XSS in written_values(changes):
                self.script_fields.append(name)
        if pages and accepted:
            self._check_pages(what, r, source)
        if changes:
            self.undo(now)
        elif accepted and self.endpoint in ("auth.login", "auth.logout"):
            self.sign_in()
        return r

    def accepted(self, r) -> bool:
        return 300 <= r.status_code < 400 or (
            self.endpoint in WRITES_WITH_200 and r.status_code == 200 and not has_errors(r.data)
        )

    def _check_stored(self, what, name, value, changes):
        sent = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        values = written_values(changes)
        signature_filled_in, values_filled_in, pairs_filled_in = self.as_filled_in
        typed = pairs_filled_in.get(name, "")
        used = len(typed) > 3 and any(isinstance(v, str) and typed in v for v in values_filled_in)
        if self.last_signature == signature_filled_in and not used:
            return  # the same write as the form as filled in, which did not store this
            # field either: not used in this case (a new plan's title when none is made)
        if not stored_as_sent(sent, values):
            shown = [v[:40] if isinstance(v, str) else v for v in values][:12]
            self.problems.append(f"{what}: accepted, but stored {shown!r}, not {sent[:40]!r}")

    def _check_pages(self, what, r, source):
        w = self.world
        views = {
            "service": [f"/strategy/service/{w.service}"],
            "objective": [f"/objectives/{w.objective}"],
            "plan": [f"/plans/{w.plan}"],
            "indicators": [
                f"/objectives/indicators/{w.objective_indicator}",
                f"/objectives/indicators/{w.plan_indicator}",
            ],
        }
        pages = [r.location or "/", source.page, *SHOWN_ON]
        for page in SHOWN_ON_BY_PART.get(self.endpoint.split(".")[0], ()):
            pages += views.get(page, [page])
        for page in dict.fromkeys(pages):
            got = self.client.get(page)
            if got.status_code >= 500:
                self.problems.append(f"{what}: then {page} answered {got.status_code}")
            elif XSS.encode() in got.get_data():
                self.problems.append(f"{what}: then {page} shows a raw <script>")

    def path_cases(self, source: Source) -> None:
        """The form posted with each id of its path made hostile: a 4xx."""
        form = self.form(source)
        endpoint, args = self.shared.endpoint_of(form.action, "POST")
        for arg, value in args.items():
            if not isinstance(value, int):
                continue
            sentinel = 2_147_000_000 + len(arg)
            url = self.shared.adapter.build(endpoint, {**args, arg: sentinel})
            for bad in HOSTILE_PATH_IDS:
                action = url.replace(str(sentinel), bad)
                r = self.case(source, bad, f"path {arg}", None, self.baseline(source), action)
                if not 400 <= r.status_code < 500:
                    self.problems.append(f"{self.endpoint} path {arg}={bad}: {r.status_code}")

    def discover(self, source: Source, pairs, r, queue: list[Source], known: set) -> None:
        """Forms to the same route that an answer shows and that were not seen yet."""
        if r.status_code >= 300 or r.mimetype != "text/html":
            return
        for f in parse_page(source.page, r.get_data(as_text=True)).forms:
            ep, _ = self.shared.endpoint_of(f.action, "POST")
            if f.method == "post" and ep == self.endpoint and f.key not in known:
                known.add(f.key)
                self._forms.setdefault(f.key, f)
                queue.append(Source(source.page, f.key, (source, pairs)))

    def run(self) -> int:
        """Every case of the route; the number of forms posted to."""
        sources = self.find()
        assert sources, f"no page reachable from the dashboard posts a form to {self.endpoint}"
        known = {s.key for s in sources}
        queue = list(sources)
        while queue:
            source = queue.pop(0)
            pairs = self.baseline(source)
            r = self.case(source, "as filled in", "(whole form)", None, pairs)
            self.as_filled_in = (self.last_signature, self.last_values, dict(pairs))
            if r.status_code >= 400 or (r.status_code == 200 and has_errors(r.get_data())):
                self.problems.append(
                    f"{self.endpoint} {source.key}: the form as filled in is refused "
                    f"({r.status_code}: {error_text(r)}), so its hostile values are not "
                    "tested one at a time: fill it in (TEXT_FILL, _overrides)"
                )
            self.discover(source, pairs, r, queue, known)
            for overrides in STEP_TWO.get(self.endpoint, []) if source.via is None else []:
                pairs = self.baseline(source, overrides)
                r = self.case(source, "as filled in", f"(step two {overrides})", None, pairs)
                self.discover(source, pairs, r, queue, known)
            for names in field_families(fuzzed_fields(self.form(source))):
                for name in names[:ALONE_PER_FAMILY]:
                    for label, value in CASES:
                        self.case(source, label, name, value)
                    self.unchanged(f"{self.endpoint} {name} (after all its cases)")
                rest = names[ALONE_PER_FAMILY:]
                if rest:  # every case in all the others at once
                    for label, value in CASES:
                        pairs = self.baseline(source)
                        for name in rest:
                            pairs = replace(pairs, name, value)
                        self.case(
                            source, f"{label} (in {len(rest)} like fields)", rest[0], value, pairs
                        )
                    self.unchanged(f"{self.endpoint} {rest[0]}… (after all their cases)")
            self.path_cases(source)
            if self.script_fields:  # a script in each field that took one, then the pages
                pairs = self.baseline(source)
                for name in dict.fromkeys(self.script_fields):
                    pairs = replace(pairs, name, XSS)
                fields = "+".join(dict.fromkeys(self.script_fields))
                r = self.case(source, "script", fields, XSS, pairs, None, pages=True)
                if not self.accepted(r):
                    self.problems.append(f"{self.endpoint} {fields}: scripts together refused")
                self.script_fields.clear()
        self.unchanged(f"{self.endpoint} (at the end)")
        return len(known)


def fuzzed_fields(form: Form) -> list[str]:
    return [n for n in form.names if n != "csrf_token"]


# Fields made one per item of a list (a service-health assessment: "score_systems_3" and
# "comment_systems_3" for each of its 40 statements) are one field repeated: the first ones get
# every case alone, the rest every case together (1,560 posts to that form became 154).
ALONE_PER_FAMILY = 2
_REPEATED_FIELD = re.compile(r"^([a-z]+)_[a-z]+(?:_\d+)+$")


def field_families(names: list[str]) -> list[list[str]]:
    """The fields grouped by the field they repeat, in the form's order; most stand alone."""
    families: dict[str, list[str]] = {}
    for name in names:
        match = _REPEATED_FIELD.match(name)
        families.setdefault(f"{match.group(1)}_…" if match else name, []).append(name)
    return list(families.values())


def error_text(r) -> str:
    text = r.get_data(as_text=True)
    found = re.findall(r'class="invalid-feedback"[^>]*>(.*?)</div>', text, re.S)
    found += re.findall(r'class="alert alert-danger"[^>]*>(.*?)</div>', text, re.S)
    found = [re.sub(r"\s+", " ", re.sub("<[^>]+>", "", f)).strip() for f in found]
    return " | ".join(found)[:400]


# --- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_hostile_values_in_every_field(shared, endpoint):
    started = time.perf_counter()
    h = Harness(shared, endpoint)
    try:
        forms = h.run()
    finally:
        h.close()
    print(
        f"\n{endpoint}: {h.cases} cases posted to {forms} form(s), {h.undone} writes undone, "
        f"{time.perf_counter() - started:.1f}s"
    )
    assert not h.problems, f"{len(h.problems)} problem(s):\n" + "\n".join(h.problems[:80])


def test_every_post_route_has_a_form_the_crawl_finds(shared):
    """A POST route that no page links to a form for is not covered above: fail instead."""
    h = Harness(shared, "main.dashboard")
    try:
        shared.crawl(h.client, None)
    finally:
        h.close()
    found = set(shared.forms) | {"auth.login"}  # the sign-in form shows to the signed-out
    missing = set(POST_ENDPOINTS) - found
    assert not missing, f"POST routes with no form on any page: {sorted(missing)}"
    assert found - {"auth.login"} <= set(POST_ENDPOINTS)


# --- the CSV import: hostile files ------------------------------------------------------------

FORMULAS = (
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3+cmd|'/C calc'!A0",
)
HOSTILE_FILES: list[tuple[str, bytes, tuple[int, ...]]] = [
    # (what, the file's bytes, the statuses that may answer)
    ("binary garbage", bytes(range(256)) * 64 + b"\x00\x01\x02", (422,)),
    ("NUL bytes in a line", b"2026-05-01,50,a\x00b\n", (422,)),
    ("Latin-1, not UTF-8", "2026-05-01,50,café crème\n".encode("latin-1"), (422,)),
    ("UTF-16 with a BOM", "2026-05-01,50,note\n".encode("utf-16"), (422,)),
    ("invalid UTF-8 sequence", b"2026-05-01,50,\xed\xa0\x80\xff\n", (422,)),
    ("over 1 MB", b"2026-05-01,50,padding\n" * 60_000, (413, 422)),
    ("over the request limit", b"2026-05-01,50,padding\n" * 200_000, (413,)),
    (
        "over 1,000 rows",
        "".join(f"{date.fromordinal(730_000 + n).isoformat()},1,x\n" for n in range(1001)).encode(),
        (422,),
    ),
    ("a 100k-character line", b"2026-05-01,50," + b"x" * 100_000 + b"\n", (422,)),
    (
        "NaN and infinities",
        b"2026-05-01,NaN,\n2026-05-02,inf,\n2026-05-03,-1e309,\n2026-05-04,1e400,\n",
        (422,),
    ),
    ("dates out of range", b"9999-12-31,1,\n0000-00-00,1,\n2026-02-30,1,\n1899-12-31,1,\n", (422,)),
    ("a formula as the value", b"2026-05-01,=1+1,\n", (422,)),
    (
        "a script and SQL",
        f"2026-05-01,50,{XSS}\n2026-05-02,51,'; DROP TABLE users; --\n".encode(),
        (200,),
    ),
    ("quotes gone wrong", b'2026-05-01,"50,unclosed\n2026-05-02,5"1,x\n', (200, 422)),
    ("only a header", b"date,value,note\n", (422,)),
    ("empty", b"", (422,)),
    (
        "formula notes",
        "".join(f"2026-05-{n:02d},{n},{f}\n" for n, f in enumerate(FORMULAS, 1)).encode(),
        (200,),
    ),
]


SAVED_NOTES = {"a script and SQL": (XSS, "'; DROP TABLE users; --"), "formula notes": FORMULAS}


def test_csv_upload_with_hostile_files(shared):
    """Each file previewed: a clear 4xx (413 over the request limit) or a preview, never a
    500, nothing written; the previews that can be saved are saved and stored as sent, and a
    formula-like note leaves the spreadsheet exports as text, not as a formula."""
    h = Harness(shared, "actuals.upload")
    try:
        _csv_cases(h)
    finally:
        h.close()
    print(f"\nCSV files: {h.cases} cases posted, {h.undone} writes undone")
    assert not h.problems, "\n".join(h.problems)


def _csv_cases(h: Harness) -> None:
    url = f"/actuals/{h.world.plan_indicator}/upload"
    source = Source(url, ("", ()))
    h._forms[source.key] = Form(url, "post", "multipart/form-data", [Control("csv_file", "file")])
    for what, content, statuses in HOSTILE_FILES:
        pairs = [("csv_file", content), ("csv_text", ""), ("preview", "Preview")]
        r = h.case(source, what, "csv_file", None, pairs)
        print(f"  {what}: {r.status_code} {error_text(r)[:150]}")
        if r.status_code not in statuses:
            h.problems.append(f"csv_file = {what}: {r.status_code}, not one of {statuses}")
        if r.status_code != 200:
            continue
        page = parse_page(url, r.get_data(as_text=True))
        saves = [f for f in page.forms if f.method == "post" and "checked" in f.names]
        if not saves:
            continue  # a preview listing errors: nothing to save
        h._forms[saves[0].key] = saves[0]
        notes = SAVED_NOTES.get(what, ())
        r = h.case(Source(url, saves[0].key), what, "save", None, baseline(saves[0]), None, True)
        if r.status_code != 302:
            h.problems.append(f"saving {what}: {r.status_code} {error_text(r)}")
        for note in notes:  # what the save wrote (before it was undone)
            if not stored_as_sent(note, h.last_values):
                h.problems.append(f"saving {what}: the note {note!r} was not stored as sent")
    # The formula notes, saved for good this time, then exported.
    text = "".join(f"2026-05-{n:02d},{n},{f}\n" for n, f in enumerate(FORMULAS, 1))
    r = h.client.post(url, data={"csv_text": text, "preview": "Preview"})
    save = next(f for f in parse_page(url, r.get_data(as_text=True)).forms if "checked" in f.names)
    assert h.send(save, baseline(save)).status_code == 302
    notes = {row["note"] for row in snapshot()["measurements"].values()}
    # The off-track row's note also holds the explanation after it (issue 15).
    kept = {n.split("\n\nWhy off track: ", 1)[0] for n in notes}
    assert set(FORMULAS) <= kept, f"formula notes not stored as sent: {notes}"
    exported = h.client.get("/exports/actuals.csv")
    assert exported.status_code == 200
    cells = [c for row in csv.reader(io.StringIO(exported.get_data(as_text=True))) for c in row]
    cells = [c.split("\n\nWhy off track: ", 1)[0] for c in cells]  # (issue 15, as above)
    for formula in FORMULAS:
        assert formula not in cells, f"{formula} left as a formula in the CSV export"
        assert "'" + formula in cells
    workbook = openpyxl.load_workbook(io.BytesIO(h.client.get("/exports/actuals.xlsx").data))
    formulas = [
        c.value for ws in workbook for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]
    assert not formulas, f"formulas in the spreadsheet export: {formulas}"
    h.undo(snapshot())


# --- the filter forms (GET): the same values in their query strings ------------------------------

GET_SHARDS = 2  # the filter forms split in two tests, for the two workers


@pytest.mark.parametrize("shard", range(GET_SHARDS))
def test_hostile_values_in_every_filter_form(shared, shard):
    """Every form that GETs (the lists' filters, "as of" dates): each field with each hostile
    value in the query string gives a page or a 4xx, never a 500 or a raw script, and writes
    nothing."""
    h = Harness(shared, "main.dashboard")
    try:
        shared.crawl(h.client, None)
        forms = sorted(shared.get_forms.items())[shard::GET_SHARDS]
        for _key, (_page, form) in forms:
            path = urlsplit(form.action).path
            for name in fuzzed_fields(form):
                for label, value in CASES:
                    pairs = replace(baseline(form), name, value)
                    query = "&".join(f"{quote(k)}={_query_value(v)}" for k, v in pairs)
                    h.cases += 1
                    r = h.get(f"{path}?{query}")
                    what = f"GET {path} {name} = {label}"
                    if r.status_code >= 500:
                        h.problems.append(f"{what}: {r.status_code} {h.raised}")
                    if XSS.encode() in r.data:
                        h.problems.append(
                            f"{what}: the page ({r.status_code}) holds a raw <script>"
                        )
                    if h.watch.take():
                        h.unchanged(what)
        h.unchanged("the filter forms")
    finally:
        h.close()
    print(f"\nfilter forms: {h.cases} cases on {len(forms)} form(s)")
    assert forms, "no filter form found"
    assert not h.problems, f"{len(h.problems)} problem(s):\n" + "\n".join(h.problems[:80])


def _query_value(value: str | bytes) -> str:
    return quote_from_bytes(value) if isinstance(value, bytes) else quote(value, safe="")
