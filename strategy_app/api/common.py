"""What the API's views share: list queries, paging, error sets and the resources' JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from strategy_app.api import outputs
from strategy_app.extensions import db
from strategy_app.models import ActionPlan, CompanyStrategy, Indicator, Objective, ServiceStrategy
from strategy_app.schemas.common import Day
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.evaluation.clock import today

T = TypeVar("T")

WRITE_ERRORS = (400, 401, 403, 404, 413, 422, 429)
READ_ERRORS = (401, 403, 404, 422, 429)


class ListQuery(BaseModel):
    """Paging, archived items and the evaluation date of every list."""

    model_config = ConfigDict(extra="ignore")
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=50, ge=1, le=200)
    archived: bool = Field(default=False, description="1 to include archived items")
    as_of: Day | None = Field(default=None, description="Evaluate computed fields at this date")


class AsOfQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    as_of: Day | None = Field(default=None, description="Evaluate computed fields at this date")


def saved(answer: Callable[[], T]) -> T:
    """Write what the request changed and answer with answer(), made before the commit.

    After a commit every loaded object is expired, so an answer made then reads the database
    again; if the database went away at that moment the client got a 500 saying nothing was
    saved, for a write that was. Made inside the transaction (flushed: ids and versions
    known), the answer needs nothing after the commit, and a commit that fails answers 503.
    """
    db.session.flush()
    body = answer()
    db.session.commit()
    return body


def as_of_date(args: Any) -> date:
    """The date a read evaluates computed fields at: ?as_of= when sent, else today."""
    return getattr(args, "as_of", None) or today()


def page_of(stmt: sa.Select, args: ListQuery, model: type) -> tuple[list[Any], int]:
    """One page of stmt's rows in id order (archived ones only if asked), and the total."""
    if not args.archived and hasattr(model, "archived_at"):
        stmt = stmt.where(model.archived_at.is_(None))
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    rows = db.session.scalars(
        stmt.order_by(model.id).limit(args.per_page).offset((args.page - 1) * args.per_page)
    ).all()
    return list(rows), total or 0


def paged(items: list[dict], args: ListQuery, total: int) -> dict:
    """The body of a list: its items and where they stand."""
    return {"items": items, "page": args.page, "per_page": args.per_page, "total": total}


def dump(model: type[outputs.Out], obj: Any, **computed: Any) -> dict:
    """obj as the response model, with computed fields supplied by the caller."""
    fields = {name: getattr(obj, name) for name in model.model_fields if name not in computed}
    return model.model_validate({**fields, **computed}).model_dump(mode="json")


# --- each resource as JSON: out(objects, as_of) -> dicts ------------------------------------


def company_out(strategies: list[CompanyStrategy], as_of: date | None = None) -> list[dict]:
    """Company strategies (nothing computed)."""
    return [
        outputs.CompanyStrategyOut.model_validate(s).model_dump(mode="json") for s in strategies
    ]


def service_out(strategies: list[ServiceStrategy], as_of: date | None = None) -> list[dict]:
    """Service strategies with their links."""
    return [
        outputs.ServiceStrategyOut.model_validate(s).model_dump(mode="json") for s in strategies
    ]


def objective_out(objectives: list[Objective], as_of: date) -> list[dict]:
    """Objectives with results, execution and status at as_of."""
    rollups = metrics.objective_rollups(objectives, as_of)
    return [
        dump(
            outputs.ObjectiveOut,
            o,
            tags=list(o.tags or []),
            results=rollups[o.id].results,
            execution=rollups[o.id].execution,
            status=rollups[o.id].status,
        )
        for o in objectives
    ]


def plan_out(plans: list[ActionPlan], as_of: date | None = None) -> list[dict]:
    """Plans with their computed overdue and execution."""
    as_of = as_of or today()
    return [
        dump(
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
        dump(
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
