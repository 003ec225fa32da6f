"""Webhooks against a real HTTP receiver on loopback: events queued with their cause, delivered
by the commands, retried with back-off, timed out, and forbidden addresses refused.

Delivering to 127.0.0.1 needs WEBHOOK_ALLOW_LOOPBACK, which the app honours only while TESTING
(it is never read from the environment); the tests that check refusals run without it.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Webhook, WebhookDelivery
from strategy_app.models.base import utcnow
from strategy_app.models.reminders import WEBHOOK_EVENTS
from strategy_app.schemas.inputs import BatchItem, MeasurementIn
from strategy_app.schemas.reviews import DecisionIn, ReviewIn
from strategy_app.services.plumbing import outbound, webhooks
from strategy_app.services.writes import measurements, reviews
from tests.conftest import FIXED_TODAY
from tests.loopback import Receiver
from tests.test_reminders import run

LOOPBACK = {"WEBHOOK_ALLOW_LOOPBACK": True, "WEBHOOK_TIMEOUT_SECONDS": 1.0}


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def hook_app(app_factory):
    """An app that may post to loopback (the test receiver); the test's session is `app`'s."""
    return app_factory(**LOOPBACK)


@pytest.fixture
def ceo(make, app):
    return make.user("executive", name="Carl Chief", email="carl@example.test")


def add_hook(url: str, events=WEBHOOK_EVENTS, active=True) -> Webhook:
    hook = Webhook(name="Strategy channel", url=url, events=list(events), active=active)
    db.session.add(hook)
    db.session.commit()
    return hook


def deliveries(**where) -> list[WebhookDelivery]:
    query = sa.select(WebhookDelivery).order_by(WebhookDelivery.id)
    for key, value in where.items():
        query = query.where(getattr(WebhookDelivery, key) == value)
    return list(db.session.scalars(query))


def settings(**changes) -> webhooks.DeliverySettings:
    values = {
        "timeout": 1.0,
        "max_attempts": 3,
        "backoff_seconds": 60,
        "base_url": "https://tracker.example.test",
        "allow_loopback": True,
    } | changes
    return webhooks.DeliverySettings(**values)


@pytest.fixture
def plan_world(make, ceo):
    sales = make.department("sales", name="Sales")
    objective = make.objective(title="Faster deliveries", owner=ceo)
    plan = make.plan(objective, sales, title="Route planning", start_date=date(2026, 1, 1))
    # increase 0 → 100 over 2026: about 45 is expected on 15 June, tolerance 10
    indicator = make.indicator(plan, name="On-time deliveries", actuals=[(date(2026, 6, 1), 50)])
    db.session.commit()
    return plan, indicator


# --- queued with the change ---------------------------------------------------------------


def test_an_indicator_turning_off_track_is_queued_once(app, receiver, ceo, plan_world):
    add_hook(receiver.url, ["off_track"])
    _, indicator = plan_world

    def enter(day: int, value: float) -> None:
        measurements.record(ceo, indicator, MeasurementIn(date=date(2026, 6, day), value=value))
        db.session.commit()

    enter(10, 20)  # on track → off track
    assert len(deliveries(event="off_track")) == 1
    enter(11, 15)  # still off track: nothing new
    enter(12, 44)  # at risk
    assert len(deliveries(event="off_track")) == 1
    enter(13, 10)  # off track again
    queued = deliveries(event="off_track")
    assert len(queued) == 2
    assert queued[0].payload["event"] == "off_track"
    assert queued[0].payload["data"]["name"] == "On-time deliveries"
    assert queued[0].payload["data"]["actual"] == 20
    assert "Off track: On-time deliveries" in queued[0].payload["text"]
    assert receiver.received == []  # the write never waits on the receiver


def test_a_batch_queues_each_indicator_that_turns(app, receiver, ceo, plan_world, make):
    add_hook(receiver.url, ["off_track"])
    plan, first = plan_world
    second = make.indicator(plan, name="Fill rate", actuals=[(date(2026, 6, 1), 50)])
    third = make.indicator(plan, name="Returns", actuals=[(date(2026, 6, 1), 50)])
    db.session.commit()
    items = [
        (0, BatchItem(indicator_id=first.id, date=date(2026, 6, 10), value=5)),
        (1, BatchItem(indicator_id=second.id, date=date(2026, 6, 10), value=50)),
        (2, BatchItem(indicator_id=third.id, date=date(2026, 6, 10), value=1)),
    ]
    measurements.record_batch(ceo, items)
    db.session.commit()
    names = sorted(d.payload["data"]["name"] for d in deliveries(event="off_track"))
    assert names == ["On-time deliveries", "Returns"]


def test_nothing_is_queued_when_the_change_rolls_back(app, receiver, ceo, plan_world):
    add_hook(receiver.url, ["off_track"])
    _, indicator = plan_world
    measurements.record(ceo, indicator, MeasurementIn(date=date(2026, 6, 10), value=1))
    db.session.rollback()
    assert deliveries() == []


def test_no_webhook_no_queue(app, ceo, plan_world):
    _, indicator = plan_world
    add_hook("https://hooks.example.test/x", ["review_recorded"])  # not this event
    measurements.record(ceo, indicator, MeasurementIn(date=date(2026, 6, 10), value=1))
    db.session.commit()
    assert deliveries() == []


def test_a_plan_turning_blocked_is_queued_from_any_write(app, receiver, plan_world):
    add_hook(receiver.url, ["plan_blocked"])
    plan, _ = plan_world
    plan.state = "blocked"
    db.session.commit()
    plan.progress_pct = 30  # still blocked: nothing new
    db.session.commit()
    (queued,) = deliveries(event="plan_blocked")
    assert queued.payload["data"]["plan_id"] == plan.id
    assert queued.payload["data"]["url"].endswith(f"/plans/{plan.id}")


def test_a_review_recorded_is_queued(app, receiver, ceo, plan_world):
    add_hook(receiver.url, ["review_recorded", "off_track"])
    review = reviews.record_review(
        ceo,
        ReviewIn(
            date=FIXED_TODAY,
            notes="Quarterly",
            decisions=[DecisionIn(text="Hire two drivers"), DecisionIn(text="Rent a depot")],
        ),
    )
    db.session.commit()
    (queued,) = deliveries()
    assert queued.event == "review_recorded"
    assert queued.payload["data"]["decisions"] == ["Hire two drivers", "Rent a depot"]
    assert queued.payload["data"]["review_id"] == review.id


def test_a_review_through_the_meeting_page_is_queued(app, client, login, receiver, ceo):
    add_hook(receiver.url, ["review_recorded"])
    login(ceo)
    r = client.post(
        "/meeting/reviews/new",
        data={"date": FIXED_TODAY.isoformat(), "notes": "Weekly", "decisions-0-text": "Call Acme"},
    )
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:500]
    assert [d.event for d in deliveries()] == ["review_recorded"]


# --- delivered ----------------------------------------------------------------------------


def test_deliver_webhooks_posts_slack_and_teams_compatible_json(
    app, hook_app, receiver, plan_world
):
    add_hook(receiver.url, ["plan_blocked"])
    plan, _ = plan_world
    plan.state = "blocked"
    db.session.commit()
    result = run(hook_app, command="deliver-webhooks")
    assert result.exit_code == 0, result.output
    assert "webhook delivered: plan_blocked to Strategy channel" in result.output
    (body,) = receiver.received
    assert receiver.paths == ["/hooks/test"]
    assert set(body) == {"text", "event", "data"}
    assert body["text"].startswith("Plan blocked: Route planning")
    (row,) = deliveries()
    assert (row.status, row.attempts, row.last_error) == ("delivered", 1, "")
    # Delivered once only.
    assert "nothing to deliver" in run(hook_app, command="deliver-webhooks").output
    assert len(receiver.received) == 1


def test_send_reminders_queues_overdue_plans_and_the_weekly_summary_once(
    app, hook_app, receiver, make, plan_world
):
    plan, _ = plan_world
    add_hook(receiver.url, ["plan_overdue", "weekly_summary"])
    late = make.plan(
        plan.objective,
        plan.department,
        title="Depot lease",
        start_date=date(2026, 1, 1),
        due_date=FIXED_TODAY - timedelta(days=2),
    )
    make.plan(
        plan.objective,
        plan.department,
        title="Long overdue",
        start_date=date(2026, 1, 1),
        due_date=FIXED_TODAY - timedelta(days=40),  # old news, not announced
    )
    db.session.commit()
    dry = run(hook_app, "--dry-run")
    assert "would queue webhook: plan overdue, Depot lease" in dry.output
    assert "would queue webhook: weekly summary" in dry.output
    assert deliveries() == []
    assert receiver.received == []
    result = run(hook_app)
    assert result.exit_code == 0, result.output
    events = sorted(b["event"] for b in receiver.received)
    assert events == ["plan_overdue", "weekly_summary"]
    overdue = next(b for b in receiver.received if b["event"] == "plan_overdue")
    assert overdue["data"]["plan_id"] == late.id
    summary = next(b for b in receiver.received if b["event"] == "weekly_summary")
    assert summary["data"]["overdue_plans"] == 2
    assert summary["data"]["to"] == FIXED_TODAY.isoformat()
    assert run(hook_app).exit_code == 0
    assert len(receiver.received) == 2  # the same day again: nothing new


def test_a_failing_receiver_is_retried_with_backoff_then_marked_failed(app, plan_world):
    with Receiver(statuses=(500,)) as receiver:
        add_hook(receiver.url, ["plan_blocked"])
        plan, _ = plan_world
        plan.state = "blocked"
        db.session.commit()
        s = settings(max_attempts=3, backoff_seconds=60)
        now = utcnow()
        (first,) = webhooks.deliver_due(s, now)
        assert (first.status, first.error) == ("pending", "The receiver answered 500.")
        (row,) = deliveries()
        assert row.attempts == 1
        assert row.next_attempt_at == now + timedelta(seconds=60)
        assert webhooks.deliver_due(s, now + timedelta(seconds=59)) == []  # still backing off
        assert len(receiver.received) == 1
        (second,) = webhooks.deliver_due(s, now + timedelta(seconds=60))
        assert second.status == "pending"
        db.session.expire_all()
        assert deliveries()[0].next_attempt_at == now + timedelta(seconds=60 + 120)
        (third,) = webhooks.deliver_due(s, now + timedelta(seconds=180))
        assert third.status == "failed"
        assert webhooks.deliver_due(s, now + timedelta(days=1)) == []
        assert len(receiver.received) == 3


def test_a_receiver_that_recovers_gets_it_on_the_retry(app, plan_world):
    with Receiver(statuses=(503, 200)) as receiver:
        add_hook(receiver.url, ["plan_blocked"])
        plan, _ = plan_world
        plan.state = "blocked"
        db.session.commit()
        now = utcnow()
        assert [o.status for o in webhooks.deliver_due(settings(), now)] == ["pending"]
        later = now + timedelta(minutes=2)
        assert [o.status for o in webhooks.deliver_due(settings(), later)] == ["delivered"]


def test_a_hanging_receiver_times_out(app, plan_world):
    with Receiver(delay=3.0) as receiver:
        add_hook(receiver.url, ["plan_blocked"])
        plan, _ = plan_world
        plan.state = "blocked"
        db.session.commit()
        started = time.monotonic()
        (outcome,) = webhooks.deliver_due(settings(timeout=0.5), utcnow())
        assert time.monotonic() - started < 2.5
        assert outcome.status == "pending"
        assert outcome.error == "No answer within 0.5 seconds."


def test_nobody_listening_is_retried(app, plan_world):
    with Receiver() as receiver:
        url = receiver.url
    add_hook(url, ["plan_blocked"])  # the receiver is gone: connection refused
    plan, _ = plan_world
    plan.state = "blocked"
    db.session.commit()
    (outcome,) = webhooks.deliver_due(settings(), utcnow())
    assert outcome.status == "pending"
    assert outcome.error.startswith("Could not connect")


def test_a_removed_webhook_gets_nothing(app, receiver, plan_world):
    hook = add_hook(receiver.url, ["plan_blocked"])
    plan, _ = plan_world
    plan.state = "blocked"
    db.session.commit()
    hook.archived_at = utcnow()
    db.session.commit()
    (outcome,) = webhooks.deliver_due(settings(), utcnow())
    assert outcome.status == "failed"
    assert receiver.received == []


# --- forbidden addresses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://hooks.example.test/x", "Only web addresses"),
        ("file:///etc/passwd", "Only web addresses"),
        ("javascript:alert(1)", "Only web addresses"),
        ("gopher://127.0.0.1:25/", "Only web addresses"),
        ("http:///nohost", "no host name"),
        ("http://127.0.0.1:8080/hook", "this machine"),
        ("http://localhost/hook", "this machine"),
        ("http://[::1]/hook", "this machine"),
        ("http://0.0.0.0/hook", "cannot receive"),
        ("http://0.1.2.3/hook", "cannot receive"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://224.0.0.1/", "cannot receive"),
        ("http://host.invalid/hook", "cannot be found"),
        ("http://example.test:99999/", "not a valid"),
        ("https://" + "a" * 2001 + ".test/", "longer than"),
    ],
)
def test_forbidden_addresses_are_refused(url, why):
    with pytest.raises(outbound.RefusedUrl, match=why):
        outbound.check(url, "https://tracker.example.test")


def test_the_app_itself_is_refused_even_on_loopback_when_allowed(receiver):
    own = f"http://127.0.0.1:{receiver.port}"
    with pytest.raises(outbound.RefusedUrl, match="this app itself"):
        outbound.check(receiver.url, own, allow_loopback=True)
    assert outbound.check(receiver.url, "http://127.0.0.1:5000", allow_loopback=True).port == (
        receiver.port
    )


def test_the_app_itself_is_refused_by_name():
    with pytest.raises(outbound.RefusedUrl, match="this app itself"):
        outbound.check("https://strategy.example.test/x", "https://Strategy.Example.Test/app")


def test_the_loopback_allowance_needs_testing():
    config = {
        "WEBHOOK_TIMEOUT_SECONDS": 5,
        "WEBHOOK_MAX_ATTEMPTS": 5,
        "WEBHOOK_BACKOFF_SECONDS": 60,
        "APP_BASE_URL": "http://127.0.0.1:5000",
        "WEBHOOK_ALLOW_LOOPBACK": True,
    }
    assert not webhooks.DeliverySettings.of(config | {"TESTING": False}).allow_loopback
    assert webhooks.DeliverySettings.of(config | {"TESTING": True}).allow_loopback


def test_a_stored_address_is_checked_again_when_delivering(app, receiver, plan_world):
    """An address stored while allowed and refused now is never posted to, nor retried."""
    add_hook(receiver.url, ["plan_blocked"])
    plan, _ = plan_world
    plan.state = "blocked"
    db.session.commit()
    (outcome,) = webhooks.deliver_due(settings(allow_loopback=False), utcnow())
    assert outcome.status == "failed"
    assert "this machine" in outcome.error
    assert receiver.received == []


# --- the admin page -----------------------------------------------------------------------


def test_executives_add_a_webhook_in_the_admin_pages(app, client, login, ceo):
    login(ceo)
    assert client.get("/admin/webhooks").status_code == 200
    r = client.post(
        "/admin/webhooks",
        data={
            "name": "#strategy",
            "url": "https://203.0.113.10/services/T000/B000/XXXX",
            "events": ["off_track", "weekly_summary"],
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:800]
    (hook,) = db.session.scalars(sa.select(Webhook))
    assert hook.events == ["off_track", "weekly_summary"]
    assert hook.active
    client.post(f"/admin/webhooks/{hook.id}/switch")
    db.session.refresh(hook)
    assert not hook.active
    client.post(f"/admin/webhooks/{hook.id}/archive")
    db.session.refresh(hook)
    assert hook.archived_at is not None
    assert 'id="webhooks"' not in client.get("/admin/webhooks").get_data(as_text=True)


def test_a_webhook_is_archived_after_a_confirmation_and_undo_brings_it_back(
    app, client, login, ceo
):
    hook = Webhook(name="#strategy", url="https://203.0.113.10/x", events=["off_track"])
    db.session.add(hook)
    db.session.flush()
    for n in range(2):
        db.session.add(
            WebhookDelivery(
                webhook_id=hook.id,
                event="off_track",
                payload={"n": n},
                status="pending",
                next_attempt_at=utcnow(),
            )
        )
    db.session.commit()
    login(ceo)
    listed = client.get("/admin/webhooks").get_data(as_text=True)
    assert f'href="/admin/webhooks/{hook.id}/archive"' in listed
    asked = client.get(f"/admin/webhooks/{hook.id}/archive").get_data(as_text=True)
    assert "Archive the webhook “#strategy”?" in asked
    assert "2 messages still waiting to go are not sent" in asked
    assert "you can undo it right after, and you or another executive can restore it later" in asked
    db.session.expire_all()
    assert db.session.get(Webhook, hook.id).archived_at is None  # asking changes nothing

    done = client.post(f"/admin/webhooks/{hook.id}/archive", follow_redirects=True)
    page = done.get_data(as_text=True)
    assert f'action="/admin/webhooks/{hook.id}/restore"' in page
    db.session.expire_all()
    assert db.session.get(Webhook, hook.id).archived_at is not None
    listed = client.get("/admin/webhooks").get_data(as_text=True)
    assert f'data-webhook="{hook.id}"' not in listed
    assert f'data-archived-webhook="{hook.id}"' in listed  # restorable later from here
    assert f'action="/admin/webhooks/{hook.id}/restore"' in listed
    assert client.post(f"/admin/webhooks/{hook.id}/restore").status_code == 302
    db.session.expire_all()
    assert db.session.get(Webhook, hook.id).archived_at is None
    assert f'data-webhook="{hook.id}"' in client.get("/admin/webhooks").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x", "url": "http://169.254.169.254/", "events": ["off_track"]}, "link-local"),
        ({"name": "x", "url": "ftp://hooks.example.test/", "events": ["off_track"]}, "https://"),
        ({"name": "x", "url": "http://localhost:9/", "events": ["off_track"]}, "this machine"),
        ({"name": "x", "url": "http://127.0.0.1:5000/", "events": ["off_track"]}, "app itself"),
        ({"name": "x", "url": "https://203.0.113.10/x", "events": []}, "at least one"),
        (
            {"name": "x", "url": "https://203.0.113.10/x", "events": ["nope"]},
            "Choose one of the listed values.",
        ),
        ({"name": "", "url": "https://203.0.113.10/x", "events": ["off_track"]}, "Give it"),
        ({"name": "x\x00", "url": "https://203.0.113.10/x", "events": ["off_track"]}, "NUL"),
    ],
)
def test_bad_webhooks_are_refused_beside_the_field(app, client, login, ceo, data, message):
    login(ceo)
    r = client.post("/admin/webhooks", data=data)
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Webhook.id))) == 0


def test_failures_show_in_the_admin_page_and_can_be_sent_again(app, client, login, ceo, plan_world):
    with Receiver(statuses=(500,)) as receiver:
        add_hook(receiver.url, ["plan_blocked"])
        plan, _ = plan_world
        plan.state = "blocked"
        db.session.commit()
        webhooks.deliver_due(settings(max_attempts=1), utcnow())
    login(ceo)
    page = client.get("/admin/webhooks").get_data(as_text=True)
    assert "1 message could not be delivered" in page
    assert "The receiver answered 500." in page
    (row,) = deliveries()
    assert client.post(f"/admin/webhooks/deliveries/{row.id}/retry").status_code == 302
    db.session.refresh(row)
    assert (row.status, row.attempts) == ("pending", 0)


def test_only_executives_manage_webhooks(app, client, login, make, receiver):
    lead = make.user("lead")
    hook = add_hook(receiver.url)
    login(lead)
    assert client.get("/admin/webhooks").status_code == 403
    assert client.post(f"/admin/webhooks/{hook.id}/archive").status_code == 403
    db.session.refresh(hook)
    assert hook.archived_at is None


def test_plans_query_unchanged_by_hooks(app, plan_world):
    """The flush hook costs one query only when a plan turns blocked."""
    from tests.queries import counting_queries

    plan, _ = plan_world
    with counting_queries() as statements:
        plan.progress_pct = 40
        db.session.commit()
    assert not any("webhooks" in s for s in statements)
    assert db.session.get(ActionPlan, plan.id).progress_pct == 40


def test_an_actual_through_the_api_queues_off_track(app, client, receiver, ceo, plan_world):
    from strategy_app.services.writes.tokens import create_token

    add_hook(receiver.url, ["off_track"])
    _, indicator = plan_world
    indicator_id = indicator.id
    _, plain = create_token(ceo, "CRM", "write")
    db.session.commit()  # the API's rate limiter writes on a connection of its own
    r = client.post(
        f"/api/v1/indicators/{indicator_id}/measurements",
        json={"date": "2026-06-10", "value": 3},
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert r.status_code == 201, r.get_json()
    (queued,) = deliveries(event="off_track")
    assert queued.payload["data"]["indicator_id"] == indicator_id


def test_the_webhooks_page_needs_the_same_queries_however_many_rows(
    app, client, login, ceo, plan_world
):
    from tests.queries import page_query_counts

    login(ceo)

    def add(n: int) -> None:
        hook = add_hook(f"https://203.0.113.{n}/hook")
        for i in range(n):
            db.session.add(
                WebhookDelivery(
                    webhook=hook,
                    event="off_track",
                    payload={},
                    status=("failed", "pending", "delivered")[i % 3],
                    next_attempt_at=utcnow(),
                )
            )
        db.session.commit()

    add(3)
    few = page_query_counts(client, "/admin/webhooks")
    add(40)
    many = page_query_counts(client, "/admin/webhooks")
    assert few == many
    assert many[0] <= 12
