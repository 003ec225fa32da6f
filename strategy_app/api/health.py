"""The API of service health (DESIGN §5): assessments with computed scores, and the checklist."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g
from pydantic import BaseModel, ConfigDict, Field

from strategy_app.api import bp
from strategy_app.api.common import saved
from strategy_app.api.outputs import Out, Page, Resource
from strategy_app.api.registry import operation
from strategy_app.schemas.common import Day
from strategy_app.schemas.health import AssessmentIn
from strategy_app.services.evaluation import checklist
from strategy_app.services.plumbing.errors import NotFound
from strategy_app.services.reads import health as reads
from strategy_app.services.writes import assessments

WRITE_ERRORS = (400, 401, 403, 404, 413, 422, 429)
READ_ERRORS = (401, 403, 404, 422, 429)
TAG = "service-health"
EXAMPLE = {
    "date": "2026-06-01",
    "notes": "Scored by the multifunctional team.",
    "answers": [
        {"statement_key": "systems.1", "score": 2, "comment": "Three screens to see an account."},
        {"statement_key": "systems.2", "score": 1, "comment": ""},
        {"statement_key": "processes.5", "score": 3},
    ],
}


class AssessmentQuery(BaseModel):
    """Paging, archived items and the date of a list of assessments."""

    model_config = ConfigDict(extra="ignore")
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=50, ge=1, le=200)
    archived: bool = Field(default=False, description="1 to include archived assessments")
    as_of: Day | None = Field(
        default=None, description="Only the assessments that existed at the end of this day"
    )


class AsOfQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    as_of: Day | None = Field(default=None, description="The state at the end of this day")


class AnswerOut(Out):
    statement_key: str
    score: int = Field(description="0 not at all … 4 fully")
    comment: str


class ElementScoreOut(Out):
    key: str
    title: str
    group: str
    score: float | None = Field(description="Mean answer × 25 (0–100); null if unanswered")


class AssessmentOut(Resource):
    date: date
    assessor_id: int | None
    notes: str
    answers: list[AnswerOut]
    elements: list[ElementScoreOut] = Field(description="Score of each element; computed")
    overall: float | None = Field(description="Mean of all answers × 25 (0–100); computed")


class StatementOut(Out):
    key: str
    text: str


class ChecklistElementOut(Out):
    key: str
    title: str
    group: str
    statements: list[StatementOut]


class ScoreLabelOut(Out):
    score: int
    label: str


class ChecklistOut(Out):
    groups: list[str]
    elements: list[ChecklistElementOut]
    scores: list[ScoreLabelOut] = Field(description="What each score 0–4 means")


def assessment_out(assessment: Any) -> dict:
    """An assessment with its answers and computed element and overall scores."""
    scores = reads.scores_of(assessment.answers)
    order = {key: n for n, key in enumerate(checklist.statement_keys())}
    answers = sorted(assessment.answers, key=lambda a: order.get(a.statement_key, len(order)))
    return AssessmentOut.model_validate(
        {
            "id": assessment.id,
            "created_at": assessment.created_at,
            "updated_at": assessment.updated_at,
            "archived_at": assessment.archived_at,
            "date": assessment.date,
            "assessor_id": assessment.assessor_id,
            "notes": assessment.notes,
            "answers": [
                {"statement_key": a.statement_key, "score": a.score, "comment": a.comment}
                for a in answers
            ],
            "elements": [
                {"key": e.key, "title": e.title, "group": e.group, "score": scores.elements[e.key]}
                for e in checklist.ELEMENTS
            ],
            "overall": scores.overall,
        }
    ).model_dump(mode="json")


@operation(
    bp,
    "GET",
    "/assessments",
    summary="Service-health assessments, newest first, with their scores",
    tag=TAG,
    query=AssessmentQuery,
    response=Page[AssessmentOut],
    errors=READ_ERRORS,
)
def list_assessments(args: AssessmentQuery):
    items, total = reads.page(args.page, args.per_page, args.as_of, args.archived)
    return {
        "items": [assessment_out(item.assessment) for item in items],
        "page": args.page,
        "per_page": args.per_page,
        "total": total,
    }


@operation(
    bp,
    "POST",
    "/assessments",
    summary="Record an assessment against the checklist",
    tag=TAG,
    description="Each answer scores one statement of GET /checklist from 0 to 4; statements "
    "left out are unanswered. At least one answer, each statement at most once; the date "
    "from 2000 up to today. Executives and department leads.",
    body=AssessmentIn,
    example=EXAMPLE,
    response=AssessmentOut,
    status=201,
    errors=WRITE_ERRORS,
)
def create_assessment(data: AssessmentIn):
    assessment = assessments.record_assessment(g.api_user, data)
    return saved(lambda: assessment_out(assessment)), 201


@operation(
    bp,
    "GET",
    "/assessments/<int:id>",
    summary="One assessment with its answers and scores",
    tag=TAG,
    query=AsOfQuery,
    response=AssessmentOut,
    errors=READ_ERRORS,
)
def get_assessment(id: int, args: AsOfQuery):
    assessment = reads.get(id, args.as_of)
    if assessment is None:
        raise NotFound(f"No assessment with id {id}.")
    return assessment_out(assessment)


@operation(
    bp,
    "GET",
    "/checklist",
    summary="The service checklist: groups, elements and their statements, with their keys",
    tag=TAG,
    query=AsOfQuery,
    response=ChecklistOut,
    errors=(401, 403, 422, 429),
)
def get_checklist(args: AsOfQuery):
    return ChecklistOut.model_validate(
        {
            "groups": list(checklist.GROUPS),
            "elements": [
                {
                    "key": e.key,
                    "title": e.title,
                    "group": e.group,
                    "statements": [{"key": s.key, "text": s.text} for s in e.statements],
                }
                for e in checklist.ELEMENTS
            ],
            "scores": [{"score": n, "label": t} for n, t in checklist.SCORE_LABELS.items()],
        }
    ).model_dump(mode="json")
