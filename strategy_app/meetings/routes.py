"""GET /meeting (the slide deck) and the reviews: list, record, view, archive."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from strategy_app import archiving, charts, policy
from strategy_app.errors import get_or_404
from strategy_app.extensions import db
from strategy_app.forms import submit
from strategy_app.main.routes import as_of_date
from strategy_app.meetings import bp, pages
from strategy_app.meetings.forms import (
    ReviewForm,
    add_row_requested,
    ensure_blank_row,
    fill_choices,
    review_data,
    review_form,
)
from strategy_app.models import ActionPlan, Review, ReviewDecision
from strategy_app.schemas.common import ID_URL, MAX_DATE, MIN_DATE
from strategy_app.schemas.reviews import ReviewIn
from strategy_app.security import signed_in_only
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing import numbers
from strategy_app.services.writes import cascade, reviews

ID = ID_URL  # ids beyond the column's range are simply not found
PER_PAGE = 25
MAX_PAGE = 1_000_000


bp.before_request(signed_in_only)


def _as_of() -> date:
    """The ?as_of= date (400 when malformed or out of range), or today."""
    as_of = as_of_date()
    if not MIN_DATE <= as_of <= MAX_DATE:
        abort(400, description="as_of must be a date between 1900 and 2200.")
    return as_of


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, description="page must be a whole number from 1.")
    return int(raw)


def _slide_urls(as_of_args: dict[str, str]):
    """slide_url(id, fragment=False): the address of a slide of the deck (the deck names
    every slide: one url_for, not one per slide)."""
    base = url_for("meetings.slide", slide_id="-")[:-1]

    def slide_url(slide_id: str, fragment: bool = False) -> str:
        query = urlencode(({"fragment": "1"} if fragment else {}) | as_of_args)
        return base + quote(slide_id, safe="") + (f"?{query}" if query else "")

    return slide_url


def _render_deck(template: str, deck: pages.Deck, **context):
    """A page of the deck; links keep the deck's ?as_of= when it is not today."""
    shown_today = deck.as_of == today()
    as_of_args = {} if shown_today else {"as_of": deck.as_of.isoformat()}
    return render_template(
        template,
        deck=deck,
        today=today(),
        as_of_args=as_of_args,
        slide_url=_slide_urls(as_of_args),
        fmt_number=charts.fmt_number,
        **context,
    )


@bp.route("")
def deck():
    """The slide deck: overview, scorecards, trouble, overdue, changes, each department.
    The first slide is drawn; meeting.js fetches each other one before it is shown."""
    return _render_deck("meetings/deck.html", pages.build(_as_of()))


@bp.route("/slides/<slide_id>")
def slide(slide_id: str):
    """One slide of the deck at ?as_of=: on a page of its own (the deck's plain links), or
    alone with ?fragment=1 (what meeting.js puts into the deck)."""
    deck = pages.build(_as_of())
    found = deck.slide(slide_id)
    if found is None:
        abort(404, description="This meeting has no such slide.")
    number, shown = found
    if request.args.get("fragment") == "1":
        return _render_deck("meetings/slide_fragment.html", deck, slide=shown)
    return _render_deck("meetings/slide_page.html", deck, slide=shown, number=number)


@bp.route("/reviews")
def review_list():
    """The reviews recorded (?archived=1 the archived ones), newest first, with how many
    decisions and plans each made."""
    archived = request.args.get("archived") == "1"
    page = db.paginate(
        sa.select(Review)
        .where(Review.archived_at.is_not(None) if archived else Review.archived_at.is_(None))
        .order_by(Review.date.desc(), Review.id.desc()),
        page=_page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    counts = {}
    if page.items:
        counts = {
            r.review_id: r
            for r in db.session.execute(
                sa.select(
                    ReviewDecision.review_id,
                    sa.func.count(ReviewDecision.id).label("decisions"),
                    sa.func.count(ReviewDecision.action_plan_id).label("plans"),
                )
                .where(ReviewDecision.review_id.in_([r.id for r in page.items]))
                .group_by(ReviewDecision.review_id)
            )
        }
    return render_template("meetings/reviews.html", page=page, counts=counts, archived=archived)


def _render_form(form: ReviewForm, status: int = 200, invalid: bool = False):
    return render_template("meetings/review_form.html", form=form, invalid=invalid), status


@bp.route("/reviews/new", methods=["GET", "POST"])
def review_new():
    """Record a review: executives and leads; a decision made a plan needs PLAN on its
    department (services.reviews checks it, through cascade.create_plan)."""
    policy.require(current_user, policy.REVIEW)
    form = review_form()
    fill_choices(form)
    if request.method != "POST":
        return _render_form(form)
    if add_row_requested(form):
        return _render_form(form)
    review = submit(
        form,
        ReviewIn,
        lambda data: reviews.record_review(current_user, data),
        review_data(form),
    )
    if review is None:
        ensure_blank_row(form)
        return _render_form(form, 422, invalid=True)
    plans = sum(d.action_plan_id is not None for d in review.decisions)
    made = f"; {plans} decision{'s' if plans != 1 else ''} became a plan" if plans else ""
    flash(f"Review of {numbers.day(review.date)} recorded{made}.", "success")
    return redirect(url_for("meetings.review_view", id=review.id))


def _load(review_id: int) -> Review:
    decisions = selectinload(Review.decisions).joinedload(ReviewDecision.action_plan)
    return get_or_404(Review, review_id, "review", (decisions.joinedload(ActionPlan.department),))


@bp.route(f"/reviews/<{ID}:id>")
def review_view(id: int):
    """One review: date, attendees, notes, decisions and the plans made of them."""
    return render_template("meetings/review.html", review=_load(id))


@bp.route(f"/reviews/<{ID}:id>/archive", methods=["GET", "POST"])
def review_archive(id: int):
    """Archive a review (recorded by mistake) after a confirmation that says what follows:
    "changes since the last review" then starts from the one before; "Undo" right after."""
    review = _load(id)
    cascade.check(current_user, policy.REVIEW, review)
    return archiving.confirm_or_archive(
        review,
        archiving.Addresses(
            view=url_for("meetings.review_view", id=review.id),
            archive=url_for("meetings.review_archive", id=review.id),
            restore=url_for("meetings.review_restore", id=review.id),
            after_archive=url_for("meetings.review_list"),
        ),
        lambda: reviews.archive_review(current_user, review),
        where="the list of reviews",
    )


@bp.post(f"/reviews/<{ID}:id>/restore")
def review_restore(id: int):
    """Bring an archived review back (executives)."""
    review = _load(id)
    return archiving.restore(review, url_for("meetings.review_view", id=review.id))
