"""Service health as pages, the API and the meeting read it: assessments with their scores.

Scores come from rules.assessment_scores over the checklist of services.evaluation.checklist;
nothing here computes a rule. Each read is a fixed number of queries, whatever the number
of assessments or answers. `as_of` (a date, or None for now) shows what existed at the end
of that day: assessments dated and recorded by then, and not yet archived.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from strategy_app.charts import health as health_charts
from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Assessment, AssessmentAnswer
from strategy_app.services.evaluation import checklist, rules


@dataclass(frozen=True)
class StatementAnswer:
    """One statement of the checklist with the answer it was given (score None: unanswered)."""

    key: str
    text: str
    score: int | None
    comment: str

    @property
    def label(self) -> str:
        """The score in words ("Largely"), or "Not answered"."""
        return "Not answered" if self.score is None else checklist.SCORE_LABELS[self.score]


@dataclass(frozen=True)
class ElementView:
    """One element of an assessment: its score, the previous one, statements and plans."""

    key: str
    title: str
    group: str
    score: float | None
    previous: float | None
    statements: list[StatementAnswer]
    plans: list[ActionPlan] = field(default_factory=list)

    @property
    def weak(self) -> bool:
        """Below 50: the page offers to turn it into an action plan."""
        return rules.is_weak(self.score)


@dataclass(frozen=True)
class AssessmentView:
    """An assessment as its page shows it, with the one before it for comparison."""

    assessment: Assessment
    scores: rules.AssessmentScores
    elements: list[ElementView]
    previous: Assessment | None
    previous_scores: rules.AssessmentScores | None

    def groups(self) -> list[tuple[str, list[ElementView]]]:
        """The elements under their group (strategic, operational, HR), in checklist order."""
        return [(g, [e for e in self.elements if e.group == g]) for g in checklist.GROUPS]

    @property
    def weak(self) -> list[ElementView]:
        """The weak elements, weakest first."""
        return sorted((e for e in self.elements if e.weak), key=lambda e: e.score or 0)

    @property
    def verdict(self) -> Verdict:
        """The seed's reading guide in plain words: tick the vast majority and you are on track."""
        s = self.scores
        weak = [e.title for e in self.weak]
        ticked = f"{s.ticked} of the {s.statements} statements are largely or fully true of us"
        unanswered = s.statements - s.answered
        skipped = (
            f" {unanswered} statement{'s were' if unanswered != 1 else ' was'} not answered."
            if unanswered
            else ""
        )
        if s.on_track:
            tail = f" Keep an eye on {_and(weak)}, still weak." if weak else ""
            return Verdict(True, "On track", f"{ticked}: the vast majority.{tail}{skipped}")
        needed = math.ceil(rules.VAST_MAJORITY * s.statements)
        start = f" Start with the weakest: {_and(weak)}." if weak else ""
        return Verdict(
            False,
            "Not yet on track",
            f"Only {ticked}; the checklist's guide is that the vast majority should be"
            f" ({needed} or more).{start}{skipped}",
        )


@dataclass(frozen=True)
class Verdict:
    """The plain-language reading of an assessment."""

    on_track: bool
    headline: str
    detail: str


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def scores_of(answers: Any) -> rules.AssessmentScores:
    """The scores of answers (AssessmentAnswer rows or (statement key, score) pairs)."""
    pairs = (a if isinstance(a, tuple) else (a.statement_key, a.score) for a in answers)
    return rules.assessment_scores(pairs, checklist.statements_by_element())


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def visible(as_of: date | None = None, archived: bool = False) -> list[Any]:
    """Conditions on Assessment: live ones (archived ones too with archived), as of a date."""
    if as_of is None:
        return [] if archived else [Assessment.archived_at.is_(None)]
    end = _end_of(as_of)
    conditions = [Assessment.date <= as_of, Assessment.created_at < end]
    if not archived:
        conditions.append(sa.or_(Assessment.archived_at.is_(None), Assessment.archived_at >= end))
    return conditions


def _newest_first():
    return (Assessment.date.desc(), Assessment.id.desc())


def _with_answers(stmt: sa.Select) -> sa.Select:
    return stmt.options(selectinload(Assessment.answers), joinedload(Assessment.assessor))


def latest(as_of: date | None = None, before: Assessment | None = None) -> Assessment | None:
    """The newest visible assessment (the newest before `before`, when given); two queries."""
    stmt = sa.select(Assessment).where(*visible(as_of))
    if before is not None:
        stmt = stmt.where(
            sa.or_(
                Assessment.date < before.date,
                sa.and_(Assessment.date == before.date, Assessment.id < before.id),
            )
        )
    return db.session.scalar(_with_answers(stmt.order_by(*_newest_first()).limit(1)))


def get(assessment_id: int, as_of: date | None = None) -> Assessment | None:
    """One assessment with its answers (archived ones too, unless as_of says it was not there)."""
    stmt = sa.select(Assessment).where(Assessment.id == assessment_id)
    if as_of is not None:
        stmt = stmt.where(*visible(as_of, archived=False))
    return db.session.scalar(_with_answers(stmt))


def _plans_by_element() -> dict[str, list[ActionPlan]]:
    """The live plans made from each element, oldest first (one query)."""
    rows = db.session.scalars(
        sa.select(ActionPlan)
        .where(ActionPlan.health_element.is_not(None), ActionPlan.archived_at.is_(None))
        .options(joinedload(ActionPlan.department))
        .order_by(ActionPlan.id)
    )
    plans: dict[str, list[ActionPlan]] = {}
    for plan in rows:
        plans.setdefault(plan.health_element, []).append(plan)
    return plans


def earlier_plan_objective(element_key: str) -> int | None:
    """The objective of the latest live plan made from this element, if any (one query)."""
    return db.session.scalar(
        sa.select(ActionPlan.objective_id)
        .where(ActionPlan.health_element == element_key, ActionPlan.archived_at.is_(None))
        .order_by(ActionPlan.id.desc())
        .limit(1)
    )


def view(assessment: Assessment, as_of: date | None = None) -> AssessmentView:
    """The assessment's page: element scores beside the previous assessment's, each element's
    statements with their answers, and the plans made from each element; three queries."""
    previous = latest(as_of, before=assessment)
    scores = scores_of(assessment.answers)
    previous_scores = scores_of(previous.answers) if previous is not None else None
    answers = {a.statement_key: a for a in assessment.answers}
    plans = _plans_by_element()
    elements = [
        ElementView(
            key=e.key,
            title=e.title,
            group=e.group,
            score=scores.elements[e.key],
            previous=previous_scores.elements[e.key] if previous_scores else None,
            statements=[
                StatementAnswer(
                    s.key,
                    s.text,
                    answers[s.key].score if s.key in answers else None,
                    answers[s.key].comment if s.key in answers else "",
                )
                for s in e.statements
            ],
            plans=plans.get(e.key, []),
        )
        for e in checklist.ELEMENTS
    ]
    return AssessmentView(assessment, scores, elements, previous, previous_scores)


@dataclass(frozen=True)
class Listed:
    """An assessment in a list or on the trend: its date, who, and its scores."""

    assessment: Assessment
    scores: rules.AssessmentScores


def page(
    number: int, per_page: int, as_of: date | None = None, archived: bool = False
) -> tuple[list[Listed], int]:
    """One page of assessments, newest first, with their scores, and how many there are."""
    conditions = visible(as_of, archived)
    total = db.session.scalar(sa.select(sa.func.count(Assessment.id)).where(*conditions)) or 0
    rows = db.session.scalars(
        _with_answers(
            sa.select(Assessment)
            .where(*conditions)
            .order_by(*_newest_first())
            .limit(per_page)
            .offset((number - 1) * per_page)
        )
    ).all()
    return [Listed(a, scores_of(a.answers)) for a in rows], total


def trend(as_of: date | None = None) -> list[tuple[date, float | None]]:
    """(date, overall score) of every visible assessment, oldest first; two queries."""
    ids = db.session.execute(
        sa.select(Assessment.id, Assessment.date)
        .where(*visible(as_of))
        .order_by(Assessment.date, Assessment.id)
    ).all()
    if not ids:
        return []
    answers: dict[int, list[tuple[str, int]]] = {i: [] for i, _ in ids}
    rows = db.session.execute(
        sa.select(
            AssessmentAnswer.assessment_id, AssessmentAnswer.statement_key, AssessmentAnswer.score
        ).where(AssessmentAnswer.assessment_id.in_(answers))
    )
    for assessment_id, key, score in rows:
        answers[assessment_id].append((key, score))
    return [(d, scores_of(answers[i]).overall) for i, d in ids]


def radar_figure(current: AssessmentView, **layout: Any) -> dict[str, Any]:
    """The radar of an assessment's nine elements with the previous assessment overlaid."""
    return health_charts.radar(
        [e.title for e in current.elements],
        health_charts.RadarSeries(
            f"This assessment ({current.assessment.date.isoformat()})",
            [e.score for e in current.elements],
        ),
        None
        if current.previous is None
        else health_charts.RadarSeries(
            f"Previous ({current.previous.date.isoformat()})",
            [e.previous for e in current.elements],
        ),
        **layout,
    )


def latest_radar(as_of: date | None = None, **layout: Any) -> dict[str, Any] | None:
    """The latest assessment's radar with the previous one overlaid, for any surface (the
    service-health page, a meeting slide); None when there is no assessment. Layout options
    (title, height) go to health_charts.radar."""
    assessment = latest(as_of)
    return None if assessment is None else radar_figure(view(assessment, as_of), **layout)
