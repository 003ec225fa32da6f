"""Reminders: each person's e-mail preference, the reminders sent, webhooks and their queue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strategy_app.extensions import db
from strategy_app.models.base import ArchiveMixin, IdMixin, UTCDateTime, enum_check
from strategy_app.models.user import User

FREQUENCIES = ("weekly", "daily", "never")
DEFAULT_FREQUENCY = "weekly"
DEFAULT_WEEKDAY = 0  # Monday (date.weekday())
SEND_STATES = ("sending", "sent", "failed")
# What a webhook can receive.
WEBHOOK_EVENTS = ("off_track", "plan_blocked", "plan_overdue", "review_recorded", "weekly_summary")
DELIVERY_STATES = ("pending", "delivered", "failed")


class ReminderPreference(IdMixin, db.Model):
    """How often one person wants the e-mail of what waits on them (no row: weekly, Monday)."""

    __tablename__ = "reminder_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    frequency: Mapped[str] = mapped_column(sa.String(10), default=DEFAULT_FREQUENCY)
    weekday: Mapped[int] = mapped_column(default=DEFAULT_WEEKDAY)

    user: Mapped[User] = relationship()

    __table_args__ = (
        enum_check("frequency", FREQUENCIES, "frequency_valid"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_valid"),
    )


class ReminderSend(IdMixin, db.Model):
    """One person's reminder of one day: claimed, sent or failed (one row per person and day,
    so that two hosts running the command never both send it)."""

    __tablename__ = "reminder_sends"
    __audit__ = False  # bookkeeping of the mail run, not user data

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(10), default="sending")
    attempts: Mapped[int] = mapped_column(default=1)
    items: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(sa.String(500), default="")

    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("user_id", "day"),
        enum_check("status", SEND_STATES, "status_valid"),
    )


class Webhook(IdMixin, ArchiveMixin, db.Model):
    """An incoming-webhook address (Slack, Teams or any JSON receiver) and the events it gets."""

    __tablename__ = "webhooks"

    name: Mapped[str] = mapped_column(sa.String(120))
    url: Mapped[str] = mapped_column(sa.String(2000))
    events: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)

    def receives(self, event: str) -> bool:
        """Whether this webhook is live and subscribed to event."""
        return self.active and self.archived_at is None and event in (self.events or [])


class WebhookDelivery(IdMixin, db.Model):
    """One event queued for one webhook, written in the same transaction as its cause."""

    __tablename__ = "webhook_deliveries"
    __audit__ = False  # a queue, not user data

    webhook_id: Mapped[int] = mapped_column(sa.ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(sa.String(40))
    # Set for events found by a scan (overdue plans, the weekly summary): queued once only.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")

    webhook: Mapped[Webhook] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("webhook_id", "dedupe_key"),
        enum_check("status", DELIVERY_STATES, "status_valid"),
        sa.Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
    )
