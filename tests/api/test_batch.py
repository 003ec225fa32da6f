"""POST /measurements/batch: up to 5,000 actuals in one transaction, all or nothing.

The whole module runs on SQLite and, in the suite's --db=postgres pass, on PostgreSQL; the
"writes nothing" tests say so in their names.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import Measurement
from tests.api.conftest import assert_error, audit_events, measurement_count, snapshot

BATCH = "/measurements/batch"


def days(start: date, n: int) -> list[str]:
    return [(start + timedelta(days=i)).isoformat() for i in range(n)]


def values_of(indicator_id: int) -> dict[str, float]:
    db.session.commit()
    rows = db.session.execute(
        sa.select(Measurement.date, Measurement.value).where(
            Measurement.indicator_id == indicator_id
        )
    ).all()
    db.session.commit()
    return {d.isoformat(): v for d, v in rows}


def test_by_indicator_id_and_by_external_key(api, world):
    items = [
        {"indicator_id": world.obj_ind, "date": "2026-06-10", "value": 42.0, "note": "CRM"},
        {"external_key": "crm-sales-1", "date": "2026-06-12", "value": 58.5},
        {"external_key": "crm-log-1", "date": "2026-06-12", "value": 94.0},
    ]
    response = api.post(BATCH, {"items": items})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["written"] == 3
    assert [(m["indicator_id"], m["date"], m["value"]) for m in body["items"]] == [
        (world.obj_ind, "2026-06-10", 42.0),
        (world.plan_ind, "2026-06-12", 58.5),
        (world.log_ind, "2026-06-12", 94.0),
    ]
    assert all(m["source"] == "api" for m in body["items"])
    assert all(m["entered_by_id"] == world.users["executive"] for m in body["items"])
    assert body["items"][0]["note"] == "CRM"
    assert values_of(world.plan_ind)["2026-06-12"] == 58.5
    assert api.get(f"/indicators/{world.log_ind}").get_json()["status"] == "on_track"


def test_5000_items_in_one_go(api, world):
    ids = (world.obj_ind, world.plan_ind, world.log_ind, world.o2_ind)
    items = [
        {"indicator_id": ident, "date": day, "value": float(n)}
        for n, (ident, day) in enumerate(
            (ident, day) for ident in ids for day in days(date(2020, 1, 1), 1250)
        )
    ]
    assert len(items) == 5000
    before = measurement_count()
    response = api.post(BATCH, {"items": items})
    assert response.status_code == 201, str(response.get_json())[:500]
    assert response.get_json()["written"] == 5000
    assert measurement_count() == before + 5000


def test_5001_items_are_refused_and_nothing_is_written(api, world):
    items = [
        {"indicator_id": world.obj_ind, "date": day, "value": 1.0}
        for day in days(date(2010, 1, 1), 5001)
    ]
    before = measurement_count()
    assert_error(api.post(BATCH, {"items": items}), 422, "items")
    assert measurement_count() == before


@pytest.mark.parametrize("items", [[], None, {}, "all"])
def test_the_items_must_be_a_list_of_1_to_5000(api, world, items):
    assert_error(api.post(BATCH, {"items": items}), 422, "items")


def test_the_body_takes_items_only(api, world):
    item = {"indicator_id": world.obj_ind, "date": "2026-06-02", "value": 1}
    assert_error(api.post(BATCH, {"items": [item], "dry_run": True}), 422, "dry_run")
    assert_error(api.post(BATCH, {}), 422, "items")


def test_a_batch_with_bad_items_writes_nothing_on_sqlite_and_postgresql(api, world):
    """One bad item among many → 422 naming every bad item by index; nothing written."""
    good = {"indicator_id": world.obj_ind, "value": 1.0}
    items = [{**good, "date": day} for day in days(date(2025, 1, 1), 40)]
    items[3]["date"] = "2026-02-30"  # not a date
    items[7] = {"external_key": "no-such-key", "date": "2026-01-05", "value": 1.0}
    items[11]["value"] = "many"  # not a number
    items[15] = {"indicator_id": 999_999, "date": "2026-01-06", "value": 1.0}
    items[19]["date"] = "0001-01-01"  # out of range
    items[23]["surprise"] = True  # unknown field
    items[27] = {"indicator_id": world.obj_ind, "external_key": "crm-sales-1", **items[27]}
    items[31] = {"date": "2026-01-07", "value": 1.0}  # neither id nor key
    del items[35]["value"]
    before, rows = measurement_count(), snapshot()
    response = api.post(BATCH, {"items": items})
    error = assert_error(response, 422)
    fields = error["fields"]
    assert "items.3.date" in fields
    assert "items.7.external_key" in fields
    assert "items.11.value" in fields
    assert "items.15.indicator_id" in fields
    assert "items.19.date" in fields
    assert "items.23.surprise" in fields
    assert "items.35.value" in fields
    bad = {int(key.split(".")[1]) for key in fields}
    assert bad == {3, 7, 11, 15, 19, 23, 27, 31, 35}
    assert "nothing was written" in error["message"]
    assert measurement_count() == before
    assert snapshot() == rows


def test_items_of_archived_or_cancelled_indicators_are_bad_items(api, world):
    assert api.delete(f"/indicators/{world.o2_ind}").status_code == 204
    assert (
        api.patch(
            f"/action-plans/{world.log_plan}", {"version": 1, "state": "cancelled"}
        ).status_code
        == 200
    )
    items = [
        {"indicator_id": world.obj_ind, "date": "2026-06-02", "value": 1.0},
        {"indicator_id": world.o2_ind, "date": "2026-06-02", "value": 1.0},
        {"external_key": "crm-log-1", "date": "2026-06-02", "value": 1.0},
    ]
    before = measurement_count()
    error = assert_error(api.post(BATCH, {"items": items}), 422)
    assert {int(key.split(".")[1]) for key in error["fields"]} == {1, 2}
    assert measurement_count() == before


def test_an_item_the_user_may_not_write_is_403_and_writes_nothing_on_sqlite_and_postgresql(
    api, world
):
    items = [
        {"external_key": "crm-sales-1", "date": "2026-06-02", "value": 55.0},  # own department
        {"external_key": "crm-log-1", "date": "2026-06-02", "value": 90.0},  # logistics'
    ]
    before, rows = measurement_count(), snapshot()
    error = assert_error(api.post(BATCH, {"items": items}, as_="lead"), 403, "items.1")
    assert "items.0" not in error["fields"]
    assert measurement_count() == before
    assert snapshot() == rows
    assert audit_events("refused")
    assert api.post(BATCH, {"items": items[:1]}, as_="lead").status_code == 201


def test_a_read_token_may_not_post_a_batch(api, world):
    items = [{"external_key": "crm-sales-1", "date": "2026-06-02", "value": 55.0}]
    before = measurement_count()
    assert_error(api.post(BATCH, {"items": items}, as_="executive_read"), 403)
    assert measurement_count() == before


def test_the_same_indicator_and_date_twice_is_refused(api, world):
    items = [
        {"indicator_id": world.plan_ind, "date": "2026-06-02", "value": 1.0},
        {"indicator_id": world.obj_ind, "date": "2026-06-02", "value": 2.0},
        {"external_key": "crm-sales-1", "date": "2026-06-02", "value": 3.0},  # = item 0
    ]
    before = measurement_count()
    error = assert_error(api.post(BATCH, {"items": items}), 422, "items.2.date")
    assert "item 0" in error["fields"]["items.2.date"][0]
    assert measurement_count() == before


def test_an_existing_date_is_replaced_and_the_audit_log_keeps_the_old_value(api, world):
    before = measurement_count()
    items = [
        {"external_key": "crm-sales-1", "date": "2026-06-10", "value": 57.0},  # was 60
        {"indicator_id": world.obj_ind, "date": "2026-06-01", "value": 41.0},  # was 40
        {"indicator_id": world.obj_ind, "date": "2026-06-11", "value": 43.0},  # new
    ]
    response = api.post(BATCH, {"items": items})
    assert response.status_code == 201
    assert measurement_count() == before + 1
    assert values_of(world.plan_ind) == {"2026-06-10": 57.0}
    assert values_of(world.obj_ind) == {"2026-03-01": 20.0, "2026-06-01": 41.0, "2026-06-11": 43.0}
    updates = {
        tuple(e.changes["value"])
        for e in audit_events("update", "Measurement")
        if "value" in e.changes
    }
    assert {(60.0, 57.0), (40.0, 41.0)} <= updates
    assert all(e.user_id == world.users["executive"] for e in audit_events("update", "Measurement"))


def test_a_member_posts_actuals_for_the_plans_they_own(api, world):
    items = [
        {"external_key": "crm-sales-1", "date": "2026-06-02", "value": 55.0},
        {"indicator_id": world.o2_ind, "date": "2026-06-02", "value": 3.0},  # owns objective O2
    ]
    assert api.post(BATCH, {"items": items}, as_="member").status_code == 201
    refused = [{"indicator_id": world.obj_ind, "date": "2026-06-02", "value": 3.0}]
    assert_error(api.post(BATCH, {"items": refused}, as_="member"), 403, "items.0")
