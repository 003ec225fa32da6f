"""The permission sweep's world: one object of each kind, each role signed in, restorable.

Building it through the models and signing everyone in costs far more than one request, so the
world is built once per worker and put back only after a test changed it: `Sweep.fresh()`
restores every table to the rows it held when the world was first built (the same ids, the
same session tokens, so the signed-in cookies stay valid). A refused write must change nothing,
so after one the world is used as it is; its own snapshot comparison is what proves that.

    departments   sales (lead: lead), logistics (lead: other_lead), old_dept (archived)
    users         executive, lead and member (sales), viewer, other_lead (logistics),
                  gone (logistics member, deactivated)
    strategy      org; cs, cs2 (in this order), cs_old (archived); ss (supports cs), ss_old
                  (archived); objectives o1 (no owner), o_lead (owner: lead), o_member (owner:
                  member), o_old (archived)
    plans         sales_plan (sales, owner member), sales_plan2 (sales, no owner), log_plan
                  (logistics, owner other_lead), old_plan (sales, archived)
    indicators    obj_ind (o1), lead_obj_ind (o_lead), member_obj_ind (o_member), sales_ind,
                  sales2_ind, log_ind (on the plans of the same names), old_ind (sales_plan,
                  archived); all increase 0 → 100 over 2026
    reviews       review, review_old (archived)
    follow-ups    fu_member (owner: member, open), fu_other (owner: other_lead, contacted), each
                  of a detractor's NPS response
    assessments   assessment (systems weak: 25 out of 100)
    dependencies  dep_sales: sales_plan blocked by sales_plan2; dep_log: log_plan blocked by
                  sales_plan2
    tokens        token_<actor> for every actor (write scope, the viewer's and
                  executive_read's read scope); token_other_lead (other_lead's)
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    Assessment,
    AssessmentAnswer,
    FollowUp,
    NpsResponse,
    PlanDependency,
    Review,
    Webhook,
    WebhookDelivery,
)
from strategy_app.models.base import utcnow
from strategy_app.services.writes.tokens import create_token
from tests import factories

ROLES = ("executive", "lead", "member", "viewer")
EMAILS = {role: f"{role}@example.test" for role in ROLES}
# Bookkeeping any request may touch: sign-in throttles, rate-limit counters, the audit log
# (which records refusals too; the sweep checks it separately).
SKIP_TABLES = frozenset(
    {"audit_events", "data_changes", "data_versions", "login_throttles", "rate_limit_buckets"}
)
SKIP_COLUMNS = {"api_tokens": frozenset({"last_used_at", "updated_at"})}  # any API request


@dataclass
class World:
    """Ids of the objects (by the names of the module docstring), plain tokens, cookies."""

    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)


def _build() -> World:
    make, w = factories, World()
    sales = make.department("sales", name="Sales", position=0)
    logistics = make.department("logistics", name="Logistics", position=1)
    old_dept = make.department("old-dept", name="Old", position=2, archived_at=utcnow())
    people = {
        "executive": make.user("executive", email=EMAILS["executive"]),
        "lead": make.user("lead", sales, email=EMAILS["lead"]),
        "member": make.user("member", sales, email=EMAILS["member"]),
        "viewer": make.user("viewer", email=EMAILS["viewer"]),
        "other_lead": make.user("lead", logistics, email="olga@example.test"),
        "gone": make.user("member", logistics, email="gone@example.test", active=False),
    }
    sales.lead, logistics.lead = people["lead"], people["other_lead"]
    org = make.organization()
    cs = make.company_strategy(title="Grow sales", position=0)
    cs2 = make.company_strategy(title="Cut cost", position=1)
    cs_old = make.company_strategy(title="Old idea", position=2, status="archived")
    cs_old.archived_at = utcnow()
    ss = make.service_strategy([(cs, "supports")], title="Serve first time right")
    ss_old = make.service_strategy(title="Old service", status="archived", archived_at=utcnow())
    o1 = make.objective(ss, title="Perfect orders")
    o_lead = make.objective(ss, title="Lead's objective", owner=people["lead"])
    o_member = make.objective(ss, title="Member's objective", owner=people["member"])
    o_old = make.objective(ss, title="Old objective", archived_at=utcnow())
    sales_plan = make.plan(o1, sales, owner=people["member"], state="in_progress")
    sales_plan2 = make.plan(o1, sales)
    log_plan = make.plan(o1, logistics, owner=people["other_lead"])
    old_plan = make.plan(o1, sales, archived_at=utcnow())
    indicators = {
        "obj_ind": make.indicator(o1),
        "lead_obj_ind": make.indicator(o_lead),
        "member_obj_ind": make.indicator(o_member),
        "sales_ind": make.indicator(sales_plan, milestones=[(date(2026, 7, 1), 50.0)]),
        "sales2_ind": make.indicator(sales_plan2),
        "log_ind": make.indicator(log_plan, actuals=[(date(2026, 5, 1), 40.0)]),
        "old_ind": make.indicator(sales_plan, archived_at=utcnow()),
    }
    deps = {
        "dep_sales": PlanDependency(plan=sales_plan, blocked_by=sales_plan2, note="waiting"),
        "dep_log": PlanDependency(plan=log_plan, blocked_by=sales_plan2, note="waiting"),
    }
    follow_ups = {  # detractors' follow-ups: one owned by the member, one by other_lead
        "fu_member": FollowUp(owner=people["member"], state="open"),
        "fu_other": FollowUp(owner=people["other_lead"], state="contacted"),
    }
    db.session.add_all(
        NpsResponse(date=date(2026, 6, 1), score=3, segment="chains", follow_up=f)
        for f in follow_ups.values()
    )
    review = Review(date=date(2026, 6, 1), attendees="Everyone", notes="Went well")
    review_old = Review(date=date(2026, 3, 1), notes="Recorded twice", archived_at=utcnow())
    assessment = Assessment(
        date=date(2026, 6, 1),
        answers=[
            AssessmentAnswer(statement_key="systems.1", score=1),
            AssessmentAnswer(statement_key="strategy.1", score=4),
        ],
    )
    db.session.add_all([*deps.values(), review, review_old, assessment])
    db.session.flush()
    objects: dict[str, Any] = {
        **people,
        **indicators,
        **deps,
        **dict(sales=sales, logistics=logistics, old_dept=old_dept, org=org),
        **dict(cs=cs, cs2=cs2, cs_old=cs_old, ss=ss, ss_old=ss_old),
        **dict(o1=o1, o_lead=o_lead, o_member=o_member, o_old=o_old),
        **dict(sales_plan=sales_plan, sales_plan2=sales_plan2, log_plan=log_plan),
        **dict(old_plan=old_plan, review=review, review_old=review_old),
        **follow_ups,
        **dict(assessment=assessment),
    }
    w.ids = {name: obj.id for name, obj in objects.items()}
    w.ids.update({f"{name}_plan": dep.plan_id for name, dep in deps.items()})
    holders = {
        "executive": ("executive", "write"),
        "lead": ("lead", "write"),
        "member": ("member", "write"),
        "viewer": ("viewer", "read"),
        "executive_read": ("executive", "read"),
        "other_lead": ("other_lead", "write"),
    }
    for actor, (person, scope) in holders.items():
        token, plain = create_token(people[person], f"{actor} token", scope)
        db.session.flush()
        w.ids[f"token_{actor}"], w.tokens[actor] = token.id, plain
    w.ids.update(reminder_objects())
    db.session.commit()
    return w


def reminder_objects() -> dict[str, int]:
    """hook (a webhook), hook_failed (a delivery to it that failed) and hook_old (an archived
    webhook), for issue 16's routes."""
    hook = Webhook(name="Chat", url="https://203.0.113.10/hook", events=["off_track"])
    old = Webhook(
        name="Old chat", url="https://203.0.113.11/hook", events=["off_track"], archived_at=utcnow()
    )
    failed = WebhookDelivery(
        webhook=hook, event="off_track", payload={}, status="failed", next_attempt_at=utcnow()
    )
    db.session.add_all([hook, failed, old])
    db.session.flush()
    return {"hook": hook.id, "hook_failed": failed.id, "hook_old": old.id}


def _dump() -> dict[sa.Table, list[dict]]:
    with db.engine.connect() as conn:
        return {
            t: [dict(r) for r in conn.execute(sa.select(t)).mappings()]
            for t in db.metadata.sorted_tables
        }


def _ahead(tables: list[sa.Table]) -> dict[sa.Table, list[str]]:
    """Foreign keys to a table that comes later in the order (departments.lead_id → users)."""
    seen: set[str] = set()
    out = {}
    for t in tables:
        out[t] = [fk.parent.name for fk in t.foreign_keys if fk.column.table.name not in seen]
        seen.add(t.name)
    return out


def _restore(rows: dict[sa.Table, list[dict]]) -> None:
    """Put every table back to rows (ids included); sequences are left ahead of them."""
    tables = db.metadata.sorted_tables
    ahead = _ahead(tables)
    with db.engine.begin() as conn:
        for t, names in ahead.items():  # break the cycles, then delete children first
            if names:
                conn.execute(sa.update(t).values(dict.fromkeys(names)))
        for t in reversed(tables):
            conn.execute(sa.delete(t))
        for t in tables:  # parents first; the keys ahead are set once their rows exist
            if rows[t]:
                conn.execute(t.insert(), [{**r, **dict.fromkeys(ahead[t])} for r in rows[t]])
        for t, names in ahead.items():
            (pk,) = t.primary_key.columns
            for r in rows[t]:
                if any(r[n] is not None for n in names):
                    values = {n: r[n] for n in names}
                    conn.execute(sa.update(t).where(pk == r[pk.name]).values(values))


@functools.cache
def _snapshot_sql(dialect: str) -> tuple[list[str], str]:
    """One query: each table's rows as a JSON array of arrays (primary key first)."""
    names, parts = [], []
    for t in db.metadata.sorted_tables:
        if t.name in SKIP_TABLES:
            continue
        skip = SKIP_COLUMNS.get(t.name, frozenset())
        cols = [*t.primary_key.columns, *(c for c in t.columns if not c.primary_key)]
        values = ", ".join(c.name for c in cols if c.name not in skip)
        if dialect == "postgresql":
            parts.append(f"(SELECT json_agg(json_build_array({values})) FROM {t.name})")
        else:
            parts.append(f"(SELECT json_group_array(json_array({values})) FROM {t.name})")
        names.append(t.name)
    return names, "SELECT " + ", ".join(parts)


def snapshot() -> dict[str, list[list]]:
    """Every row of every table but the bookkeeping ones, to prove that nothing changed.

    Read in one query, as the database writes its values in JSON (the sweep takes two
    snapshots per test; equal rows give equal JSON).
    """
    names, sql = _snapshot_sql(db.engine.dialect.name)
    with db.engine.connect() as conn:
        row = conn.exec_driver_sql(sql).one()
    return {name: sorted(_json(value)) for name, value in zip(names, row, strict=True)}


def _json(value: Any) -> list:
    if value is None:  # PostgreSQL's json_agg of no rows
        return []
    return json.loads(value) if isinstance(value, str) else value


def audit_since(mark: int) -> list[tuple[str, int | None]]:
    """(action, user id) of the audit events after mark, oldest first."""
    t = db.metadata.tables["audit_events"]
    with db.engine.connect() as conn:
        stmt = sa.select(t.c.action, t.c.user_id).where(t.c.id > mark).order_by(t.c.id)
        return [tuple(r) for r in conn.execute(stmt)]


def audit_mark() -> int:
    """The newest audit event's id."""
    t = db.metadata.tables["audit_events"]
    with db.engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.max(t.c.id))) or 0


class Sweep:
    """The app and world of the sweep; `fresh()` before each test, `dirty` after a change."""

    def __init__(self, app):
        self.app = app
        with app.app_context():
            self.world = _build()
            db.session.remove()
        for role in ROLES:  # sign in through the real form, once
            client = app.test_client()
            response = client.post(
                "/login", data={"email": EMAILS[role], "password": factories.PASSWORD}
            )
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
            self.world.cookies[role] = client.get_cookie("session").value
        with app.app_context():
            self._baseline = _dump()
        self.dirty = False

    def fresh(self) -> World:
        """The world as built (restored first if the previous test changed it)."""
        if self.dirty:
            with self.app.app_context():
                _restore(self._baseline)
            self.dirty = False
        return self.world

    def client(self, actor: str | None):
        """A test client signed in as actor (a role), or signed out (None)."""
        client = self.app.test_client()
        if actor in self.world.cookies:
            client.set_cookie("session", self.world.cookies[actor])
        return client
