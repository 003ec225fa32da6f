"""Service-health writes: recording an assessment, and turning a weak element into a plan."""

from __future__ import annotations

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Assessment, AssessmentAnswer, User
from strategy_app.schemas.common import MAX_TEXT, parse
from strategy_app.schemas.health import AssessmentIn, ElementPlanIn
from strategy_app.schemas.inputs import PlanIn
from strategy_app.services.evaluation import checklist, rules
from strategy_app.services.plumbing.errors import NotFound, ValidationFailed
from strategy_app.services.writes import cascade


def record_assessment(actor: User, data: AssessmentIn) -> Assessment:
    """Save an assessment with its answers (executives and leads); the caller commits."""
    cascade.check(actor, policy.HEALTH)
    assessment = Assessment(date=data.date, notes=data.notes, assessor=actor)
    assessment.answers = [
        AssessmentAnswer(statement_key=a.statement_key, score=a.score, comment=a.comment)
        for a in data.answers
    ]
    db.session.add(assessment)
    db.session.flush()
    return assessment


def element_or_404(key: str) -> checklist.Element:
    """The checklist element with this key, or NotFound."""
    element = checklist.element(key)
    if element is None:
        raise NotFound("The checklist has no such element.")
    return element


def element_score(assessment: Assessment, element: checklist.Element) -> float | None:
    """The element's score in this assessment (rules.assessment_scores)."""
    scores = rules.assessment_scores(
        ((a.statement_key, a.score) for a in assessment.answers),
        {element.key: [s.key for s in element.statements]},
    )
    return scores.elements[element.key]


def plan_description(assessment: Assessment, element: checklist.Element, score: float) -> str:
    """What the plan is for, in words: the assessment, the score and the weakest statements."""
    answers = {a.statement_key: a for a in assessment.answers}
    weakest = sorted(
        (answers[s.key].score, n, s.text)
        for n, s in enumerate(element.statements)
        if s.key in answers
    )[:3]
    lines = [
        f"From the service-health assessment of {assessment.date.isoformat()}: "
        f"{element.title} scored {round(score, 1):g} out of 100.",
        "Weakest statements:",
        *(f"- {text} ({checklist.SCORE_LABELS[s].lower()})" for s, _, text in weakest),
    ]
    return "\n".join(lines)[:MAX_TEXT]


def plan_for_element(
    actor: User, assessment: Assessment, element: checklist.Element, data: ElementPlanIn
) -> ActionPlan:
    """A plan, under the chosen objective and department, to strengthen a weak element.

    Refused (422) when the element is not weak in this assessment; the plan needs PLAN on
    its department (cascade.create_plan checks it, as on the plan form).
    """
    score = element_score(assessment, element)
    if not rules.is_weak(score):
        raise ValidationFailed(
            {"element": [f"{element.title} is not weak in this assessment; nothing to plan."]}
        )
    plan = parse(
        PlanIn,
        {
            "objective_id": data.objective_id,
            "department_id": data.department_id,
            "title": data.title,
            "description": plan_description(assessment, element, score),
            "due_date": data.due_date,
        },
    )
    return cascade.create_plan(actor, plan, health_element=element.key)
