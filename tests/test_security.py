"""Sessions, lock-out, password rules and security headers (issue 3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from strategy_app.models import AuditEvent, LoginThrottle, User
from strategy_app.services.plumbing import throttle
from strategy_app.services.writes import users

PAGES = ["/", "/account/", "/login", "/healthz", "/admin/users", "/api/v1/openapi.json"]


def _sign_in(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def exec_user(make, db_session):
    user = make.user("executive", email="boss@example.test")
    db_session.commit()
    return user


# --- headers ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_page(client, login, exec_user, path):
    login(exec_user)
    r = client.get(path)
    csp = r.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in r.headers  # plain HTTP here


@pytest.mark.parametrize("path", ["/", "/account/", "/admin/users"])
def test_private_pages_are_not_cached(client, login, exec_user, path):
    login(exec_user)
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    r = client.get("/static/css/app.css")
    r.close()
    assert r.status_code == 200
    assert r.headers.get("Cache-Control") != "no-store"


def test_hsts_over_https(client):
    r = client.get("/login", base_url="https://localhost")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_flags(client, exec_user):
    r = _sign_in(client, exec_user.email, "correct horse battery staple")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_cookie_is_secure_host_prefixed(app_factory):
    app = app_factory(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_NAME="__Host-session")
    r = app.test_client().get("/login", base_url="https://localhost")
    cookie = r.headers.get("Set-Cookie", "")
    # an anonymous GET sets the CSRF-carrying session only when a form needs it
    if cookie:
        assert cookie.startswith("__Host-session=")
        assert "Secure" in cookie


def test_no_inline_script_in_pages(client, login, exec_user):
    login(exec_user)
    for path in ("/", "/account/", "/login"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html
        assert " onclick=" not in html
        assert " style=" not in html


# --- sessions -----------------------------------------------------------------------------


def test_old_cookie_is_useless_after_sign_out(app, exec_user):
    a = app.test_client()
    _sign_in(a, exec_user.email, "correct horse battery staple")
    stolen = a.get_cookie("session").value
    assert a.get("/").status_code == 200
    a.post("/logout")
    b = app.test_client()
    b.set_cookie("session", stolen)
    r = b.get("/")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login")


def test_old_cookie_is_useless_after_password_change(app, exec_user):
    a = app.test_client()
    _sign_in(a, exec_user.email, "correct horse battery staple")
    stolen = a.get_cookie("session").value
    r = a.post(
        "/account/password",
        data={
            "current_password": "correct horse battery staple",
            "new_password": "a brand new passphrase 42",
            "confirm": "a brand new passphrase 42",
        },
    )
    assert r.status_code == 302
    assert a.get("/").status_code == 200  # the session that changed it goes on
    b = app.test_client()
    b.set_cookie("session", stolen)
    assert b.get("/").status_code == 302


def test_deactivated_users_live_session_is_refused(app, make, db_session):
    user = make.user("lead")
    db_session.commit()
    c = app.test_client()
    _sign_in(c, user.email, make.PASSWORD)
    assert c.get("/").status_code == 200
    user.active = False
    user.end_sessions()
    db_session.commit()
    assert c.get("/").status_code == 302


def test_role_change_takes_effect_at_once(app, make, db_session):
    user = make.user("executive")
    db_session.commit()
    c = app.test_client()
    _sign_in(c, user.email, make.PASSWORD)
    assert c.get("/admin/users").status_code == 200
    user.role = "viewer"
    db_session.commit()
    assert c.get("/admin/users").status_code == 403


def test_idle_timeout(app_factory, make):
    app = app_factory(SESSION_IDLE_MINUTES=0)
    with app.app_context():
        user = make.user("viewer")
        from strategy_app.extensions import db

        db.session.commit()
        email = user.email
    c = app.test_client()
    _sign_in(c, email, make.PASSWORD)
    with c.session_transaction() as s:
        s["seen"] -= 5
    r = c.get("/")
    assert r.status_code == 302
    assert "/login" in r.headers["Location"]


def test_absolute_lifetime(app, exec_user):
    c = app.test_client()
    _sign_in(c, exec_user.email, "correct horse battery staple")
    with c.session_transaction() as s:
        s["iat"] -= timedelta(hours=13).total_seconds()
    assert c.get("/").status_code == 302


def test_temporary_password_must_be_changed_first(app, make, db_session):
    user = make.user("member", must_change_password=True)
    db_session.commit()
    c = app.test_client()
    r = _sign_in(c, user.email, make.PASSWORD)
    assert r.headers["Location"].startswith("/account/password")
    r = c.get("/")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/account/password")
    r = c.post(
        "/account/password",
        data={
            "current_password": make.PASSWORD,
            "new_password": "my own passphrase 77",
            "confirm": "my own passphrase 77",
        },
    )
    assert r.status_code == 302
    assert c.get("/").status_code == 200
    db_session.refresh(user)
    assert user.must_change_password is False


# --- passwords ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 12"),
        ("x" * 129, "at most 128"),
        ("password1234", "too common"),
        ("boss@example.test", "email"),
    ],
)
def test_password_rules(password, problem):
    problems = users.password_problems(password, "boss@example.test")
    assert any(problem in p for p in problems), problems


def test_no_composition_rules():
    assert users.password_problems("all lower case words here") == []


def test_common_list_is_shipped():
    assert len(users.common_passwords()) >= 10_000


def test_change_password_asks_for_the_current_one(client, login, exec_user, db_session):
    login(exec_user)
    r = client.post(
        "/account/password",
        data={
            "current_password": "wrong one entirely",
            "new_password": "another good phrase 9",
            "confirm": "another good phrase 9",
        },
    )
    assert r.status_code == 422
    assert "not your current password" in r.get_data(as_text=True)
    db_session.refresh(exec_user)
    assert users.check_password(exec_user, "correct horse battery staple")


def test_password_hash_is_argon2id(exec_user):
    assert exec_user.password_hash.startswith("$argon2id$")


# --- brute force --------------------------------------------------------------------------


def test_lock_out_after_repeated_failures(client, exec_user, db_session):
    for _ in range(throttle.FREE_FAILURES["acct"]):
        r = _sign_in(client, exec_user.email, "not the password")
        assert r.status_code == 401
    r = _sign_in(client, exec_user.email, "not the password")
    assert r.status_code == 429
    assert "Too many failed sign-ins" in r.get_data(as_text=True)
    # while locked, even the right password is not checked
    r = _sign_in(client, exec_user.email, "correct horse battery staple")
    assert r.status_code == 429
    events = db_session.scalars(sa.select(AuditEvent.action)).all()
    assert events.count("login_failed") >= throttle.FREE_FAILURES["acct"] + 1
    assert all(
        "not the password" not in str(e.changes) for e in db_session.scalars(sa.select(AuditEvent))
    )


def test_lock_lapses_and_grows(db_session):
    n = throttle.FREE_FAILURES["acct"]
    first = throttle.lock_length("acct", n + 1)
    second = throttle.lock_length("acct", n + 2)
    assert throttle.lock_length("acct", n) is None
    assert first == throttle.BASE_LOCK
    assert second == 2 * first
    assert throttle.lock_length("acct", n + 50) == throttle.MAX_LOCK


def test_lock_is_per_address_so_a_victim_elsewhere_can_still_sign_in(app, exec_user):
    attacker = app.test_client()
    for _ in range(throttle.FREE_FAILURES["acct"] + 2):
        attacker.post(
            "/login",
            data={"email": exec_user.email, "password": "guess"},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        )
    victim = app.test_client()
    r = victim.post(
        "/login",
        data={"email": exec_user.email, "password": "correct horse battery staple"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert r.status_code == 302


def test_success_clears_the_account_key(client, exec_user, db_session):
    _sign_in(client, exec_user.email, "nope nope nope")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(LoginThrottle)) == 2
    _sign_in(client, exec_user.email, "correct horse battery staple")
    keys = db_session.scalars(sa.select(LoginThrottle.key)).all()
    assert keys == ["addr:127.0.0.1"]


def test_unknown_email_is_throttled_too(client, db_session):
    for _ in range(throttle.FREE_FAILURES["acct"] + 1):
        r = _sign_in(client, "nobody@example.test", "whatever it is")
    assert r.status_code == 429
    assert db_session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_form_writes_are_audited_under_the_signed_in_user(client, login, exec_user, db_session):
    login(exec_user)
    r = client.post("/account/tokens", data={"name": "CRM import", "scope": "read", "days": 30})
    assert r.status_code == 200
    event = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity_type == "ApiToken")
    ).one()
    assert event.action == "create"
    assert event.user_id == exec_user.id
