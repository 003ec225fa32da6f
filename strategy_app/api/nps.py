"""The customer's voice in the API (DESIGN §5): /nps-responses, /nps, /follow-ups."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import sqlalchemy as sa
from flask import g
from pydantic import BaseModel, ConfigDict, Field

from strategy_app.api import bp, outputs
from strategy_app.api.common import saved
from strategy_app.api.registry import operation
from strategy_app.extensions import db
from strategy_app.models import FollowUp, NpsResponse
from strategy_app.schemas.common import MAX_ID, Day
from strategy_app.schemas.nps import FollowUpPatch, FollowUpState, NpsResponseIn
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing.errors import NotFound
from strategy_app.services.reads import nps as nps_reads
from strategy_app.services.writes import nps as nps_writes

READ_ERRORS = (401, 403, 404, 422, 429)
WRITE_ERRORS = (400, 401, 403, 404, 413, 422, 429)
EXAMPLES: dict[str, Any] = {
    "NpsResponseIn": {
        "date": "2026-06-10",
        "score": 4,
        "segment": "large chains",
        "customer_ref": "CH-004",
        "comment": "The delivery came two days late.",
    },
    "FollowUpPatch": {"state": "resolved", "note": "Called them; the carrier is replaced."},
}


# --- what the API answers -----------------------------------------------------------------


class FollowUpOut(outputs.Resource):
    response_id: int
    owner_id: int | None
    state: Literal["open", "contacted", "resolved"]
    note: str
    action_plan_id: int | None
    resolved_at: datetime | None = Field(description="When the loop closed (state resolved)")


class NpsResponseOut(outputs.Resource):
    date: date
    score: int
    segment: str
    customer_ref: str
    comment: str
    category: Literal["promoter", "passive", "detractor"] = Field(description="computed")
    follow_up_id: int | None = Field(description="The detractor's follow-up; computed")


class _NpsCounts(outputs.Out):
    responses: int
    promoters: int = Field(description="Scores 9–10")
    passives: int = Field(description="Scores 7–8")
    detractors: int = Field(description="Scores 0–6")
    nps: int | None = Field(description="round(100 × (promoters − detractors) / responses)")


class NpsMonthOut(_NpsCounts):
    period: str = Field(description="The month, YYYY-MM")


class NpsSegmentOut(_NpsCounts):
    segment: str = Field(description="The segment (empty: responses with none)")


class NpsOut(outputs.Out):
    by: Literal["month", "segment"]
    as_of: date
    items: list[NpsMonthOut] | list[NpsSegmentOut]


# --- what the API reads -------------------------------------------------------------------


class _Query(BaseModel):
    model_config = ConfigDict(extra="ignore")
    as_of: Day | None = Field(default=None, description="The state at the end of this day")


class ListQuery(_Query):
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=50, ge=1, le=200)
    archived: bool = Field(default=False, description="1 to include archived items")


class FollowUpQuery(ListQuery):
    state: FollowUpState | None = None


class NpsQuery(_Query):
    by: Literal["month", "segment"] = "month"


def _as_of(args: Any) -> date:
    return getattr(args, "as_of", None) or today()


def _paged(items: list[dict], args: ListQuery, total: int) -> dict:
    return {"items": items, "page": args.page, "per_page": args.per_page, "total": total}


def response_out(r: NpsResponse) -> dict:
    """A response as the API shows it."""
    from strategy_app.services.evaluation import rules

    return NpsResponseOut.model_validate(
        {
            **{k: getattr(r, k) for k in NpsResponseOut.model_fields if hasattr(r, k)},
            "category": rules.nps_category(r.score),
            "follow_up_id": r.follow_up.id if r.follow_up is not None else None,
        }
    ).model_dump(mode="json")


def follow_up_out(f: FollowUp) -> dict:
    """A follow-up as the API shows it."""
    return FollowUpOut.model_validate(f).model_dump(mode="json")


def _follow_up(ident: int) -> FollowUp:
    obj = db.session.get(FollowUp, ident) if 1 <= ident <= MAX_ID else None
    if obj is None:
        raise NotFound(f"No follow-up with id {ident}.")
    return obj


def _window(stmt: sa.Select, args: ListQuery, model: type, date_column) -> sa.Select:
    """Live rows (unless ?archived=1) that existed at the end of as_of."""
    as_of = _as_of(args)
    if not args.archived:
        stmt = stmt.where(model.archived_at.is_(None))
    return stmt.where(nps_reads.made_by(model, as_of), date_column <= as_of)


def _page(stmt: sa.Select, args: ListQuery, order) -> tuple[list[Any], int]:
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(*order).limit(args.per_page).offset((args.page - 1) * args.per_page)
    ).unique()
    return list(rows), total or 0


# --- operations ---------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/nps-responses",
    summary="NPS survey responses",
    tag="nps",
    query=ListQuery,
    response=outputs.Page[NpsResponseOut],
    errors=READ_ERRORS,
)
def list_nps_responses(args: ListQuery):
    from sqlalchemy.orm import joinedload

    stmt = _window(
        sa.select(NpsResponse).options(joinedload(NpsResponse.follow_up)),
        args,
        NpsResponse,
        NpsResponse.date,
    )
    rows, total = _page(stmt, args, (NpsResponse.date, NpsResponse.id))
    return _paged([response_out(r) for r in rows], args, total)


@operation(
    bp,
    "POST",
    "/nps-responses",
    summary="Record an NPS response",
    description="A detractor (score 0–6) gets an open follow-up at once, owned by `owner_id` "
    "(default: the token's user). The date must lie between 2000-01-01 and today.",
    tag="nps",
    body=NpsResponseIn,
    example=EXAMPLES["NpsResponseIn"],
    response=NpsResponseOut,
    status=201,
    errors=WRITE_ERRORS,
)
def create_nps_response(data: NpsResponseIn):
    response = nps_writes.add_response(g.api_user, data, today())
    return saved(lambda: response_out(response)), 201


@operation(
    bp,
    "GET",
    "/nps",
    summary="NPS by month or by segment",
    description="`by=month` (default) or `by=segment`; each item counts responses, promoters "
    "(9–10), passives (7–8) and detractors (0–6), with NPS = round(100 × (promoters − "
    "detractors) / responses).",
    tag="nps",
    query=NpsQuery,
    response=NpsOut,
    errors=READ_ERRORS,
)
def nps_summary(args: NpsQuery):
    as_of = _as_of(args)
    rows = nps_reads.responses(as_of)
    key = "period" if args.by == "month" else "segment"
    groups = nps_reads.by_month(rows) if args.by == "month" else nps_reads.by_segment(rows)
    items = [{key: g_.label, **g_.counts._asdict()} for g_ in groups]
    model = NpsMonthOut if args.by == "month" else NpsSegmentOut
    return {
        "by": args.by,
        "as_of": as_of.isoformat(),
        "items": [model.model_validate(i).model_dump(mode="json") for i in items],
    }


@operation(
    bp,
    "GET",
    "/follow-ups",
    summary="Detractor follow-ups",
    tag="nps",
    query=FollowUpQuery,
    response=outputs.Page[FollowUpOut],
    errors=READ_ERRORS,
)
def list_follow_ups(args: FollowUpQuery):
    stmt = sa.select(FollowUp).join(FollowUp.response)
    stmt = _window(stmt, args, FollowUp, NpsResponse.date)
    if not args.archived:
        stmt = stmt.where(NpsResponse.archived_at.is_(None))
    if args.state:
        stmt = stmt.where(FollowUp.state == args.state)
    rows, total = _page(stmt, args, (NpsResponse.date, FollowUp.id))
    return _paged([follow_up_out(f) for f in rows], args, total)


@operation(
    bp,
    "GET",
    "/follow-ups/<int:id>",
    summary="One follow-up",
    tag="nps",
    query=_Query,
    response=FollowUpOut,
    errors=READ_ERRORS,
)
def get_follow_up(id: int, args: _Query):
    return follow_up_out(_follow_up(id))


@operation(
    bp,
    "PATCH",
    "/follow-ups/<int:id>",
    summary="Change a follow-up",
    description="Executives and leads change any follow-up; a member only those they own.",
    tag="nps",
    body=FollowUpPatch,
    example=EXAMPLES["FollowUpPatch"],
    response=FollowUpOut,
    errors=WRITE_ERRORS,
)
def patch_follow_up(id: int, data: FollowUpPatch):
    follow_up = nps_writes.update_follow_up(g.api_user, _follow_up(id), data)
    return saved(lambda: follow_up_out(follow_up))
