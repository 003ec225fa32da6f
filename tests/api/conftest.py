"""Fixtures of the API tests: a user of each role with tokens, a small cascade, `api` calls.

The cascade (today is FIXED_TODAY, 2026-06-15):

    company strategy "Grow sales" ← supports ← service strategy "Serve first time right"
      objective O1 (owner: nobody)
        indicator obj_ind   increase 0 → 100 over 2026, actuals 20 (03-01), 40 (06-01)
        plan sales_plan     sales, owner member, in_progress 40 %, due 2026-05-31 (overdue)
          indicator plan_ind  decrease 100 → 50 over 2026, key "crm-sales-1", actual 60 (06-10)
        plan sales_plan2    sales, no owner, planned 0 %, due 2026-12-31
        plan log_plan       logistics, done 100 %, due 2026-03-01
          indicator log_ind   maintain 95, tolerance 0.05, key "crm-log-1", actual 80 (06-01)
      objective O2 (owner: member)
        indicator o2_ind    increase 0 → 10, no actuals
    NPS responses: promoter (2026-05-10, 9, chains); detractor (2026-06-01, 3, stores) with
    follow_up (open, owner: member)

Expected figures at today (worked by hand, and checked against services.rules/metrics):
obj_ind 165/364·100 = 45.33 expected, actual 40, progress 0.4, at_risk; plan_ind expected
77.34, actual 60, progress 0.8, on_track; log_ind progress 0, off_track. O1 results 0.4,
execution (0.4 + 0 + 1)/3, status off_track; O2 results 0, execution null, status no_data.
"""

from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    ApiToken,
    AuditEvent,
    CompanyStrategy,
    FollowUp,
    Indicator,
    Measurement,
    NpsResponse,
    Objective,
    ServiceStrategy,
)
from strategy_app.models.base import utcnow
from strategy_app.services.writes.tokens import create_token
from tests import rate_clock

PREFIX = "/api/v1"
_NO_BODY = object()


@dataclass
class World:
    """The users, tokens and cascade every API test starts from (ids, not live objects)."""

    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def __getattr__(self, name: str) -> int:
        try:
            return self.__dict__["ids"][name]
        except KeyError:
            raise AttributeError(name) from None


def build_world(make) -> World:
    """Create the cascade of the module docstring, a user of each role and their tokens."""
    w = World()
    sales = make.department("sales", name="Sales")
    logistics = make.department("logistics", name="Logistics")
    people = {
        "executive": make.user("executive", name="Eve Executive", email="eve@example.test"),
        "lead": make.user("lead", sales, name="Lee Lead", email="lee@example.test"),
        "other_lead": make.user("lead", logistics, name="Olga Lead", email="olga@example.test"),
        "member": make.user("member", sales, name="Max Member", email="max@example.test"),
        "viewer": make.user("viewer", name="Vic Viewer", email="vic@example.test"),
    }
    sales.lead = people["lead"]
    cs = make.company_strategy(title="Grow sales", description="More orders per customer")
    ss = make.service_strategy(
        [(cs, "supports")],
        title="Serve first time right",
        statement="Every order right the first time",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    o1 = make.objective(
        ss, title="Perfect orders", start_date=date(2026, 1, 1), due_date=date(2026, 12, 31)
    )
    o1.tags = ["moment of truth: delivery"]
    o2 = make.objective(ss, title="Know the customer", owner=people["member"])
    sales_plan = make.plan(
        o1,
        sales,
        title="Call back every lost order",
        owner=people["member"],
        state="in_progress",
        progress_pct=40,
        start_date=date(2026, 1, 15),
        due_date=date(2026, 5, 31),
        budget=1500,
    )
    sales_plan2 = make.plan(o1, sales, title="Sales playbook", due_date=date(2026, 12, 31))
    log_plan = make.plan(
        o1, logistics, title="Pack right", state="done", progress_pct=100, due_date=date(2026, 3, 1)
    )
    obj_ind = make.indicator(
        o1,
        name="Perfect order rate",
        unit="%",
        actuals=[(date(2026, 3, 1), 20.0), (date(2026, 6, 1), 40.0)],
    )
    plan_ind = make.indicator(
        sales_plan,
        name="Lost orders",
        direction="decrease",
        baseline_value=100.0,
        target_value=50.0,
        external_key="crm-sales-1",
        actuals=[(date(2026, 6, 10), 60.0)],
    )
    log_ind = make.indicator(
        log_plan,
        name="Packing accuracy",
        direction="maintain",
        baseline_value=95.0,
        target_value=95.0,
        tolerance=0.05,
        external_key="crm-log-1",
        actuals=[(date(2026, 6, 1), 80.0)],
    )
    o2_ind = make.indicator(o2, name="Interviews", target_value=10.0)
    # The customer's voice: a promoter, and a detractor whose follow-up the member owns.
    # (Each recorded on the day it came, so that ?as_of= sees it from then on.)
    promoter = NpsResponse(
        date=date(2026, 5, 10), score=9, segment="chains", created_at=datetime(2026, 5, 10)
    )
    detractor = NpsResponse(
        date=date(2026, 6, 1), score=3, segment="stores", created_at=datetime(2026, 6, 1)
    )
    detractor.comment = "Late"
    detractor.follow_up = FollowUp(
        owner=people["member"], state="open", created_at=datetime(2026, 6, 1)
    )
    db.session.add_all([promoter, detractor])
    db.session.flush()
    for name, user in people.items():
        w.users[name] = user.id
    w.ids.update(
        sales=sales.id,
        logistics=logistics.id,
        cs=cs.id,
        ss=ss.id,
        o1=o1.id,
        o2=o2.id,
        sales_plan=sales_plan.id,
        sales_plan2=sales_plan2.id,
        log_plan=log_plan.id,
        obj_ind=obj_ind.id,
        plan_ind=plan_ind.id,
        log_ind=log_ind.id,
        o2_ind=o2_ind.id,
        promoter=promoter.id,
        detractor=detractor.id,
        follow_up=detractor.follow_up.id,
    )
    for name, user in people.items():
        if name != "viewer":
            w.tokens[name] = create_token(user, f"{name} write", "write")[1]
        w.tokens[f"{name}_read"] = create_token(user, f"{name} read", "read")[1]
    db.session.commit()
    return w


@pytest.fixture
def frozen_rate_clock(monkeypatch):
    """Stop the rate limiter's clock (tests/rate_clock.py)."""
    rate_clock.freeze(monkeypatch)


@pytest.fixture
def world(app, make) -> World:
    """The committed cascade, users and tokens (see the module docstring)."""
    return build_world(make)


# The resource kinds with the full create/read/change/archive set, and their object here.
SINGLES = {
    "company-strategies": "cs",
    "service-strategies": "ss",
    "objectives": "o1",
    "action-plans": "sales_plan",
    "indicators": "obj_ind",
}


def valid_bodies(w: World) -> dict[str, tuple[dict, dict, type]]:
    """For each resource kind: (a POST body, a PATCH body of SINGLES[kind], the model)."""
    return {
        "company-strategies": (
            {"title": "Know the consumer", "description": "Insight first", "position": 2},
            {"title": "Know the consumer well"},
            CompanyStrategy,
        ),
        "service-strategies": (
            {
                "title": "Serve fast",
                "statement": "Answer in one call",
                "owner_id": w.users["executive"],
                "period_start": "2026-01-01",
                "period_end": "2026-06-30",
                "status": "draft",
                "links": [{"company_strategy_id": w.cs, "fit": "conflicts", "rationale": "Cost"}],
            },
            {"statement": "Answer in one call, or call back"},
            ServiceStrategy,
        ),
        "objectives": (
            {
                "service_strategy_id": w.ss,
                "title": "First-contact resolution",
                "description": "Solve it the first time",
                "owner_id": w.users["lead"],
                "start_date": "2026-02-01",
                "due_date": "2026-11-30",
                "tags": ["fcr", "critical success factor"],
            },
            {"title": "First-contact resolution above 80 %"},
            Objective,
        ),
        "action-plans": (
            {
                "objective_id": w.o1,
                "department_id": w.logistics,
                "title": "Route planning",
                "description": "Plan routes the day before",
                "owner_id": w.users["other_lead"],
                "start_date": "2026-03-01",
                "due_date": "2026-10-31",
                "state": "blocked",
                "progress_pct": 10,
                "budget": 1234.5,
            },
            {"title": "Route planning v2", "version": 1},
            ActionPlan,
        ),
        "indicators": (
            {
                "objective_id": w.o2,
                "name": "NPS",
                "unit": "pts",
                "direction": "increase",
                "baseline_value": 20.0,
                "baseline_date": "2026-01-01",
                "target_value": 40.0,
                "target_date": "2026-12-31",
                "tolerance": 0.2,
                "milestones": [{"date": "2026-07-01", "expected_value": 30.0}],
                "external_key": "bi-nps",
            },
            {"name": "Net Promoter Score"},
            Indicator,
        ),
    }


class Api:
    """Send API requests with a bearer token: api.get("/me", as_="viewer_read")."""

    def __init__(self, client, world: World | None):
        self.client = client
        self.world = world

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = _NO_BODY,
        *,
        as_: str | None = "executive",
        token: str | None = None,
        raw: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        content_type: str | None = "application/json",
    ):
        """One request; body is sent as JSON, raw as is (with a JSON content type)."""
        url = path if path.startswith("/api/") or path.startswith("/healthz") else PREFIX + path
        sent = dict(headers or {})
        if token is None and as_ is not None and self.world is not None:
            token = self.world.tokens[as_]
        if token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        kwargs: dict[str, Any] = {"headers": sent, "query_string": query}
        if raw is not None:
            kwargs["data"] = raw
        elif body is not _NO_BODY:
            kwargs["data"] = jsonlib.dumps(body, allow_nan=True)
        if "data" in kwargs and content_type:
            kwargs["content_type"] = content_type
        # As in production, each request runs in a session of its own: what the test staged is
        # committed first, and the session is closed afterwards (the test keeps one app
        # context, so the request's session would otherwise outlive it, holding SQLite's
        # write lock that a POST takes up front).
        db.session.commit()
        try:
            return self.client.open(url, method=method, **kwargs)
        finally:
            db.session.remove()

    def get(self, path: str, **kw):
        return self("GET", path, **kw)

    def post(self, path: str, body: Any = _NO_BODY, **kw):
        return self("POST", path, body, **kw)

    def patch(self, path: str, body: Any = _NO_BODY, **kw):
        return self("PATCH", path, body, **kw)

    def delete(self, path: str, **kw):
        return self("DELETE", path, **kw)


@pytest.fixture
def api(client, world) -> Api:
    """Requests as a user of the world: api.get("/objectives", as_="viewer_read")."""
    return Api(client, world)


def assert_error(response, status: int, *fields: str) -> dict:
    """The response is the API's error shape with this status (and these fields named)."""
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/json", response.mimetype
    body = response.get_json()
    assert set(body) >= {"error"}, body
    error = body["error"]
    assert set(error) == {"status", "message", "fields"}, error
    assert error["status"] == status
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], dict)
    for name, messages in error["fields"].items():
        assert isinstance(name, str)
        assert isinstance(messages, list)
        assert messages
        assert all(isinstance(m, str) and m for m in messages)
    for name in fields:
        assert name in error["fields"], (name, error["fields"])
    return error


def snapshot() -> dict[str, list[tuple]]:
    """Every row of the user-data tables (not counters or the audit log), to prove no change."""
    from strategy_app.extensions import db as _db

    skip = {"rate_limit_buckets", "audit_events", "api_tokens", "login_throttles"}
    _db.session.commit()  # outside a request the session holds SQLite's write lock: end it
    out = {}
    with _db.engine.connect() as conn:
        for table in _db.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def audit_mark() -> int:
    """The newest audit event's id: every change of user data writes one (DESIGN §2)."""
    db.session.commit()
    mark = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    db.session.commit()
    return mark


def changes_since(mark: int) -> list[tuple[str, str]]:
    """(action, entity type) of the changes recorded after mark (refusals are not changes)."""
    db.session.commit()
    rows = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.entity_type).where(
            AuditEvent.id > mark, AuditEvent.action != "refused"
        )
    ).all()
    db.session.commit()
    return [tuple(r) for r in rows]


def measurement_count() -> int:
    """How many measurements the database holds (read in a transaction of its own)."""
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Measurement))
    db.session.commit()
    return count


@dataclass(frozen=True)
class Event:
    action: str
    entity_type: str
    entity_id: int | None
    user_id: int | None
    changes: dict


def audit_events(action: str | None = None, entity_type: str | None = None) -> list[Event]:
    """The audit log, oldest first, as plain values (read in a transaction of its own)."""
    db.session.commit()
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    events = [
        Event(e.action, e.entity_type, e.entity_id, e.user_id, dict(e.changes))
        for e in db.session.scalars(stmt)
    ]
    db.session.commit()
    return events


def expire_token(plain_token: str) -> None:
    """Make a token expired (yesterday)."""
    from strategy_app.services.writes.tokens import token_hash

    row = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == token_hash(plain_token))
    )
    row.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()


def revoke_token(plain_token: str) -> None:
    from strategy_app.services.writes.tokens import token_hash

    row = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == token_hash(plain_token))
    )
    row.revoked_at = utcnow()
    db.session.commit()
