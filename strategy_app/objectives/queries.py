"""What the objective pages load: the filtered list and one objective with its figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Department, Indicator, Objective, ServiceStrategy, User
from strategy_app.objectives import pages
from strategy_app.objectives.forms import TAG_SUGGESTIONS
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.plumbing import per_version

PER_PAGE = 25
MAX_SUGGESTED_TAGS = 200


@dataclass
class Filters:
    """The list's filters, as read from the query string."""

    service_strategy: int | None = None
    owner: int | None = None
    status: str = ""
    tag: str = ""
    q: str = ""
    archived: bool = False

    @property
    def any(self) -> bool:
        """Whether anything narrows the list."""
        return any((self.service_strategy, self.owner, self.status, self.tag, self.q))


def objective_query(filters: Filters) -> sa.Select:
    """Objectives that pass the SQL filters (an objective under an archived strategy is
    listed with the archived ones)."""
    query = sa.select(Objective).join(Objective.service_strategy)
    if filters.archived:
        query = query.where(
            sa.or_(Objective.archived_at.is_not(None), ServiceStrategy.archived_at.is_not(None))
        )
    else:
        query = query.where(Objective.archived_at.is_(None), ServiceStrategy.archived_at.is_(None))
    if filters.service_strategy is not None:
        query = query.where(Objective.service_strategy_id == filters.service_strategy)
    if filters.owner is not None:
        query = query.where(Objective.owner_id == filters.owner)
    if filters.q:
        query = query.where(Objective.title.icontains(filters.q, autoescape=True))
    return query


def _ids_by_tag_and_status(query: sa.Select, filters: Filters, as_of: date) -> list[int]:
    """Ids of the objectives that carry the tag and have the status (computed, not in SQL).

    Plain rows (the id, and the tags when asked for), not objects: every objective that
    passes the SQL filters is read, so each must cost little."""
    columns = (Objective.id, Objective.tags) if filters.tag else (Objective.id,)
    items = list(db.session.execute(query.with_only_columns(*columns)))
    if filters.tag:
        wanted = filters.tag.casefold()
        items = [o for o in items if wanted in {t.casefold() for t in o.tags or ()}]
    if filters.status:
        rollups = metrics.objective_rollups(items, as_of)
        items = [o for o in items if rollups[o.id].status == filters.status]
    return [o.id for o in items]


def objective_page(filters: Filters, page: int, as_of: date):
    """One page of objectives (owner and strategy loaded) and their roll-ups at as_of."""
    query = objective_query(filters)
    if filters.tag or filters.status:
        query = query.where(Objective.id.in_(_ids_by_tag_and_status(query, filters, as_of)))
    query = query.options(
        selectinload(Objective.service_strategy), selectinload(Objective.owner)
    ).order_by(Objective.due_date.is_(None), Objective.due_date, Objective.id)
    result = db.paginate(query, page=page, per_page=PER_PAGE, error_out=True)
    return result, metrics.objective_rollups(result.items, as_of)


def tag_suggestions() -> list[str]:
    """The tags already used on live objectives, then the built-in suggestions (worked out
    once per data version: it reads the tags of every objective)."""
    return per_version.memo("tag_suggestions", None, _tag_suggestions, reads={"Objective"})


def _tag_suggestions() -> list[str]:
    seen: dict[str, str] = {}
    for tags in db.session.scalars(
        sa.select(Objective.tags).where(Objective.archived_at.is_(None))
    ):
        for tag in tags or ():
            seen.setdefault(tag.casefold(), tag)
    for tag in TAG_SUGGESTIONS:
        seen.setdefault(tag.casefold(), tag)
    return sorted(seen.values(), key=str.casefold)[:MAX_SUGGESTED_TAGS]


def live_service_strategies(including: int | None = None) -> list[ServiceStrategy]:
    """Service strategies that are not archived (plus the given one, whatever its state)."""
    return list(
        db.session.scalars(
            sa.select(ServiceStrategy)
            .where(
                sa.or_(
                    ServiceStrategy.archived_at.is_(None), ServiceStrategy.id == (including or -1)
                )
            )
            .order_by(ServiceStrategy.title, ServiceStrategy.id)
        )
    )


def active_users(including: int | None = None) -> list[User]:
    """Active users by name (plus the given one, even when deactivated)."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(sa.or_(User.active.is_(True), User.id == (including or -1)))
            .order_by(sa.func.lower(User.name), User.id)
        )
    )


@dataclass
class ObjectiveView:
    """An objective with its figures at as_of: roll-up, indicators, plans by department."""

    objective: Objective
    as_of: date
    rollup: rules.Rollup
    indicators: list[Indicator]
    results: dict[int, rules.IndicatorResult]
    plans_by_department: list[tuple[Department, list[ActionPlan]]]
    overdue: set[int] = field(default_factory=set)
    departments: list[Department] = field(default_factory=list)
    # its own indicators, then those of its live plans (not archived, not cancelled)
    charted: list[Indicator] = field(default_factory=list)
    chart: dict[str, Any] = field(default_factory=dict)


def load_objective(objective_id: int) -> Objective | None:
    """The objective with its strategy and owner, in one query."""
    return db.session.scalar(
        sa.select(Objective)
        .options(joinedload(Objective.service_strategy), joinedload(Objective.owner))
        .where(Objective.id == objective_id)
    )


def objective_view(obj: Objective, as_of: date) -> ObjectiveView:
    """Everything the objective's page shows, in a fixed number of queries."""
    charted = list(
        db.session.scalars(
            sa.select(Indicator)
            .outerjoin(ActionPlan, Indicator.action_plan_id == ActionPlan.id)
            .where(
                Indicator.archived_at.is_(None),
                sa.or_(
                    Indicator.objective_id == obj.id,
                    sa.and_(
                        ActionPlan.objective_id == obj.id,
                        ActionPlan.archived_at.is_(None),
                        ActionPlan.state != "cancelled",
                    ),
                ),
            )
            .order_by(Indicator.action_plan_id.is_not(None), Indicator.action_plan_id, Indicator.id)
        )
    )
    indicators = [i for i in charted if i.objective_id == obj.id]
    metrics.load_milestones(charted)
    points = pages.actual_points((i.id for i in charted), as_of)
    results = pages.evaluate(indicators, points, as_of)
    rollup = metrics.objective_rollups([obj], as_of)[obj.id]
    plans = list(
        db.session.scalars(
            sa.select(ActionPlan)
            .where(ActionPlan.objective_id == obj.id, ActionPlan.archived_at.is_(None))
            .options(selectinload(ActionPlan.department), selectinload(ActionPlan.owner))
            .order_by(ActionPlan.id)
        )
    )
    grouped: dict[int, tuple[Department, list[ActionPlan]]] = {}
    for plan in plans:
        grouped.setdefault(plan.department_id, (plan.department, []))[1].append(plan)
    by_department = sorted(grouped.values(), key=lambda g: (g[0].position, g[0].id))
    departments = list(
        db.session.scalars(
            sa.select(Department)
            .where(Department.archived_at.is_(None))
            .order_by(Department.position, Department.id)
        )
    )
    return ObjectiveView(
        objective=obj,
        as_of=as_of,
        rollup=rollup,
        indicators=indicators,
        results=results,
        plans_by_department=by_department,
        overdue={p.id for p in plans if rules.plan_overdue(p.due_date, p.state, as_of)},
        departments=departments,
        charted=charted,
        chart=pages.grid(charted, points, as_of, "Indicators: expected vs actual"),
    )
