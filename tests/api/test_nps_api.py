"""/nps-responses, /nps and /follow-ups (DESIGN §5), on the world of tests/api/conftest.py.

Today is 2026-06-15. The world holds a promoter (2026-05-10, 9, chains) and a detractor
(2026-06-01, 3, stores) whose open follow-up the member owns.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import FollowUp, NpsResponse
from tests.api.conftest import assert_error


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(NpsResponse)),
        db.session.scalar(sa.select(sa.func.count()).select_from(FollowUp)),
    )


def test_a_detractor_posted_gets_a_follow_up_at_once(api, world):
    body = {"date": "2026-06-14", "score": 6, "segment": "chains", "customer_ref": "CH-4"}
    r = api.post("/nps-responses", {**body, "comment": "Late"}, as_="lead")
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["category"] == "detractor"
    assert created["archived_at"] is None
    follow_up = api.get(f"/follow-ups/{created['follow_up_id']}", as_="viewer_read").get_json()
    assert follow_up["state"] == "open"
    assert follow_up["owner_id"] == world.users["lead"]  # who posted it, by default
    assert follow_up["response_id"] == created["id"]
    r = api.post("/nps-responses", {**body, "score": 7})
    assert r.get_json()["follow_up_id"] is None
    assert r.get_json()["category"] == "passive"
    assert counts() == (4, 2)


def test_nps_by_month_and_by_segment(api, world):
    for day, score, segment in (("2026-06-02", 10, "chains"), ("2026-06-03", 8, "chains")):
        api.post("/nps-responses", {"date": day, "score": score, "segment": segment})
    months = api.get("/nps", query={"by": "month"}, as_="viewer_read").get_json()
    # May: 9 → +100; June: 3, 10, 8 → (1 − 1) / 3 = 0.
    assert months["items"] == [
        {"period": "2026-05", "responses": 1, "promoters": 1, "passives": 0, "detractors": 0,
         "nps": 100},
        {"period": "2026-06", "responses": 3, "promoters": 1, "passives": 1, "detractors": 1,
         "nps": 0},
    ]  # fmt: skip
    segments = api.get("/nps", query={"by": "segment"}).get_json()["items"]
    assert set(segments[0]) == {
        "segment",
        "responses",
        "promoters",
        "passives",
        "detractors",
        "nps",
    }
    # chains: 9, 10, 8 → 2 promoters of 3 → 67; stores: 3 → −100.
    assert [(s["segment"], s["responses"], s["nps"]) for s in segments] == [
        ("chains", 3, 67),
        ("stores", 1, -100),
    ]
    past = api.get("/nps", query={"as_of": "2026-05-31"}).get_json()
    assert [i["period"] for i in past["items"]] == ["2026-05"]
    assert api.get("/nps").get_json()["by"] == "month"


def test_lists_are_paged_and_filtered(api, world):
    page = api.get("/nps-responses", query={"per_page": 1}).get_json()
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (2, 1, 1, 1)
    assert page["items"][0]["id"] == world.promoter
    assert api.get("/follow-ups", query={"state": "open"}).get_json()["total"] == 1
    assert api.get("/follow-ups", query={"state": "resolved"}).get_json()["total"] == 0
    assert_error(api.get("/follow-ups", query={"state": "closed"}), 422, "state")
    assert_error(api.get("/nps-responses", query={"per_page": 201}), 422, "per_page")


def test_patch_closes_the_loop_and_links_a_plan(api, world):
    body = {"state": "resolved", "note": "Called back", "action_plan_id": world.sales_plan}
    r = api.patch(f"/follow-ups/{world.follow_up}", body, as_="member")  # the owner
    assert r.status_code == 200, r.get_json()
    got = r.get_json()
    assert (got["state"], got["note"], got["action_plan_id"]) == body_values(body)
    assert got["resolved_at"] is not None
    r = api.patch(f"/follow-ups/{world.follow_up}", {"state": "open"}, as_="lead")
    assert r.get_json()["resolved_at"] is None


def body_values(body: dict) -> tuple:
    return body["state"], body["note"], body["action_plan_id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2026-06-10", "score": 11}, "score"),
        ({"date": "2026-06-10", "score": -1}, "score"),
        ({"date": "2026-06-10", "score": "9"}, "score"),
        ({"date": "2026-06-10", "score": 9.5}, "score"),
        ({"date": "2026-06-16", "score": 9}, "date"),
        ({"date": "1999-12-31", "score": 9}, "date"),
        ({"date": "2026-13-01", "score": 9}, "date"),
        ({"date": "2026-06-10", "score": 3, "comment": '=HYPERLINK("x")'}, "comment"),
        ({"date": "2026-06-10", "score": 3, "customer_ref": "@SUM(A1)"}, "customer_ref"),
        ({"date": "2026-06-10", "score": 3, "owner_id": 999_999}, "owner_id"),
        ({"date": "2026-06-10", "score": 3, "follow_up_id": 1}, "follow_up_id"),
        ({"score": 3}, "date"),
    ],
)
def test_bad_responses_are_refused_and_nothing_is_written(api, world, body, field):
    assert_error(api.post("/nps-responses", body), 422, field)
    assert counts() == (2, 1)


def test_a_viewer_cannot_be_given_a_follow_up(api, world):
    body = {"date": "2026-06-10", "score": 3, "owner_id": world.users["viewer"]}
    assert_error(api.post("/nps-responses", body), 422, "owner_id")
    viewer = {"owner_id": world.users["viewer"]}
    assert_error(api.patch(f"/follow-ups/{world.follow_up}", viewer), 422, "owner_id")
    assert_error(api.patch(f"/follow-ups/{world.follow_up}", {"state": None}), 422, "state")
    assert_error(api.patch(f"/follow-ups/{world.follow_up}", {"action_plan_id": 999}), 422)


def test_who_may_write(api, world):
    body = {"date": "2026-06-10", "score": 3}
    assert_error(api.post("/nps-responses", body, as_="member"), 403)
    assert_error(api.post("/nps-responses", body, as_="viewer_read"), 403)
    r = api.patch(f"/follow-ups/{world.follow_up}", {"note": "Called"}, as_="other_lead")
    assert r.status_code == 200  # any lead may
    counts_before = counts()
    detractor = api.post("/nps-responses", body, as_="lead").get_json()
    theirs = detractor["follow_up_id"]
    assert_error(api.patch(f"/follow-ups/{theirs}", {"state": "resolved"}, as_="member"), 403)
    assert api.get(f"/follow-ups/{theirs}").get_json()["state"] == "open"
    assert counts() == (counts_before[0] + 1, counts_before[1] + 1)


def test_unknown_ids_are_404(api, world):
    assert_error(api.get("/follow-ups/999999"), 404)
    assert_error(api.patch("/follow-ups/999999", {"note": "x"}), 404)
    assert_error(api.get(f"/follow-ups/{2**31}"), 404)


def test_the_document_lists_the_operations(api, world):
    paths = api.get("/openapi.json", as_=None).get_json()["paths"]
    assert set(paths["/api/v1/nps-responses"]) == {"get", "post"}
    assert set(paths["/api/v1/nps"]) == {"get"}
    assert set(paths["/api/v1/follow-ups"]) == {"get"}
    assert set(paths["/api/v1/follow-ups/{id}"]) == {"get", "patch"}
