"""GET / (the dashboard: the cascade at a glance) and GET /healthz."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask_login import login_required

from strategy_app.extensions import db
from strategy_app.main import bp
from strategy_app.schemas.common import MAX_DATE, MIN_DATE
from strategy_app.services.evaluation.clock import today
from strategy_app.services.reads import dashboard as dashboard_service


def as_of_date() -> date:
    """The ?as_of=YYYY-MM-DD of the request, or today; a bad date is a 400."""
    raw = request.args.get("as_of")
    if not raw:
        return today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, description="as_of must be a date written YYYY-MM-DD.")


@bp.route("/")
@login_required
def dashboard():
    """Status at a glance: objectives by status, what needs attention, departments."""
    as_of = as_of_date()
    if not MIN_DATE <= as_of <= MAX_DATE:  # far dates overflow the dashboard's date arithmetic
        abort(400, description=f"as_of must be between {MIN_DATE} and {MAX_DATE}.")
    view = dashboard_service.build(as_of)
    return render_template("main/dashboard.html", view=view, today=today())


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; send them the SVG."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.route("/healthz")
def healthz():
    """200 when the database answers, 503 otherwise (no sign-in)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
