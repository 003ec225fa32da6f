"""Who gets a reminder today and what it lists; the week's changes for the webhooks.

A person is due a reminder when they are active, have not chosen "never", and have had no
reminder sent since their latest reminder day (today for "daily"; the latest of their chosen
weekday on or before today for "weekly"). So a reminder that failed, or a weekly one whose
run was missed, goes out on the next run. The record of sending is kept per person and day
(services/writes/reminders.py), so at most one goes out per person and day.
What a reminder lists is exactly "My updates" (services/reads/my_updates.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CheckIn,
    Department,
    Measurement,
    Objective,
    ReminderPreference,
    ReminderSend,
    ServiceStrategy,
    User,
)
from strategy_app.models.reminders import DEFAULT_FREQUENCY, DEFAULT_WEEKDAY
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.reads.my_updates import MyUpdates, my_updates

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
OVERDUE_LOOKBACK_DAYS = 7  # a plan that fell overdue longer ago than this is old news


@dataclass(frozen=True)
class Preference:
    """How often one person wants their reminder."""

    frequency: str = DEFAULT_FREQUENCY
    weekday: int = DEFAULT_WEEKDAY

    def reminder_day(self, today: date) -> date | None:
        """Their latest reminder day on or before today (None: they chose never)."""
        if self.frequency == "daily":
            return today
        if self.frequency == "weekly":
            return today - timedelta(days=(today.weekday() - self.weekday) % 7)
        return None

    @property
    def words(self) -> str:
        """The choice in words, for the account page."""
        if self.frequency == "weekly":
            return f"every {WEEKDAYS[self.weekday]}"
        return {"daily": "every day", "never": "never"}[self.frequency]


def preference(user: User) -> Preference:
    """One person's choice (weekly on Monday when they never chose)."""
    row = db.session.scalar(
        sa.select(ReminderPreference).where(ReminderPreference.user_id == user.id)
    )
    return Preference(row.frequency, row.weekday) if row else Preference()


@dataclass
class Reminder:
    """One person's reminder: who, what waits on them, and the reminder day it answers (today,
    or the weekday they chose when the reminder of that day has not gone out yet)."""

    user: User
    updates: MyUpdates
    day: date

    @property
    def count(self) -> int:
        """How many things wait on them (all of them, not only those listed)."""
        u = self.updates
        return u.plan_total + u.indicator_total + len(u.follow_ups)


def due_users(today: date) -> list[tuple[User, date]]:
    """Active people due a reminder today, with their reminder day (two queries)."""
    prefs = {
        p.user_id: Preference(p.frequency, p.weekday)
        for p in db.session.scalars(sa.select(ReminderPreference))
    }
    users = db.session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.id))
    last_sent = dict(
        db.session.execute(
            sa.select(ReminderSend.user_id, sa.func.max(ReminderSend.day))
            .where(ReminderSend.status == "sent")
            .group_by(ReminderSend.user_id)
        ).all()
    )
    due = []
    for user in users:
        day = prefs.get(user.id, Preference()).reminder_day(today)
        last = last_sent.get(user.id)
        if day is not None and (last is None or last < day):
            due.append((user, day))
    return due


def reminders(today: date) -> list[Reminder]:
    """The reminders due today: each due person's "My updates", if anything waits on them."""
    found = []
    for user, day in due_users(today):
        updates = my_updates(user, today)
        if not updates.empty:
            found.append(Reminder(user, updates, day))
    return found


# --- for the webhooks ---------------------------------------------------------------------


@dataclass(frozen=True)
class OverduePlan:
    """A plan that fell overdue recently."""

    id: int
    title: str
    due_date: date
    department: str


def newly_overdue(today: date) -> list[OverduePlan]:
    """Live open plans whose due date passed in the last OVERDUE_LOOKBACK_DAYS days."""
    rows = db.session.execute(
        sa.select(ActionPlan.id, ActionPlan.title, ActionPlan.due_date, ActionPlan.state)
        .add_columns(Department.name)
        .join(Department, Department.id == ActionPlan.department_id)
        .join(Objective, Objective.id == ActionPlan.objective_id)
        .join(ServiceStrategy, ServiceStrategy.id == Objective.service_strategy_id)
        .where(
            ActionPlan.archived_at.is_(None),
            Objective.archived_at.is_(None),
            ServiceStrategy.archived_at.is_(None),
            ActionPlan.due_date >= today - timedelta(days=OVERDUE_LOOKBACK_DAYS),
            ActionPlan.due_date < today,
        )
        .order_by(ActionPlan.due_date, ActionPlan.id)
    )
    return [
        OverduePlan(r.id, r.title, r.due_date, r.name)
        for r in rows
        if rules.plan_overdue(r.due_date, r.state, today)
    ]


@dataclass(frozen=True)
class WeekSummary:
    """The week up to today: objectives by status now, and what the team did in seven days."""

    first: date
    last: date
    objectives: dict[str, int]
    overdue_plans: int
    actuals: int
    check_ins: int
    new_plans: int


def week_summary(today: date) -> WeekSummary:
    """The week's changes (the seven days ending today) and where things stand."""
    first = today - timedelta(days=6)
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    overview = metrics.overview(today)
    overdue = sum(card.overdue for card in overview.scorecards.values())

    def count(column, *where) -> int:
        return db.session.scalar(sa.select(sa.func.count(column)).where(*where)) or 0

    return WeekSummary(
        first=first,
        last=today,
        objectives=overview.status_counts(),
        overdue_plans=overdue,
        actuals=count(
            Measurement.id, Measurement.created_at >= start, Measurement.created_at < end
        ),
        check_ins=count(CheckIn.id, CheckIn.created_at >= start, CheckIn.created_at < end),
        new_plans=count(
            ActionPlan.id,
            ActionPlan.created_at >= start,
            ActionPlan.created_at < end,
            ActionPlan.archived_at.is_(None),
        ),
    )
