"""All models, importable from one place (Alembic and the services see every table)."""

from strategy_app.models.audit import AuditEvent, DataChange, DataVersion
from strategy_app.models.health import Assessment, AssessmentAnswer, FollowUp, NpsResponse
from strategy_app.models.indicator import DIRECTIONS, SOURCES, Indicator, Measurement, Milestone
from strategy_app.models.org import Department, Organization
from strategy_app.models.plan import PLAN_STATES, ActionPlan, CheckIn, PlanDependency
from strategy_app.models.reminders import (
    ReminderPreference,
    ReminderSend,
    Webhook,
    WebhookDelivery,
)
from strategy_app.models.review import Review, ReviewDecision
from strategy_app.models.strategy import (
    FITS,
    CompanyStrategy,
    Objective,
    ServiceStrategy,
    StrategyLink,
)
from strategy_app.models.user import (
    ROLES,
    TOKEN_SCOPES,
    ApiToken,
    LoginThrottle,
    RateLimitBucket,
    User,
)

__all__ = [
    "DIRECTIONS",
    "FITS",
    "PLAN_STATES",
    "ROLES",
    "SOURCES",
    "TOKEN_SCOPES",
    "ActionPlan",
    "ApiToken",
    "Assessment",
    "AssessmentAnswer",
    "AuditEvent",
    "CheckIn",
    "CompanyStrategy",
    "DataChange",
    "DataVersion",
    "Department",
    "FollowUp",
    "Indicator",
    "LoginThrottle",
    "Measurement",
    "Milestone",
    "NpsResponse",
    "Objective",
    "Organization",
    "PlanDependency",
    "RateLimitBucket",
    "ReminderPreference",
    "ReminderSend",
    "Review",
    "ReviewDecision",
    "ServiceStrategy",
    "StrategyLink",
    "User",
    "Webhook",
    "WebhookDelivery",
]
