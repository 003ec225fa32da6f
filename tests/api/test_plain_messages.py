"""The API's error messages in words: the `fields` keys stay the field names (DESIGN §5)."""

from __future__ import annotations

from tests.api.conftest import assert_error

JARGON = ("String should", "Input should", "unable to parse", "_id", "NoneType", "Value error")


def _messages(error: dict) -> list[str]:
    return [m for messages in error["fields"].values() for m in messages]


def test_every_bad_field_of_a_plan_named_by_its_key_in_words(api, world):
    body = {
        "objective_id": "one",
        "department_id": world.ids["sales"],
        "title": "",
        "progress_pct": 140,
        "budget": "12,500",  # JSON wants a number: a string is refused, even a tidy one
        "state": "sleeping",
        "start_date": "2026-02-30",
    }
    error = assert_error(
        api.post("/action-plans", body),
        422,
        "objective_id",
        "title",
        "progress_pct",
        "budget",
        "state",
        "start_date",
    )
    fields = error["fields"]
    assert fields["title"] == ["Fill this in: it must not be empty."]
    assert fields["progress_pct"] == ["Write a number of at most 100."]
    assert fields["start_date"] == ["Write a date such as 2026-06-30."]
    assert fields["objective_id"] == ["Choose one of the listed values (that one is not known)."]
    assert "'planned'" in fields["state"][0]  # the API says which codes it takes
    for message in _messages(error):
        assert not any(word in message for word in JARGON), message


def test_an_end_before_its_start_is_reported_beside_the_end(api, world):
    body = {
        "objective_id": world.ids["o1"],
        "department_id": world.ids["sales"],
        "title": "Backwards",
        "start_date": "2026-06-01",
        "due_date": "2026-05-01",
    }
    error = assert_error(api.post("/action-plans", body), 422, "due_date")
    assert error["fields"]["due_date"] == ["Must not be before the start date."]


def test_an_indicator_with_no_parent_says_so_in_words(api, world):
    body = {
        "name": "Orphan",
        "baseline_value": 0,
        "baseline_date": "2026-01-01",
        "target_value": 1,
        "target_date": "2026-12-31",
    }
    error = assert_error(api.post("/indicators", body), 422)
    text = " ".join(_messages(error))
    assert "objective or the action plan" in text
    assert not any(word in text for word in JARGON), text
