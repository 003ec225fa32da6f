"""GET /reports/alignment, /reports/matrix and /reports/my-updates (everyone signed in reads)."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required

from strategy_app.main.routes import as_of_date
from strategy_app.reports import bp
from strategy_app.reports.matrix import matrix as build_matrix
from strategy_app.reports.paging import paginate_list
from strategy_app.services.evaluation import history
from strategy_app.services.evaluation.clock import today
from strategy_app.services.evaluation.rules import CHECK_IN_DAYS
from strategy_app.services.reads import alignment
from strategy_app.services.reads.my_updates import my_updates as build_my_updates
from strategy_app.services.reads.my_updates import waiting_count

FINDINGS_SHOWN = 100  # per kind on the whole report; ?kind= pages through one kind


@bp.app_template_global("my_updates_count")
def my_updates_count() -> int:
    """The navigation's badge on "My updates": how many things wait on the signed-in user.

    Nothing (0) while a page shows a past day: what waits on someone is today's, and the request
    reads that day's world (history.enter), so the count is left out rather than wrong.
    """
    if not current_user.is_authenticated or history.in_past() is not None:
        return 0
    return waiting_count(current_user, today())


@bp.route("/alignment", endpoint="alignment")
@login_required
def alignment_report():
    """Counts per kind of finding, then each finding with a link to fix it."""
    report = alignment.findings(as_of_date())
    kind = request.args.get("kind")
    page = None
    if kind:
        if kind not in alignment.KIND_KEYS:
            abort(404, description="There is no such kind of finding.")
        page = paginate_list(report[kind], FINDINGS_SHOWN)
    return render_template(
        "reports/alignment.html",
        report=report,
        kinds=alignment.KINDS,
        kind=kind,
        page=page,
        shown=FINDINGS_SHOWN,
        today=today(),
    )


@bp.route("/matrix")
@login_required
def matrix():
    """Objectives × departments, each cell the plans with their status."""
    return render_template("reports/matrix.html", m=build_matrix(as_of_date()), today=today())


@bp.route("/my-updates")
@login_required
def my_updates():
    """What waits on the signed-in person."""
    updates = build_my_updates(current_user, as_of_date())
    return render_template(
        "reports/my_updates.html",
        u=updates,
        check_in_days=CHECK_IN_DAYS,
        today=today(),
    )
