"""Detractor follow-ups: the filtered list, a page per follow-up, saving it, and the
one-click moves (contacted, resolved, reopened) that close the loop."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from strategy_app import policy
from strategy_app.errors import get_or_404
from strategy_app.extensions import db
from strategy_app.forms import attach_errors
from strategy_app.main.routes import as_of_date
from strategy_app.models import ActionPlan, FollowUp, NpsResponse
from strategy_app.nps import bp
from strategy_app.nps.forms import STATE_CHOICES, FollowUpFilterForm, FollowUpForm
from strategy_app.nps.routes import owner_choices, schema_errors
from strategy_app.schemas.common import ID_URL, MAX_ID, parse
from strategy_app.schemas.nps import FollowUpPatch
from strategy_app.services.evaluation import history as past
from strategy_app.services.evaluation import rules
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.services.reads import history
from strategy_app.services.reads import nps as nps_reads
from strategy_app.services.writes import nps as nps_writes

PER_PAGE = 25
MAX_PAGE = 1_000_000
STATES = {c.value: c.label for c in STATE_CHOICES}


def load_follow_up(ident: int) -> FollowUp:
    """The follow-up with its response, owner and plan, or 404."""
    options = (
        joinedload(FollowUp.response),
        joinedload(FollowUp.owner),
        joinedload(FollowUp.action_plan),
    )
    return get_or_404(FollowUp, ident, "follow-up", options)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, description="page must be a whole number from 1.")
    return int(raw)


@bp.route("/follow-ups")
def follow_ups():
    """Every live follow-up, filtered by state, owner and segment, oldest answer first."""
    form = FollowUpFilterForm(formdata=request.args)
    form.owner.choices = owner_choices("Anyone")
    form.segment.choices = [SelectChoice("", "Any segment")] + [
        SelectChoice(s, s) for s in nps_reads.segments()
    ]
    owner = form.owner.data if (form.owner.data or "").isdigit() else None
    bad_state = form.state.data and form.state.data not in STATES
    if not form.validate() or bad_state or (form.owner.data and owner is None):
        abort(400, description="Those filters are not valid.")
    if owner is not None and not 1 <= int(owner) <= MAX_ID:
        abort(400, description="Those filters are not valid.")
    segment = form.segment.data or None
    if segment is not None and (len(segment) > 80 or "\x00" in segment):
        abort(400, description="Those filters are not valid.")
    stmt = nps_reads.follow_up_query(
        as_of_date(), form.state.data or None, int(owner) if owner else None, segment
    )
    page = db.paginate(stmt, page=_page_number(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "nps/follow_ups.html",
        form=form,
        page=page,
        states=STATES,
        filtered=any(request.args.get(k) for k in ("state", "owner", "segment")),
    )


def _plan_choices(follow_up: FollowUp) -> list[SelectChoice]:
    plans = db.session.execute(
        sa.select(ActionPlan.id, ActionPlan.title)
        .where(ActionPlan.archived_at.is_(None), ActionPlan.state != "cancelled")
        .order_by(ActionPlan.title, ActionPlan.id)
    ).all()
    choices = [SelectChoice("", "No plan")] + [SelectChoice(str(i), t) for i, t in plans]
    current = follow_up.action_plan
    if current is not None and all(i != current.id for i, _ in plans):
        choices.append(SelectChoice(str(current.id), f"{current.title} (closed)"))
    return choices


def _form(follow_up: FollowUp) -> FollowUpForm:
    form = FollowUpForm()
    form.owner_id.choices = owner_choices("Nobody yet")
    form.action_plan_id.choices = _plan_choices(follow_up)
    if not form.is_submitted():
        form.owner_id.data = str(follow_up.owner_id or "")
        form.state.data = follow_up.state
        form.note.data = follow_up.note
        form.action_plan_id.data = str(follow_up.action_plan_id or "")
    return form


def _page(follow_up: FollowUp, form: FollowUpForm, status: int = 200):
    response: NpsResponse = follow_up.response
    days_open = (as_of_date() - response.date).days
    return render_template(
        "nps/follow_up.html",
        f=follow_up,
        r=response,
        form=form,
        states=STATES,
        category=rules.nps_category(response.score),
        days_open=days_open,
        entries=history.history(follow_up, limit=20),
        # A page of the past offers no change (DESIGN §7 "As of a date").
        can_edit=past.in_past() is None and policy.can(current_user, policy.FOLLOW_UP, follow_up),
    ), status


@bp.route(f"/follow-ups/<{ID_URL}:id>")
def follow_up(id: int):
    """One follow-up: the customer's answer, its state, and (for its owner) the form."""
    follow_up = load_follow_up(id)
    return _page(follow_up, _form(follow_up))


def chosen_id(form, name: str) -> int | None:
    """The id a select sent ("" is none); anything that is not one of the list's ids puts an
    error beside the field and answers 0 (which names nothing)."""
    field = getattr(form, name)
    value = (field.data or "").strip()
    if not value:
        return None
    if not (value.isdigit() and 1 <= int(value) <= MAX_ID):
        field.errors = [*field.errors, "Choose one from the list."]
        return 0
    return int(value)


@bp.post(f"/follow-ups/<{ID_URL}:id>")
def follow_up_save(id: int):
    """Save owner, state, note and the linked plan."""
    follow_up = load_follow_up(id)
    policy.require(current_user, policy.FOLLOW_UP, follow_up)
    form = _form(follow_up)
    valid = form.validate()
    owner_id, plan_id = chosen_id(form, "owner_id"), chosen_id(form, "action_plan_id")
    data = {
        "owner_id": owner_id or None,
        "state": form.state.data if form.state.data in STATES else None,
        "note": (form.note.data or "").strip(),
        "action_plan_id": plan_id or None,
    }
    if not valid or 0 in (owner_id, plan_id):
        schema_errors(form, FollowUpPatch, data)
    else:
        try:
            nps_writes.update_follow_up(current_user, follow_up, parse(FollowUpPatch, data))
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            attach_errors(form, exc.fields)
        else:
            flash("Follow-up saved.", "success")
            return redirect(url_for("nps.follow_up", id=follow_up.id))
    return _page(follow_up, form, 422)


@bp.post(f"/follow-ups/<{ID_URL}:id>/state/<any(open, contacted, resolved):state>")
def follow_up_state(id: int, state: str):
    """One click: mark contacted, resolved (the loop closes) or open again."""
    follow_up = load_follow_up(id)
    policy.require(current_user, policy.FOLLOW_UP, follow_up)
    nps_writes.change_state(current_user, follow_up, state)
    db.session.commit()
    done = {"resolved": "resolved: the loop is closed", "contacted": "marked contacted"}
    flash(f"Follow-up {done.get(state, 'open again')}.", "success")
    back = request.form.get("next", "")
    if back == "my-updates":
        return redirect(url_for("reports.my_updates"))
    return redirect(url_for("nps.follow_up", id=follow_up.id))
