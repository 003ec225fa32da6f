"""Every error of the API has one shape, {"error": {"status", "message", "fields"}}, and no
input, however hostile, gets a 500 (DESIGN §5, §6)."""

from __future__ import annotations

import json

import pytest

from strategy_app.extensions import db
from tests import factories
from tests.api.conftest import (
    SINGLES,
    Api,
    assert_error,
    audit_mark,
    build_world,
    changes_since,
    snapshot,
    valid_bodies,
)
from tests.rate_clock import FROZEN_RETRY_AFTER

XSS = "<script>alert('x')</script>"
SQL = "Robert'); DROP TABLE objectives; --"


# --- one shape for every status -------------------------------------------------------------


def test_400_malformed_json(api, world):
    error = assert_error(api.post("/company-strategies", raw=b'{"title": "x",'), 400)
    assert "JSON" in error["message"]


@pytest.mark.parametrize(
    "raw",
    [
        '{"title": "café"}'.encode("latin-1"),
        '{"title": "café"}'.encode("utf-16"),
        '{"title": "café"}'.encode("utf-32"),
        b'\xef\xbb\xbf{"title": "byte-order mark"}',
        b'{"title": "\xc3\x28"}',  # an invalid UTF-8 sequence
        b'{"title": "\\ud800"}',  # an escaped lone surrogate: no UTF-8 text can carry it
    ],
    ids=["latin-1", "utf-16", "utf-32", "bom", "bad-utf-8", "lone-surrogate"],
)
def test_400_wrong_encodings(api, world, raw):
    before = snapshot()
    assert_error(api.post("/company-strategies", raw=raw), 400)
    assert snapshot() == before


def test_401_no_token(api, world):
    assert_error(api.get("/objectives", as_=None), 401)


def test_403_not_allowed(api, world):
    assert_error(api.post("/company-strategies", {"title": "x"}, as_="lead"), 403)
    assert_error(api.post("/company-strategies", {"title": "x"}, as_="executive_read"), 403)


@pytest.mark.parametrize(
    "path",
    [
        "/objectives/999",
        "/objectives/0",
        "/objectives/2147483648",
        "/objectives/99999999999999999999999",
        "/objectives/-1",
        "/objectives/abc",
        "/objectives/1.5",
        "/indicators/999/measurements",
        "/nothing-here",
        "/objectives/1/nothing",
        "/v2/objectives",
    ],
)
def test_404_unknown_ids_and_paths(api, world, path):
    assert_error(api.get(path), 404)


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("ident", ["999", "2147483648", "99999999999999999999999"])
def test_404_unknown_ids_on_writes(api, world, method, ident):
    body = {"version": 1, "title": "x"} if method == "PATCH" else None
    before = snapshot()
    kwargs = {} if body is None else {"body": body}
    assert_error(api(method, f"/action-plans/{ident}", **kwargs), 404)
    assert snapshot() == before


def test_404_without_a_token_is_still_json(api, world):
    assert_error(api.get("/nothing-here", as_=None), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/objectives"),
        ("DELETE", "/objectives"),
        ("PATCH", "/objectives"),
        ("POST", "/objectives/1"),
        ("PUT", "/objectives/1"),
        ("POST", "/me"),
        ("DELETE", "/summary"),
        ("GET", "/measurements/batch"),
    ],
)
def test_405_wrong_method(api, world, method, path):
    before = snapshot()
    response = api(method, path, {"title": "x"})
    assert_error(response, 405)
    assert snapshot() == before


def test_409_stale_version(api, world):
    error = assert_error(
        api.patch(f"/action-plans/{world.sales_plan}", {"version": 7, "title": "x"}), 409
    )
    assert error["fields"] == {}


def test_413_too_large(app_factory):
    app = app_factory(MAX_CONTENT_LENGTH=1000)
    with app.app_context():
        world = build_world(factories)
        api = Api(app.test_client(), world)
        before = snapshot()
        big = {"title": "Too long a story", "description": "x" * 2000}
        assert_error(api.post("/company-strategies", big), 413)
        items = [{"indicator_id": world.obj_ind, "date": "2026-06-02", "value": 1}] * 30
        assert_error(api.post("/measurements/batch", {"items": items}), 413)
        assert snapshot() == before
        assert api.post("/company-strategies", {"title": "Short"}).status_code == 201
        db.session.remove()


def test_422_invalid_values_name_their_fields(api, world):
    body = {"title": 5, "position": "first", "status": "sleeping", "owner_id": 0}
    error = assert_error(
        api.post("/company-strategies", body), 422, "title", "position", "status", "owner_id"
    )
    assert error["message"]


def test_429_rate_limited(app_factory, frozen_rate_clock):
    app = app_factory(API_RATE_LIMIT_PER_TOKEN=1)
    with app.app_context():
        world = build_world(factories)
        api = Api(app.test_client(), world)
        assert api.get("/me").status_code == 200
        response = api.get("/me")
        assert_error(response, 429)
        assert response.headers["Retry-After"] == FROZEN_RETRY_AFTER
        db.session.remove()


# --- 422: values a JSON parser accepts and the API must not --------------------------------


def _measure(api, world, raw: bytes):
    return api.post(f"/indicators/{world.obj_ind}/measurements", raw=raw)


@pytest.mark.parametrize(
    "value", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e16", '"12"', "true", "null"]
)
def test_422_numbers_that_are_not_finite_or_not_numbers(api, world, value):
    before = snapshot()
    raw = f'{{"date": "2026-06-02", "value": {value}}}'.encode()
    assert_error(_measure(api, world, raw), 422, "value")
    assert snapshot() == before


@pytest.mark.parametrize(
    "day",
    [
        "0001-01-01",
        "9999-12-31",
        "1899-12-31",
        "2201-01-01",
        "2026-02-30",
        "2026-13-01",
        "2026-6-1",
        "20260601",
        "2026-06-01T00:00:00",
        "yesterday",
        "",
    ],
)
def test_422_dates_out_of_range_or_malformed(api, world, day):
    before = snapshot()
    raw = json.dumps({"date": day, "value": 1}).encode()
    assert_error(_measure(api, world, raw), 422, "date")
    assert_error(
        api.patch(f"/action-plans/{world.sales_plan}", {"version": 1, "due_date": day}),
        422,
        "due_date",
    )
    assert snapshot() == before


def test_422_dates_at_the_ends_of_the_range_are_fine(api, world):
    for day in ("1900-01-01", "2200-12-31"):
        raw = json.dumps({"date": day, "value": 1}).encode()
        assert _measure(api, world, raw).status_code == 201


def test_422_unknown_fields(api, world):
    before = snapshot()
    error = assert_error(
        api.post("/company-strategies", {"title": "x", "colour": "red", "owner": 1}),
        422,
        "colour",
        "owner",
    )
    assert error["fields"]["colour"] == ["Unknown or read-only field."]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("field", "length"), [("title", 201), ("description", 10_001), ("title", 1_000_000)]
)
def test_422_huge_strings(api, world, field, length):
    before = snapshot()
    body = {"title": "ok", field: "x" * length}
    assert_error(api.post("/company-strategies", body), 422, field)
    assert snapshot() == before


def test_the_longest_strings_allowed_are_kept_whole(api, world):
    body = {"title": "t" * 200, "description": "d" * 10_000}
    made = api.post("/company-strategies", body)
    assert made.status_code == 201
    assert made.get_json()["title"] == "t" * 200
    assert made.get_json()["description"] == "d" * 10_000


@pytest.mark.parametrize("field", ["title", "description"])
def test_422_nul_characters(api, world, field):
    before = snapshot()
    body = {"title": "ok", field: "before\u0000after"}
    assert_error(api.post("/company-strategies", body), 422, field)
    assert snapshot() == before


def test_422_a_body_that_is_json_but_not_an_object(api, world):
    for raw in (b"[]", b"null", b"1", b'"title"', b"true"):
        assert_error(api.post("/company-strategies", raw=raw), 422)


def test_sql_and_html_are_stored_verbatim_and_returned_as_plain_json(api, world):
    made = api.post("/company-strategies", {"title": SQL, "description": XSS})
    assert made.status_code == 201
    assert made.mimetype == "application/json"
    assert made.headers["X-Content-Type-Options"] == "nosniff"
    ident = made.get_json()["id"]
    again = api.get(f"/company-strategies/{ident}")
    assert (again.get_json()["title"], again.get_json()["description"]) == (SQL, XSS)
    assert XSS.encode() in again.get_data()  # a JSON string, not HTML-escaped
    listed = api.get("/objectives").get_json()
    assert listed["total"] == 2  # the table is still there
    assert api.get("/action-plans", query={"department": "' OR 1=1 --"}).get_json()["total"] == 0


# --- never a 500: hostile bodies on every write endpoint ----------------------------------------

MALFORMED = [
    b"",
    b" ",
    b"{",
    b"}",
    b'{"title": "x",}',
    b"{'title': 'x'}",
    b'{"title": "x"',
    b'{"title": "a\x00b"}',  # a raw control character inside a string
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b"\xff\xfe\x00\x00",
    b"title=x&value=1",
    b"<xml/>",
]
NOT_OBJECTS = [b"[]", b"null", b"0", b'"x"', b"true", b"NaN", b"1e400", b"[{}]"]
STRINGS = ["", "x" * 100_000, "a\u0000b", XSS, SQL, "\u202e\ufeff😀"]
VALUES = [
    None,
    True,
    0,
    -1,
    2**31,
    10**30,
    1.5,
    [None],
    {"$gt": ""},
    *STRINGS,
    "0001-01-01",
    "9999-12-31",
]
NON_FINITE = ["NaN", "-Infinity", "1e400"]


def _write_endpoints(w) -> list[tuple[str, str, dict]]:
    bodies = valid_bodies(w)
    out = []
    for kind, name in SINGLES.items():
        out.append(("POST", f"/{kind}", bodies[kind][0]))
        patch = {**bodies[kind][0], **bodies[kind][1]} if kind == "action-plans" else None
        out.append(("PATCH", f"/{kind}/{getattr(w, name)}", patch or bodies[kind][0]))
    out.append(
        (
            "POST",
            f"/indicators/{w.obj_ind}/measurements",
            {"date": "2026-06-02", "value": 1.5, "note": "n"},
        )
    )
    out.append(
        (
            "POST",
            "/measurements/batch",
            {"items": [{"indicator_id": w.obj_ind, "date": "2026-06-02", "value": 1.5}]},
        )
    )
    return out


WRITE_IDS = [
    "POST company-strategies",
    "PATCH company-strategies",
    "POST service-strategies",
    "PATCH service-strategies",
    "POST objectives",
    "PATCH objectives",
    "POST action-plans",
    "PATCH action-plans",
    "POST indicators",
    "PATCH indicators",
    "POST measurements",
    "POST batch",
]


def _send(api, method: str, path: str, raw: bytes) -> int:
    """Send raw as the body: a 4xx in the error shape that changes nothing, or a success.

    (Nothing changed = no new audit event: every change of user data writes one.)
    """
    mark = audit_mark()
    response = api(method, path, raw=raw)
    status = response.status_code
    assert status < 500, (method, path, raw[:200], response.get_data(as_text=True)[:500])
    if status >= 400:
        assert_error(response, status)
        assert status in (400, 404, 409, 413, 422), (raw[:200], status)
        assert changes_since(mark) == [], raw[:200]
    return status


def _mutants(body: dict):
    """The body with each field replaced by each hostile value (and a few additions)."""
    for name in body:
        for value in VALUES:
            yield json.dumps({**body, name: value}).encode()
        for literal in NON_FINITE:
            yield json.dumps({**body, name: "@@"}).replace('"@@"', literal).encode()
        yield json.dumps({k: v for k, v in body.items() if k != name}).encode()
    yield json.dumps({**body, "unknown_field": 1}).encode()
    yield json.dumps({**body, "id": 1, "archived_at": None}).encode()


@pytest.mark.parametrize("index", range(12), ids=WRITE_IDS)
def test_no_500_for_malformed_or_non_object_bodies(api, world, index):
    method, path, _ = _write_endpoints(world)[index]
    for raw in MALFORMED:
        assert _send(api, method, path, raw) == 400, raw[:50]
    for raw in NOT_OBJECTS:
        assert _send(api, method, path, raw) == 422, raw[:50]


@pytest.mark.parametrize("index", range(12), ids=WRITE_IDS)
def test_no_500_for_hostile_values_in_any_field(api, world, index):
    method, path, body = _write_endpoints(world)[index]
    statuses = [_send(api, method, path, raw) for raw in _mutants(body)]
    assert 422 in statuses


def test_no_500_for_hostile_batch_items(api, world):
    item = {"indicator_id": world.obj_ind, "date": "2026-06-02", "value": 1.5}
    for raw in _mutants(item):
        body = b'{"items": [' + raw + b"]}"
        _send(api, "POST", "/measurements/batch", body)
    for raw in [*NOT_OBJECTS, b'"items"', b"{}"]:
        _send(api, "POST", "/measurements/batch", b'{"items": [' + raw + b"]}")
        _send(api, "POST", "/measurements/batch", b'{"items": ' + raw + b"}")


@pytest.mark.parametrize(
    "query",
    [
        {"page": "NaN"},
        {"page": "1e400"},
        {"page": "99999999999999999999"},
        {"page": "-1"},
        {"per_page": "Infinity"},
        {"per_page": ""},
        {"archived": "perhaps"},
        {"as_of": "0001-01-01"},
        {"as_of": "9999-12-31"},
        {"as_of": "2026-02-30"},
        {"as_of": "\x00"},
        {"objective_id": "99999999999999999999"},
        {"objective_id": "1 OR 1=1"},
        {"action_plan_id": "0"},
        {"department": "' OR 1=1 --"},
        {"department": "x" * 5000},
        {"department": "a\x00b"},
        {"state": XSS},
    ],
)
def test_no_500_for_hostile_query_strings(api, world, query):
    for path in (
        "/action-plans",
        "/indicators",
        "/objectives",
        "/users",
        "/summary",
        f"/indicators/{world.obj_ind}/measurements",
        f"/objectives/{world.o1}",
    ):
        response = api.get(path, query=query)
        assert response.status_code in (200, 422), (path, query, response.status_code)
        if response.status_code == 422:
            assert_error(response, 422)


@pytest.mark.parametrize(
    ("kind", "name", "field"),
    [
        ("company-strategies", "cs", "title"),
        ("company-strategies", "cs", "description"),
        ("company-strategies", "cs", "status"),
        ("company-strategies", "cs", "position"),
        ("service-strategies", "ss", "title"),
        ("service-strategies", "ss", "statement"),
        ("service-strategies", "ss", "status"),
        ("objectives", "o1", "title"),
        ("objectives", "o1", "description"),
        ("objectives", "o1", "service_strategy_id"),
        ("action-plans", "sales_plan", "title"),
        ("action-plans", "sales_plan", "state"),
        ("indicators", "obj_ind", "name"),
        ("indicators", "obj_ind", "target_date"),
    ],
)
def test_422_null_for_a_required_field_in_a_patch(api, world, kind, name, field):
    body = {field: None, **({"version": 1} if kind == "action-plans" else {})}
    before = snapshot()
    assert_error(api.patch(f"/{kind}/{getattr(world, name)}", body), 422, field)
    assert snapshot() == before


def test_null_tags_and_owner_mean_none(api, world):
    body = api.patch(f"/objectives/{world.o1}", {"tags": None, "owner_id": None}).get_json()
    assert (body["tags"], body["owner_id"]) == ([], None)


def test_422_nul_in_a_query_string_on_every_database(api, world):
    assert_error(api.get("/action-plans", query={"department": "sa\x00les"}), 422, "department")
