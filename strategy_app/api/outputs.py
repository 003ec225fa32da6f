"""What the API returns for each resource; the OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["on_track", "at_risk", "off_track", "no_data"]
T = TypeVar("T")


class Out(BaseModel):
    """Base of every response model."""

    model_config = ConfigDict(from_attributes=True)


class Resource(Out):
    """Fields every resource has."""

    id: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None


class Page(Out, Generic[T]):
    """One page of a list."""

    items: list[T]
    page: int
    per_page: int
    total: int


class ErrorBody(Out):
    """The error object."""

    status: int
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


class Error(Out):
    """Every error answer: {"error": {...}}."""

    error: ErrorBody


class UserOut(Out):
    id: int
    name: str
    email: str
    role: Literal["executive", "lead", "member", "viewer"]
    department_id: int | None
    active: bool
    archived_at: datetime | None = Field(
        default=None,
        description="null while the account is active; once deactivated, the time of its "
        "last change (the deactivation). Deactivated users are listed only with ?archived=1.",
    )

    @classmethod
    def of(cls, user: Any) -> dict:
        """The user as the API shows it."""
        return cls.model_validate(
            {
                "id": user.id,
                "name": user.name,
                "email": user.email,
                "role": user.role,
                "department_id": user.department_id,
                "active": user.active,
                "archived_at": None if user.active else user.updated_at,
            }
        ).model_dump(mode="json")


class DepartmentOut(Resource):
    name: str
    slug: str
    service_role: str
    lead_id: int | None
    colour: str
    position: int


class CompanyStrategyOut(Resource):
    title: str
    description: str
    owner_id: int | None
    status: Literal["active", "archived"]
    position: int


class LinkOut(Out):
    company_strategy_id: int
    fit: Literal["supports", "neutral", "conflicts"]
    rationale: str


class ServiceStrategyOut(Resource):
    title: str
    statement: str
    owner_id: int | None
    period_start: date | None
    period_end: date | None
    status: Literal["draft", "active", "archived"]
    links: list[LinkOut]


class ObjectiveOut(Resource):
    service_strategy_id: int
    title: str
    description: str
    owner_id: int | None
    start_date: date | None
    due_date: date | None
    tags: list[str]
    nps_segment: str | None = Field(default=None, description="NPS segment shown as evidence")
    health_element: str | None = Field(
        default=None, description="Service-health element key shown as evidence"
    )
    results: float | None = Field(description="Mean progress of its indicators (0–1); computed")
    execution: float | None = Field(description="Mean execution of its plans (0–1); computed")
    status: Status = Field(description="Worst status of its indicators; computed")


class PlanOut(Resource):
    objective_id: int
    department_id: int
    title: str
    description: str
    owner_id: int | None
    start_date: date | None
    due_date: date | None
    state: Literal["planned", "in_progress", "done", "blocked", "cancelled"]
    progress_pct: int
    budget: float | None
    version: int
    overdue: bool = Field(description="Past due and not done or cancelled; computed")
    execution: float | None = Field(description="progress_pct/100, done = 1; computed")


class MilestoneOut(Out):
    date: date
    expected_value: float


class IndicatorOut(Resource):
    objective_id: int | None
    action_plan_id: int | None
    name: str
    unit: str
    direction: Literal["increase", "decrease", "maintain"]
    baseline_value: float
    baseline_date: date
    target_value: float
    target_date: date
    tolerance: float
    milestones: list[MilestoneOut]
    external_key: str | None
    actuals_source: Literal["manual", "nps"] = Field(
        default="manual", description="nps: the actuals are the monthly NPS, recomputed"
    )
    nps_segment: str | None = Field(default=None, description="The NPS segment (null: all)")
    display_precision: int | None = Field(
        default=None, description="Decimals its numbers are shown with; null: derived"
    )
    expected: float = Field(description="Expected value at as_of (today); computed")
    actual: float | None = Field(description="Latest actual on or before as_of; computed")
    progress: float = Field(description="0–1; computed")
    status: Status = Field(description="computed")


class MeasurementOut(Resource):
    indicator_id: int
    date: date
    value: float
    note: str
    source: Literal["manual", "api", "import", "nps"]
    entered_by_id: int | None


class PlanConflict(Error):
    """409 on a stale plan version: the error, and the plan as it is now."""

    current: PlanOut


class OpenApiOut(Out):
    """The OpenAPI document itself (its top-level fields)."""

    model_config = ConfigDict(extra="allow")
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


class BatchOut(Out):
    written: int
    items: list[MeasurementOut]


class SummaryDepartment(Out):
    slug: str
    plans: dict[str, int]
    overdue: int
    execution: float | None


class SummaryOut(Out):
    as_of: date
    objectives: dict[str, int]
    departments: list[SummaryDepartment]


class HealthOut(Out):
    status: str
