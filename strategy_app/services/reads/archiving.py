"""What goes with a thing when it is archived, in words for the confirmation that asks first.

One function for every archivable kind (plans, objectives, indicators, company and service
strategies, departments, meeting reviews, webhooks): each answer is a list of sentences
counted from the database in a few queries, so the confirmation says "its 4 plans and 6
indicators stop counting" rather than "Are you sure?".
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CheckIn,
    CompanyStrategy,
    Department,
    Indicator,
    Measurement,
    Objective,
    PlanDependency,
    Review,
    ServiceStrategy,
    StrategyLink,
    User,
    Webhook,
    WebhookDelivery,
)
from strategy_app.schemas.wording import KIND_WORDS
from strategy_app.services.plumbing.numbers import day
from strategy_app.services.reads.history import NAME_COLUMN

# The kinds that archive, called on screen as everywhere else (schemas.wording.KIND_WORDS)
# without the article: the confirmation's heading, the "Undo" message.
KINDS = {
    model: KIND_WORDS[model.__name__].removeprefix("the ")
    for model in (
        ActionPlan,
        Objective,
        Indicator,
        CompanyStrategy,
        ServiceStrategy,
        Department,
        Review,
        Webhook,
    )
}


def kind(obj: Any) -> str:
    """The thing's kind in words ("plan", "service strategy")."""
    return KINDS[type(obj)]


def title(obj: Any) -> str:
    """The thing's name as people know it: what the audit log calls it too (its title or name,
    or its day: "Archive the review “20 November 2026”?")."""
    value = getattr(obj, NAME_COLUMN[type(obj)].key)
    return day(value) if isinstance(value, date) else value


def _n(count: int, one: str, many: str | None = None) -> str:
    """'one plan', '4 plans', 'no plan'."""
    if count == 0:
        return f"no {one}"
    if count == 1:
        return f"one {one}"
    return f"{count} {many or one + 's'}"


def _verb(count: int, one: str, many: str) -> str:
    """The verb agreeing with a count ("stays" for one, "stay" for many)."""
    return one if count == 1 else many


def _count(statement: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery())) or 0


def _live_plans(objective_ids: sa.Select) -> sa.Select:
    return sa.select(ActionPlan.id).where(
        ActionPlan.objective_id.in_(objective_ids), ActionPlan.archived_at.is_(None)
    )


def _live_indicators(objective_ids: sa.Select) -> sa.Select:
    """The live indicators of these objectives and of their live plans."""
    return sa.select(Indicator.id).where(
        Indicator.archived_at.is_(None),
        sa.or_(
            Indicator.objective_id.in_(objective_ids),
            Indicator.action_plan_id.in_(_live_plans(objective_ids)),
        ),
    )


def _actuals(indicator_ids: sa.Select) -> int:
    return _count(sa.select(Measurement.id).where(Measurement.indicator_id.in_(indicator_ids)))


def _plan(plan: ActionPlan) -> list[str]:
    indicator_ids = sa.select(Indicator.id).where(
        Indicator.action_plan_id == plan.id, Indicator.archived_at.is_(None)
    )
    indicators, actuals = _count(indicator_ids), _actuals(indicator_ids)
    check_ins = _count(sa.select(CheckIn.id).where(CheckIn.action_plan_id == plan.id))
    blocking = _count(sa.select(PlanDependency.id).where(PlanDependency.blocked_by_id == plan.id))
    out = [
        f"its {_n(indicators, 'indicator')}"
        + (f" and their {_n(actuals, 'actual')}" if indicators else "")
        + " stop counting in the objective’s results;",
        f"its {_n(check_ins, 'check-in')} {_verb(check_ins, 'stays', 'stay')} with it, "
        "shown again if it comes back;",
    ]
    if blocking:
        out.append(f"{_n(blocking, 'other plan')} it blocks stop showing it as their blocker.")
    return out


def _objective(objective: Objective) -> list[str]:
    ids = sa.select(sa.literal(objective.id))
    plans, indicator_ids = _count(_live_plans(ids)), _live_indicators(ids)
    indicators = _count(indicator_ids)
    return [
        f"its {_n(plans, 'plan')} and {_n(indicators, 'indicator')}"
        + (f" (with {_n(_actuals(indicator_ids), 'actual')})" if indicators else "")
        + f" stop counting in the results of “{objective.service_strategy.title}”;",
        "its plans stay with their departments, but no longer roll up into this objective.",
    ]


def _indicator(indicator: Indicator) -> list[str]:
    parent = indicator.objective or indicator.action_plan
    actuals = _count(sa.select(Measurement.id).where(Measurement.indicator_id == indicator.id))
    return [
        f"its {_n(actuals, 'actual')} {_verb(actuals, 'stops', 'stop')} counting in the "
        f"results of “{parent.title}”;",
        f"its milestones ({_n(len(indicator.milestones), 'milestone')}) are kept with it.",
    ]


def _company(strategy: CompanyStrategy) -> list[str]:
    fits = dict(
        db.session.execute(
            sa.select(StrategyLink.fit, sa.func.count())
            .join(ServiceStrategy, ServiceStrategy.id == StrategyLink.service_strategy_id)
            .where(
                StrategyLink.company_strategy_id == strategy.id,
                ServiceStrategy.archived_at.is_(None),
            )
            .group_by(StrategyLink.fit)
        ).all()
    )
    total = sum(fits.values())
    detail = ", ".join(
        f"{count} {word}" for fit, word in FIT_WORDS.items() if (count := fits.get(fit, 0))
    )
    return [
        "it leaves the cascade and the strategy map;",
        f"its fit with {_n(total, 'service strategy', 'service strategies')}"
        + (f" ({detail})" if detail else "")
        + " leaves the alignment report.",
    ]


FIT_WORDS = {"supports": "supporting", "neutral": "neutral", "conflicts": "in conflict"}


def _service(strategy: ServiceStrategy) -> list[str]:
    ids = sa.select(Objective.id).where(
        Objective.service_strategy_id == strategy.id, Objective.archived_at.is_(None)
    )
    objectives, plans, indicators = (
        _count(ids),
        _count(_live_plans(ids)),
        _count(_live_indicators(ids)),
    )
    return [
        f"its {_n(objectives, 'objective')}, with their {_n(plans, 'plan')} and "
        f"{_n(indicators, 'indicator')}, {_verb(objectives, 'leaves', 'leave')} the cascade "
        "and stop counting on the dashboard;",
        "its fit with the company strategies leaves the alignment report.",
    ]


def _department(department: Department) -> list[str]:
    plans = _count(
        sa.select(ActionPlan.id).where(
            ActionPlan.department_id == department.id, ActionPlan.archived_at.is_(None)
        )
    )
    people = _count(
        sa.select(User.id).where(User.department_id == department.id, User.active.is_(True))
    )
    return [
        f"its {_n(plans, 'plan')} {_verb(plans, 'stays', 'stay')} as "
        f"{_verb(plans, 'it is', 'they are')}, still counted in their objectives;",
        f"its {_n(people, 'person', 'people')} {_verb(people, 'keeps', 'keep')} their "
        f"{_verb(people, 'account', 'accounts')} and their department.",
    ]


def _review(review: Review) -> list[str]:
    others = sa.select(Review.date).where(Review.archived_at.is_(None), Review.id != review.id)
    later = sa.or_(
        Review.date > review.date, sa.and_(Review.date == review.date, Review.id > review.id)
    )
    latest = db.session.scalar(others.where(later).order_by(Review.date.desc()).limit(1))
    before = db.session.scalar(
        others.where(sa.not_(later)).order_by(Review.date.desc(), Review.id.desc()).limit(1)
    )
    if latest is not None:
        since = (
            f"meeting mode goes on showing the changes since the latest review, of {day(latest)};"
        )
    else:
        start = f"the review of {day(before)}" if before else "two weeks before the meeting"
        since = f"“changes since the last review” in meeting mode then starts from {start};"
    decisions = len(review.decisions)
    plans = sum(d.action_plan_id is not None for d in review.decisions)
    return [
        since,
        f"its {_n(decisions, 'decision')} {_verb(decisions, 'stays', 'stay')} with it, and "
        f"{_n(plans, 'plan')} made of them {_verb(plans, 'goes', 'go')} on as before.",
    ]


def _webhook(hook: Webhook) -> list[str]:
    waiting = _count(
        sa.select(WebhookDelivery.id).where(
            WebhookDelivery.webhook_id == hook.id, WebhookDelivery.status == "pending"
        )
    )
    return [
        "nothing new is sent to its address;",
        f"{_n(waiting, 'message')} still waiting to go {_verb(waiting, 'is', 'are')} not sent;"
        if waiting
        else "no message is waiting to go to it;",
        "what was sent to it stays in the delivery log.",
    ]


_EFFECTS = {
    ActionPlan: _plan,
    Objective: _objective,
    Indicator: _indicator,
    CompanyStrategy: _company,
    ServiceStrategy: _service,
    Department: _department,
    Review: _review,
    Webhook: _webhook,
}


def effects(obj: Any) -> list[str]:
    """What archiving obj takes with it, one sentence per kind of thing."""
    return _EFFECTS[type(obj)](obj)
