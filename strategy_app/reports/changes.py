"""GET /reports/changes: what changed between two days, for the company, a department or an
objective (services.reads.compare, the one place that works it out)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_login import login_required

from strategy_app.extensions import db
from strategy_app.models import Department, Objective
from strategy_app.reports import bp
from strategy_app.schemas.common import MAX_DATE, MAX_ID, MIN_DATE
from strategy_app.services.evaluation.clock import today
from strategy_app.services.reads import compare

DEFAULT_DAYS = 30  # without a start: the last month


def _day(name: str, default: date) -> date:
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        abort(400, description="Dates are written YYYY-MM-DD, for example 2026-03-31.")
    if not MIN_DATE <= day <= MAX_DATE:
        abort(400, description=f"Choose dates between {MIN_DATE} and {MAX_DATE}.")
    return day


def _scope() -> tuple[Objective | None, Department | None]:
    """The objective (?objective=<id>) or department (?department=<slug>) asked for, if any."""
    objective = department = None
    raw = request.args.get("objective")
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
            abort(404, description="There is no such objective.")
        objective = db.get_or_404(Objective, int(raw))
    slug = request.args.get("department")
    if slug:
        if "\x00" in slug:  # no slug holds one, and PostgreSQL refuses it in a query
            abort(404, description="There is no such department.")
        department = db.session.scalar(sa.select(Department).where(Department.slug == slug[:100]))
        if department is None:
            abort(404, description="There is no such department.")
    if objective is not None and department is not None:
        abort(400, description="Compare one objective or one department, not both at once.")
    return objective, department


@bp.route("/changes")
@login_required
def changes():
    """New and archived items, status and state changes, progress moves and new actuals."""
    end = _day("to", today())
    start = _day("from", end - timedelta(days=DEFAULT_DAYS))
    if start >= end:
        abort(400, description="The first date must come before the second.")
    if end > today():
        abort(400, description="The second date cannot be later than today.")
    objective, department = _scope()
    # The scope's own name as it is today (its past name is in the lists, if it changed).
    scope = {"objective": objective.id} if objective else {}
    scope |= {"department": department.slug} if department else {}
    objective_id, department_id = (objective.id if objective else None), None
    if department is not None:
        department_id = department.id
    result = compare.compare(start, end, objective_id=objective_id, department_id=department_id)
    return render_template(
        "reports/changes.html",
        c=result,
        objective=objective,
        department=department,
        scope=scope,
        today=today(),
        listed=compare.LISTED,
    )
