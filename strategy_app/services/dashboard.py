"""What the dashboard shows: the cascade at a glance, built on metrics.overview()."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from strategy_app.extensions import db
from strategy_app.models import (
    CompanyStrategy,
    Department,
    Objective,
    Organization,
    ServiceStrategy,
)
from strategy_app.services import metrics, rules

ATTENTION = 10  # objectives listed under "needs attention"
_SEVERITY = {rules.OFF_TRACK: 0, rules.AT_RISK: 1, rules.NO_DATA: 2, rules.ON_TRACK: 3}


@dataclass
class Dashboard:
    """Everything the dashboard page renders."""

    as_of: date
    organization: Organization | None
    company_strategies: list[CompanyStrategy]
    service_strategies: list[ServiceStrategy]
    counts_by_service: dict[int, dict[str, int]]
    status_counts: dict[str, int]
    attention: list[tuple[Objective, rules.Rollup]]
    departments: list[tuple[Department, rules.Scorecard]]
    objective_total: int


def build(as_of: date) -> Dashboard:
    """The dashboard at as_of in a fixed number of queries, whatever the size of the data."""
    figures = metrics.overview(as_of)
    org = db.session.scalar(sa.select(Organization).order_by(Organization.id).limit(1))
    company = list(
        db.session.scalars(
            sa.select(CompanyStrategy)
            .where(CompanyStrategy.archived_at.is_(None))
            .order_by(CompanyStrategy.position, CompanyStrategy.id)
        )
    )
    services = list(
        db.session.scalars(
            sa.select(ServiceStrategy)
            .where(ServiceStrategy.archived_at.is_(None))
            .options(selectinload(ServiceStrategy.links))
            .order_by(ServiceStrategy.id)
        )
    )
    by_service: dict[int, list[int]] = {s.id: [] for s in services}
    for oid, sid in figures.objective_service.items():
        by_service.setdefault(sid, []).append(oid)
    worst = sorted(
        figures.rollups.items(),
        key=lambda kv: (
            _SEVERITY[kv[1].status],
            kv[1].results if kv[1].results is not None else 2.0,
            kv[0],
        ),
    )
    worst = [(oid, r) for oid, r in worst if r.status != rules.ON_TRACK][:ATTENTION]
    loaded = (
        {
            o.id: o
            for o in db.session.scalars(
                sa.select(Objective).where(Objective.id.in_([oid for oid, _ in worst]))
            )
        }
        if worst
        else {}
    )
    departments = list(
        db.session.scalars(
            sa.select(Department)
            .where(Department.archived_at.is_(None))
            .order_by(Department.position, Department.id)
        )
    )
    return Dashboard(
        as_of=as_of,
        organization=org,
        company_strategies=company,
        service_strategies=services,
        counts_by_service={sid: figures.status_counts(ids) for sid, ids in by_service.items()},
        status_counts=figures.status_counts(),
        attention=[(loaded[oid], r) for oid, r in worst],
        departments=[(d, figures.scorecards[d.id]) for d in departments],
        objective_total=len(figures.rollups),
    )
