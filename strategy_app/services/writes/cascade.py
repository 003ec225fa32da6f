"""Writes on the cascade: strategies, links, objectives, plans, indicators, check-ins.

Each function checks the actor's permission (strategy_app.policy), validates what needs the
database (referenced ids exist and are live, owners fit the department, rules of §3 on
indicators) and stages the change; the caller commits, and the audit hook records it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CheckIn,
    CompanyStrategy,
    Department,
    Indicator,
    Milestone,
    Objective,
    ServiceStrategy,
    StrategyLink,
    User,
)
from strategy_app.models.base import utcnow
from strategy_app.schemas import inputs
from strategy_app.schemas.common import MAX_ID
from strategy_app.services.evaluation import rules
from strategy_app.services.plumbing.errors import (
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)

T = TypeVar("T")


def check(actor: User | None, action: str, obj: Any = None) -> None:
    """Raise PermissionDenied unless the policy allows actor to do action on obj."""
    if not policy.can(actor, action, obj):
        raise PermissionDenied(action, obj)


def _get(model: type[T], ident: int | None) -> T | None:
    return db.session.get(model, ident) if ident is not None and 1 <= ident <= MAX_ID else None


def get_live(model: type[T], ident: int | None, field: str, *, allow_archived: bool = False) -> T:
    """The object with this id, or a ValidationFailed naming the field."""
    obj = _get(model, ident)
    if obj is None or (not allow_archived and getattr(obj, "archived_at", None) is not None):
        raise ValidationFailed({field: [f"No {model.__name__} with id {ident}."]})
    return obj


def get_or_404(model: type[T], ident: int) -> T:
    """The object with this id (archived ones included), or NotFound."""
    obj = _get(model, ident)
    if obj is None:
        raise NotFound(f"No {model.__name__} with id {ident}.")
    return obj


def _owner(owner_id: int | None, field: str = "owner_id") -> User | None:
    if owner_id is None:
        return None
    user = _get(User, owner_id)
    if user is None or not user.active:
        raise ValidationFailed({field: [f"No active user with id {owner_id}."]})
    return user


def _apply(obj: Any, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(obj, key, value)


def archive(actor: User, obj: Any, action: str) -> None:
    """Archive (soft-delete) obj; archiving twice is harmless."""
    check(actor, action, obj)
    if obj.archived_at is None:
        obj.archived_at = utcnow()
        if isinstance(obj, CompanyStrategy | ServiceStrategy):
            obj.status = "archived"


def restore(actor: User, obj: Any) -> None:
    """Bring an archived object back (executives only)."""
    check(actor, policy.ADMIN, obj)
    if obj.archived_at is not None:
        obj.archived_at = None
        if isinstance(obj, CompanyStrategy | ServiceStrategy) and obj.status == "archived":
            obj.status = "active"


# --- company and service strategies -------------------------------------------------------


def create_company_strategy(actor: User, data: inputs.CompanyStrategyIn) -> CompanyStrategy:
    """Add a company strategy."""
    check(actor, policy.STRATEGY)
    _owner(data.owner_id)
    obj = CompanyStrategy(**data.model_dump())
    db.session.add(obj)
    db.session.flush()
    return obj


def update_company_strategy(actor: User, obj: CompanyStrategy, data: inputs.CompanyStrategyPatch):
    """Change the fields sent."""
    check(actor, policy.STRATEGY, obj)
    values = data.model_dump(exclude_unset=True)
    if "owner_id" in values:
        _owner(values["owner_id"])
    _apply(obj, values)
    db.session.flush()
    return obj


def _set_links(strategy: ServiceStrategy, links: list[inputs.LinkIn]) -> None:
    wanted = {}
    for i, link in enumerate(links):
        get_live(CompanyStrategy, link.company_strategy_id, f"links.{i}.company_strategy_id")
        wanted[link.company_strategy_id] = link
    current = {link.company_strategy_id: link for link in strategy.links}
    for cs_id, link in current.items():
        if cs_id not in wanted:
            strategy.links.remove(link)
    for cs_id, link in wanted.items():
        row = current.get(cs_id)
        if row is None:
            strategy.links.append(
                StrategyLink(company_strategy_id=cs_id, fit=link.fit, rationale=link.rationale)
            )
        else:
            row.fit, row.rationale = link.fit, link.rationale


def create_service_strategy(actor: User, data: inputs.ServiceStrategyIn) -> ServiceStrategy:
    """Add a service strategy with its links to company strategies."""
    check(actor, policy.STRATEGY)
    _owner(data.owner_id)
    obj = ServiceStrategy(**data.model_dump(exclude={"links"}))
    db.session.add(obj)
    _set_links(obj, data.links)
    db.session.flush()
    return obj


def update_service_strategy(actor: User, obj: ServiceStrategy, data: inputs.ServiceStrategyPatch):
    """Change the fields sent; links, when sent, replace all links."""
    check(actor, policy.STRATEGY, obj)
    values = data.model_dump(exclude_unset=True, exclude={"links"})
    if "owner_id" in values:
        _owner(values["owner_id"])
    start = values.get("period_start", obj.period_start)
    end = values.get("period_end", obj.period_end)
    if start and end and start > end:
        raise ValidationFailed({"period_end": ["period_end must not be before period_start"]})
    _apply(obj, values)
    if "links" in data.model_fields_set:
        _set_links(obj, data.links or [])
    db.session.flush()
    return obj


# --- objectives ---------------------------------------------------------------------------


def create_objective(actor: User, data: inputs.ObjectiveIn) -> Objective:
    """Add an objective under a live service strategy."""
    check(actor, policy.STRATEGY)
    get_live(ServiceStrategy, data.service_strategy_id, "service_strategy_id")
    _owner(data.owner_id)
    obj = Objective(**data.model_dump())
    db.session.add(obj)
    db.session.flush()
    return obj


def update_objective(actor: User, obj: Objective, data: inputs.ObjectivePatch) -> Objective:
    """Change the fields sent."""
    check(actor, policy.STRATEGY, obj)
    values = data.model_dump(exclude_unset=True)
    if "service_strategy_id" in values:
        get_live(ServiceStrategy, values["service_strategy_id"], "service_strategy_id")
    if "owner_id" in values:
        _owner(values["owner_id"])
    start = values.get("start_date", obj.start_date)
    due = values.get("due_date", obj.due_date)
    if start and due and start > due:
        raise ValidationFailed({"due_date": ["due_date must not be before start_date"]})
    if "tags" in values and values["tags"] is None:
        values["tags"] = []
    _apply(obj, values)
    db.session.flush()
    return obj


# --- action plans -------------------------------------------------------------------------


def _budget(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 2)))


def _plan_owner(owner_id: int | None, department: Department) -> User | None:
    owner = _owner(owner_id)
    if (
        owner is not None
        and owner.role in ("lead", "member")
        and owner.department_id != department.id
    ):
        raise ValidationFailed({"owner_id": [f"The owner must belong to {department.name}."]})
    return owner


def create_plan(
    actor: User, data: inputs.PlanIn, *, health_element: str | None = None
) -> ActionPlan:
    """Add an action plan to an objective for a department (made from a weak service-health
    element: that element's key)."""
    department = get_live(Department, data.department_id, "department_id")
    check(actor, policy.PLAN, department)
    get_live(Objective, data.objective_id, "objective_id")
    _plan_owner(data.owner_id, department)
    values = data.model_dump()
    values["budget"] = _budget(data.budget)
    obj = ActionPlan(**values, health_element=health_element)
    db.session.add(obj)
    db.session.flush()
    return obj


def update_plan(actor: User, plan: ActionPlan, data: inputs.PlanPatch) -> ActionPlan:
    """Change the fields sent, refusing a stale version (409) and a move out of reach."""
    check(actor, policy.PLAN, plan)
    if data.version != plan.version:
        raise StaleVersion(plan)
    values = data.model_dump(exclude_unset=True, exclude={"version"})
    department = plan.department
    if "department_id" in values and values["department_id"] != plan.department_id:
        department = get_live(Department, values["department_id"], "department_id")
        check(actor, policy.PLAN, department)
    if "objective_id" in values:
        get_live(Objective, values["objective_id"], "objective_id")
    if "owner_id" in values or department is not plan.department:
        _plan_owner(values.get("owner_id", plan.owner_id), department)
    start = values.get("start_date", plan.start_date)
    due = values.get("due_date", plan.due_date)
    if start and due and start > due:
        raise ValidationFailed({"due_date": ["due_date must not be before start_date"]})
    if "budget" in values:
        values["budget"] = _budget(values["budget"])
    for key in ("state", "progress_pct", "title", "description"):
        if key in values and values[key] is None:
            raise ValidationFailed({key: ["may not be null"]})
    _apply(plan, values)
    try:
        db.session.flush()
    except StaleDataError:
        # Someone committed between our read and this write: the row moved on.
        db.session.rollback()
        raise StaleVersion(db.session.get(ActionPlan, plan.id)) from None
    return plan


def add_check_in(actor: User, plan: ActionPlan, data: inputs.CheckInIn) -> CheckIn:
    """Post a check-in; the plan takes its state and progress."""
    check(actor, policy.PROGRESS, plan)
    if plan.archived_at is not None:
        raise ValidationFailed({"action_plan_id": ["This plan is archived."]})
    entry = CheckIn(action_plan=plan, author_id=actor.id, **data.model_dump())
    db.session.add(entry)
    plan.state, plan.progress_pct = data.state, data.progress_pct
    try:
        db.session.flush()
    except StaleDataError:
        # The plan was saved by someone else between our read and this write.
        db.session.rollback()
        raise StaleVersion(db.session.get(ActionPlan, plan.id)) from None
    return entry


# --- indicators ---------------------------------------------------------------------------


def _indicator_action(parent: Objective | ActionPlan) -> tuple[str, Any]:
    return (policy.STRATEGY, parent) if isinstance(parent, Objective) else (policy.PLAN, parent)


def _check_spec(spec: rules.IndicatorSpec) -> None:
    if errors := rules.validate_spec(spec):
        raise ValidationFailed(errors)


def _external_key_free(key: str | None, own_id: int | None = None) -> None:
    if key is None:
        return
    other = db.session.scalar(sa.select(Indicator.id).where(Indicator.external_key == key))
    if other is not None and other != own_id:
        raise ValidationFailed({"external_key": ["Another indicator already uses this key."]})


def archive_indicator(actor: User, obj: Indicator) -> None:
    """Archive an indicator; who may is decided by its parent (objective or plan)."""
    check(actor, *_indicator_action(obj.objective or obj.action_plan))
    if obj.archived_at is None:
        obj.archived_at = utcnow()


def create_indicator(actor: User, data: inputs.IndicatorIn) -> Indicator:
    """Add an expected result to an objective or an action plan."""
    if data.objective_id is not None:
        parent = get_live(Objective, data.objective_id, "objective_id")
    else:
        parent = get_live(ActionPlan, data.action_plan_id, "action_plan_id")
    check(actor, *_indicator_action(parent))
    milestones = tuple(sorted((m.date, m.expected_value) for m in data.milestones))
    _check_spec(
        rules.IndicatorSpec(
            data.direction,
            data.baseline_value,
            data.baseline_date,
            data.target_value,
            data.target_date,
            data.tolerance,
            milestones,
        )
    )
    _external_key_free(data.external_key)
    obj = Indicator(**data.model_dump(exclude={"milestones"}))
    obj.milestones = [Milestone(date=d, expected_value=v) for d, v in milestones]
    db.session.add(obj)
    db.session.flush()
    return obj


def update_indicator(actor: User, obj: Indicator, data: inputs.IndicatorPatch) -> Indicator:
    """Change the fields sent; milestones, when sent, replace all milestones."""
    check(actor, *_indicator_action(obj.objective or obj.action_plan))
    values = data.model_dump(exclude_unset=True, exclude={"milestones"})
    for key in (
        "name",
        "direction",
        "baseline_value",
        "baseline_date",
        "target_value",
        "target_date",
        "tolerance",
        "unit",
    ):
        if key in values and values[key] is None:
            raise ValidationFailed({key: ["may not be null"]})
    if "milestones" in data.model_fields_set:
        milestones = tuple(sorted((m.date, m.expected_value) for m in data.milestones or ()))
    else:
        milestones = tuple((m.date, m.expected_value) for m in obj.milestones)
    merged = {
        c: values.get(c, getattr(obj, c))
        for c in (
            "direction",
            "baseline_value",
            "baseline_date",
            "target_value",
            "target_date",
            "tolerance",
        )
    }
    _check_spec(rules.IndicatorSpec(**merged, milestones=milestones))
    if "external_key" in values:
        _external_key_free(values["external_key"], obj.id)
    _apply(obj, values)
    if "milestones" in data.model_fields_set:
        # The unit of work inserts before it deletes: drop the old rows first, since a new
        # milestone may reuse an old one's date (one per date).
        obj.milestones = []
        db.session.flush()
        obj.milestones = [Milestone(date=d, expected_value=v) for d, v in milestones]
    db.session.flush()
    return obj
