"""The webhook queue: events queued in the transaction of their cause, delivered later.

`enqueue` adds one row per subscribed webhook to the caller's session, so an event is queued
exactly when its cause commits and never slows the request down. `deliver_due` (run by
`send-reminders` and `deliver-webhooks`) posts what is due, each row claimed first so that
two hosts draining at once do not both post it; a failure is retried with a doubling
back-off and marked failed after the last attempt. A plan turning blocked is queued by a
flush hook, whichever page, API call or import changed it.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Webhook, WebhookDelivery
from strategy_app.models.base import utcnow
from strategy_app.services.plumbing import outbound

LEASE = timedelta(minutes=5)  # a claimed row is left alone this long (a crashed run frees it)
MAX_BACKOFF = timedelta(hours=6)
EVENT_LABELS = {
    "off_track": "An indicator turns off track",
    "plan_blocked": "A plan is blocked",
    "plan_overdue": "A plan becomes overdue",
    "review_recorded": "A review is recorded",
    "weekly_summary": "The weekly summary",
}


def link(path: str) -> str:
    """The absolute address of one of the app's pages (APP_BASE_URL + path)."""
    base = current_app.config.get("APP_BASE_URL", "") if has_app_context() else ""
    return base.rstrip("/") + path


def subscribers(session: Session | sa.Connection, event_name: str) -> list[int]:
    """Ids of the live webhooks that receive event_name (one query)."""
    hooks = session.execute(
        sa.select(Webhook.id, Webhook.events).where(
            Webhook.active.is_(True), Webhook.archived_at.is_(None)
        )
    )
    return [hook_id for hook_id, events in hooks if event_name in (events or [])]


def payload(event_name: str, text: str, data: dict[str, Any]) -> dict[str, Any]:
    """The JSON a webhook receives: `text` for Slack and Teams, the details for anything else."""
    return {"text": text, "event": event_name, "data": data}


def enqueue(
    session: Session,
    event_name: str,
    text: str,
    data: dict[str, Any],
    dedupe_key: str | None = None,
    hook_ids: list[int] | None = None,
) -> int:
    """Queue an event for every webhook subscribed to it, in session's transaction.

    With a dedupe_key, a webhook that has had the event queued before is skipped (scans that
    find the same overdue plan every day queue it once). Returns how many rows were added.
    """
    hooks = subscribers(session, event_name) if hook_ids is None else hook_ids
    if dedupe_key is not None and hooks:
        seen = set(
            session.scalars(
                sa.select(WebhookDelivery.webhook_id).where(
                    WebhookDelivery.dedupe_key == dedupe_key,
                    WebhookDelivery.webhook_id.in_(hooks),
                )
            )
        )
        hooks = [h for h in hooks if h not in seen]
    now = utcnow()
    body = payload(event_name, text, data)
    for hook_id in hooks:
        session.add(
            WebhookDelivery(
                webhook_id=hook_id,
                event=event_name,
                dedupe_key=dedupe_key,
                payload=body,
                next_attempt_at=now,
            )
        )
    return len(hooks)


# --- a plan turning blocked, from any write -----------------------------------------------


def _turned_blocked(session: Session, obj: object) -> bool:
    if not isinstance(obj, ActionPlan) or obj.state != "blocked":
        return False
    if obj in session.new:
        return True
    hist = sa.inspect(obj).attrs.state.history
    return bool(hist.added) and hist.deleted != ["blocked"]


def _blocked_plans(session: Session, _flush_context) -> None:
    # After the flush, so that new plans have their ids; the rows go in on the flush's own
    # connection, as the audit events do.
    plans = [obj for obj in session.new | session.dirty if _turned_blocked(session, obj)]
    if not plans:
        return
    hooks = subscribers(session.connection(), "plan_blocked")
    if not hooks:
        return
    now = utcnow()
    rows = [
        {
            "webhook_id": hook_id,
            "event": "plan_blocked",
            "payload": payload(
                "plan_blocked",
                f"Plan blocked: {plan.title} {link(f'/plans/{plan.id}')}",
                {"plan_id": plan.id, "title": plan.title, "url": link(f"/plans/{plan.id}")},
            ),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": "",
            "created_at": now,
            "updated_at": now,
        }
        for plan in plans
        for hook_id in hooks
    ]
    session.connection().execute(sa.insert(WebhookDelivery), rows)


def install(session_class: type[Session] = Session) -> None:
    """Attach the flush hook that queues "plan blocked" (idempotent)."""
    if not event.contains(session_class, "after_flush", _blocked_plans):
        event.listen(session_class, "after_flush", _blocked_plans)


# --- delivery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery attempt."""

    delivery_id: int
    webhook: str
    event: str
    status: str  # delivered, pending (will retry), failed
    error: str = ""


@dataclass(frozen=True)
class DeliverySettings:
    """Timeout, attempts, back-off and the address rules, from the app's config."""

    timeout: float
    max_attempts: int
    backoff_seconds: int
    base_url: str
    allow_loopback: bool

    @classmethod
    def of(cls, config: Any) -> DeliverySettings:
        """The settings in a Flask config (the loopback allowance only while testing)."""
        return cls(
            timeout=float(config["WEBHOOK_TIMEOUT_SECONDS"]),
            max_attempts=int(config["WEBHOOK_MAX_ATTEMPTS"]),
            backoff_seconds=int(config["WEBHOOK_BACKOFF_SECONDS"]),
            base_url=config["APP_BASE_URL"],
            allow_loopback=bool(config.get("WEBHOOK_ALLOW_LOOPBACK") and config.get("TESTING")),
        )

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the attempts-th failure: the base, doubled each time."""
        wait = timedelta(seconds=self.backoff_seconds * 2 ** max(attempts - 1, 0))
        return min(wait, MAX_BACKOFF)


def due(now: datetime, limit: int) -> list[int]:
    """Ids of the pending deliveries due at now, oldest first."""
    return list(
        db.session.scalars(
            sa.select(WebhookDelivery.id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
    )


def _claim(delivery_id: int, now: datetime) -> bool:
    claimed = db.session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claimed.rowcount == 1


def _attempt(url: str, body: dict, settings: DeliverySettings) -> tuple[bool, str, bool]:
    """Post once: (delivered, error, worth retrying)."""
    try:
        target = outbound.check(url, settings.base_url, settings.allow_loopback)
    except outbound.RefusedUrl as exc:
        return False, f"Refused: {exc}", False
    try:
        status = outbound.post_json(target, body, settings.timeout)
    except TimeoutError:
        return False, f"No answer within {settings.timeout:g} seconds.", True
    except (OSError, http.client.HTTPException) as exc:
        return False, f"Could not connect: {exc or type(exc).__name__}", True
    if 200 <= status < 300:
        return True, "", False
    return False, f"The receiver answered {status}.", True


def deliver_one(delivery_id: int, now: datetime, settings: DeliverySettings) -> Outcome | None:
    """Claim and post one delivery; None when another run has it."""
    if not _claim(delivery_id, now):
        return None
    row = db.session.get(WebhookDelivery, delivery_id)
    hook = row.webhook
    name, url, live = hook.name, hook.url, hook.active and hook.archived_at is None
    body, event_name = dict(row.payload), row.event
    db.session.commit()  # no transaction (and no SQLite write lock) held while posting
    if live:
        delivered, error, retry = _attempt(url, body, settings)
    else:
        delivered, error, retry = False, "The webhook was removed or switched off.", False
    row = db.session.get(WebhookDelivery, delivery_id)
    row.attempts += 1
    row.last_attempt_at = now
    row.last_error = error[:500]
    if delivered:
        row.status, row.delivered_at = "delivered", now
    elif retry and row.attempts < settings.max_attempts:
        row.status, row.next_attempt_at = "pending", now + settings.backoff(row.attempts)
    else:
        row.status = "failed"
    status = row.status
    db.session.commit()
    return Outcome(delivery_id, name, event_name, status, error)


def deliver_due(settings: DeliverySettings, now: datetime | None = None, limit: int = 500):
    """Post every delivery due at now (default: the current time); the outcome of each."""
    now = now or utcnow()
    outcomes = []
    for delivery_id in due(now, limit):
        outcome = deliver_one(delivery_id, now, settings)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes
