"""GET /search?q=: objectives, plans, indicators, strategies, people and check-ins."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import login_required

from strategy_app.main.routes import as_of_date
from strategy_app.search import bp
from strategy_app.services.reads import search as search_service

HEADINGS = {
    "objective": "Objectives",
    "plan": "Action plans",
    "indicator": "Indicators",
    "strategy": "Strategies",
    "person": "People",
    "check_in": "Check-ins",
}


def link(hit: search_service.Hit) -> str:
    """The page of what was found (a person: the plans they own)."""
    if hit.kind == "objective":
        return url_for("objectives.view", id=hit.id)
    if hit.kind == "plan":
        return url_for("plans.view", id=hit.id)
    if hit.kind == "indicator":
        return url_for("objectives.indicator_view", indicator_id=hit.id)
    if hit.kind == "strategy" and hit.sub == "service":
        return url_for("strategy.service_view", id=hit.id)
    if hit.kind == "strategy":
        return url_for("strategy.cascade") + "#company-h"
    if hit.kind == "person":
        return url_for("plans.index", owner=hit.id)
    return url_for("plans.view", id=hit.id, _anchor="check-ins")


@bp.route("/search")
@login_required
def search():
    """Everything whose words hold ?q=, grouped by kind, each with its status."""
    words = request.args.get("q", "")
    too_long = len(words) > search_service.MAX_QUERY
    bad = "\x00" in words
    as_of = as_of_date()  # ?as_of=D: what was there on D, with the status it had then
    results = search_service.search("" if too_long or bad else words, as_of)
    status = 400 if (too_long or bad) else 200
    return render_template(
        "search/results.html",
        results=results,
        words=words[: search_service.MAX_QUERY].replace("\x00", ""),
        problem=(
            f"Shorten the search to at most {search_service.MAX_QUERY} characters."
            if too_long
            else "Remove the NUL characters from the search."
            if bad
            else ""
        ),
        headings=HEADINGS,
        link=link,
    ), status
