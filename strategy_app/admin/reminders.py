"""Administration of reminders: webhooks (add, switch, remove, send a failure again, see what
failed) and the mail outbox that stands in for a mail server on a laptop (executives only)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice, SelectMultipleField, StringField, SubmitField, widgets
from wtforms.validators import DataRequired, Length

from strategy_app import archiving
from strategy_app.admin import bp
from strategy_app.errors import get_or_404
from strategy_app.extensions import db
from strategy_app.forms import no_nul
from strategy_app.models import Webhook, WebhookDelivery
from strategy_app.models.reminders import WEBHOOK_EVENTS
from strategy_app.schemas.common import ID_URL
from strategy_app.services.plumbing import mail
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.services.plumbing.webhooks import EVENT_LABELS
from strategy_app.services.writes import webhooks

DELIVERIES_SHOWN = 50
OUTBOX_SHOWN = 200


class WebhookForm(FlaskForm):
    """A new incoming webhook (Slack, Microsoft Teams, or any receiver of JSON)."""

    name = StringField(
        "Name",
        validators=[DataRequired(message="Give it a name."), Length(max=120), no_nul],
        description="Where the messages go, e.g. “#strategy in Slack”.",
    )
    url = StringField(
        "Incoming-webhook address",
        validators=[DataRequired(message="Paste the address."), Length(max=2000), no_nul],
        description="The https:// address Slack or Teams gives for an incoming webhook.",
    )
    events = SelectMultipleField(
        "Send",
        choices=[SelectChoice(e, EVENT_LABELS[e]) for e in WEBHOOK_EVENTS],
        default=list(WEBHOOK_EVENTS),
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    submit = SubmitField("Add webhook")


def _page(form: WebhookForm, status: int = 200):
    every = list(db.session.scalars(sa.select(Webhook).order_by(Webhook.id)))
    hooks = [h for h in every if h.archived_at is None]
    archived = [h for h in every if h.archived_at is not None]
    deliveries = list(
        db.session.scalars(
            sa.select(WebhookDelivery)
            .options(joinedload(WebhookDelivery.webhook))
            .order_by(WebhookDelivery.id.desc())
            .limit(DELIVERIES_SHOWN)
        )
    )
    failed = db.session.scalar(
        sa.select(sa.func.count(WebhookDelivery.id)).where(WebhookDelivery.status == "failed")
    )
    page = render_template(
        "admin/webhooks.html",
        form=form,
        hooks=hooks,
        archived=archived,
        deliveries=deliveries,
        failed=failed or 0,
        labels=EVENT_LABELS,
    )
    return page, status


@bp.route("/webhooks")
def webhooks_page():
    """The webhooks, a form to add one, and the latest deliveries with their failures."""
    return _page(WebhookForm())


@bp.route("/webhooks", methods=["POST"])
def webhook_add():
    """Add a webhook; an address that may not receive updates is refused beside the field."""
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            hook = webhooks.create_webhook(
                current_user, form.name.data, form.url.data, form.events.data
            )
        except ValidationFailed as exc:
            db.session.rollback()
            for name, messages in exc.fields.items():
                field = form._fields.get(name)
                if field is not None:
                    field.errors = [*field.errors, *messages]
        else:
            db.session.commit()
            flash(f"Webhook “{hook.name}” added.", "success")
            return redirect(url_for("admin.webhooks_page"))
    return _page(form, 422)


def _hook(webhook_id: int) -> Webhook:
    hook = get_or_404(Webhook, webhook_id, "webhook")
    if hook.archived_at is not None:
        abort(404, description="There is no such webhook.")
    return hook


@bp.route(f"/webhooks/<{ID_URL}:webhook_id>/switch", methods=["POST"])
def webhook_switch(webhook_id: int):
    """Switch a webhook off (nothing new is queued for it) or on again."""
    hook = _hook(webhook_id)
    webhooks.set_active(current_user, hook, not hook.active)
    db.session.commit()
    flash(f"Webhook “{hook.name}” switched {'on' if hook.active else 'off'}.", "success")
    return redirect(url_for("admin.webhooks_page"))


@bp.route(f"/webhooks/<{ID_URL}:webhook_id>/archive", methods=["GET", "POST"])
def webhook_archive(webhook_id: int):
    """Archive a webhook after a confirmation (what is still queued for it is not sent);
    "Undo" right after."""
    hook = _hook(webhook_id)
    page = url_for("admin.webhooks_page")
    return archiving.confirm_or_archive(
        hook,
        archiving.Addresses(
            view=page,
            archive=url_for("admin.webhook_archive", webhook_id=hook.id),
            restore=url_for("admin.webhook_restore", webhook_id=hook.id),
        ),
        lambda: webhooks.archive(current_user, hook),
        where="the webhooks this app sends to",
    )


@bp.route(f"/webhooks/<{ID_URL}:webhook_id>/restore", methods=["POST"])
def webhook_restore(webhook_id: int):
    """Bring an archived webhook back ("Undo" right after, or "Restore" in the archived list)."""
    hook = get_or_404(Webhook, webhook_id, "webhook")
    return archiving.restore(hook, url_for("admin.webhooks_page"))


@bp.route(f"/webhooks/deliveries/<{ID_URL}:delivery_id>/retry", methods=["POST"])
def webhook_retry(delivery_id: int):
    """Queue a failed delivery again (sent by the next send-reminders or deliver-webhooks)."""
    delivery = db.get_or_404(WebhookDelivery, delivery_id)
    if webhooks.retry(current_user, delivery):
        db.session.commit()
        flash("Queued again; it goes out with the next delivery run.", "success")
    else:
        flash("Only a failed delivery can be sent again.", "warning")
    return redirect(url_for("admin.webhooks_page"))


def _outbox() -> Path:
    return Path(current_app.config["OUTBOX_DIR"])


@bp.route("/outbox")
def outbox():
    """The reminder e-mails written to the outbox (when no mail server is configured)."""
    entries, total = mail.outbox_entries(_outbox(), OUTBOX_SHOWN)
    smtp = current_app.config.get("SMTP_HOST")
    return render_template("admin/outbox.html", entries=entries, total=total, smtp=smtp)


@bp.route("/outbox/<name>")
def outbox_message(name: str):
    """One e-mail of the outbox, as its recipient reads it in plain text."""
    found = mail.outbox_message(_outbox(), name)
    if found is None:
        abort(404)
    message, text = found
    return render_template("admin/outbox_message.html", message=message, text=text, name=name)
