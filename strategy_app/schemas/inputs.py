"""What the API and the forms accept for each resource (create, patch)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from strategy_app.schemas.common import (
    MAX_ID,
    Day,
    Id,
    Input,
    Name,
    Number,
    Percent,
    Short,
    Tag,
    Text,
    Title,
    TypedNumber,
)
from strategy_app.schemas.wording import LABELS

Fit = Literal["supports", "neutral", "conflicts"]
StrategyStatus = Literal["active", "archived"]
ServiceStatus = Literal["draft", "active", "archived"]
PlanState = Literal["planned", "in_progress", "done", "blocked", "cancelled"]
Direction = Literal["increase", "decrease", "maintain"]
Budget = Field(default=None, ge=0, le=1e12, allow_inf_nan=False)


REPEATED_LINK = "each company strategy can be linked once: remove the repeated row"


def end_after_start(start_name: str):
    """A field validator of an end date: not before the start (reported beside the end)."""

    def check(value, info):
        start = info.data.get(start_name)
        if value is not None and start is not None and value < start:
            raise ValueError(f"must not be before the {LABELS[start_name].lower()}")
        return value

    return check


class CompanyStrategyIn(Input):
    """A company (general) strategy."""

    title: Title
    description: Text = ""
    owner_id: Id | None = None
    status: StrategyStatus = "active"
    position: int = Field(default=0, ge=0, le=100_000)


class CompanyStrategyPatch(Input):
    """Changes to a company strategy (only the fields sent)."""

    title: Title | None = None
    description: Text | None = None
    owner_id: Id | None = None
    status: StrategyStatus | None = None
    position: int | None = Field(default=None, ge=0, le=100_000)


class LinkIn(Input):
    """How the service strategy fits one company strategy."""

    company_strategy_id: Id
    fit: Fit = "supports"
    rationale: Text = ""


class ServiceStrategyIn(Input):
    """The customer-service strategy with its links to company strategies."""

    title: Title
    statement: Text = ""
    owner_id: Id | None = None
    period_start: Day | None = None
    period_end: Day | None = None
    status: ServiceStatus = "active"
    links: list[LinkIn] = Field(default_factory=list, max_length=100)

    period_end_after_start = field_validator("period_end")(end_after_start("period_start"))

    @model_validator(mode="after")
    def _check(self):
        ids = [link.company_strategy_id for link in self.links]
        if len(ids) != len(set(ids)):
            raise ValueError(REPEATED_LINK)
        return self


class ServiceStrategyPatch(Input):
    """Changes to a service strategy; `links`, when sent, replaces all links."""

    title: Title | None = None
    statement: Text | None = None
    owner_id: Id | None = None
    period_start: Day | None = None
    period_end: Day | None = None
    status: ServiceStatus | None = None
    links: list[LinkIn] | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _check(self):
        ids = [link.company_strategy_id for link in self.links or ()]
        if len(ids) != len(set(ids)):
            raise ValueError(REPEATED_LINK)
        return self


class ObjectiveIn(Input):
    """An objective under a service strategy."""

    service_strategy_id: Id
    title: Title
    description: Text = ""
    owner_id: Id | None = None
    start_date: Day | None = None
    due_date: Day | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)

    due_after_start = field_validator("due_date")(end_after_start("start_date"))


class ObjectivePatch(Input):
    """Changes to an objective."""

    service_strategy_id: Id | None = None
    title: Title | None = None
    description: Text | None = None
    owner_id: Id | None = None
    start_date: Day | None = None
    due_date: Day | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)


class PlanIn(Input):
    """A department's action plan under an objective."""

    objective_id: Id
    department_id: Id
    title: Title
    description: Text = ""
    owner_id: Id | None = None
    start_date: Day | None = None
    due_date: Day | None = None
    state: PlanState = "planned"
    progress_pct: Percent = 0
    budget: Annotated[float | None, TypedNumber] = Budget

    due_after_start = field_validator("due_date")(end_after_start("start_date"))


class PlanPatch(Input):
    """Changes to a plan; `version` is the one read (a stale one is refused with 409)."""

    version: int = Field(ge=1, le=MAX_ID)
    objective_id: Id | None = None
    department_id: Id | None = None
    title: Title | None = None
    description: Text | None = None
    owner_id: Id | None = None
    start_date: Day | None = None
    due_date: Day | None = None
    state: PlanState | None = None
    progress_pct: Percent | None = None
    budget: Annotated[float | None, TypedNumber] = Budget


class MilestoneIn(Input):
    """An expected value on a date between baseline and target."""

    date: Day
    expected_value: Number


class IndicatorIn(Input):
    """An expected result of exactly one objective or action plan."""

    objective_id: Id | None = None
    action_plan_id: Id | None = None
    name: Title
    unit: Short = ""
    direction: Direction = "increase"
    baseline_value: Number
    baseline_date: Day
    target_value: Number
    target_date: Day
    tolerance: float = Field(default=0.10, ge=0, le=1, allow_inf_nan=False)
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=120)
    external_key: Name | None = None
    # decimals its numbers are shown with; none: derived from its unit and values
    display_precision: int | None = Field(default=None, ge=0, le=6)

    @model_validator(mode="after")
    def _check(self):
        if (self.objective_id is None) == (self.action_plan_id is None):
            raise ValueError("give the objective or the action plan it belongs to (one of the two)")
        return self


class IndicatorPatch(Input):
    """Changes to an indicator; `milestones`, when sent, replaces all milestones."""

    name: Title | None = None
    unit: Short | None = None
    direction: Direction | None = None
    baseline_value: Number | None = None
    baseline_date: Day | None = None
    target_value: Number | None = None
    target_date: Day | None = None
    tolerance: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    milestones: list[MilestoneIn] | None = Field(default=None, max_length=120)
    external_key: Name | None = None
    display_precision: int | None = Field(default=None, ge=0, le=6)


class MeasurementIn(Input):
    """An actual result for one date (the same date again replaces the value)."""

    date: Day
    value: Number
    note: Text = ""


class BatchItem(Input):
    """One actual in a batch, addressed by indicator_id or external_key."""

    indicator_id: Id | None = None
    external_key: Name | None = None
    date: Day
    value: Number
    note: Text = ""

    @model_validator(mode="after")
    def _check(self):
        if (self.indicator_id is None) == (self.external_key is None):
            raise ValueError("give the indicator or its external key (one of the two)")
        return self


class BatchIn(Input):
    """Up to 5,000 actuals written all together or not at all."""

    items: list[BatchItem] = Field(min_length=1, max_length=5000)


class CheckInIn(Input):
    """A progress update on a plan."""

    state: PlanState
    progress_pct: Percent
    confidence: int = Field(default=3, ge=1, le=5)
    text: Text = ""
