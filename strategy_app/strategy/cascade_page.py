"""What the cascade page shows, assembled from metrics.cascade in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CompanyStrategy,
    Department,
    Objective,
    ServiceStrategy,
    StrategyLink,
    User,
)
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.evaluation.metrics import CascadeView
from strategy_app.services.writes.strategy_admin import LinkFlags, link_flags


@dataclass
class PlanRow:
    """A plan with its overdue flag at the page's date."""

    plan: ActionPlan
    overdue: bool


@dataclass
class ObjectiveBlock:
    """An objective, its roll-up and its plans grouped by department (in department order)."""

    objective: Objective
    rollup: rules.Rollup
    groups: list[tuple[Department, list[PlanRow]]]


@dataclass
class ServiceBlock:
    """A live service strategy, its links to live company strategies, flags, objectives."""

    service: ServiceStrategy
    links: list[StrategyLink]
    flags: LinkFlags
    objectives: list[ObjectiveBlock]
    more: dict[str, int] = field(default_factory=dict)  # objectives not shown, per status

    @property
    def more_count(self) -> int:
        return sum(self.more.values())


@dataclass
class CascadePage:
    """Everything the cascade template needs."""

    view: CascadeView
    services: list[ServiceBlock]
    company_titles: dict[int, str]
    owners: dict[int, User]
    archived_company: list[CompanyStrategy] = field(default_factory=list)
    archived_services: list[ServiceStrategy] = field(default_factory=list)


def _departments() -> dict[int, Department]:
    """Every department (archived ones too: their plans still need a heading)."""
    return {
        d.id: d
        for d in db.session.scalars(
            sa.select(Department).order_by(Department.position, Department.id)
        )
    }


def _owners(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def _archived(model: type[CompanyStrategy] | type[ServiceStrategy]) -> list:
    return list(
        db.session.scalars(
            sa.select(model)
            .where(model.archived_at.is_not(None))
            .order_by(model.archived_at.desc(), model.id.desc())
        )
    )


def _groups(
    plans: list[ActionPlan], departments: dict[int, Department], as_of: date
) -> list[tuple[Department, list[PlanRow]]]:
    by_department: dict[int, list[PlanRow]] = defaultdict(list)
    for p in plans:
        overdue = rules.plan_overdue(p.due_date, p.state, as_of)
        by_department[p.department_id].append(PlanRow(p, overdue))
    order = list(departments)
    return [
        (departments[d_id], by_department[d_id]) for d_id in sorted(by_department, key=order.index)
    ]


def _more(view: CascadeView, service_id: int) -> dict[str, int]:
    counts = view.status_counts(view.more_objectives.get(service_id, ()))
    return {status: n for status, n in counts.items() if n}


def build(
    as_of: date, *, with_archived: bool, objectives_per_service: int | None = None
) -> CascadePage:
    """The page's data at as_of; with_archived adds the archived strategies (for executives).

    With objectives_per_service, each service strategy shows its first objectives and
    counts the others by status.
    """
    view = metrics.cascade(as_of, objectives_per_service)
    rank = {cs.id: i for i, cs in enumerate(view.company_strategies)}  # the cascade's order
    live_ids = set(rank)
    departments = _departments()
    services = [
        ServiceBlock(
            service=s,
            links=sorted(
                (link for link in view.links[s.id] if link.company_strategy_id in live_ids),
                key=lambda link: rank[link.company_strategy_id],
            ),
            flags=link_flags(view.links[s.id], live_ids),
            objectives=[
                ObjectiveBlock(o, view.rollups[o.id], _groups(view.plans[o.id], departments, as_of))
                for o in view.objectives[s.id]
            ],
            more=_more(view, s.id),
        )
        for s in view.service_strategies
    ]
    owner_ids = {
        s.owner_id
        for s in (*view.company_strategies, *view.service_strategies)
        if s.owner_id is not None
    }
    return CascadePage(
        view=view,
        services=services,
        company_titles={cs.id: cs.title for cs in view.company_strategies},
        owners=_owners(owner_ids),
        archived_company=_archived(CompanyStrategy) if with_archived else [],
        archived_services=_archived(ServiceStrategy) if with_archived else [],
    )
