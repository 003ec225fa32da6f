"""Input and output shapes of the domain: the one home of field-level validation.

The JSON API parses request bodies with these models and the OpenAPI document is generated
from them; the browser forms validate their data through the same models.
"""

from strategy_app.schemas.common import errors_by_field, parse
from strategy_app.schemas.inputs import (
    BatchIn,
    CheckInIn,
    CompanyStrategyIn,
    CompanyStrategyPatch,
    IndicatorIn,
    IndicatorPatch,
    LinkIn,
    MeasurementIn,
    MilestoneIn,
    ObjectiveIn,
    ObjectivePatch,
    PlanIn,
    PlanPatch,
    ServiceStrategyIn,
    ServiceStrategyPatch,
)

__all__ = [
    "BatchIn",
    "CheckInIn",
    "CompanyStrategyIn",
    "CompanyStrategyPatch",
    "IndicatorIn",
    "IndicatorPatch",
    "LinkIn",
    "MeasurementIn",
    "MilestoneIn",
    "ObjectiveIn",
    "ObjectivePatch",
    "PlanIn",
    "PlanPatch",
    "ServiceStrategyIn",
    "ServiceStrategyPatch",
    "errors_by_field",
    "parse",
]
