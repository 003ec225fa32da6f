"""The past cannot be changed: a write, or a form to make one, asked for a past day is refused.

A page of the past offers no write action (DESIGN §7 "As of a date"), but an address can
still carry ?as_of=: an edit or new form opened with it would show today's form under the
banner of the past, and a post carrying it would change today while the person believed they
were looking at the past. Both are refused here, once for every page and the API, before any
view runs, and nothing is written.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import render_template, request

from strategy_app.errors import render_error
from strategy_app.main import bp
from strategy_app.services.evaluation import history
from strategy_app.services.evaluation.clock import today

READS = ("GET", "HEAD", "OPTIONS")
# Forms that change nothing of the world a page shows (signing in is not history).
NOT_HISTORY = {"auth.login", "static"}
STATUS = 409


def _asked_day() -> tuple[str | None, date | None]:
    """The as_of a request carries (address or posted form) and the day it names, if any."""
    raw = request.args.get("as_of")
    if (
        raw is None
        and request.method not in READS
        and request.mimetype
        in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )
    ):
        raw = request.form.get("as_of")
    if not raw:
        return None, None
    try:
        return raw, date.fromisoformat(raw)
    except ValueError:
        return raw, None


def _today_url() -> str:
    """The same address without as_of: today's version of what was asked for."""
    rest = [(k, v) for k, v in request.args.items(multi=True) if k != "as_of"]
    return request.path + (f"?{urlencode(rest)}" if rest else "")


def _refusal(day: date):
    message = (
        f"This shows the past, as it stood on {day.strftime('%-d %B %Y')}, and the past "
        "cannot be changed. Nothing was saved."
    )
    if request.path.startswith("/api/"):
        return render_error(STATUS, message + " Send the change without as_of to make it today.")
    page = render_template(
        "errors/error.html",
        status=STATUS,
        title="The past cannot be changed",
        message=message,
        why="To make a change, open today's version of this page.",
        ways=[(_today_url(), "Today's version of this page")],
    )
    return page, STATUS


@bp.before_app_request
def _refuse_changing_the_past():
    """A write carrying a past as_of, or a form opened with one, is refused (409)."""
    raw, day = _asked_day()
    if raw is None or request.endpoint in NOT_HISTORY:
        return None
    writes = request.method not in READS
    if day is None:
        if writes:  # a read with a bad date gets the page's own 400
            return render_error(400, "as_of must be a date written YYYY-MM-DD. Nothing was saved.")
        return None
    if not history.shows_past(day):
        return None  # today or later: today's world, which can be changed
    rule = request.url_rule
    form = rule is not None and "POST" in (rule.methods or ()) and not writes
    if writes or form:
        return _refusal(day)
    return None


@bp.app_errorhandler(history.PastIsReadOnly)
def _past_is_read_only(_exc):
    """Whatever tried to write while a request showed the past: a 409, nothing written."""
    day = history.in_past()
    history.leave()
    return _refusal(day or today())


@bp.app_template_global("is_form")
def is_form(endpoint: str) -> bool:
    """Whether endpoint's page is a form that changes something (a page of the past hides
    links to it)."""
    from flask import current_app

    return any("POST" in (rule.methods or ()) for rule in current_app.url_map.iter_rules(endpoint))
