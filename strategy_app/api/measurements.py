"""The explicit endpoints of /api/v1 for actuals: an indicator's measurements and the batch."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g

from strategy_app.api import bp, outputs
from strategy_app.api.common import READ_ERRORS, WRITE_ERRORS, ListQuery, paged, saved
from strategy_app.api.registry import operation, read_json_body
from strategy_app.api.resources import INDICATORS
from strategy_app.extensions import db
from strategy_app.models import Indicator, Measurement
from strategy_app.schemas import inputs
from strategy_app.services.writes import cascade, measurements


def _measurement(m: Measurement) -> dict:
    return outputs.MeasurementOut.model_validate(m).model_dump(mode="json")


@operation(
    bp,
    "GET",
    "/indicators/<int:id>/measurements",
    summary="An indicator's actuals",
    tag="measurements",
    query=ListQuery,
    response=outputs.Page[outputs.MeasurementOut],
    errors=READ_ERRORS,
)
def list_measurements(id: int, args: ListQuery):
    cascade.get_or_404(Indicator, id)
    stmt = sa.select(Measurement).where(Measurement.indicator_id == id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.order_by(Measurement.date).limit(args.per_page).offset((args.page - 1) * args.per_page)
    )
    return paged([_measurement(m) for m in rows], args, total or 0)


@operation(
    bp,
    "POST",
    "/indicators/<int:id>/measurements",
    summary="Enter an actual",
    description="The same date again replaces the value; the audit log keeps the old one.",
    tag="measurements",
    body=inputs.MeasurementIn,
    example={"date": "2026-06-30", "value": 91.5, "note": "Nightly CRM export"},
    response=outputs.MeasurementOut,
    status=201,
    errors=WRITE_ERRORS,
)
def create_measurement(id: int, data: inputs.MeasurementIn):
    row = measurements.record(g.api_user, INDICATORS.one(id), data, source="api")
    return saved(lambda: _measurement(row)), 201


@operation(
    bp,
    "POST",
    "/measurements/batch",
    summary="Enter up to 5,000 actuals, all or nothing",
    description="One bad item answers 422 listing every bad item by index; nothing is written.",
    tag="measurements",
    body=inputs.BatchIn,
    example={
        "items": [
            {"external_key": "crm-otif", "date": "2026-06-30", "value": 91.5},
            {"indicator_id": 1, "date": "2026-06-30", "value": 12, "note": "June"},
        ]
    },
    response=outputs.BatchOut,
    status=201,
    errors=WRITE_ERRORS,
    parse_body=False,
)
def batch_measurements():
    indexed, errors = measurements.parse_batch(read_json_body())
    rows = measurements.record_batch(g.api_user, indexed, errors, source="api")
    return saved(lambda: {"written": len(rows), "items": [_measurement(m) for m in rows]}), 201
