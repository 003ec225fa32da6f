"""Reminder e-mails: each person's preference, the signed unsubscribe link, and the per-day
record that makes a reminder go out at most once per person and day, on any number of hosts.

A run claims a person's day before sending (one row per person and day: the unique constraint
lets only one host have it), marks it sent only once the mail server has accepted it, and
marks it failed otherwise, so that the next run claims and sends it again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from strategy_app.extensions import db
from strategy_app.models import ReminderPreference, ReminderSend, User
from strategy_app.models.reminders import FREQUENCIES
from strategy_app.services.plumbing.errors import ValidationFailed

CLAIM_LEASE = timedelta(minutes=30)  # a claim this old was left by a run that died
_SALT = "reminder-unsubscribe"


# --- preferences --------------------------------------------------------------------------


def set_preference(user: User, frequency: str, weekday: int) -> ReminderPreference:
    """Record how often user wants their reminder (weekly on a weekday, daily, never)."""
    errors = {}
    if frequency not in FREQUENCIES:
        errors["frequency"] = ["Choose weekly, daily or never."]
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        errors["weekday"] = ["Choose a day of the week."]
    if errors:
        raise ValidationFailed(errors)
    row = db.session.scalar(
        sa.select(ReminderPreference).where(ReminderPreference.user_id == user.id)
    )
    if row is None:
        row = ReminderPreference(user_id=user.id)
        db.session.add(row)
    row.frequency, row.weekday = frequency, weekday
    db.session.flush()
    return row


def unsubscribe(user: User) -> None:
    """Stop user's reminders (their chosen weekday is kept for when they come back)."""
    row = db.session.scalar(
        sa.select(ReminderPreference).where(ReminderPreference.user_id == user.id)
    )
    set_preference(user, "never", row.weekday if row else 0)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_token(user: User) -> str:
    """The signed token of user's unsubscribe link (no sign-in needed to use it)."""
    return _serializer().dumps({"u": user.id, "e": user.email})


def user_of_token(token: str) -> User | None:
    """The person an unsubscribe token was made for, or None (forged, altered, stale email)."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"]) if 0 < data["u"] < 2**31 else None
    return user if user is not None and user.email == data.get("e") else None


# --- the once-a-day record ----------------------------------------------------------------


def claim(user_id: int, day: date, now: datetime) -> bool:
    """Take user's reminder of `day` for this run (committed); False if sent or taken."""
    try:
        db.session.add(ReminderSend(user_id=user_id, day=day, status="sending", claimed_at=now))
        db.session.commit()
        return True
    except sa.exc.IntegrityError:
        db.session.rollback()
    retried = db.session.execute(
        sa.update(ReminderSend)
        .where(
            ReminderSend.user_id == user_id,
            ReminderSend.day == day,
            sa.or_(
                ReminderSend.status == "failed",
                sa.and_(
                    ReminderSend.status == "sending", ReminderSend.claimed_at < now - CLAIM_LEASE
                ),
            ),
        )
        .values(status="sending", claimed_at=now, attempts=ReminderSend.attempts + 1, error="")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return retried.rowcount == 1


def _finish(user_id: int, day: date, **values) -> None:
    db.session.execute(
        sa.update(ReminderSend)
        .where(
            ReminderSend.user_id == user_id,
            ReminderSend.day == day,
            ReminderSend.status == "sending",
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def mark_sent(user_id: int, day: date, items: int, now: datetime) -> None:
    """The mail server accepted user's reminder of `day`."""
    _finish(user_id, day, status="sent", sent_at=now, items=items)


def mark_failed(user_id: int, day: date, error: str) -> None:
    """User's reminder of `day` was not sent: the next run tries again."""
    _finish(user_id, day, status="failed", error=error[:500])


def release(user_id: int, day: date) -> None:
    """Give back a claim on which nothing was tried (the reminder is no longer needed)."""
    db.session.execute(
        sa.delete(ReminderSend).where(
            ReminderSend.user_id == user_id,
            ReminderSend.day == day,
            ReminderSend.status == "sending",
            ReminderSend.attempts == 1,
        )
    )
    db.session.commit()
