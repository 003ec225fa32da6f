"""What the NPS pages, the API and the meeting show: NPS per month and per segment, the
closed loop (follow-ups resolved, median days to close), follow-up lists, objective evidence.

Every read takes as_of: only responses dated and entered on or before that day count, and a
follow-up counts as resolved only if it was resolved by the end of it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from strategy_app.extensions import db
from strategy_app.models import (
    Assessment,
    AssessmentAnswer,
    FollowUp,
    NpsResponse,
    Objective,
    User,
)
from strategy_app.services.evaluation import clock, rules
from strategy_app.services.evaluation.rules import NpsCounts

STATE_LABELS = {"open": "Open", "contacted": "Contacted", "resolved": "Resolved"}
TREND_MONTHS = 12  # months the trend chart shows


def end_of(day: date) -> datetime:
    """The first instant after day (UTC): what existed "at the end of" day was made before it."""
    if day >= date.max - timedelta(days=1):
        return datetime.max.replace(tzinfo=UTC)
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def made_by(model, as_of: date) -> sa.ColumnElement[bool]:
    """Rows recorded by the end of as_of; today (or later) that is every row there is."""
    if as_of >= clock.today():
        return sa.true()
    return model.created_at < end_of(as_of)


@dataclass(frozen=True)
class Group:
    """One month ("2026-05") or one segment, with its counts and NPS."""

    label: str
    counts: NpsCounts


@dataclass(frozen=True)
class LoopStats:
    """The closed loop at as_of: detractor follow-ups by state, the rate and median days."""

    total: int
    by_state: dict[str, int]
    rate: float | None  # resolved / total
    median_days: float | None  # from the response's date to its resolution


def _live_responses(as_of: date) -> sa.Select:
    return sa.select(NpsResponse.date, NpsResponse.score, NpsResponse.segment).where(
        NpsResponse.archived_at.is_(None),
        NpsResponse.date <= as_of,
        made_by(NpsResponse, as_of),
    )


def responses(as_of: date) -> list[tuple[date, int, str]]:
    """(date, score, segment) of every live response at as_of, in one query."""
    return [tuple(r) for r in db.session.execute(_live_responses(as_of).order_by(NpsResponse.date))]


def by_month(rows: list[tuple[date, int, str]], segment: str | None = None) -> list[Group]:
    """NPS per calendar month, oldest first (of one segment when given)."""
    months: dict[str, list[int]] = defaultdict(list)
    for day, score, seg in rows:
        if segment is None or seg == segment:
            months[f"{day.year:04d}-{day.month:02d}"].append(score)
    return [Group(m, rules.nps_counts(s)) for m, s in sorted(months.items())]


def by_segment(rows: list[tuple[date, int, str]]) -> list[Group]:
    """NPS per segment (an empty segment is "(no segment)"), by name."""
    groups: dict[str, list[int]] = defaultdict(list)
    for _, score, seg in rows:
        groups[seg].append(score)
    return [Group(s, rules.nps_counts(v)) for s, v in sorted(groups.items())]


def segments() -> list[str]:
    """The segments live responses name (for filters and choices)."""
    return list(
        db.session.scalars(
            sa.select(NpsResponse.segment)
            .where(NpsResponse.archived_at.is_(None), NpsResponse.segment != "")
            .distinct()
            .order_by(NpsResponse.segment)
        )
    )


def _live_follow_ups(as_of: date) -> sa.Select:
    return (
        sa.select(FollowUp)
        .join(FollowUp.response)
        .where(
            FollowUp.archived_at.is_(None),
            NpsResponse.archived_at.is_(None),
            NpsResponse.date <= as_of,
            made_by(FollowUp, as_of),
        )
    )


def loop_stats(as_of: date) -> LoopStats:
    """Follow-ups by state, the closed-loop rate and the median days to close, at as_of."""
    rows = db.session.execute(
        _live_follow_ups(as_of).with_only_columns(
            FollowUp.state, FollowUp.resolved_at, NpsResponse.date
        )
    ).all()
    by_state = dict.fromkeys(STATE_LABELS, 0)
    days = []
    cut = end_of(as_of)
    for state, resolved_at, answered in rows:
        if state == "resolved" and (resolved_at is None or resolved_at < cut):
            by_state["resolved"] += 1
            if resolved_at is not None:
                days.append(max(0, (resolved_at.astimezone(UTC).date() - answered).days))
        else:
            # Resolved after as_of: it was still being worked on then.
            by_state["contacted" if state == "resolved" else state] += 1
    total = len(rows)
    return LoopStats(
        total=total,
        by_state=by_state,
        rate=rules.closed_loop_rate(by_state["resolved"], total),
        median_days=rules.median_days(days),
    )


@dataclass
class Overview:
    """The NPS page: months, segments, the loop, the latest responses."""

    as_of: date
    segment: str | None
    months: list[Group]
    segments: list[Group]
    overall: NpsCounts
    loop: LoopStats
    recent: list[NpsResponse]


def overview(as_of: date, segment: str | None = None, recent: int = 20) -> Overview:
    """Everything the NPS page shows, in a fixed number of queries."""
    rows = responses(as_of)
    chosen = [r for r in rows if segment is None or r[2] == segment]
    latest = list(
        db.session.scalars(
            sa.select(NpsResponse)
            .options(joinedload(NpsResponse.follow_up))
            .where(
                NpsResponse.archived_at.is_(None),
                NpsResponse.date <= as_of,
                made_by(NpsResponse, as_of),
            )
            .order_by(NpsResponse.date.desc(), NpsResponse.id.desc())
            .limit(recent)
        ).unique()
    )
    return Overview(
        as_of=as_of,
        segment=segment,
        months=by_month(rows, segment)[-TREND_MONTHS:],
        segments=by_segment(rows),
        overall=rules.nps_counts(s for _, s, _ in chosen),
        loop=loop_stats(as_of),
        recent=latest,
    )


@dataclass(frozen=True)
class ExportRow:
    """One response as the CSV export writes it."""

    date: date
    score: int
    category: str
    segment: str
    customer_ref: str
    comment: str
    follow_up_state: str | None


def export_rows(as_of: date) -> list[ExportRow]:
    """Every live response at as_of, oldest first, with its follow-up's state (one query)."""
    rows = db.session.execute(
        sa.select(
            NpsResponse.date,
            NpsResponse.score,
            NpsResponse.segment,
            NpsResponse.customer_ref,
            NpsResponse.comment,
            FollowUp.state,
        )
        .outerjoin(FollowUp, FollowUp.response_id == NpsResponse.id)
        .where(
            NpsResponse.archived_at.is_(None),
            NpsResponse.date <= as_of,
            made_by(NpsResponse, as_of),
        )
        .order_by(NpsResponse.date, NpsResponse.id)
    )
    return [
        ExportRow(d, s, rules.nps_category(s), seg, ref, comment, state)
        for d, s, seg, ref, comment, state in rows
    ]


# --- follow-ups ---------------------------------------------------------------------------


def follow_up_query(
    as_of: date,
    state: str | None = None,
    owner_id: int | None = None,
    segment: str | None = None,
) -> sa.Select:
    """Live follow-ups (with their response, owner and plan loaded), filtered: those not
    resolved first, each part oldest answer first."""
    stmt = (
        _live_follow_ups(as_of)
        .options(
            contains_eager(FollowUp.response),
            joinedload(FollowUp.owner),
            joinedload(FollowUp.action_plan),
        )
        .order_by(FollowUp.state == "resolved", NpsResponse.date, FollowUp.id)
    )
    if state:
        stmt = stmt.where(FollowUp.state == state)
    if owner_id:
        stmt = stmt.where(FollowUp.owner_id == owner_id)
    if segment:
        stmt = stmt.where(NpsResponse.segment == segment)
    return stmt


def follow_up_page(stmt: sa.Select, page: int, per_page: int) -> tuple[list[FollowUp], int]:
    """One page of a follow-up query, and how many there are in all."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            stmt.order_by(None).with_only_columns(FollowUp.id).subquery()
        )
    )
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique()
    return list(items), total or 0


def follow_up_owners() -> list[User]:
    """Who can own a follow-up: active people other than viewers, by name."""
    return list(
        db.session.scalars(
            sa.select(User).where(User.active.is_(True), User.role != "viewer").order_by(User.name)
        )
    )


def open_detractor_follow_ups(as_of: date, limit: int = 10) -> list[FollowUp]:
    """The oldest follow-ups not yet resolved (for the meeting's customer slide)."""
    stmt = follow_up_query(as_of).where(FollowUp.state != "resolved").limit(limit)
    return list(db.session.scalars(stmt).unique())


@dataclass(frozen=True)
class CustomerVoice:
    """What a meeting shows of the customer's voice: the trend, the loop, what is still open."""

    months: list[Group]
    loop: LoopStats
    open_follow_ups: list[FollowUp]


def customer_voice(as_of: date, open_listed: int = 10) -> CustomerVoice:
    """For meeting mode: NPS by month (charts.nps.trend(..., surface="meeting") draws it),
    the closed loop, and the oldest detractor follow-ups not yet resolved."""
    return CustomerVoice(
        months=by_month(responses(as_of))[-TREND_MONTHS:],
        loop=loop_stats(as_of),
        open_follow_ups=open_detractor_follow_ups(as_of, open_listed),
    )


# --- evidence on an objective -------------------------------------------------------------


@dataclass(frozen=True)
class ElementEvidence:
    """A service-health element's score in the latest assessment (None: not assessed)."""

    key: str
    score: float | None
    assessed_on: date | None


@dataclass(frozen=True)
class Evidence:
    """What an objective links to: its NPS segment's months, and/or an element's score."""

    segment: str | None
    months: list[Group]
    element: ElementEvidence | None

    @property
    def latest(self) -> Group | None:
        return self.months[-1] if self.months else None


def element_score(key: str, as_of: date) -> ElementEvidence:
    """The element's score (rules.assessment_score) in the latest live assessment at as_of."""
    latest = db.session.execute(
        sa.select(Assessment.id, Assessment.date)
        .where(
            Assessment.archived_at.is_(None),
            Assessment.date <= as_of,
            made_by(Assessment, as_of),
        )
        .order_by(Assessment.date.desc(), Assessment.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return ElementEvidence(key, None, None)
    scores = db.session.scalars(
        sa.select(AssessmentAnswer.score).where(
            AssessmentAnswer.assessment_id == latest.id,
            AssessmentAnswer.statement_key.startswith(key + ".", autoescape=True),
        )
    )
    return ElementEvidence(key, rules.assessment_score(scores), latest.date)


def objective_evidence(objective: Objective, as_of: date) -> Evidence | None:
    """The customer evidence of an objective at as_of, or None when it links to none."""
    if not objective.nps_segment and not objective.health_element:
        return None
    months: list[Group] = []
    if objective.nps_segment:
        months = by_month(responses(as_of), objective.nps_segment)[-TREND_MONTHS:]
    element = element_score(objective.health_element, as_of) if objective.health_element else None
    return Evidence(objective.nps_segment, months, element)
