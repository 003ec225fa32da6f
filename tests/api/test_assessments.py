"""GET|POST /assessments, GET /assessments/<id>, GET /checklist (DESIGN §5): computed element and
overall scores (§3), permissions as for plans (§4), refusals with nothing written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from strategy_app.extensions import db
from strategy_app.models import Assessment, AssessmentAnswer
from strategy_app.services.evaluation import checklist
from tests.api.conftest import assert_error, snapshot

BODY = {
    "date": "2026-06-01",
    "notes": "Team session",
    "answers": [
        {"statement_key": "systems.1", "score": 1, "comment": "Three screens"},
        {"statement_key": "systems.2", "score": 2},
        {"statement_key": "strategy.1", "score": 4, "comment": "<b>Written</b>"},
    ],
}


def stored(day: date, scores: dict[str, int], created: date | None = None) -> int:
    created = created or day
    at = datetime(created.year, created.month, created.day, 9, tzinfo=UTC)
    a = Assessment(date=day, created_at=at, updated_at=at)
    a.answers = [AssessmentAnswer(statement_key=k, score=v) for k, v in scores.items()]
    db.session.add(a)
    db.session.commit()
    return a.id


def test_post_answers_201_with_the_computed_scores(api, world):
    response = api.post("/assessments", BODY, as_="lead")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) >= {"id", "archived_at", "date", "notes", "answers", "elements", "overall"}
    assert body["date"] == "2026-06-01"
    assert body["assessor_id"] == world.users["lead"]
    # systems (1 + 2) / 2 × 25 = 37.5; strategy 4 × 25 = 100; overall (1 + 2 + 4) / 3 × 25
    by_key = {e["key"]: e for e in body["elements"]}
    assert list(by_key) == [e.key for e in checklist.ELEMENTS]
    assert by_key["systems"] == {
        "key": "systems",
        "title": "Systems",
        "group": "Operational",
        "score": 37.5,
    }
    assert by_key["strategy"]["score"] == 100.0
    assert by_key["retention"]["score"] is None
    assert body["overall"] == pytest.approx(175 / 3)  # 58.33…
    assert body["answers"][0] == {
        "statement_key": "strategy.1",
        "score": 4,
        "comment": "<b>Written</b>",  # JSON carries the text as typed; pages escape it
    }
    again = api.get(f"/assessments/{body['id']}", as_="viewer_read").get_json()
    assert again == body


def test_one_answer_only(api, world):
    body = api.post(
        "/assessments",
        {
            "date": "2026-06-15",  # today
            "notes": None,  # null optional text is no text
            "answers": [{"statement_key": "training.5", "score": 0, "comment": None}],
        },
    ).get_json()
    assert body["notes"] == ""
    assert body["answers"][0]["comment"] == ""
    assert body["overall"] == 0.0
    assert [e["key"] for e in body["elements"] if e["score"] is not None] == ["training"]


def test_list_newest_first_paged_and_as_of(api, world):
    first = stored(date(2026, 1, 10), {"systems.1": 1})
    second = stored(date(2026, 3, 10), {"systems.1": 2})
    third = stored(date(2026, 6, 1), {"systems.1": 4}, created=date(2026, 6, 2))
    page = api.get("/assessments", query={"per_page": 2}, as_="viewer_read").get_json()
    assert [a["id"] for a in page["items"]] == [third, second]
    assert (page["page"], page["per_page"], page["total"]) == (1, 2, 3)
    assert [a["overall"] for a in page["items"]] == [100.0, 50.0]
    page2 = api.get("/assessments", query={"per_page": 2, "page": 2}).get_json()
    assert [a["id"] for a in page2["items"]] == [first]
    # as of June 1: the third was dated then but recorded the next day
    as_of = api.get("/assessments", query={"as_of": "2026-06-01"}).get_json()
    assert [a["id"] for a in as_of["items"]] == [second, first]
    assert api.get(f"/assessments/{third}", query={"as_of": "2026-06-01"}).status_code == 404
    assert api.get(f"/assessments/{third}", query={"as_of": "2026-06-02"}).status_code == 200
    assert_error(api.get("/assessments", query={"per_page": 201}), 422, "per_page")
    assert_error(api.get("/assessments", query={"as_of": "junk"}), 422, "as_of")


def test_checklist_lists_nine_elements_in_three_groups_and_forty_keys(api, world):
    body = api.get("/checklist", as_="viewer_read").get_json()
    assert body["groups"] == ["Strategic", "Operational", "HR"]
    assert len(body["elements"]) == 9
    keys = [s["key"] for e in body["elements"] for s in e["statements"]]
    assert len(keys) == len(set(keys)) == 40
    assert body["elements"][3]["statements"][2]["key"] == "systems.3"
    assert [s["score"] for s in body["scores"]] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("who", "status"),
    [("executive", 201), ("lead", 201), ("other_lead", 201), ("member", 403), ("viewer_read", 403)],
)
def test_executives_and_leads_write_members_and_viewers_are_refused(api, world, who, status):
    before = snapshot()
    response = api.post("/assessments", BODY, as_=who)
    assert response.status_code == status
    if status == 403:
        assert_error(response, 403)
        assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"answers": [{"statement_key": "systems.1", "score": 5}]}, ["answers.0.score"]),
        ({"answers": [{"statement_key": "systems.1", "score": -1}]}, ["answers.0.score"]),
        ({"answers": [{"statement_key": "systems.1", "score": 2.5}]}, ["answers.0.score"]),
        ({"answers": [{"statement_key": "systems.1", "score": "3"}]}, ["answers.0.score"]),
        ({"answers": [{"statement_key": "systems.1", "score": True}]}, ["answers.0.score"]),
        ({"answers": [{"score": 3}]}, ["answers.0.statement_key"]),
        ({"answers": [{"statement_key": "nonsense.1", "score": 3}]}, ["answers.0.statement_key"]),
        (
            {
                "answers": [
                    {"statement_key": "systems.1", "score": 3},
                    {"statement_key": "systems.1", "score": 1},
                ]
            },
            ["answers"],
        ),
        ({"answers": []}, ["answers"]),
        ({"answers": None}, ["answers"]),
        ({"date": "2026-06-16"}, ["date"]),  # tomorrow (today is 2026-06-15)
        ({"date": "1999-12-31"}, ["date"]),
        ({"date": "2026-02-30"}, ["date"]),
        ({"date": None}, ["date"]),
        ({"overall": 100}, ["overall"]),  # computed, never accepted
        ({"notes": "x" * 10_001}, ["notes"]),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(api, world, change, fields):
    before = snapshot()
    error = assert_error(api.post("/assessments", {**BODY, **change}), 422, *fields)
    assert error["message"]
    assert snapshot() == before


def test_messages_say_what_is_wrong(api, world):
    twice = [{"statement_key": "systems.1", "score": 3}, {"statement_key": "systems.1", "score": 1}]
    error = assert_error(api.post("/assessments", {**BODY, "answers": twice}), 422)
    assert error["fields"]["answers"] == [
        "Each statement can be answered once; answered more than once: systems.1."
    ]
    future = assert_error(api.post("/assessments", {**BODY, "date": "2027-01-01"}), 422)
    assert future["fields"]["date"] == ["An assessment cannot be dated in the future."]
    score = {"answers": [{"statement_key": "systems.1", "score": 9}]}
    error = assert_error(api.post("/assessments", {**BODY, **score}), 422)
    assert error["fields"]["answers.0.score"][0].startswith("Score each statement from 0 to 4")


def test_broken_json_and_unknown_ids(api, world):
    before = snapshot()
    assert_error(api.post("/assessments", raw=b'{"date": '), 400)
    assert_error(api.get("/assessments/999999"), 404)
    assert api.get("/assessments/99999999999").status_code == 404
    assert snapshot() == before


def test_the_list_costs_the_same_queries_however_many_assessments(api, world):
    from tests.queries import counting_queries

    stored(date(2026, 1, 10), dict.fromkeys(checklist.statement_keys(), 2))
    api.get("/assessments")  # the token's rate-limit counters exist from here on
    with counting_queries() as few:
        assert api.get("/assessments").status_code == 200
    for month in range(2, 7):
        stored(date(2026, month, 10), dict.fromkeys(checklist.statement_keys(), 3))
    with counting_queries() as many:
        assert len(api.get("/assessments").get_json()["items"]) == 6
    assert len(many) == len(few)
