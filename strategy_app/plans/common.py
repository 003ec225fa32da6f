"""What every plan page shares: sign-in and audit actor, loading a plan, select choices."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import abort, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from strategy_app import archiving, policy
from strategy_app.errors import get_or_404
from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Department, Objective, ServiceStrategy, User
from strategy_app.plans import bp
from strategy_app.schemas.common import ID_URL, MAX_ID
from strategy_app.security import signed_in_only

ID = ID_URL
NONE_CHOICE = SelectChoice("", "— none —")


bp.before_request(signed_in_only)


def int_arg(name: str) -> int | None:
    """An id from the query string: None when absent or empty, a 400 when it is not an id."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        abort(400, description=f"{name} must be a whole number (an id).")
    return int(raw)


def load_plan(plan_id: int) -> ActionPlan:
    """The plan with its department, objective and owner, or 404 (archived plans included)."""
    options = (
        joinedload(ActionPlan.department),
        joinedload(ActionPlan.objective),
        joinedload(ActionPlan.owner),
    )
    return get_or_404(ActionPlan, plan_id, "plan", options)


def plannable_departments(including: int | None = None) -> list[Department]:
    """The live departments the signed-in user may plan for (and the given one, shown)."""
    query = (
        sa.select(Department)
        .where(sa.or_(Department.archived_at.is_(None), Department.id == (including or -1)))
        .order_by(Department.position, Department.name, Department.id)
    )
    return [
        d
        for d in db.session.scalars(query)
        if d.id == including or policy.can(current_user, policy.PLAN, d)
    ]


def department_choices(departments: Iterable[Department]) -> list[SelectChoice]:
    """Departments for a select."""
    return [
        SelectChoice(str(d.id), d.name + (" (archived)" if d.is_archived else ""))
        for d in departments
    ]


def objective_choices(including: int | None = None) -> list[SelectChoice]:
    """Live objectives grouped by service strategy (and the given one, even if archived)."""
    rows = db.session.execute(
        sa.select(Objective.id, Objective.title, Objective.archived_at, ServiceStrategy.title)
        .join(ServiceStrategy, ServiceStrategy.id == Objective.service_strategy_id)
        .where(sa.or_(Objective.archived_at.is_(None), Objective.id == (including or -1)))
        .order_by(ServiceStrategy.title, ServiceStrategy.id, Objective.title, Objective.id)
    )
    return [
        SelectChoice(str(oid), title + (" (archived)" if archived else ""), optgroup=group)
        for oid, title, archived, group in rows
    ]


def owner_choices(
    departments: Iterable[Department], including: int | None = None
) -> list[SelectChoice]:
    """Active people of the given departments, then active executives (and the given user)."""
    dept_names = {d.id: d.name for d in departments}
    query = (
        sa.select(User)
        .where(
            sa.or_(
                sa.and_(
                    User.active.is_(True),
                    sa.or_(
                        User.role == "executive",
                        sa.and_(
                            User.role.in_(("lead", "member")),
                            User.department_id.in_(list(dept_names) or [-1]),
                        ),
                    ),
                ),
                User.id == (including or -1),
            )
        )
        .order_by(sa.func.lower(User.name), User.id)
    )
    by_group: dict[str, list[SelectChoice]] = {}
    for u in db.session.scalars(query):
        executive = u.role == "executive"
        group = "Executives" if executive else dept_names.get(u.department_id, "Other")
        label = u.name + ("" if u.active else " (deactivated)")
        by_group.setdefault(group, []).append(SelectChoice(str(u.id), label, optgroup=group))
    order = dict.fromkeys([*dept_names.values(), "Other", "Executives"])
    return [NONE_CHOICE] + [c for g in order for c in by_group.get(g, [])]


@bp.context_processor
def plan_labels():
    """`state_label(state)` in the plan templates."""
    from strategy_app.plans.forms import STATE_LABELS

    return {"state_label": lambda state: STATE_LABELS.get(state, state)}


def plan_addresses(plan: ActionPlan) -> archiving.Addresses:
    """The plan's page and its archive and restore actions (for the shared mechanism)."""
    return archiving.Addresses(
        view=url_for("plans.view", id=plan.id),
        archive=url_for("plans.archive", id=plan.id),
        restore=url_for("plans.restore", id=plan.id),
    )
