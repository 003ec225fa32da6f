"""Administration for executives: users, departments and the audit log (DESIGN §4, §5)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import g

from strategy_app.admin import routes as admin_routes
from strategy_app.extensions import db
from strategy_app.models import AuditEvent, Department, LoginThrottle, User
from strategy_app.models.base import utcnow
from strategy_app.services.plumbing.audit import record, set_actor
from strategy_app.services.reads import history
from strategy_app.services.writes import admin
from tests import factories
from tests.queries import counting_queries

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
TEMP_PASSWORD_RE = re.compile(r'id="temporary-password"[^>]*value="([^"]+)"')


def sign_in(client, email: str, password: str = factories.PASSWORD):
    """Sign in through the real form; returns the response."""
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def world(make, db_session):
    """An executive, two active departments, an archived one and a member to act on."""
    sales = make.department("sales", name="Sales", position=0)
    logistics = make.department("logistics", name="Logistics", position=1)
    old = make.department("old-desk", name="Old desk", position=2, archived_at=utcnow())
    executive = make.user("executive", name="Chief Executive", email="ceo@example.test")
    member = make.user("member", department=sales, name="Mia Member", email="mia@example.test")
    db_session.commit()
    return {
        "executive": executive.id,
        "member": member.id,
        "sales": sales.id,
        "logistics": logistics.id,
        "old": old.id,
    }


@pytest.fixture
def as_executive(client, world):
    """The client signed in as the world's executive."""
    assert sign_in(client, "ceo@example.test").status_code == 302
    return client


def snapshot() -> dict[str, list]:
    """Every row of every table but the audit log (which records refusals)."""
    db.session.expire_all()
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name != "audit_events":
            rows[table.name] = [tuple(r) for r in db.session.execute(sa.select(table)).all()]
    db.session.commit()
    for name in rows:
        rows[name].sort(key=repr)
    return rows


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def user_by_email(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def html(response) -> str:
    return response.get_data(as_text=True)


def main(response) -> str:
    """The page's <main> only (the navigation bar names the signed-in user)."""
    return html(response).split('<main id="main"', 1)[1].split("</main>", 1)[0]


def errors_of(page: str, field: str) -> str:
    """The text of the error block beside a field ('' when there is none)."""
    m = re.search(rf'<div class="invalid-feedback" id="{field}-errors">(.*?)</div>', page, re.S)
    return m.group(1) if m else ""


# --- every route, every role ---------------------------------------------------------------


def routes(w: dict) -> list[tuple[str, str, dict | None]]:
    """Every admin route with a request that would change something if it were allowed."""
    member, sales, logistics, old = w["member"], w["sales"], w["logistics"], w["old"]
    new_user = {"email": "new@example.test", "name": "New", "role": "viewer", "department": ""}
    dept = {"name": "Care", "slug": "care", "service_role": "", "colour": "#112233"}
    return [
        ("GET", "/admin/", None),
        ("GET", "/admin/users", None),
        ("GET", "/admin/users/new", None),
        ("POST", "/admin/users/new", new_user),
        ("GET", f"/admin/users/{member}/edit", None),
        (
            "POST",
            f"/admin/users/{member}/edit",
            {"name": "Renamed", "role": "viewer", "department": ""},
        ),
        ("POST", f"/admin/users/{member}/deactivate", {}),
        ("POST", f"/admin/users/{member}/reactivate", {}),
        ("POST", f"/admin/users/{member}/reset-password", {}),
        ("GET", "/admin/departments", None),
        ("GET", "/admin/departments/new", None),
        ("POST", "/admin/departments/new", dept),
        ("GET", f"/admin/departments/{sales}/edit", None),
        ("POST", f"/admin/departments/{sales}/edit", {**dept, "slug": "sales"}),
        ("GET", f"/admin/departments/{sales}/archive", None),  # the confirmation (issue 15)
        ("POST", f"/admin/departments/{sales}/archive", {}),
        ("POST", f"/admin/departments/{old}/restore", {}),
        ("POST", f"/admin/departments/{logistics}/move/up", {}),
        ("POST", f"/admin/departments/{sales}/move/down", {}),
        ("GET", "/admin/audit", None),
        # reminders (issue 16): webhooks and the outbox; refused before any id is looked up
        ("GET", "/admin/webhooks", None),
        ("POST", "/admin/webhooks", {"name": "Chat", "url": "https://203.0.113.1/h"}),
        ("POST", "/admin/webhooks/1/switch", {}),
        ("GET", "/admin/webhooks/1/archive", None),  # the confirmation
        ("POST", "/admin/webhooks/1/archive", {}),
        ("POST", "/admin/webhooks/1/restore", {}),  # the Undo
        ("POST", "/admin/webhooks/deliveries/1/retry", {}),
        ("GET", "/admin/outbox", None),
        ("GET", "/admin/outbox/20260101T000000-000000000000.eml", None),
    ]


ROUTE_COUNT = 19 + 7 + 1 + 2  # + issue 16's, + issue 15's archive confirmations and Undo


def _request(client, method, path, data):
    return client.get(path) if method == "GET" else client.post(path, data=data)


@pytest.mark.parametrize("index", range(ROUTE_COUNT))
@pytest.mark.parametrize("role", ["lead", "member", "viewer"])
def test_other_roles_get_403_and_change_nothing(client, make, db_session, world, role, index):
    sales = db_session.get(Department, world["sales"])
    user = make.user(role, department=sales if role != "viewer" else None)
    db_session.commit()
    assert sign_in(client, user.email).status_code == 302
    method, path, data = routes(world)[index]
    before, actions_before = snapshot(), audit_actions()
    r = _request(client, method, path, data)
    assert r.status_code == 403, (method, path)
    assert "Not allowed" in html(r)
    assert snapshot() == before
    new_actions = audit_actions()[len(actions_before) :]
    assert new_actions == ["refused"]


@pytest.mark.parametrize("index", range(ROUTE_COUNT))
def test_signed_out_is_sent_to_login_and_nothing_changes(client, world, index):
    method, path, data = routes(world)[index]
    before = snapshot()
    r = _request(client, method, path, data)
    assert r.status_code == 302, (method, path)
    assert r.headers["Location"].startswith("/login")
    assert snapshot() == before


def test_the_sweep_covers_every_admin_route_and_method(app, world):
    adapter = app.url_map.bind("localhost")
    swept = {(adapter.match(path, method)[0], method) for method, path, _ in routes(world)}
    every = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert swept == every
    assert len(routes(world)) == ROUTE_COUNT


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/admin/", 302),
        ("/admin/users", 200),
        ("/admin/users/new", 200),
        ("/admin/users/{member}/edit", 200),
        ("/admin/departments", 200),
        ("/admin/departments/new", 200),
        ("/admin/departments/{sales}/edit", 200),
        ("/admin/departments/{old}/edit", 409),  # archived: restore it first (issue 15)
        ("/admin/audit", 200),
    ],
)
def test_executive_reads_every_page(as_executive, world, path, status):
    r = as_executive.get(path.format(**world))
    assert r.status_code == status
    if status == 200:
        assert 'aria-label="Administration"' in html(r)
        assert "style=" not in html(r)
        assert "<script>" not in html(r).split("</main>")[0]


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users/999999/edit",
        "/admin/users/99999999999999999999999/edit",
        "/admin/departments/999999/edit",
    ],
)
def test_unknown_ids_are_404(as_executive, path):
    assert as_executive.get(path).status_code == 404


def test_unknown_ids_on_post_are_404_and_change_nothing(as_executive):
    before = snapshot()
    for path in ("/admin/users/999999/deactivate", "/admin/departments/999999/archive"):
        assert as_executive.post(path).status_code == 404
    assert snapshot() == before


def test_can_admin_template_global(app, make, db_session):
    executive, viewer = make.user("executive"), make.user("viewer")
    db_session.commit()
    can_admin = app.jinja_env.globals["can_admin"]
    for user, expected in ((executive, True), (viewer, False), (None, False)):
        with app.test_request_context("/"):
            g._login_user = user
            assert can_admin() is expected


# --- users -----------------------------------------------------------------------------------


def test_user_list_shows_and_filters(as_executive, make, db_session, world):
    sales = db_session.get(Department, world["sales"])
    make.user("lead", department=sales, name="Lena Lead", failed_logins=6)
    locked = make.user("viewer", name="Victor Locked", locked_until=utcnow() + timedelta(hours=1))
    make.user("viewer", name="Olga Gone", active=False, last_login_at=datetime(2026, 5, 1, 9, 30))
    db_session.commit()
    page = main(as_executive.get("/admin/users"))
    for text in ("Chief Executive", "Mia Member", "Lena Lead", "Victor Locked", "Olga Gone"):
        assert text in page
    assert "2026-05-01 09:30" in page  # last sign-in
    row = re.search(r"Victor Locked.*?</tr>", page, re.S).group(0)
    assert "Yes, until" in row
    assert locked.email in row
    only = main(as_executive.get("/admin/users?role=lead"))
    assert "Lena Lead" in only
    assert "Mia Member" not in only
    in_sales = main(as_executive.get(f"/admin/users?department={world['sales']}"))
    assert "Lena Lead" in in_sales
    assert "Mia Member" in in_sales
    assert "Chief Executive" not in in_sales
    gone = main(as_executive.get("/admin/users?active=no"))
    assert "Olga Gone" in gone
    assert "Mia Member" not in gone
    active = main(as_executive.get("/admin/users?active=yes"))
    assert "Olga Gone" not in active
    assert "Mia Member" in active


@pytest.mark.parametrize("query", ["role=king", "department=abc", "active=maybe"])
def test_user_list_bad_filter_is_400_beside_the_field(as_executive, query):
    r = as_executive.get("/admin/users?" + query)
    assert r.status_code == 400
    field = query.split("=")[0]
    assert errors_of(html(r), field)


def test_user_list_is_paginated(as_executive, make, db_session, monkeypatch):
    monkeypatch.setattr(admin_routes, "USERS_PER_PAGE", 2)
    for name in ("Anna", "Bert", "Carl"):
        make.user("viewer", name=name)
    db_session.commit()
    # sorted by name: Anna, Bert | Carl, Chief Executive | Mia Member
    first, second = (
        main(as_executive.get("/admin/users")),
        main(as_executive.get("/admin/users?page=2")),
    )
    assert "Anna" in first
    assert "Carl" not in first
    assert "Carl" in second
    assert "Anna" not in second
    assert 'href="/admin/users?page=2"' in first
    assert as_executive.get("/admin/users?page=99").status_code == 404
    assert as_executive.get("/admin/users?page=0").status_code == 404
    filtered = main(as_executive.get("/admin/users?role=viewer"))
    assert "page=2&amp;role=viewer" in filtered or "role=viewer&amp;page=2" in filtered


def test_create_user_shows_the_temporary_password_once(app, as_executive, world, db_session):
    r = as_executive.post(
        "/admin/users/new",
        data={
            "email": "  New.Person@Example.TEST ",
            "name": "New Person",
            "role": "member",
            "department": str(world["sales"]),
        },
    )
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    password = TEMP_PASSWORD_RE.search(html(r)).group(1)
    assert len(password) >= 16
    user = user_by_email("new.person@example.test")
    assert user.name == "New Person"
    assert user.role == "member"
    assert user.department_id == world["sales"]
    assert user.must_change_password
    assert user.active
    # never again: not on the list, the user's page, nor in the audit log
    for path in ("/admin/users", f"/admin/users/{user.id}/edit", "/admin/audit"):
        assert password not in html(as_executive.get(path))
    log = json.dumps([e.changes for e in db_session.scalars(sa.select(AuditEvent))])
    assert password not in log
    assert "$argon2" not in log
    create = db_session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == "User", AuditEvent.entity_id == user.id
        )
    )
    assert create.action == "create"
    assert create.user_id == world["executive"]
    # the password works once, and then the user must choose their own
    other = app.test_client()
    r = sign_in(other, "new.person@example.test", password)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/account/password")
    r = other.get("/")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/account/password")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": ""}, "email", "Fill this in"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"email": "mia@example.test"}, "email", "already exists"),
        ({"email": "MIA@Example.test"}, "email", "already exists"),
        ({"name": ""}, "name", "Fill this in"),
        ({"name": "x" * 121}, "name", "120"),
        ({"role": "lead", "department": ""}, "department", "need a department"),
        ({"role": "member", "department": ""}, "department", "need a department"),
        ({"role": "emperor"}, "role", "Choose one of the listed values"),
        ({"department": "abc"}, "department", "Choose one of the listed values"),
        ({"department": "{old}"}, "department", "Choose one of the listed values"),  # archived
    ],
)
def test_create_user_errors_beside_the_field(as_executive, world, data, field, message):
    form = {"email": "typed@example.test", "name": "Typed Name", "role": "viewer", "department": ""}
    form.update({k: v.format(**world) for k, v in data.items()})
    before = snapshot()
    r = as_executive.post("/admin/users/new", data=form)
    assert r.status_code == 422
    page = html(r)
    assert message in errors_of(page, field)
    if field != "name":
        assert 'value="Typed Name"' in page  # what was typed is kept
    assert snapshot() == before


def test_edit_user_changes_name_role_department(as_executive, world, db_session):
    r = as_executive.post(
        f"/admin/users/{world['member']}/edit",
        data={
            "name": "Mia Lead",
            "role": "lead",
            "department": str(world["logistics"]),
            "email": "hijack@example.test",
        },
    )
    assert r.status_code == 302
    user = db_session.get(User, world["member"])
    db_session.refresh(user)
    assert (user.name, user.role, user.department_id) == ("Mia Lead", "lead", world["logistics"])
    assert user.email == "mia@example.test"  # read-only
    event = db_session.scalar(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "User", AuditEvent.action == "update")
        .order_by(AuditEvent.id.desc())
    )
    assert event.user_id == world["executive"]
    assert event.changes["role"] == ["member", "lead"]


def test_edit_user_form_is_filled_and_keeps_what_was_typed(as_executive, world):
    page = html(as_executive.get(f"/admin/users/{world['member']}/edit"))
    assert 'value="Mia Member"' in page
    assert "mia@example.test" in page
    assert re.search(rf'<option selected value="{world["sales"]}">', page)
    r = as_executive.post(
        f"/admin/users/{world['member']}/edit",
        data={"name": "Typed again", "role": "member", "department": ""},
    )
    assert r.status_code == 422
    assert "need a department" in errors_of(html(r), "department")
    assert 'value="Typed again"' in html(r)
    assert user_by_email("mia@example.test").name == "Mia Member"


def test_no_longer_a_lead_leaves_the_lead_post(as_executive, make, db_session, world):
    sales = db_session.get(Department, world["sales"])
    lead = make.user("lead", department=sales, name="Lena Lead")
    sales.lead = lead
    db_session.commit()
    r = as_executive.post(
        f"/admin/users/{lead.id}/edit",
        data={"name": "Lena Lead", "role": "member", "department": str(world["sales"])},
        follow_redirects=True,
    )
    assert "no longer the lead of Sales" in html(r)
    db_session.expire_all()
    assert db_session.get(Department, world["sales"]).lead_id is None


def test_deactivating_a_user_ends_their_live_session(app, as_executive, world, db_session):
    theirs = app.test_client()
    assert sign_in(theirs, "mia@example.test").status_code == 302
    assert theirs.get("/").status_code == 200
    r = as_executive.post(f"/admin/users/{world['member']}/deactivate")
    assert r.status_code == 302
    user = user_by_email("mia@example.test")
    assert not user.active
    r = theirs.get("/")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login")
    assert sign_in(app.test_client(), "mia@example.test").status_code == 401
    # the executive's own session goes on; reactivating lets them back in
    assert as_executive.get("/admin/users").status_code == 200
    assert as_executive.post(f"/admin/users/{world['member']}/reactivate").status_code == 302
    assert user_by_email("mia@example.test").active
    assert theirs.get("/").status_code == 302  # the old session stays dead
    assert sign_in(app.test_client(), "mia@example.test").status_code == 302
    actions = [
        e.changes.get("active")
        for e in db_session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity_id == world["member"])
        )
        if e.action == "update"
    ]
    assert [True, False] in actions
    assert [False, True] in actions


def test_an_executive_cannot_deactivate_themself(as_executive, world):
    before = snapshot()
    r = as_executive.post(f"/admin/users/{world['executive']}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in html(r)
    assert snapshot() == before
    assert as_executive.get("/admin/users").status_code == 200


def test_an_executive_cannot_demote_themself(as_executive, world):
    before = snapshot()
    r = as_executive.post(
        f"/admin/users/{world['executive']}/edit",
        data={"name": "Chief Executive", "role": "viewer", "department": ""},
    )
    assert r.status_code == 422
    assert "your own executive role" in errors_of(html(r), "role")
    assert snapshot() == before


def test_another_executive_can_be_demoted_and_deactivated(as_executive, make, db_session):
    other = make.user("executive", name="Second Executive")
    db_session.commit()
    r = as_executive.post(
        f"/admin/users/{other.id}/edit",
        data={"name": "Second Executive", "role": "viewer", "department": ""},
    )
    assert r.status_code == 302
    assert as_executive.post(f"/admin/users/{other.id}/deactivate").status_code == 302
    db_session.expire_all()
    assert (other.role, other.active) == ("viewer", False)


def test_the_last_active_executive_stays(make, db_session):
    sole = make.user("executive")
    make.user("executive", active=False)
    actor = make.user("viewer")  # the rule holds whoever asks (CLI, a future API)
    db_session.commit()
    with pytest.raises(admin.AdminError, match="last active executive") as exc:
        admin.update_user(actor, sole, name=sole.name, role="viewer", department=None)
    assert "role" in exc.value.fields
    with pytest.raises(admin.AdminError, match="last active executive"):
        admin.set_active(actor, sole, False)
    db_session.rollback()
    db_session.refresh(sole)
    assert (sole.role, sole.active) == ("executive", True)


def test_reset_password_clears_the_lock_out(app, as_executive, make, db_session):
    user = make.user(
        "viewer",
        email="lock_me@example.test",
        failed_logins=9,
        locked_until=utcnow() + timedelta(minutes=10),
    )
    later = utcnow() + timedelta(minutes=10)
    for key in (
        "acct:lock_me@example.test|addr:127.0.0.1",
        "acct:lock_me@example.test|addr:10.0.0.9",
        "acct:lockXme@example.test|addr:127.0.0.1",  # `_` is a LIKE wildcard: must stay
        "addr:10.0.0.9",
    ):
        db_session.add(LoginThrottle(key=key, failures=9, locked_until=later))
    db_session.commit()
    theirs = app.test_client()
    assert sign_in(theirs, user.email).status_code == 429  # locked out now
    r = as_executive.post(f"/admin/users/{user.id}/reset-password")
    assert r.status_code == 200
    password = TEMP_PASSWORD_RE.search(html(r)).group(1)
    user = user_by_email("lock_me@example.test")
    assert user.failed_logins == 0
    assert user.locked_until is None
    assert user.must_change_password
    keys = set(db_session.scalars(sa.select(LoginThrottle.key)))
    assert keys == {"acct:lockXme@example.test|addr:127.0.0.1", "addr:10.0.0.9"}
    assert sign_in(theirs, user.email, factories.PASSWORD).status_code == 401  # old one is gone
    r = sign_in(app.test_client(), user.email, password)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/account/password")
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "admin_action"))
    assert event.changes["operation"] == "reset_password"
    assert password not in json.dumps(event.changes)


def test_reset_password_ends_live_sessions(app, as_executive, world):
    theirs = app.test_client()
    assert sign_in(theirs, "mia@example.test").status_code == 302
    assert as_executive.post(f"/admin/users/{world['member']}/reset-password").status_code == 200
    r = theirs.get("/")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login")


def test_an_executive_cannot_reset_their_own_password_here(as_executive, world):
    before = snapshot()
    r = as_executive.post(
        f"/admin/users/{world['executive']}/reset-password", follow_redirects=True
    )
    assert "account page" in html(r)
    assert snapshot() == before


def test_temporary_passwords_are_random_and_acceptable():
    from strategy_app.services.writes.users import password_problems

    made = {admin.temporary_password() for _ in range(50)}
    assert len(made) == 50
    assert all(len(p) >= 16 and not password_problems(p) for p in made)


# --- departments -----------------------------------------------------------------------------


def test_department_list_orders_and_separates_archived(as_executive, world):
    page = html(as_executive.get("/admin/departments"))
    active, archived = page.split("Archived departments</h2>")
    assert active.index("Sales") < active.index("Logistics")
    assert "Old desk" not in active
    assert "Old desk" in archived
    assert f"/admin/departments/{world['old']}/restore" in archived


def test_create_department(as_executive, db_session, world):
    r = as_executive.post(
        "/admin/departments/new",
        data={
            "name": "Customer care",
            "slug": "customer-care",
            "service_role": "Answers the phone <b>fast</b>",
            "colour": "#AABBCC",
            "position": "",
        },
    )
    assert r.status_code == 302
    dept = db_session.scalar(sa.select(Department).where(Department.slug == "customer-care"))
    assert dept.name == "Customer care"
    assert dept.colour == "#aabbcc"
    assert dept.position == 3  # after the last one (the archived one is at 2)
    assert dept.service_role == "Answers the phone <b>fast</b>"
    page = html(as_executive.get("/admin/departments"))
    assert "Answers the phone &lt;b&gt;fast&lt;/b&gt;" in page
    event = db_session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == "Department", AuditEvent.entity_id == dept.id
        )
    )
    assert event.action == "create"
    assert event.user_id == world["executive"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"slug": "Sales-Team"}, "slug", "lower-case"),
        ({"slug": "sales team"}, "slug", "lower-case"),
        ({"slug": "-care"}, "slug", "lower-case"),
        ({"slug": "care--desk"}, "slug", "lower-case"),
        ({"slug": "café"}, "slug", "lower-case"),
        ({"slug": ""}, "slug", "Fill this in"),
        ({"slug": "x" * 61}, "slug", "60"),
        ({"slug": "sales"}, "slug", "has this slug"),
        ({"slug": "old-desk"}, "slug", "archived"),  # archived departments keep their slug
        ({"name": ""}, "name", "Fill this in"),
        ({"colour": "red"}, "colour", "#rrggbb"),
        ({"colour": "#12345g"}, "colour", "#rrggbb"),
        ({"position": "-1"}, "position", "from 0 to"),
        ({"position": "first"}, "position", "whole number"),
    ],
)
def test_department_errors_beside_the_field(as_executive, world, data, field, message):
    form = {
        "name": "Typed name",
        "slug": "typed-slug",
        "service_role": "",
        "colour": "#112233",
        "position": "",
    }
    form.update(data)
    before = snapshot()
    r = as_executive.post("/admin/departments/new", data=form)
    assert r.status_code == 422
    page = html(r)
    assert message in errors_of(page, field)
    if field != "slug":
        assert 'value="typed-slug"' in page
    elif data["slug"]:
        assert f'value="{data["slug"]}"' in page
    assert snapshot() == before


def test_edit_department_keeps_its_own_slug_and_refuses_anothers(as_executive, world, db_session):
    sales = world["sales"]
    form = {
        "name": "Sales & accounts",
        "slug": "sales",
        "service_role": "Sells",
        "colour": "#00ff00",
    }
    r = as_executive.post(f"/admin/departments/{sales}/edit", data={**form, "position": "0"})
    assert r.status_code == 302
    dept = db_session.get(Department, sales)
    db_session.refresh(dept)
    assert (dept.name, dept.service_role, dept.colour) == ("Sales & accounts", "Sells", "#00ff00")
    before = snapshot()
    r = as_executive.post(f"/admin/departments/{sales}/edit", data={**form, "slug": "logistics"})
    assert r.status_code == 422
    assert "has this slug" in errors_of(html(r), "slug")
    assert snapshot() == before


def test_department_lead_must_be_a_lead_of_that_department(as_executive, make, db_session, world):
    sales = db_session.get(Department, world["sales"])
    logistics = db_session.get(Department, world["logistics"])
    own_lead = make.user("lead", department=sales, name="Sales Lead")
    other_lead = make.user("lead", department=logistics, name="Logistics Lead")
    db_session.commit()
    page = html(as_executive.get(f"/admin/departments/{sales.id}/edit"))
    assert "Sales Lead" in page
    assert "Logistics Lead" not in page  # only this department's leads are offered
    form = {"name": "Sales", "slug": "sales", "service_role": "", "colour": "#112233"}
    before = snapshot()
    for lead_id in (other_lead.id, world["member"], world["executive"], 999999, "abc"):
        r = as_executive.post(f"/admin/departments/{sales.id}/edit", data={**form, "lead": lead_id})
        assert r.status_code == 422, lead_id
        assert errors_of(html(r), "lead"), lead_id
    assert snapshot() == before
    r = as_executive.post(f"/admin/departments/{sales.id}/edit", data={**form, "lead": own_lead.id})
    assert r.status_code == 302
    db_session.expire_all()
    assert db_session.get(Department, sales.id).lead_id == own_lead.id
    assert "Sales Lead" in html(as_executive.get("/admin/departments"))
    # and clearing it
    r = as_executive.post(f"/admin/departments/{sales.id}/edit", data={**form, "lead": ""})
    assert r.status_code == 302
    db_session.expire_all()
    assert db_session.get(Department, sales.id).lead_id is None


def test_archive_and_restore_a_department(as_executive, world, db_session):
    sales = world["sales"]
    assert as_executive.post(f"/admin/departments/{sales}/archive").status_code == 302
    db_session.expire_all()
    assert db_session.get(Department, sales).archived_at is not None
    page = html(as_executive.get("/admin/departments"))
    assert f"/admin/departments/{sales}/restore" in page
    # an archived department is not offered for new users
    assert f'value="{sales}"' not in html(as_executive.get("/admin/users/new"))
    assert as_executive.post(f"/admin/departments/{sales}/restore").status_code == 302
    db_session.expire_all()
    assert db_session.get(Department, sales).archived_at is None
    actions = [
        e.action
        for e in db_session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity_type == "Department", AuditEvent.entity_id == sales)
            .order_by(AuditEvent.id)
        )
    ]
    assert actions[-2:] == ["archive", "restore"]


def _order() -> list[str]:
    db.session.expire_all()
    return [d.slug for d in admin.active_departments()]


def test_reorder_departments(as_executive, make, db_session, world):
    make.department("finance", name="Finance", position=5)
    db_session.commit()
    assert _order() == ["sales", "logistics", "finance"]
    finance = db_session.scalar(sa.select(Department).where(Department.slug == "finance"))
    assert as_executive.post(f"/admin/departments/{finance.id}/move/up").status_code == 302
    assert _order() == ["sales", "finance", "logistics"]
    assert as_executive.post(f"/admin/departments/{world['sales']}/move/down").status_code == 302
    assert _order() == ["finance", "sales", "logistics"]
    page = html(as_executive.get("/admin/departments"))
    assert page.index("Finance") < page.index("Sales") < page.index("Logistics")
    before = snapshot()
    # the first cannot go up, the last cannot go down, an archived one is not in the order
    as_executive.post(f"/admin/departments/{finance.id}/move/up")
    as_executive.post(f"/admin/departments/{world['logistics']}/move/down")
    as_executive.post(f"/admin/departments/{world['old']}/move/up")
    assert snapshot() == before
    assert as_executive.post(f"/admin/departments/{finance.id}/move/sideways").status_code == 404


# --- audit log -------------------------------------------------------------------------------


@pytest.fixture
def log(make, db_session, world):
    """A few events from different people, actions, entity types and days."""
    alice = make.user("viewer", name="Alice Auditor")
    db_session.commit()
    db_session.execute(sa.delete(AuditEvent))
    set_actor(db_session, None)
    executive = world["executive"]
    rows = [
        (alice.id, "login", "User", alice.id, {"marker": "m-login"}, datetime(2026, 3, 1, 8)),
        (executive, "update", "Department", 7, {"name": ["Old", "New"]}, datetime(2026, 5, 10)),
        (executive, "archive", "Objective", 3, {"marker": "m-archive"}, datetime(2026, 5, 11)),
        (None, "refused", "-", None, {"marker": "m-system"}, datetime(2026, 4, 2, 23, 59)),
    ]
    for user_id, action, entity_type, entity_id, changes, when in rows:
        record(db_session, action, entity_type, entity_id, changes, user_id=user_id)
        db_session.flush()
        event = db_session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
        event.created_at = when.replace(tzinfo=UTC)
    db_session.commit()
    return {"alice": alice.id}


def test_audit_log_shows_who_when_what(as_executive, log):
    page = html(as_executive.get("/admin/audit"))
    assert "Alice Auditor" in page
    assert '1 March 2026</span> <span class="text-nowrap">08:00:00' in page
    assert "Changed the department (since deleted)" in page  # no such department any more
    assert "<li>Name: Old → New</li>" in page
    assert "<li>Marker: m-login</li>" in page  # a plain detail, no arrow
    assert "Signed in" in page
    assert '<span class="text-body-secondary">the system</span>' in page
    # words for people: no column names, ids or codes
    table = page.split("<table", 1)[1]
    for jargon in ("<code>", "Department #7", "entity", "User #", ">update", ">login"):
        assert jargon not in table, jargon
    # newest first
    assert page.index("m-archive") < page.index("m-system") < page.index("m-login")


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("user={alice}", ["m-login"], ["m-archive", "m-system"]),
        ("action=archive", ["m-archive"], ["m-login", "m-system"]),
        ("entity_type=User", ["m-login"], ["m-archive", "m-system"]),
        ("date_from=2026-03-01&date_to=2026-03-01", ["m-login"], ["m-archive", "m-system"]),
        ("date_from=2026-04-02&date_to=2026-04-02", ["m-system"], ["m-login", "m-archive"]),
        ("date_from=2026-03-02", ["m-system", "m-archive"], ["m-login"]),
        ("date_to=9999-12-31", ["m-login", "m-system", "m-archive"], []),
        ("date_from=0001-01-01", ["m-login", "m-system", "m-archive"], []),
    ],
)
def test_audit_log_filters(as_executive, log, query, shown, hidden):
    r = as_executive.get("/admin/audit?" + query.format(**log))
    assert r.status_code == 200
    page = html(r)
    for marker in shown:
        assert marker in page, marker
    for marker in hidden:
        assert marker not in page, marker


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=yesterday", "date_from"),
        ("date_from=2026-02-30", "date_from"),
        ("date_to=99999-01-01", "date_to"),
        ("date_to=2026-13-01", "date_to"),
        ("date_from=2026-05-02&date_to=2026-05-01", "date_to"),
        ("user=abc", "user"),
        ("user=999999", "user"),
        ("action=" + "x" * 41, "action"),
        ("action=nothing-like-this", "action"),  # only the listed actions
        ("entity_type=Nope", "entity_type"),
    ],
)
def test_audit_log_bad_filters_are_400_beside_the_field(as_executive, log, query, field):
    r = as_executive.get("/admin/audit?" + query)
    assert r.status_code == 400
    assert errors_of(html(r), field)
    assert "m-login" not in html(r)


def test_audit_log_is_paginated_by_50(as_executive, log, db_session):
    for n in range(56):
        record(db_session, "login", "User", n, {"n": n})
    db_session.commit()
    first = html(as_executive.get("/admin/audit"))
    second = html(as_executive.get("/admin/audit?page=2"))
    assert first.count("<time ") == 50
    assert second.count("<time ") == 60 - 50
    assert "Events 1–50 of 60" in first
    assert 'href="/admin/audit?page=2"' in first
    filtered = html(as_executive.get("/admin/audit?action=login&page=2"))
    assert filtered.count("<time ") == 57 - 50
    assert "action=login" in re.search(r'href="([^"]*page=1[^"]*)"', filtered).group(1)
    assert as_executive.get("/admin/audit?page=3").status_code == 404
    assert as_executive.get("/admin/audit?page=99999999999999999999").status_code == 404


def test_audit_log_never_shows_secrets(as_executive, world, db_session):
    user = db_session.get(User, world["member"])
    hashed = user.password_hash
    assert as_executive.post(f"/admin/users/{world['member']}/reset-password").status_code == 200
    page = html(as_executive.get("/admin/audit?entity_type=User"))
    assert "<li>Password: changed</li>" in page
    assert hashed not in page
    assert "$argon2" not in page
    assert "Administered the account of" in page
    assert "<li>What: reset the password</li>" in page
    db_session.expire_all()
    assert db_session.get(User, world["member"]).session_token not in page


def test_log_lines_tell_each_event_in_words(world, db_session):
    plan_owner = db_session.get(User, world["member"])
    events = [
        AuditEvent(
            action="create",
            entity_type="Department",
            entity_id=world["sales"],
            changes={"name": [None, "Sales"], "active": [None, True], "id": [None, 4]},
            user_id=world["executive"],
        ),
        AuditEvent(
            action="update",
            entity_type="Department",
            entity_id=world["sales"],
            changes={"lead_id": [None, plan_owner.id], "updated_at": ["a", "b"]},
        ),
        AuditEvent(
            action="update",
            entity_type="User",
            entity_id=plan_owner.id,
            changes={"session_token": ["0123abcd", "4567ef89"], "password_hash": ["x", "y"]},
        ),
        AuditEvent(
            action="login", entity_type="User", entity_id=plan_owner.id, changes={"note": "x" * 500}
        ),
        AuditEvent(
            action="refused",
            entity_type="-",
            changes={"action": "admin", "request": "POST /admin/users/new"},
        ),
    ]
    for e in events:
        e.created_at = datetime(2026, 3, 1, tzinfo=UTC)
    created, changed, secret, login, refused = history.log_lines(events)
    assert created.what == "Created"
    assert created.thing == "the department “Sales”"
    assert [(c.label, c.before, c.after) for c in created.changes] == [
        ("Name", None, "Sales"),
        ("Active", None, "yes"),
    ]  # the id and bookkeeping are not news
    assert changed.who is None  # the system
    assert [(c.label, c.before, c.after) for c in changed.changes] == [
        ("Lead", None, plan_owner.name)  # a name, not an id
    ]
    assert [(c.label, c.after) for c in secret.changes] == [
        ("Session", "changed"),
        ("Password", "changed"),
    ]
    assert "0123abcd" not in repr(secret)
    assert login.what == "Signed in"
    assert login.thing == ""
    assert login.changes[0].after == "x" * 200 + "…"
    assert refused.what == "Was refused"
    assert {"NPS response", "Reminder settings", "People's accounts", "Plan"} <= set(
        history.FILTER_KINDS.values()
    )  # the filter's words keep their capitals
    assert [(c.label, c.after) for c in refused.changes] == [
        ("Asked to", "administer the app"),
        ("Page", "POST /admin/users/new"),
    ]


def test_audit_log_page_links_ignore_underscore_arguments(as_executive, log, db_session):
    for n in range(60):
        record(db_session, "login", "User", n)
    db_session.commit()
    page = html(as_executive.get("/admin/audit?_external=1&_scheme=javascript&action=login"))
    assert "javascript:" not in page
    assert 'href="/admin/audit?page=2&amp;action=login"' in page or (
        'href="/admin/audit?action=login&amp;page=2"' in page
    )


# --- escaping and CSRF -----------------------------------------------------------------------


def test_html_in_a_name_is_escaped_everywhere(as_executive, make, db_session, world):
    sales = db_session.get(Department, world["sales"])
    evil = make.user("lead", department=sales, name=XSS)
    sales.lead = evil
    db_session.commit()
    pages = [
        as_executive.get("/admin/users"),
        as_executive.get(f"/admin/users/{evil.id}/edit"),
        as_executive.get("/admin/departments"),
        as_executive.get(f"/admin/departments/{sales.id}/edit"),
        as_executive.get("/admin/audit"),
        as_executive.post(f"/admin/users/{evil.id}/reset-password"),
        as_executive.post(
            "/admin/users/new",
            data={"email": "x@example.test", "name": XSS, "role": "viewer", "department": ""},
        ),
        as_executive.post(
            f"/admin/users/{evil.id}/edit",
            data={"name": XSS, "role": "lead", "department": ""},
        ),
        as_executive.post(f"/admin/users/{evil.id}/deactivate", follow_redirects=True),
    ]
    for r in pages:
        page = html(r)
        assert XSS not in page, r.request.path
        assert XSS_ESCAPED in page, r.request.path


@pytest.fixture
def csrf_app(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session.remove()


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_admin_posts_need_the_csrf_token(csrf_app, make):
    make.user("executive", email="ceo@example.test")
    target = make.user("viewer", email="target@example.test")
    db.session.commit()
    client = csrf_app.test_client()
    token = _token(html(client.get("/login")))
    r = client.post(
        "/login",
        data={"email": "ceo@example.test", "password": factories.PASSWORD, "csrf_token": token},
    )
    assert r.status_code == 302
    before = snapshot()
    for path, data in (
        (f"/admin/users/{target.id}/deactivate", {}),
        ("/admin/users/new", {"email": "n@example.test", "name": "N", "role": "viewer"}),
        ("/admin/departments/new", {"name": "X", "slug": "x", "colour": "#000000"}),
    ):
        assert client.post(path, data=data).status_code == 400, path
    assert snapshot() == before
    token = _token(html(client.get(f"/admin/users/{target.id}/edit")))
    r = client.post(f"/admin/users/{target.id}/deactivate", data={"csrf_token": token})
    assert r.status_code == 302
    assert not user_by_email("target@example.test").active


def test_an_actual_in_the_audit_log_names_its_day_and_its_indicator(as_executive, db_session):
    """Department leads enter actuals more than anything else: "Changed the actual of 30 Nov
    2026" alone did not say which of a hundred indicators it was."""
    indicator = factories.indicator(
        name="Orders filled complete", actuals=[(date(2026, 11, 30), 31.0)]
    )
    db_session.add(indicator)
    db_session.commit()
    actual = indicator.measurements[0]
    actual.value = 36.0
    db_session.commit()
    page = html(as_executive.get("/admin/audit?entity_type=Measurement"))
    assert "Changed the actual of 30 Nov 2026 for “Orders filled complete”" in page
    assert "<li>Value: 31 → 36</li>" in page


def test_an_event_whose_changes_are_not_fields_still_shows(as_executive, db_session):
    """An old event may hold a plain text or a list instead of its fields: the log shows it as
    a detail rather than failing the whole page."""
    db_session.add_all(
        [
            AuditEvent(action="admin_action", entity_type="User", changes="m-plain-text"),
            AuditEvent(action="admin_action", entity_type="User", changes=["m-a", "m-b"]),
        ]
    )
    db_session.commit()
    r = as_executive.get("/admin/audit?action=admin_action")
    assert r.status_code == 200
    page = html(r)
    assert "<li>Detail: m-plain-text</li>" in page
    assert "m-a" in page


def _audit_queries(client) -> int:
    db.session.commit()
    with counting_queries() as statements:
        assert client.get("/admin/audit").status_code == 200
    return len(statements)


def test_the_audit_page_names_everything_in_a_fixed_number_of_queries(
    as_executive, db_session, make
):
    """Who, what about and the ids in the changes are named one query per kind of thing,
    however many events the page shows (a full page costs what a nearly empty one does)."""
    set_actor(db_session, None)
    db_session.execute(sa.delete(AuditEvent))
    db_session.commit()

    def events(n: int) -> None:
        for i in range(n):
            person = make.user("viewer", name=f"Person {i}")
            db_session.flush()
            changes = {"owner_id": [None, person.id], "objective_id": [None, 10_000 + i]}
            record(db_session, "update", "ActionPlan", 20_000 + i, changes, user_id=person.id)
            record(db_session, "update", "User", person.id, {"name": ["A", "B"]}, user_id=None)
        db_session.commit()

    events(2)
    few = _audit_queries(as_executive)
    events(20)  # a full page: 50 events, twenty more people, plans and objectives
    assert _audit_queries(as_executive) == few
