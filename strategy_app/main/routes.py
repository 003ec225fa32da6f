"""GET / (the dashboard: the cascade at a glance) and GET /healthz."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import login_required

from strategy_app.extensions import db
from strategy_app.main import bp
from strategy_app.schemas.common import MAX_DATE, MIN_DATE
from strategy_app.services.evaluation import history
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


def _requested_past() -> date | None:
    """The past day a page read asks for with ?as_of=, or None (today, a bad date, a write)."""
    raw = request.args.get("as_of")
    if not raw or request.method not in ("GET", "HEAD") or request.blueprint == "api":
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None  # the page answers 400
    return day if history.shows_past(day) else None


@bp.before_app_request
def _enter_past() -> None:
    """Every page shows ?as_of=D (a past day) as it stood then: its session reads the past."""
    day = _requested_past()
    if day is not None:
        history.enter(day)


@bp.teardown_app_request
def _leave_past(_exc) -> None:
    history.leave()


@bp.app_context_processor
def _past_banner() -> dict:
    """`past_day` in every template (the day a page shows when it is not today) and
    `today_url`, the same page today."""
    day = history.in_past()
    if day is None:
        return {"past_day": None}
    rest = [(k, v) for k, v in request.args.items(multi=True) if k != "as_of"]
    return {
        "past_day": day,
        "today_url": request.path + (f"?{urlencode(rest)}" if rest else ""),
        "changes_url": _changes_since(day),
    }


def _changes_since(day: date) -> str | None:
    """What changed from day to today, for what the page is about (an objective, a
    department) or the whole company."""
    if "reports.changes" not in current_app.view_functions:
        return None
    scope: dict = {}
    args = request.view_args or {}
    if request.endpoint == "objectives.view" and "id" in args:
        scope["objective"] = args["id"]
    elif request.endpoint == "departments.view" and "slug" in args:
        scope["department"] = args["slug"]
    return url_for("reports.changes", **{"from": day.isoformat()}, **scope)


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


# After _enter_past, so that a form refused for a past day is shown under its banner.
from strategy_app.main import past  # noqa: E402, F401
