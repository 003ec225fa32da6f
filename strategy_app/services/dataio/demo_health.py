"""The demo's service-health story: the first self-assessment, five months before the latest.

The distributor scored the checklist before writing its service strategy: systems,
performance management and service channels came out weakest, and two of the plans under
"Take every order right the first time" were made from those elements (the CRM link from
systems, the buyers' self-service from channels). The latest assessment (demo.py, scores in
demo_data) shows the progress since: channels and systems are better, performance management
is still weak. seed-demo calls add() once, inside its one transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from strategy_app.models import ActionPlan, Assessment, AssessmentAnswer
from strategy_app.services.evaluation import checklist

DAYS_AGO = 170  # the first assessment; the latest is 21 days ago

SCORES = {
    "strategy": "2 1 2",
    "structure": "2 2",
    "channels": "1 2 1 0",
    "systems": "1 1 0 1",
    "processes": "1 2 2 1 2",
    "performance": "2 1 2 1 0 2 1 1 1 0",
    "recruitment": "3 2 2",
    "training": "2 2 2 1 2",
    "retention": "2 2 3 2",
}
COMMENTS = {
    "strategy.1": "No written service strategy yet; this assessment starts one.",
    "strategy.2": "Each department describes the service differently.",
    "channels.1": "Phone and e-mail only; chains ask for an order portal.",
    "channels.4": "Buyers call to ask for their balance and stock: nothing to look up themselves.",
    "systems.3": "Account, orders and stock live in three systems; agents call back.",
    "systems.4": "Most stock and pricing questions go to logistics or finance.",
    "performance.5": "The rota is fixed a month ahead; Monday mornings overflow.",
    "performance.10": "Logistics is measured on cost per drop alone.",
    "training.4": "The product-code list is a spreadsheet on one laptop.",
}
NOTES = (
    "First self-assessment by the multifunctional team, before the service strategy was"
    " written. Weakest: systems, performance management and service channels. The CRM link"
    " and the buyers' self-service became plans under 'Take every order right the first time'."
)
# Plans of the demo made from a weak element of this assessment: plan key → element key.
PLANS_FROM_ELEMENTS = {"crm": "systems", "selfservice": "channels"}


def add(builder: Any) -> None:
    """Add the first assessment and link the plans made from it (builder: demo._Builder)."""
    when = builder.at(DAYS_AGO)
    assessment = Assessment(
        date=builder.when(f"d-{DAYS_AGO}"),
        assessor=builder.users["ceo@demo.test"],
        notes=NOTES,
        created_at=when,
        updated_at=when,
    )
    for element in checklist.ELEMENTS:
        scores = SCORES[element.key].split()
        for statement, score in zip(element.statements, scores, strict=True):
            assessment.answers.append(
                AssessmentAnswer(
                    statement_key=statement.key,
                    score=int(score),
                    comment=COMMENTS.get(statement.key, ""),
                    created_at=when,
                    updated_at=when,
                )
            )
    with builder.on(builder.when(f"d-{DAYS_AGO}")):  # recorded on its day, as in the story
        builder.add(assessment)
    # The plans were made that way in the story: a bulk UPDATE, so that they keep their first
    # version and their history shows no later edit.
    session = builder.session
    for plan_key, element_key in PLANS_FROM_ELEMENTS.items():
        plan = builder.plans[plan_key]
        session.execute(
            sa.update(ActionPlan)
            .where(ActionPlan.id == plan.id)
            .values(health_element=element_key)
            .execution_options(synchronize_session=False)
        )
        session.expire(plan, ["health_element"])
