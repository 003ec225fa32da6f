"""Events the writes queue for webhooks in their own transaction: an indicator turning off
track (measurements), a review recorded (reviews). A plan turning blocked is queued by the
flush hook of services/plumbing/webhooks.py, whatever changed it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from strategy_app.extensions import db
from strategy_app.models import Indicator, Review
from strategy_app.services.evaluation import metrics
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing import webhooks

OFF_TRACK = "off_track"


def watch_off_track(indicators: Iterable[Indicator]) -> Callable[[], int]:
    """Note the indicators' status now; the returned function, called once the new actuals
    are flushed, queues "off track" for each that was not off track and now is.

    One query when no webhook wants the event; otherwise two to evaluate before, two after.
    """
    hooks = webhooks.subscribers(db.session, OFF_TRACK)
    items = list({i.id: i for i in indicators}.values())
    if not hooks or not items:
        return lambda: 0
    day = today()
    before = metrics.evaluate_indicators(items, day)

    def after() -> int:
        now = metrics.evaluate_indicators(items, day)
        queued = 0
        for ind in items:
            if now[ind.id].status == "off_track" and before[ind.id].status != "off_track":
                path = (
                    f"/plans/{ind.action_plan_id}"
                    if ind.action_plan_id
                    else f"/objectives/{ind.objective_id}"
                )
                data = {
                    "indicator_id": ind.id,
                    "name": ind.name,
                    "actual": now[ind.id].actual,
                    "expected": now[ind.id].expected,
                    "url": webhooks.link(path),
                }
                text = f"Off track: {ind.name} {data['url']}"
                queued += webhooks.enqueue(db.session, OFF_TRACK, text, data, hook_ids=hooks)
        return queued

    return after


def review_recorded(review: Review) -> int:
    """Queue "review recorded" with the review's date and decisions."""
    decisions = [d.text for d in review.decisions]
    url = webhooks.link(f"/meeting/reviews/{review.id}")
    text = f"Review of {review.date.isoformat()} recorded: {len(decisions)} decision(s). {url}"
    data = {"review_id": review.id, "date": review.date.isoformat(), "decisions": decisions}
    return webhooks.enqueue(db.session, "review_recorded", text, data | {"url": url})
