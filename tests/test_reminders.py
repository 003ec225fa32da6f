"""send-reminders against a real SMTP server on loopback (aiosmtpd): who gets what, once a
day, failures retried, STARTTLS with login, the outbox, preferences and unsubscribing."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    FollowUp,
    NpsResponse,
    ReminderPreference,
    ReminderSend,
    User,
)
from strategy_app.services.reads import reminders as who
from strategy_app.services.writes import reminders as record
from tests.conftest import FIXED_TODAY
from tests.loopback import SmtpServer, self_signed_cert

BASE = "https://strategy.example.test/app"
MONDAY = FIXED_TODAY  # 2026-06-15


@dataclass
class World:
    member: User  # an overdue plan and an open follow-up
    ceo: User  # an objective whose indicator is due an actual
    idle: User  # a member with nothing waiting
    viewer: User
    gone: User  # inactive, with an overdue plan
    quiet: User  # chose never, with an overdue plan
    plan_id: int
    indicator_id: int


@pytest.fixture
def world(app, make) -> World:
    sales = make.department("sales", name="Sales")
    member = make.user("member", sales, name="Mia Member", email="mia@example.test")
    ceo = make.user("executive", name="Carl Chief", email="carl@example.test")
    idle = make.user("member", sales, name="Ida Idle", email="ida@example.test")
    viewer = make.user("viewer", email="vera@example.test")
    gone = make.user("member", sales, email="gone@example.test", active=False)
    quiet = make.user("member", sales, email="quiet@example.test")
    objective = make.objective(title="Faster deliveries", owner=ceo)
    start, late = date(2026, 1, 1), date(2026, 6, 1)
    plan = make.plan(
        objective, sales, title="Route planning", owner=member, start_date=start, due_date=late
    )
    for owner in (gone, quiet):
        make.plan(objective, sales, title="Other", owner=owner, start_date=start, due_date=late)
    make.plan(objective, sales, title="Done", owner=idle, start_date=start, state="done")
    monthly = [(date(2026, m, 1), m * 8.0) for m in range(2, 12)]
    indicator = make.indicator(objective, name="On-time deliveries", milestones=monthly)
    response = NpsResponse(date=date(2026, 6, 1), score=2, customer_ref="CUST-7", comment="Late")
    db.session.add(FollowUp(response=response, owner=member, state="open"))
    db.session.add(ReminderPreference(user=quiet, frequency="never", weekday=0))
    db.session.commit()
    return World(member, ceo, idle, viewer, gone, quiet, plan.id, indicator.id)


def run(app, *args: str, command: str = "send-reminders"):
    """Run a command of app (in its own app context and session, as cron would)."""
    db.session.commit()  # let the command see (and not wait on) what the test wrote
    with app.app_context():
        result = app.test_cli_runner().invoke(args=[command, *args])
        db.session.remove()
    db.session.expire_all()
    return result


def smtp_app(app_factory, server: SmtpServer, tmp_path, **extra):
    settings = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": server.port,
        "SMTP_STARTTLS": False,
        "SMTP_TIMEOUT_SECONDS": 1.5,
        "MAIL_FROM": "Strategy tracker <tracker@example.test>",
        "APP_BASE_URL": BASE,
        "OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    return app_factory(**(settings | extra))


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mail_app(app_factory, smtp, tmp_path):
    return smtp_app(app_factory, smtp, tmp_path)


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def sends(user: User) -> list[ReminderSend]:
    return list(db.session.scalars(sa.select(ReminderSend).where(ReminderSend.user_id == user.id)))


# --- who gets what ----------------------------------------------------------------------------


def test_the_right_people_get_the_right_items(mail_app, smtp, world):
    result = run(mail_app)
    assert result.exit_code == 0, result.output
    assert sorted(m["To"] for m in smtp.handler.messages) == [
        "carl@example.test",
        "mia@example.test",
    ]

    (mia,) = smtp.handler.to("mia@example.test")
    assert mia["From"] == "Strategy tracker <tracker@example.test>"
    assert mia["Subject"] == "Strategy tracker: 2 updates wait on you"
    text, html = text_of(mia), html_of(mia)
    plan_link = f"{BASE}/plans/{world.plan_id}/check-in"
    assert "Route planning" in text
    assert plan_link in text
    assert "overdue since 2026-06-01" in text
    assert "CUST-7 scored 2" in text
    assert "On-time deliveries" not in text  # the executive's, not hers
    assert f'href="{plan_link}"' in html
    assert mia["List-Unsubscribe"].startswith(f"<{BASE}/account/unsubscribe/")
    assert mia["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    (carl,) = smtp.handler.to("carl@example.test")
    assert carl["Subject"] == "Strategy tracker: 1 update waits on you"
    assert "On-time deliveries" in text_of(carl)
    assert f"{BASE}/actuals/{world.indicator_id}/new" in text_of(carl)
    assert "Route planning" not in text_of(carl)

    assert "e-mailed mia@example.test: 2 item(s)" in result.output
    assert "2 sent, 0 failed." in result.output
    for nobody in (world.idle, world.viewer, world.gone, world.quiet):
        assert sends(nobody) == []
    assert [(s.status, s.day, s.items) for s in sends(world.member)] == [("sent", MONDAY, 2)]


def test_the_list_is_my_updates(mail_app, smtp, world):
    """The e-mail lists exactly what the My updates page lists (the same read)."""
    from strategy_app.services.reads.my_updates import my_updates

    run(mail_app)
    u = my_updates(db.session.get(User, world.member.id), MONDAY)
    text = text_of(smtp.handler.to("mia@example.test")[0])
    for item in u.plans:
        assert item.plan.title in text
    assert len(re.findall(r"^- ", text, re.M)) == len(u.plans) + len(u.indicators) + len(
        u.follow_ups
    )


def test_nobody_gets_a_second_reminder_the_same_day(mail_app, smtp, world, app_factory, tmp_path):
    assert run(mail_app).exit_code == 0
    assert len(smtp.handler.messages) == 2
    again = run(mail_app)
    assert again.exit_code == 0
    assert "no reminder is due" in again.output
    # A second host: another app on the same database, the same day.
    other = smtp_app(app_factory, smtp, tmp_path)
    assert run(other).exit_code == 0
    assert len(smtp.handler.messages) == 2


def test_a_claim_by_another_run_is_respected(mail_app, smtp, world):
    """A run that finds the day claimed by a run still sending leaves that person alone."""
    now = record_now()
    assert record.claim(world.member.id, MONDAY, now)
    assert not record.claim(world.member.id, MONDAY, now)  # the second host
    result = run(mail_app)
    assert "skipped mia@example.test" in result.output
    assert [m["To"] for m in smtp.handler.messages] == ["carl@example.test"]
    # A claim left by a run that died long ago is taken over.
    assert record.claim(world.member.id, MONDAY, now + timedelta(hours=1))


def test_a_refused_message_is_retried_by_the_next_run(mail_app, smtp, world):
    smtp.handler.refuse = {"mia@example.test"}
    result = run(mail_app)
    assert result.exit_code == 1
    assert "FAILED mia@example.test" in result.output
    assert "550" in result.output
    assert [m["To"] for m in smtp.handler.messages] == ["carl@example.test"]  # the rest went
    (row,) = sends(world.member)
    assert row.status == "failed"
    assert row.sent_at is None

    smtp.handler.refuse = set()
    result = run(mail_app)
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in smtp.handler.messages] == ["carl@example.test", "mia@example.test"]
    (row,) = sends(world.member)
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_failed_weekly_reminder_goes_out_the_next_day(mail_app, smtp, world, app_factory):
    smtp.handler.refuse = {"mia@example.test"}
    run(mail_app)
    smtp.handler.refuse = set()
    tuesday = smtp_app(
        app_factory, smtp, pathlib_tmp(mail_app), FIXED_TODAY=(MONDAY + timedelta(1)).isoformat()
    )
    result = run(tuesday)
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in smtp.handler.messages] == ["carl@example.test", "mia@example.test"]
    db.session.expire_all()
    assert sorted((s.day, s.status) for s in sends(world.member)) == [
        (MONDAY, "failed"),
        (MONDAY + timedelta(1), "sent"),
    ]


def pathlib_tmp(app):
    from pathlib import Path

    return Path(app.config["OUTBOX_DIR"]).parent


def test_a_server_that_stalls_or_hangs_up_fails_those_messages_only(mail_app, smtp, world):
    smtp.handler.stall = {"carl@example.test"}  # the first message (by user id: Mia is first)
    smtp.handler.hang_up = {"mia@example.test"}
    started = time.monotonic()
    result = run(mail_app)
    assert time.monotonic() - started < 10
    assert result.exit_code == 1
    assert "FAILED mia@example.test" in result.output
    assert "FAILED carl@example.test" in result.output
    assert smtp.handler.messages == []
    assert {s.status for s in sends(world.member) + sends(world.ceo)} == {"failed"}
    smtp.handler.stall, smtp.handler.hang_up = set(), set()
    assert run(mail_app).exit_code == 0
    assert len(smtp.handler.messages) == 2


def test_no_server_at_all_marks_nothing_sent(app_factory, world, tmp_path):
    app = app_factory(SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_STARTTLS=False, APP_BASE_URL=BASE)
    result = run(app)
    assert result.exit_code == 1
    assert result.output.count("FAILED") == 2
    assert "could not reach the mail server" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).where(ReminderSend.status == "sent")) == 0


def test_dry_run_sends_and_records_nothing(mail_app, smtp, world):
    result = run(mail_app, "--dry-run")
    assert result.exit_code == 0
    assert "would e-mail mia@example.test: 2 item(s)" in result.output
    assert "would e-mail carl@example.test: 1 item(s)" in result.output
    assert smtp.handler.messages == []
    assert db.session.scalar(sa.select(sa.func.count(ReminderSend.id))) == 0


def test_starttls_and_login(app_factory, world, tmp_path):
    cert, key = self_signed_cert(tmp_path)
    with SmtpServer(tls=(cert, key), login=("mailer", "s3cret")) as server:
        app = smtp_app(
            app_factory,
            server,
            tmp_path,
            SMTP_STARTTLS=True,
            SMTP_USERNAME="mailer",
            SMTP_PASSWORD="s3cret",
            SMTP_CA_FILE=str(cert),
        )
        result = run(app)
        assert result.exit_code == 0, result.output
        assert len(server.handler.messages) == 2
        assert server.logins == ["mailer"]  # one connection, one login, for the whole run


def test_starttls_refuses_a_certificate_it_cannot_trust(app_factory, world, tmp_path):
    cert, key = self_signed_cert(tmp_path)
    with SmtpServer(tls=(cert, key)) as server:
        app = smtp_app(
            app_factory,
            server,
            tmp_path,
            SMTP_STARTTLS=True,
            SMTP_USERNAME="mailer",
            SMTP_PASSWORD="s3cret",
        )
        result = run(app)
        assert result.exit_code == 1
        assert server.handler.messages == []
        assert "CERTIFICATE_VERIFY_FAILED" in result.output


# --- preferences ------------------------------------------------------------------------------


def test_weekly_on_another_day_and_daily(mail_app, smtp, world, make):
    record.set_preference(world.member, "weekly", 1)  # Tuesdays
    db.session.add(
        ReminderSend(
            user_id=world.member.id,
            day=MONDAY - timedelta(6),  # last Tuesday's went out
            status="sent",
            claimed_at=record_now(),
        )
    )
    record.set_preference(world.ceo, "daily", 0)
    run(mail_app)
    assert [m["To"] for m in smtp.handler.messages] == ["carl@example.test"]
    due = dict((u.email, day) for u, day in who.due_users(MONDAY + timedelta(1)))
    assert due["mia@example.test"] == MONDAY + timedelta(1)
    assert due["carl@example.test"] == MONDAY + timedelta(1)


def record_now():
    from strategy_app.models.base import utcnow

    return utcnow()


def test_account_page_saves_the_preference(app, client, login, world):
    login(world.member)
    page = client.get("/account/").get_data(as_text=True)
    assert "Reminder e-mails" in page
    assert "every Monday" in page
    r = client.post("/account/reminders", data={"frequency": "weekly", "weekday": "3"})
    assert r.status_code == 302
    assert who.preference(world.member) == who.Preference("weekly", 3)
    assert "every Thursday" in client.get("/account/").get_data(as_text=True)
    r = client.post("/account/reminders", data={"frequency": "daily", "weekday": "3"})
    assert who.preference(world.member).frequency == "daily"


@pytest.mark.parametrize(
    "data",
    [
        {"frequency": "hourly", "weekday": "0"},
        {"frequency": "weekly", "weekday": "7"},
        {"frequency": "weekly", "weekday": "-1"},
        {"frequency": "weekly", "weekday": "x"},
        {"frequency": "weekly"},
        {"frequency": "\x00", "weekday": "0"},
    ],
)
def test_bad_preferences_are_refused_and_change_nothing(app, client, login, world, data):
    login(world.member)
    r = client.post("/account/reminders", data=data)
    assert r.status_code == 422
    assert "Reminder e-mails" in r.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(ReminderPreference).where(ReminderPreference.user_id == world.member.id)
        )
        is None
    )


# --- unsubscribing ----------------------------------------------------------------------------


def unsubscribe_path(message) -> str:
    (url,) = re.findall(rf"{re.escape(BASE)}(/account/unsubscribe/\S+)", text_of(message))
    return url


def test_the_unsubscribe_link_works_without_signing_in(mail_app, smtp, world, app_factory, client):
    run(mail_app)
    path = unsubscribe_path(smtp.handler.to("mia@example.test")[0])
    page = client.get(path)
    assert page.status_code == 200
    assert "Stop reminder e-mails" in page.get_data(as_text=True)
    assert (
        who.preference(world.member).frequency == "weekly"
    )  # a GET (a link scanner) changes nothing
    done = client.post(path)
    assert done.status_code == 200
    assert "no more reminder e-mails" in done.get_data(as_text=True)
    db.session.expire_all()
    assert who.preference(db.session.get(User, world.member.id)).frequency == "never"
    # the next week, nothing for her; Carl still gets his
    monday = smtp_app(
        app_factory, smtp, pathlib_tmp(mail_app), FIXED_TODAY=(MONDAY + timedelta(7)).isoformat()
    )
    run(monday)
    assert len(smtp.handler.to("mia@example.test")) == 1
    assert len(smtp.handler.to("carl@example.test")) == 2


def test_one_click_unsubscribe_from_the_mail_client(mail_app, smtp, world, client):
    run(mail_app)
    header = smtp.handler.to("carl@example.test")[0]["List-Unsubscribe"]
    path = header.strip("<>").removeprefix(BASE)
    r = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 204
    db.session.expire_all()
    assert who.preference(db.session.get(User, world.ceo.id)).frequency == "never"


@pytest.mark.parametrize("mangle", ["flip", "other-secret", "garbage", "long", "hostile"])
def test_a_forged_unsubscribe_link_is_refused(app, app_factory, world, mangle):
    token = record.unsubscribe_token(world.member)
    if mangle == "flip":
        token = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    elif mangle == "other-secret":
        other = app_factory(SECRET_KEY="another-secret")
        with other.app_context():
            token = record.unsubscribe_token(world.member)
    elif mangle == "garbage":
        token = "not-a-token"
    elif mangle == "long":
        token = "x" * 5000
    else:
        token = "..%2F..%2Fetc%2Fpasswd%00%3Cscript%3E'%20OR%201=1--"
    client = app.test_client()
    assert client.get(f"/account/unsubscribe/{token}").status_code == 404
    assert client.post(f"/account/unsubscribe/{token}").status_code == 404
    assert who.preference(world.member).frequency == "weekly"


def test_a_link_stops_working_when_the_email_changes(app, world):
    token = record.unsubscribe_token(world.member)
    world.member.email = "mia.new@example.test"
    db.session.commit()
    assert app.test_client().post(f"/account/unsubscribe/{token}").status_code == 404


# --- the outbox -------------------------------------------------------------------------------


def test_without_a_mail_server_messages_go_to_the_outbox(app_factory, world, tmp_path, make):
    outbox = tmp_path / "outbox"
    app = app_factory(OUTBOX_DIR=str(outbox), APP_BASE_URL=BASE)
    result = run(app)
    assert result.exit_code == 0, result.output
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    assert all(f.stat().st_size > 500 for f in files)
    email = world.ceo.email
    db.session.commit()  # another app, another session: hold no lock while it answers
    client = app.test_client()
    client.post("/login", data={"email": email, "password": make.PASSWORD})
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "mia@example.test" in page
    assert "2 updates wait on you" in page
    message = client.get(f"/admin/outbox/{files[0].name}")
    assert message.status_code == 200
    assert "Stop these reminders" in message.get_data(as_text=True)
    for bad in ("..%2Fsecret_key", "x.eml", files[0].name + ".part"):
        assert client.get(f"/admin/outbox/{bad}").status_code == 404


def test_only_executives_read_the_outbox(app, client, login, world):
    login(world.member)
    assert client.get("/admin/outbox").status_code == 403


def test_two_hosts_at_once_send_each_reminder_once(mail_app, smtp, world, app_factory, tmp_path):
    """Two runs started together (two hosts' cron at 07:00) on the same database."""
    import threading

    from strategy_app.services.dataio import reminders as job

    other = smtp_app(app_factory, smtp, tmp_path)
    db.session.commit()
    reports, errors = [], []

    def host(app):
        try:
            with app.app_context():
                reports.append(job.send_reminders())
                db.session.remove()
        except Exception as exc:  # reported below, with the test's failure
            errors.append(exc)

    threads = [threading.Thread(target=host, args=(a,)) for a in (mail_app, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(m["To"] for m in smtp.handler.messages) == [
        "carl@example.test",
        "mia@example.test",
    ]
    assert sum(r.sent for r in reports) == 2
