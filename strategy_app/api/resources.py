"""The five CRUD resources of /api/v1, each declared once (DESIGN §5)."""

from __future__ import annotations

import functools

from pydantic import Field
from sqlalchemy.orm import selectinload

from strategy_app import policy
from strategy_app.api import bp, outputs
from strategy_app.api.common import (
    WRITE_ERRORS,
    ListQuery,
    company_out,
    indicator_out,
    objective_out,
    plan_out,
    service_out,
)
from strategy_app.api.crud import Resource, declare
from strategy_app.models import (
    ActionPlan,
    CompanyStrategy,
    Department,
    Indicator,
    Objective,
    ServiceStrategy,
)
from strategy_app.schemas import inputs
from strategy_app.schemas.common import Id, Tag
from strategy_app.services.writes import cascade


class PlanQuery(ListQuery):
    # A slug, no NUL (PostgreSQL cannot compare text with one: that would be a 500).
    department: Tag | None = Field(default=None, description="Department slug")
    objective_id: Id | None = None
    state: inputs.PlanState | None = None


class IndicatorQuery(ListQuery):
    objective_id: Id | None = None
    action_plan_id: Id | None = None


COMPANY_STRATEGIES = Resource(
    "/company-strategies",
    "company strategy",
    CompanyStrategy,
    listing="Company strategies",
    examples=(
        {
            "title": "Grow sales",
            "description": "More orders from the customers we already serve.",
            "position": 1,
        },
        {"description": "More orders, and larger ones, per customer."},
    ),
    schemas=(inputs.CompanyStrategyIn, inputs.CompanyStrategyPatch, outputs.CompanyStrategyOut),
    writes=(cascade.create_company_strategy, cascade.update_company_strategy),
    out=company_out,
    permission=policy.STRATEGY,
    get_query=None,
)

SERVICE_STRATEGIES = Resource(
    "/service-strategies",
    "service strategy",
    ServiceStrategy,
    listing="Service strategies with their links",
    examples=(
        {
            "title": "Right first time",
            "statement": "Every order delivered complete, on time and invoiced right.",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "links": [{"company_strategy_id": 1, "fit": "supports", "rationale": "Repeat orders."}],
        },
        {"statement": "Every order delivered complete and on time."},
    ),
    schemas=(inputs.ServiceStrategyIn, inputs.ServiceStrategyPatch, outputs.ServiceStrategyOut),
    writes=(cascade.create_service_strategy, cascade.update_service_strategy),
    out=service_out,
    permission=policy.STRATEGY,
    load=(selectinload(ServiceStrategy.links),),
    get_query=None,
)

OBJECTIVES = Resource(
    "/objectives",
    "objective",
    Objective,
    listing="Objectives with results, execution and status",
    examples=(
        {
            "service_strategy_id": 1,
            "title": "Perfect orders",
            "start_date": "2026-01-01",
            "due_date": "2026-12-31",
            "tags": ["moment of truth: delivery"],
        },
        {"due_date": "2026-12-31"},
    ),
    schemas=(inputs.ObjectiveIn, inputs.ObjectivePatch, outputs.ObjectiveOut),
    writes=(cascade.create_objective, cascade.update_objective),
    out=objective_out,
    permission=policy.STRATEGY,
)

ACTION_PLANS = Resource(
    "/action-plans",
    "action plan",
    ActionPlan,
    listing="Action plans",
    examples=(
        {
            "objective_id": 1,
            "department_id": 1,
            "title": "Call back every lost order within a day",
            "due_date": "2026-12-31",
            "budget": 2500,
        },
        {"version": 1, "state": "in_progress", "progress_pct": 40},
    ),
    schemas=(inputs.PlanIn, inputs.PlanPatch, outputs.PlanOut),
    # The service refuses nulls and stale versions itself, and guards a move by department.
    writes=(cascade.create_plan, cascade.update_plan),
    out=plan_out,
    archive=functools.partial(cascade.archive, action=policy.PLAN),
    filters=PlanQuery,
    joins={"department": lambda stmt, slug: stmt.join(Department).where(Department.slug == slug)},
    patch_doc={
        "description": "Send the `version` you read; a stale one answers 409 with the current "
        "plan.",
        "errors": (*WRITE_ERRORS, 409),
        "error_models": {409: outputs.PlanConflict},
    },
)

INDICATORS = Resource(
    "/indicators",
    "indicator",
    Indicator,
    listing="Indicators with expected, actual, progress, status",
    summaries={"create": "Add an indicator (an expected result)"},
    examples=(
        {
            "objective_id": 1,
            "name": "Orders delivered complete and on time",
            "unit": "%",
            "direction": "increase",
            "baseline_value": 82,
            "baseline_date": "2026-01-01",
            "target_value": 95,
            "target_date": "2026-12-31",
            "milestones": [{"date": "2026-06-30", "expected_value": 90}],
            "external_key": "crm-otif",
        },
        {"target_value": 96, "tolerance": 0.05},
    ),
    schemas=(inputs.IndicatorIn, inputs.IndicatorPatch, outputs.IndicatorOut),
    # The service refuses nulls itself; who may change an indicator depends on its parent.
    writes=(cascade.create_indicator, cascade.update_indicator),
    out=indicator_out,
    archive=cascade.archive_indicator,
    filters=IndicatorQuery,
    load=(selectinload(Indicator.milestones),),
)

# In this order their operations are registered, and listed in the OpenAPI document.
for _resource in (COMPANY_STRATEGIES, SERVICE_STRATEGIES, OBJECTIVES, ACTION_PLANS, INDICATORS):
    declare(bp, _resource)
