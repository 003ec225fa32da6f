"""Webhooks an executive manages: add one (its address checked), switch it, remove it, and
send a failed delivery again. The caller commits; the audit hook records each change."""

from __future__ import annotations

from flask import current_app

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.models import User, Webhook, WebhookDelivery
from strategy_app.models.base import utcnow
from strategy_app.models.reminders import WEBHOOK_EVENTS
from strategy_app.services.plumbing import audit, outbound
from strategy_app.services.plumbing.errors import PermissionDenied, ValidationFailed
from strategy_app.services.plumbing.webhooks import DeliverySettings

MAX_NAME = 120


def _check(actor: User) -> None:
    if not policy.can(actor, policy.ADMIN):
        raise PermissionDenied(policy.ADMIN)


def check_url(url: str) -> str | None:
    """Why url may not receive webhooks, in plain words, or None."""
    settings = DeliverySettings.of(current_app.config)
    try:
        outbound.check(url, settings.base_url, settings.allow_loopback)
    except outbound.RefusedUrl as exc:
        return str(exc)
    return None


def create_webhook(actor: User, name: str, url: str, events: list[str]) -> Webhook:
    """Add a webhook receiving events; its address must be allowed (outbound.check)."""
    _check(actor)
    name, url = (name or "").strip(), (url or "").strip()
    errors: dict[str, list[str]] = {}
    if not name or len(name) > MAX_NAME or "\x00" in name:
        errors["name"] = [f"Give it a name of at most {MAX_NAME} characters."]
    if not url:
        errors["url"] = ["Paste the incoming-webhook address."]
    elif problem := check_url(url):
        errors["url"] = [problem]
    chosen = [e for e in WEBHOOK_EVENTS if e in set(events or [])]
    if not chosen or len(chosen) != len(set(events or [])):
        errors["events"] = ["Choose at least one of the events listed."]
    if errors:
        raise ValidationFailed(errors)
    hook = Webhook(name=name, url=url, events=chosen, active=True)
    db.session.add(hook)
    db.session.flush()
    return hook


def set_active(actor: User, hook: Webhook, active: bool) -> None:
    """Switch a webhook on or off (off: nothing new is queued for it)."""
    _check(actor)
    hook.active = active


def archive(actor: User, hook: Webhook) -> None:
    """Remove a webhook from use (archived; its queued deliveries are not sent)."""
    _check(actor)
    if hook.archived_at is None:
        hook.archived_at = utcnow()


def retry(actor: User, delivery: WebhookDelivery) -> bool:
    """Queue a failed delivery once more, due now; False if it had not failed."""
    _check(actor)
    if delivery.status != "failed":
        return False
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    # The queue is not audited row by row; an executive's decision to send again is.
    changes = {"status": ["failed", "pending"]}
    audit.record(db.session, "update", "WebhookDelivery", delivery.id, changes)
    return True
