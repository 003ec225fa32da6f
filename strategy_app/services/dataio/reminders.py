"""The `send-reminders` run: e-mail each person what waits on them, queue the webhooks' events
found by looking (plans fallen overdue, the weekly summary), and deliver the webhook queue.

Who gets what comes from services/reads/reminders.py ("My updates"); the once-a-day record
from services/writes/reminders.py; the sending from services/plumbing (mail, webhooks).
Nothing is held open in the database while the mail server or a webhook is talked to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from strategy_app.extensions import db
from strategy_app.models.base import utcnow
from strategy_app.services.evaluation.clock import today as clock_today
from strategy_app.services.plumbing import mail, webhooks
from strategy_app.services.reads import reminders as who
from strategy_app.services.writes import reminders as record

APP_NAME = "Strategy tracker"


# --- links and messages -------------------------------------------------------------------


class Links:
    """Absolute links to the app's pages, built from APP_BASE_URL (no request needed)."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._adapter = current_app.url_map.bind(
            parts.netloc or "localhost",
            script_name=parts.path.rstrip("/") or "/",
            url_scheme=parts.scheme or "http",
        )

    def has(self, endpoint: str) -> bool:
        """Whether the app has this page."""
        return endpoint in current_app.view_functions

    def to(self, endpoint: str, **values) -> str:
        """The absolute address of endpoint with values."""
        return self._adapter.build(endpoint, values, force_external=True)


def _plan_line(item, links: Links) -> dict:
    plan = item.plan
    why = []
    if item.overdue:
        why.append(f"overdue since {plan.due_date.isoformat()}")
    if item.quiet:
        why.append(
            f"no check-in for {item.quiet_days} days" if item.last_check_in else "no check-in yet"
        )
    endpoint = "plans.check_in" if links.has("plans.check_in") else "plans.view"
    return {
        "title": plan.title,
        "where": f"{plan.department.name} · {plan.objective.title}",
        "why": ", ".join(why),
        "url": links.to(endpoint, id=plan.id),
    }


def _indicator_line(item, links: Links) -> dict:
    last = item.last_actual.isoformat() if item.last_actual else "never"
    return {
        "title": item.name,
        "where": item.parent_title,
        "why": f"an actual is due for the period since {item.period_start.isoformat()} "
        f"(last actual: {last})",
        "url": links.to("actuals.new", indicator_id=item.indicator_id),
    }


def _follow_up_line(follow_up, links: Links) -> dict:
    r = follow_up.response
    return {
        "title": f"{r.customer_ref or 'A customer'} scored {r.score} on {r.date.isoformat()}",
        "where": "Customer follow-up",
        "why": f"still {follow_up.state}",
        "url": links.to("reports.my_updates"),
    }


def _subject(count: int) -> str:
    plural = count != 1
    return f"{APP_NAME}: {count} update{'s' if plural else ''} wait{'' if plural else 's'} on you"


def build_message(reminder: who.Reminder, links: Links, sender: str, now: datetime) -> EmailMessage:
    """The reminder e-mail of one person, in plain text and HTML, with its unsubscribe link."""
    u = reminder.updates
    unsubscribe = links.to("account.unsubscribe", token=record.unsubscribe_token(reminder.user))
    sections = [
        ("Plans to update", [_plan_line(i, links) for i in u.plans], u.plan_total),
        (
            "Indicators due an actual",
            [_indicator_line(i, links) for i in u.indicators],
            u.indicator_total,
        ),
        (
            "Customer follow-ups open",
            [_follow_up_line(f, links) for f in u.follow_ups],
            len(u.follow_ups),
        ),
    ]
    context = {
        "name": reminder.user.name,
        "count": reminder.count,
        "sections": [(title, lines, total) for title, lines, total in sections if total],
        "my_updates": links.to("reports.my_updates"),
        "account": links.to("account.index"),
        "unsubscribe": unsubscribe,
        "app_name": APP_NAME,
        "preference": who.preference(reminder.user).words,
    }
    env = current_app.jinja_env
    # Long lines allowed (RFC 5322's 998): a folded List-Unsubscribe would be unreadable.
    message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    message["Subject"] = _subject(reminder.count)
    message["From"] = sender
    message["To"] = reminder.user.email
    message["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("reminder", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(env.get_template("email/reminder.txt").render(context))
    message.add_alternative(env.get_template("email/reminder.html").render(context), subtype="html")
    return message


# --- the run ------------------------------------------------------------------------------


@dataclass
class Report:
    """What a run did (or, dry, would do), line by line, and what failed."""

    lines: list[str] = field(default_factory=list)
    sent: int = 0
    failed: int = 0

    def say(self, line: str) -> None:
        self.lines.append(line)


def _queue_found_events(today: date, report: Report, dry_run: bool) -> None:
    """Queue "plan overdue" for plans fallen overdue, and this week's summary (each once)."""
    queued = "would queue webhook:" if dry_run else "webhook queued:"
    overdue_hooks = webhooks.subscribers(db.session, "plan_overdue")
    for plan in who.newly_overdue(today) if overdue_hooks else []:
        url = webhooks.link(f"/plans/{plan.id}")
        since = plan.due_date.isoformat()
        text = f"Plan overdue since {since}: {plan.title} ({plan.department}) {url}"
        data = {"plan_id": plan.id, "title": plan.title, "due_date": plan.due_date.isoformat()}
        key = f"plan_overdue:{plan.id}:{plan.due_date.isoformat()}"
        added = webhooks.enqueue(db.session, "plan_overdue", text, data | {"url": url}, key)
        if added:
            report.say(f"{queued} plan overdue, {plan.title} ({added} webhook(s))")
    summary_hooks = webhooks.subscribers(db.session, "weekly_summary")
    if summary_hooks:
        week = today.isocalendar()
        s = who.week_summary(today)
        statuses = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in s.objectives.items())
        text = (
            f"Week {s.first.isoformat()} to {s.last.isoformat()}: objectives {statuses}; "
            f"{s.overdue_plans} plan(s) overdue; {s.actuals} actual(s) entered, "
            f"{s.check_ins} check-in(s), {s.new_plans} new plan(s). {webhooks.link('/')}"
        )
        data = {
            "from": s.first.isoformat(),
            "to": s.last.isoformat(),
            "objectives": s.objectives,
            "overdue_plans": s.overdue_plans,
            "actuals": s.actuals,
            "check_ins": s.check_ins,
            "new_plans": s.new_plans,
        }
        key = f"weekly_summary:{week.year}-W{week.week:02d}"
        added = webhooks.enqueue(db.session, "weekly_summary", text, data, key, summary_hooks)
        if added:
            report.say(f"{queued} weekly summary ({added} webhook(s))")
    if dry_run:
        db.session.rollback()
        return
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # another host queued the same events a moment ago
        db.session.rollback()
        report.say("webhook events already queued by another run")


def _send_mail(today: date, now: datetime, report: Report, dry_run: bool) -> None:
    config = current_app.config
    settings = mail.MailSettings.of(config)
    links = Links(config["APP_BASE_URL"])
    due = who.reminders(today)
    outgoing = [
        (
            r.user.id,
            r.user.email,
            r.count,
            None if dry_run else build_message(r, links, settings.sender, now),
        )
        for r in due
    ]
    db.session.rollback()  # nothing to keep: end the reading transaction before mailing
    if not outgoing:
        report.say("no reminder is due: nobody due today has anything waiting")
    with mail.Mailer(settings) as mailer:
        for user_id, email, count, message in outgoing:
            if message is None:
                report.say(f"would e-mail {email}: {count} item(s)")
                continue
            # The record is of the day it is sent: one per person and day, whatever runs.
            if not record.claim(user_id, today, now):
                report.say(f"skipped {email}: already sent today, or being sent by another run")
                continue
            try:
                where = mailer.send(message)
            except mail.MailError as exc:
                record.mark_failed(user_id, today, str(exc))
                report.failed += 1
                report.say(f"FAILED {email}: {exc} (the next run tries again)")
                continue
            record.mark_sent(user_id, today, count, now)
            report.sent += 1
            report.say(f"e-mailed {email}: {count} item(s) via {where}")


def deliver_webhooks(report: Report, now: datetime | None = None, dry_run: bool = False) -> None:
    """Post the queued webhook deliveries that are due, saying what became of each."""
    settings = webhooks.DeliverySettings.of(current_app.config)
    now = now or utcnow()
    if dry_run:
        count = len(webhooks.due(now, 10_000))
        report.say(f"would deliver {count} queued webhook message(s)")
        return
    for o in webhooks.deliver_due(settings, now):
        if o.status == "delivered":
            report.say(f"webhook delivered: {o.event} to {o.webhook}")
        elif o.status == "pending":
            report.say(f"webhook not delivered: {o.event} to {o.webhook}: {o.error} (will retry)")
        else:
            report.failed += 1
            report.say(f"webhook FAILED: {o.event} to {o.webhook}: {o.error}")


def send_reminders(dry_run: bool = False, now: datetime | None = None) -> Report:
    """One run of `send-reminders`; dry_run writes, sends and queues nothing."""
    report = Report()
    now = now or utcnow()
    today = clock_today()
    _queue_found_events(today, report, dry_run)
    _send_mail(today, now, report, dry_run)
    deliver_webhooks(report, None, dry_run)  # due as of now, including what was just queued
    return report
