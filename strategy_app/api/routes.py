"""The endpoints of /api/v1: thin wrappers over the services, with computed fields added."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, render_template, url_for
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import selectinload

from strategy_app import policy
from strategy_app.api import bp, outputs
from strategy_app.api.registry import openapi_document, operation, read_json_body
from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CompanyStrategy,
    Department,
    Indicator,
    Measurement,
    Objective,
    ServiceStrategy,
    User,
)
from strategy_app.schemas import inputs
from strategy_app.schemas.common import Day, Id, Tag
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing.errors import NotFound, ValidationFailed
from strategy_app.services.writes import cascade, measurements

WRITE_ERRORS = (400, 401, 403, 404, 413, 422, 429)
READ_ERRORS = (401, 403, 404, 422, 429)


# A request body for each write, shown in the OpenAPI document (ids as in a small database).
EXAMPLES: dict[str, Any] = {
    "CompanyStrategyIn": {
        "title": "Grow sales",
        "description": "More orders from the customers we already serve.",
        "position": 1,
    },
    "CompanyStrategyPatch": {"description": "More orders, and larger ones, per customer."},
    "ServiceStrategyIn": {
        "title": "Right first time",
        "statement": "Every order delivered complete, on time and invoiced right.",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "links": [{"company_strategy_id": 1, "fit": "supports", "rationale": "Repeat orders."}],
    },
    "ServiceStrategyPatch": {"statement": "Every order delivered complete and on time."},
    "ObjectiveIn": {
        "service_strategy_id": 1,
        "title": "Perfect orders",
        "start_date": "2026-01-01",
        "due_date": "2026-12-31",
        "tags": ["moment of truth: delivery"],
    },
    "ObjectivePatch": {"due_date": "2026-12-31"},
    "PlanIn": {
        "objective_id": 1,
        "department_id": 1,
        "title": "Call back every lost order within a day",
        "due_date": "2026-12-31",
        "budget": 2500,
    },
    "PlanPatch": {"version": 1, "state": "in_progress", "progress_pct": 40},
    "IndicatorIn": {
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
    "IndicatorPatch": {"target_value": 96, "tolerance": 0.05},
    "MeasurementIn": {"date": "2026-06-30", "value": 91.5, "note": "Nightly CRM export"},
    "BatchIn": {
        "items": [
            {"external_key": "crm-otif", "date": "2026-06-30", "value": 91.5},
            {"indicator_id": 1, "date": "2026-06-30", "value": 12, "note": "June"},
        ]
    },
}


class ListQuery(BaseModel):
    """Paging, archived items and the evaluation date of every list."""

    model_config = ConfigDict(extra="ignore")
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=50, ge=1, le=200)
    archived: bool = Field(default=False, description="1 to include archived items")
    as_of: Day | None = Field(default=None, description="Evaluate computed fields at this date")


class PlanQuery(ListQuery):
    # A slug, no NUL (PostgreSQL cannot compare text with one: that would be a 500).
    department: Tag | None = Field(default=None, description="Department slug")
    objective_id: Id | None = None
    state: inputs.PlanState | None = None


class IndicatorQuery(ListQuery):
    objective_id: Id | None = None
    action_plan_id: Id | None = None


class AsOfQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    as_of: Day | None = Field(default=None, description="Evaluate computed fields at this date")


# --- helpers ------------------------------------------------------------------------------


def _as_of(args: Any) -> date:
    return getattr(args, "as_of", None) or today()


def _page(stmt: sa.Select, args: ListQuery, model: type) -> tuple[list[Any], int]:
    if not args.archived and hasattr(model, "archived_at"):
        stmt = stmt.where(model.archived_at.is_(None))
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    rows = db.session.scalars(
        stmt.order_by(model.id).limit(args.per_page).offset((args.page - 1) * args.per_page)
    ).all()
    return list(rows), total or 0


def _paged(items: list[dict], args: ListQuery, total: int) -> dict:
    return {"items": items, "page": args.page, "per_page": args.per_page, "total": total}


def _dump(model: type[outputs.Out], obj: Any, **computed: Any) -> dict:
    """obj as the response model, with computed fields supplied by the caller."""
    fields = {name: getattr(obj, name) for name in model.model_fields if name not in computed}
    return model.model_validate({**fields, **computed}).model_dump(mode="json")


def plan_out(plans: list[ActionPlan], as_of: date | None = None) -> list[dict]:
    """Plans with their computed overdue and execution."""
    as_of = as_of or today()
    return [
        _dump(
            outputs.PlanOut,
            p,
            budget=float(p.budget) if p.budget is not None else None,
            overdue=rules.plan_overdue(p.due_date, p.state, as_of),
            execution=rules.plan_execution(p.state, p.progress_pct),
        )
        for p in plans
    ]


def indicator_out(indicators: list[Indicator], as_of: date) -> list[dict]:
    """Indicators with expected, actual, progress and status at as_of."""
    results = metrics.evaluate_indicators(indicators, as_of)
    return [
        _dump(
            outputs.IndicatorOut,
            i,
            expected=results[i.id].expected,
            actual=results[i.id].actual,
            progress=results[i.id].progress,
            status=results[i.id].status,
            milestones=[{"date": m.date, "expected_value": m.expected_value} for m in i.milestones],
        )
        for i in indicators
    ]


def objective_out(objectives: list[Objective], as_of: date) -> list[dict]:
    """Objectives with results, execution and status at as_of."""
    rollups = metrics.objective_rollups(objectives, as_of)
    return [
        _dump(
            outputs.ObjectiveOut,
            o,
            tags=list(o.tags or []),
            results=rollups[o.id].results,
            execution=rollups[o.id].execution,
            status=rollups[o.id].status,
        )
        for o in objectives
    ]


def service_out(strategies: list[ServiceStrategy]) -> list[dict]:
    """Service strategies with their links."""
    return [
        outputs.ServiceStrategyOut.model_validate(s).model_dump(mode="json") for s in strategies
    ]


def _one(model: type, ident: int):
    return cascade.get_or_404(model, ident)


# Fields whose null the services turn into a value of their own (tags: null → no tags).
_NULL_MEANS_EMPTY = frozenset({"tags", "links", "milestones"})


def _refuse_nulls(data: BaseModel, obj: Any, action: str) -> None:
    """A PATCH that sets a column the database requires to null is a 422, not a 500.

    (The patch schemas accept null for every field, as "not sent" is their default; the
    permission is checked first so that a refused write stays a 403.)
    """
    cascade.check(g.api_user, action, obj)
    columns = type(obj).__table__.c
    bad = {
        name: ["may not be null"]
        for name in data.model_fields_set
        if getattr(data, name) is None
        and name not in _NULL_MEANS_EMPTY
        and name in columns
        and not columns[name].nullable
    }
    if bad:
        raise ValidationFailed(bad)


# --- who and what -------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/me",
    summary="The token's user",
    tag="users",
    response=outputs.UserOut,
    errors=(401, 429),
)
def me():
    return outputs.UserOut.of(g.api_user)


@operation(
    bp,
    "GET",
    "/users",
    summary="Users",
    tag="users",
    query=ListQuery,
    response=outputs.Page[outputs.UserOut],
    errors=READ_ERRORS,
)
def list_users(args: ListQuery):
    stmt = sa.select(User)
    if not args.archived:
        stmt = stmt.where(User.active.is_(True))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(User.id).limit(args.per_page).offset((args.page - 1) * args.per_page)
    )
    items = [outputs.UserOut.of(u) for u in rows]
    return _paged(items, args, total or 0)


@operation(
    bp,
    "GET",
    "/departments",
    summary="Departments",
    tag="departments",
    query=ListQuery,
    response=outputs.Page[outputs.DepartmentOut],
    errors=READ_ERRORS,
)
def list_departments(args: ListQuery):
    rows, total = _page(sa.select(Department), args, Department)
    items = [outputs.DepartmentOut.model_validate(d).model_dump(mode="json") for d in rows]
    return _paged(items, args, total)


@operation(
    bp,
    "GET",
    "/summary",
    summary="Objectives by status and each department's scorecard",
    tag="summary",
    query=AsOfQuery,
    response=outputs.SummaryOut,
    errors=READ_ERRORS,
)
def summary(args: AsOfQuery):
    figures = metrics.overview(_as_of(args))
    departments = db.session.execute(
        sa.select(Department.id, Department.slug)
        .where(Department.archived_at.is_(None))
        .order_by(Department.position, Department.id)
    )
    return {
        "as_of": figures.as_of.isoformat(),
        "objectives": figures.status_counts(),
        "departments": [
            {
                "slug": d.slug,
                "plans": figures.scorecards[d.id].plans,
                "overdue": figures.scorecards[d.id].overdue,
                "execution": figures.scorecards[d.id].execution,
            }
            for d in departments
        ],
    }


# --- company strategies -------------------------------------------------------------------


def _company(obj: CompanyStrategy) -> dict:
    return outputs.CompanyStrategyOut.model_validate(obj).model_dump(mode="json")


@operation(
    bp,
    "GET",
    "/company-strategies",
    summary="Company strategies",
    tag="company-strategies",
    query=ListQuery,
    response=outputs.Page[outputs.CompanyStrategyOut],
    errors=READ_ERRORS,
)
def list_company_strategies(args: ListQuery):
    rows, total = _page(sa.select(CompanyStrategy), args, CompanyStrategy)
    return _paged([_company(r) for r in rows], args, total)


@operation(
    bp,
    "POST",
    "/company-strategies",
    summary="Add a company strategy",
    tag="company-strategies",
    body=inputs.CompanyStrategyIn,
    example=EXAMPLES["CompanyStrategyIn"],
    response=outputs.CompanyStrategyOut,
    status=201,
    errors=WRITE_ERRORS,
)
def create_company_strategy(data: inputs.CompanyStrategyIn):
    obj = cascade.create_company_strategy(g.api_user, data)
    db.session.commit()
    return _company(obj), 201


@operation(
    bp,
    "GET",
    "/company-strategies/<int:id>",
    summary="One company strategy",
    tag="company-strategies",
    response=outputs.CompanyStrategyOut,
    errors=READ_ERRORS,
)
def get_company_strategy(id: int):
    return _company(_one(CompanyStrategy, id))


@operation(
    bp,
    "PATCH",
    "/company-strategies/<int:id>",
    summary="Change a company strategy",
    tag="company-strategies",
    body=inputs.CompanyStrategyPatch,
    example=EXAMPLES["CompanyStrategyPatch"],
    response=outputs.CompanyStrategyOut,
    errors=WRITE_ERRORS,
)
def patch_company_strategy(id: int, data: inputs.CompanyStrategyPatch):
    obj = _one(CompanyStrategy, id)
    _refuse_nulls(data, obj, policy.STRATEGY)
    obj = cascade.update_company_strategy(g.api_user, obj, data)
    db.session.commit()
    return _company(obj)


@operation(
    bp,
    "DELETE",
    "/company-strategies/<int:id>",
    summary="Archive a company strategy",
    tag="company-strategies",
    status=204,
    errors=WRITE_ERRORS,
)
def delete_company_strategy(id: int):
    cascade.archive(g.api_user, _one(CompanyStrategy, id), policy.STRATEGY)
    db.session.commit()
    return "", 204


# --- service strategies -------------------------------------------------------------------


def _services_query():
    return sa.select(ServiceStrategy).options(selectinload(ServiceStrategy.links))


@operation(
    bp,
    "GET",
    "/service-strategies",
    summary="Service strategies with their links",
    tag="service-strategies",
    query=ListQuery,
    response=outputs.Page[outputs.ServiceStrategyOut],
    errors=READ_ERRORS,
)
def list_service_strategies(args: ListQuery):
    rows, total = _page(_services_query(), args, ServiceStrategy)
    return _paged(service_out(rows), args, total)


@operation(
    bp,
    "POST",
    "/service-strategies",
    summary="Add a service strategy",
    tag="service-strategies",
    body=inputs.ServiceStrategyIn,
    example=EXAMPLES["ServiceStrategyIn"],
    response=outputs.ServiceStrategyOut,
    status=201,
    errors=WRITE_ERRORS,
)
def create_service_strategy(data: inputs.ServiceStrategyIn):
    obj = cascade.create_service_strategy(g.api_user, data)
    db.session.commit()
    return service_out([obj])[0], 201


@operation(
    bp,
    "GET",
    "/service-strategies/<int:id>",
    summary="One service strategy",
    tag="service-strategies",
    response=outputs.ServiceStrategyOut,
    errors=READ_ERRORS,
)
def get_service_strategy(id: int):
    return service_out([_one(ServiceStrategy, id)])[0]


@operation(
    bp,
    "PATCH",
    "/service-strategies/<int:id>",
    summary="Change a service strategy",
    tag="service-strategies",
    body=inputs.ServiceStrategyPatch,
    example=EXAMPLES["ServiceStrategyPatch"],
    response=outputs.ServiceStrategyOut,
    errors=WRITE_ERRORS,
)
def patch_service_strategy(id: int, data: inputs.ServiceStrategyPatch):
    obj = _one(ServiceStrategy, id)
    _refuse_nulls(data, obj, policy.STRATEGY)
    obj = cascade.update_service_strategy(g.api_user, obj, data)
    db.session.commit()
    return service_out([obj])[0]


@operation(
    bp,
    "DELETE",
    "/service-strategies/<int:id>",
    summary="Archive a service strategy",
    tag="service-strategies",
    status=204,
    errors=WRITE_ERRORS,
)
def delete_service_strategy(id: int):
    cascade.archive(g.api_user, _one(ServiceStrategy, id), policy.STRATEGY)
    db.session.commit()
    return "", 204


# --- objectives ---------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/objectives",
    summary="Objectives with results, execution and status",
    tag="objectives",
    query=ListQuery,
    response=outputs.Page[outputs.ObjectiveOut],
    errors=READ_ERRORS,
)
def list_objectives(args: ListQuery):
    rows, total = _page(sa.select(Objective), args, Objective)
    return _paged(objective_out(rows, _as_of(args)), args, total)


@operation(
    bp,
    "POST",
    "/objectives",
    summary="Add an objective",
    tag="objectives",
    body=inputs.ObjectiveIn,
    example=EXAMPLES["ObjectiveIn"],
    response=outputs.ObjectiveOut,
    status=201,
    errors=WRITE_ERRORS,
)
def create_objective(data: inputs.ObjectiveIn):
    obj = cascade.create_objective(g.api_user, data)
    db.session.commit()
    return objective_out([obj], today())[0], 201


@operation(
    bp,
    "GET",
    "/objectives/<int:id>",
    summary="One objective",
    tag="objectives",
    query=AsOfQuery,
    response=outputs.ObjectiveOut,
    errors=READ_ERRORS,
)
def get_objective(id: int, args: AsOfQuery):
    return objective_out([_one(Objective, id)], _as_of(args))[0]


@operation(
    bp,
    "PATCH",
    "/objectives/<int:id>",
    summary="Change an objective",
    tag="objectives",
    body=inputs.ObjectivePatch,
    example=EXAMPLES["ObjectivePatch"],
    response=outputs.ObjectiveOut,
    errors=WRITE_ERRORS,
)
def patch_objective(id: int, data: inputs.ObjectivePatch):
    obj = _one(Objective, id)
    _refuse_nulls(data, obj, policy.STRATEGY)
    obj = cascade.update_objective(g.api_user, obj, data)
    db.session.commit()
    return objective_out([obj], today())[0]


@operation(
    bp,
    "DELETE",
    "/objectives/<int:id>",
    summary="Archive an objective",
    tag="objectives",
    status=204,
    errors=WRITE_ERRORS,
)
def delete_objective(id: int):
    cascade.archive(g.api_user, _one(Objective, id), policy.STRATEGY)
    db.session.commit()
    return "", 204


# --- action plans -------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/action-plans",
    summary="Action plans",
    tag="action-plans",
    query=PlanQuery,
    response=outputs.Page[outputs.PlanOut],
    errors=READ_ERRORS,
)
def list_action_plans(args: PlanQuery):
    stmt = sa.select(ActionPlan)
    if args.department:
        stmt = stmt.join(Department).where(Department.slug == args.department)
    if args.objective_id:
        stmt = stmt.where(ActionPlan.objective_id == args.objective_id)
    if args.state:
        stmt = stmt.where(ActionPlan.state == args.state)
    rows, total = _page(stmt, args, ActionPlan)
    return _paged(plan_out(rows, _as_of(args)), args, total)


@operation(
    bp,
    "POST",
    "/action-plans",
    summary="Add an action plan",
    tag="action-plans",
    body=inputs.PlanIn,
    example=EXAMPLES["PlanIn"],
    response=outputs.PlanOut,
    status=201,
    errors=WRITE_ERRORS,
)
def create_action_plan(data: inputs.PlanIn):
    obj = cascade.create_plan(g.api_user, data)
    db.session.commit()
    return plan_out([obj])[0], 201


@operation(
    bp,
    "GET",
    "/action-plans/<int:id>",
    summary="One action plan",
    tag="action-plans",
    query=AsOfQuery,
    response=outputs.PlanOut,
    errors=READ_ERRORS,
)
def get_action_plan(id: int, args: AsOfQuery):
    return plan_out([_one(ActionPlan, id)], _as_of(args))[0]


@operation(
    bp,
    "PATCH",
    "/action-plans/<int:id>",
    summary="Change an action plan",
    description="Send the `version` you read; a stale one answers 409 with the current plan.",
    tag="action-plans",
    body=inputs.PlanPatch,
    example=EXAMPLES["PlanPatch"],
    response=outputs.PlanOut,
    errors=(*WRITE_ERRORS, 409),
    error_models={409: outputs.PlanConflict},
)
def patch_action_plan(id: int, data: inputs.PlanPatch):
    obj = cascade.update_plan(g.api_user, _one(ActionPlan, id), data)
    db.session.commit()
    return plan_out([obj])[0]


@operation(
    bp,
    "DELETE",
    "/action-plans/<int:id>",
    summary="Archive an action plan",
    tag="action-plans",
    status=204,
    errors=WRITE_ERRORS,
)
def delete_action_plan(id: int):
    cascade.archive(g.api_user, _one(ActionPlan, id), policy.PLAN)
    db.session.commit()
    return "", 204


# --- indicators and measurements ----------------------------------------------------------


def _indicators_query():
    return sa.select(Indicator).options(selectinload(Indicator.milestones))


def _indicator(ident: int) -> Indicator:
    obj = db.session.scalar(_indicators_query().where(Indicator.id == ident))
    if obj is None:
        raise NotFound(f"No Indicator with id {ident}.")
    return obj


@operation(
    bp,
    "GET",
    "/indicators",
    summary="Indicators with expected, actual, progress, status",
    tag="indicators",
    query=IndicatorQuery,
    response=outputs.Page[outputs.IndicatorOut],
    errors=READ_ERRORS,
)
def list_indicators(args: IndicatorQuery):
    stmt = _indicators_query()
    if args.objective_id:
        stmt = stmt.where(Indicator.objective_id == args.objective_id)
    if args.action_plan_id:
        stmt = stmt.where(Indicator.action_plan_id == args.action_plan_id)
    rows, total = _page(stmt, args, Indicator)
    return _paged(indicator_out(rows, _as_of(args)), args, total)


@operation(
    bp,
    "POST",
    "/indicators",
    summary="Add an indicator (an expected result)",
    tag="indicators",
    body=inputs.IndicatorIn,
    example=EXAMPLES["IndicatorIn"],
    response=outputs.IndicatorOut,
    status=201,
    errors=WRITE_ERRORS,
)
def create_indicator(data: inputs.IndicatorIn):
    obj = cascade.create_indicator(g.api_user, data)
    db.session.commit()
    return indicator_out([_indicator(obj.id)], today())[0], 201


@operation(
    bp,
    "GET",
    "/indicators/<int:id>",
    summary="One indicator",
    tag="indicators",
    query=AsOfQuery,
    response=outputs.IndicatorOut,
    errors=READ_ERRORS,
)
def get_indicator(id: int, args: AsOfQuery):
    return indicator_out([_indicator(id)], _as_of(args))[0]


@operation(
    bp,
    "PATCH",
    "/indicators/<int:id>",
    summary="Change an indicator",
    tag="indicators",
    body=inputs.IndicatorPatch,
    example=EXAMPLES["IndicatorPatch"],
    response=outputs.IndicatorOut,
    errors=WRITE_ERRORS,
)
def patch_indicator(id: int, data: inputs.IndicatorPatch):
    cascade.update_indicator(g.api_user, _indicator(id), data)
    db.session.commit()
    return indicator_out([_indicator(id)], today())[0]


@operation(
    bp,
    "DELETE",
    "/indicators/<int:id>",
    summary="Archive an indicator",
    tag="indicators",
    status=204,
    errors=WRITE_ERRORS,
)
def delete_indicator(id: int):
    cascade.archive_indicator(g.api_user, _indicator(id))
    db.session.commit()
    return "", 204


def _measurement(m: Measurement) -> dict:
    return outputs.MeasurementOut.model_validate(m).model_dump(mode="json")


@operation(
    bp,
    "GET",
    "/indicators/<int:id>/measurements",
    summary="An indicator's actuals",
    tag="measurements",
    query=ListQuery,
    response=outputs.Page[outputs.MeasurementOut],
    errors=READ_ERRORS,
)
def list_measurements(id: int, args: ListQuery):
    _one(Indicator, id)
    stmt = sa.select(Measurement).where(Measurement.indicator_id == id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(Measurement.date).limit(args.per_page).offset((args.page - 1) * args.per_page)
    )
    return _paged([_measurement(m) for m in rows], args, total or 0)


@operation(
    bp,
    "POST",
    "/indicators/<int:id>/measurements",
    summary="Enter an actual",
    description="The same date again replaces the value; the audit log keeps the old one.",
    tag="measurements",
    body=inputs.MeasurementIn,
    example=EXAMPLES["MeasurementIn"],
    response=outputs.MeasurementOut,
    status=201,
    errors=WRITE_ERRORS,
)
def create_measurement(id: int, data: inputs.MeasurementIn):
    row = measurements.record(g.api_user, _indicator(id), data, source="api")
    db.session.commit()
    return _measurement(row), 201


@operation(
    bp,
    "POST",
    "/measurements/batch",
    summary="Enter up to 5,000 actuals, all or nothing",
    description="One bad item answers 422 listing every bad item by index; nothing is written.",
    tag="measurements",
    body=inputs.BatchIn,
    example=EXAMPLES["BatchIn"],
    response=outputs.BatchOut,
    status=201,
    errors=WRITE_ERRORS,
    parse_body=False,
)
def batch_measurements():
    indexed, errors = measurements.parse_batch(read_json_body())
    rows = measurements.record_batch(g.api_user, indexed, errors, source="api")
    db.session.commit()
    return {"written": len(rows), "items": [_measurement(m) for m in rows]}, 201


# --- the document -------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/openapi.json",
    summary="This document (OpenAPI 3.1), generated from the code; no token needed",
    tag="meta",
    response=outputs.OpenApiOut,
    errors=(),
    auth=False,
)
def openapi_json():
    """The OpenAPI document, generated from the operations registered here."""
    return _document(current_app.config.get("API_VERSION", "1.0.0"))


@functools.cache
def _document(version: str) -> dict:
    # Built once per process: the operations do not change, and generating the schemas
    # costs a few hundred milliseconds, too much for an endpoint open to anyone.
    return openapi_document(bp.url_prefix, "Strategy tracker API", version)


@bp.route("/docs")
def docs():
    """A readable reference of the API, rendered from the same document."""
    doc = _document(current_app.config.get("API_VERSION", "1.0.0"))
    return render_template("api/docs.html", doc=doc, spec_url=url_for("api.openapi_json"))
