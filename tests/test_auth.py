"""Sign-in and sign-out (the binding form contract of DESIGN §5)."""

import pytest

from strategy_app.models import AuditEvent


def test_login_page_has_the_binding_fields(app_factory):
    r = app_factory(WTF_CSRF_ENABLED=True).test_client().get("/login")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    for name in ('name="email"', 'name="password"', 'name="csrf_token"', 'action="/login'):
        assert name in html


@pytest.mark.parametrize("path", ["/", "/?as_of=2026-01-01"])
def test_pages_need_a_signed_in_user(client, path):
    r = client.get(path)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login")


def test_sign_in_and_see_dashboard(client, make, login, db_session):
    make.organization(vision="Be the number one distributor")
    user = make.user("executive", email="ceo@example.test")
    db_session.commit()
    login(user)
    r = client.get("/")
    assert r.status_code == 200
    assert "Be the number one distributor" in r.get_data(as_text=True)


def test_email_is_case_insensitive(client, make, db_session):
    make.user("viewer", email="mixed@example.test")
    db_session.commit()
    r = client.post("/login", data={"email": "MIXED@Example.TEST", "password": make.PASSWORD})
    assert r.status_code == 302


def test_wrong_password_is_refused_and_audited(client, make, db_session):
    user = make.user("viewer")
    db_session.commit()
    r = client.post("/login", data={"email": user.email, "password": "wrong password!!"})
    assert r.status_code == 401
    assert "The email or password is not right." in r.get_data(as_text=True)
    actions = db_session.scalars(
        AuditEvent.__table__.select().with_only_columns(AuditEvent.action)
    ).all()
    assert "login_failed" in actions
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_sign_in(client, make, db_session):
    user = make.user("viewer", active=False)
    db_session.commit()
    r = client.post("/login", data={"email": user.email, "password": make.PASSWORD})
    assert r.status_code == 401


def test_logout_is_post_only(client, make, login, db_session):
    user = make.user("viewer")
    db_session.commit()
    login(user)
    assert client.get("/logout").status_code == 405
    r = client.post("/logout")
    assert r.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_only_goes_to_own_paths(client, make, db_session, target):
    user = make.user("viewer")
    db_session.commit()
    r = client.post("/login?next=" + target, data={"email": user.email, "password": make.PASSWORD})
    assert r.headers["Location"] == "/"


def test_next_keeps_own_path(client, make, db_session):
    user = make.user("viewer")
    db_session.commit()
    r = client.post(
        "/login?next=/?as_of=2026-01-01", data={"email": user.email, "password": make.PASSWORD}
    )
    assert r.headers["Location"] == "/?as_of=2026-01-01"


def test_login_without_csrf_token_is_refused(app_factory):
    from strategy_app.extensions import db
    from tests import factories

    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = factories.user("viewer")
        db.session.commit()
        email = user.email
    r = app.test_client().post("/login", data={"email": email, "password": factories.PASSWORD})
    assert r.status_code == 400
