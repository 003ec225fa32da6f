"""The explicit endpoints of /api/v1 about who and what: me, users, departments, summary."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g

from strategy_app.api import bp, outputs
from strategy_app.api.common import READ_ERRORS, AsOfQuery, ListQuery, as_of_date, page_of, paged
from strategy_app.api.registry import operation
from strategy_app.extensions import db
from strategy_app.models import Department, User
from strategy_app.services.evaluation import metrics


@operation(
    bp,
    "GET",
    "/me",
    summary="The token's user",
    tag="users",
    response=outputs.UserOut,
    errors=(401, 429),
)
def me():
    return outputs.UserOut.of(g.api_user)


@operation(
    bp,
    "GET",
    "/users",
    summary="Users",
    tag="users",
    query=ListQuery,
    response=outputs.Page[outputs.UserOut],
    errors=READ_ERRORS,
)
def list_users(args: ListQuery):
    stmt = sa.select(User)
    if not args.archived:
        stmt = stmt.where(User.active.is_(True))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(User.id).limit(args.per_page).offset((args.page - 1) * args.per_page)
    )
    items = [outputs.UserOut.of(u) for u in rows]
    return paged(items, args, total or 0)


@operation(
    bp,
    "GET",
    "/departments",
    summary="Departments",
    tag="departments",
    query=ListQuery,
    response=outputs.Page[outputs.DepartmentOut],
    errors=READ_ERRORS,
)
def list_departments(args: ListQuery):
    rows, total = page_of(sa.select(Department), args, Department)
    items = [outputs.DepartmentOut.model_validate(d).model_dump(mode="json") for d in rows]
    return paged(items, args, total)


@operation(
    bp,
    "GET",
    "/summary",
    summary="Objectives by status and each department's scorecard",
    tag="summary",
    query=AsOfQuery,
    response=outputs.SummaryOut,
    errors=READ_ERRORS,
)
def summary(args: AsOfQuery):
    figures = metrics.overview(as_of_date(args))
    departments = db.session.execute(
        sa.select(Department.id, Department.slug)
        .where(Department.archived_at.is_(None))
        .order_by(Department.position, Department.id)
    )
    return {
        "as_of": figures.as_of.isoformat(),
        "objectives": figures.status_counts(),
        "departments": [
            {
                "slug": d.slug,
                "plans": figures.scorecards[d.id].plans,
                "overdue": figures.scorecards[d.id].overdue,
                "execution": figures.scorecards[d.id].execution,
            }
            for d in departments
        ],
    }
