"""GET /departments/ (every department's scorecard) and GET /departments/<slug> (one department)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template
from flask_login import login_required

from strategy_app.departments import bp, pages
from strategy_app.extensions import db
from strategy_app.main.routes import as_of_date
from strategy_app.models import Department
from strategy_app.services.evaluation.clock import today
from strategy_app.services.reads.history import history


@bp.route("/")
@login_required
def index():
    """Every live department with its lead, service role and scorecard."""
    view = pages.index(as_of_date())
    return render_template("departments/index.html", view=view, today=today())


@bp.route("/<slug>")
@login_required
def view(slug: str):
    """One department: service role, lead, scorecard, plans by objective, dependencies."""
    as_of = as_of_date()
    if "\x00" in slug:  # PostgreSQL refuses NUL in text; no slug holds one
        abort(404, description="There is no such department.")
    department = db.session.scalar(
        sa.select(Department).where(Department.slug == slug, Department.archived_at.is_(None))
    )
    if department is None:
        abort(404, description="There is no such department.")
    page = pages.department_page(department, as_of)
    return render_template(
        "departments/view.html",
        p=page,
        today=today(),
        entries=history(department),
    )
