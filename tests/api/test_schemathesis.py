"""Schemathesis fuzzes every operation of the app's own /api/v1/openapi.json, in process.

The document is fetched from the WSGI app and the requests go to the WSGI app (no
network). Each of the document's operations is a test of its own, on a fresh copy of
the cascade of tests/api/conftest.py, and sends, derandomized with the fixed seed SEED:

1. the document's example request (for a GET or DELETE: the request without a body) on a
   real object, as the executive: it must succeed with the documented status;
2. as the executive with a write token: up to POSITIVE_EXAMPLES (25) cases valid against
   the document, then, where the operation has parameters or a body to break, up to
   NEGATIVE_EXAMPLES (15) cases that break it (wrong types, missing or unknown fields,
   out-of-range values);
3. for each GET, again as the viewer with a read token: up to READ_EXAMPLES (10) cases.

So 1 + 25 + 15 = 41 requests per write operation, 51 per GET with parameters, 36 for
GET /me; GET /openapi.json has a single possible request (1 + 1 + 1). About 1,450 in
all; each test asserts that each of its modes sent at least one case (run with -s to see
the count and the status codes per operation). The module takes about 45 s on SQLite and
65 s on PostgreSQL on two cores (its server included), collection and start-up included.

Generated ids, in paths and in bodies, are mapped onto the cascade's real ids four times in
five (see _real_id), the `version` of a plan PATCH onto the plan's current one, and dates
outside 1900–2200 (which the API refuses, and the document does not say) into 2000–2099,
so that the success paths are fuzzed too, not only the 404s and 422s.

Checks on every response: no 5xx (and a 500 raises here anyway: the test app propagates
exceptions, so the traceback shows), the body matches the documented schema, the status
code is documented for the operation, and the content type is the documented one.
"""

from __future__ import annotations

import collections
import re
from datetime import date
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from strategy_app import create_app
from strategy_app.api import health as _health  # noqa: F401  (and the service-health ones)
from strategy_app.api import registry
from strategy_app.api import routes as _routes  # noqa: F401  (registers the operations)
from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Assessment, AssessmentAnswer
from tests import factories
from tests.api.conftest import PREFIX, build_world
from tests.conftest import RequestClient, make_config, wipe

SEED = 20260615
POSITIVE_EXAMPLES = 25
NEGATIVE_EXAMPLES = 15
READ_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def _operations() -> list[tuple[str, str, bool]]:
    """(method, path, has inputs) of every documented operation."""
    ops = {
        (
            op.method,
            PREFIX + registry.openapi_path(op.path),
            bool(op.body or op.query or "<" in op.path),
        )
        for op in registry.OPERATIONS
    }
    return sorted(ops, key=lambda op: (op[1], op[0]))


OPERATIONS = _operations()
# Which of the cascade's ids a generated id may stand for, by path and by body field.
PATH_KINDS = {
    "company-strategies": "cs",
    "service-strategies": "ss",
    "objectives": "objective",
    "action-plans": "plan",
    "indicators": "indicator",
    "assessments": "assessment",
}
FIELD_KINDS = {
    "company_strategy_id": "cs",
    "service_strategy_id": "ss",
    "objective_id": "objective",
    "action_plan_id": "plan",
    "indicator_id": "indicator",
    "department_id": "department",
    "owner_id": "user",
}
world_date = date(2026, 6, 1)  # an assessment of the cascade, for GET /assessments/{id}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RAN: collections.Counter[tuple[str, str, str]] = collections.Counter()
STATUSES: dict[tuple[str, str, str], collections.Counter[int]] = {}


@pytest.fixture(scope="module")
def fuzz_app(database_url):
    """One app for the module, with rate limits out of the way; no app context is held
    open, so that each request has its own, as in production."""
    config = make_config(
        database_url, API_RATE_LIMIT_PER_TOKEN=10**9, API_RATE_LIMIT_PER_ADDRESS=10**9
    )
    app = create_app(config)
    app.test_client_class = RequestClient
    document = app.test_client().get(f"{PREFIX}/openapi.json").get_json()
    yield app, document
    wipe(app)


@pytest.fixture
def fuzz(fuzz_app):
    """The app, its schema for schemathesis, and a fresh cascade with its ids."""
    app, document = fuzz_app
    wipe(app)
    with app.app_context():
        world = build_world(factories)
        assessment = Assessment(
            date=world_date, answers=[AssessmentAnswer(statement_key="systems.1", score=2)]
        )
        db.session.add(assessment)
        db.session.commit()
        assessment_id = assessment.id
        db.session.remove()
    ids = {
        "cs": [world.cs],
        "ss": [world.ss],
        "objective": [world.o1, world.o2],
        "plan": [world.sales_plan, world.sales_plan2, world.log_plan],
        "indicator": [world.obj_ind, world.plan_ind, world.log_ind, world.o2_ind],
        "department": [world.sales, world.logistics],
        "user": sorted(world.users.values()),
        "assessment": [assessment_id],
    }
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    return schema, world, ids, document


def _real_id(value: Any, choices: list[int]) -> Any:
    """A generated id, replaced by a real one 4 times in 5 (the fifth stays: mostly a 404)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    slot = value % 5
    return choices[slot % len(choices)] if slot < 4 else value


def _map_body(body: Any, ids: dict[str, list[int]]) -> Any:
    if isinstance(body, list):
        return [_map_body(item, ids) for item in body]
    if not isinstance(body, dict):
        return body
    out = {}
    for name, value in body.items():
        if name in FIELD_KINDS:
            out[name] = _real_id(value, ids[FIELD_KINDS[name]])
        elif name == "external_key" and isinstance(value, str) and len(value) % 3 == 0:
            out[name] = ("crm-sales-1", "crm-log-1")[len(value) % 2]
        else:
            out[name] = _map_body(value, ids)
    return out


def _in_range_dates(value: Any) -> Any:
    """Dates from years the API refuses (before 1900, after 2200) moved into 2000–2099, four
    times in five: the document does not state the range, so generated dates mostly miss it."""
    if isinstance(value, list):
        return [_in_range_dates(v) for v in value]
    if isinstance(value, dict):
        return {k: _in_range_dates(v) for k, v in value.items()}
    if isinstance(value, str) and DATE.fullmatch(value):
        year = int(value[:4])
        if not 1900 <= year <= 2200 and year % 5:
            return f"20{year % 100:02d}{value[4:]}"
    return value


def _path_kind(path: str) -> str | None:
    """What the {id} of a path names ("plan" for /action-plans/{id}), or None."""
    match = re.match(rf"{PREFIX}/([a-z-]+)/\{{id\}}", path)
    return PATH_KINDS[match.group(1)] if match else None


def _current_version(app, plan_id: Any) -> int | None:
    with app.app_context():
        # An id outside the column's range names no plan (and PostgreSQL refuses to compare).
        real = isinstance(plan_id, int) and 1 <= plan_id <= registry.MAX_ID
        plan = db.session.get(ActionPlan, plan_id) if real else None
        version = plan.version if plan is not None else None
        db.session.remove()
    return version


def _aim(case, app, ids: dict[str, list[int]]) -> None:
    """Point the case at the cascade's real objects, and at the current version of a plan,
    most of the time."""
    kind = _path_kind(case.operation.path)
    if kind and case.path_parameters and "id" in case.path_parameters:
        case.path_parameters["id"] = _real_id(case.path_parameters["id"], ids[kind])
    if isinstance(case.body, dict | list):
        case.body = _in_range_dates(_map_body(case.body, ids))
    if case.method == "PATCH" and kind == "plan" and isinstance(case.body, dict):
        version = case.body.get("version")
        if isinstance(version, int) and not isinstance(version, bool) and version % 5:
            current = _current_version(app, case.path_parameters.get("id"))
            case.body["version"] = current if current is not None else version


def _first_ids(body: Any, ids: dict[str, list[int]]) -> Any:
    """Every id in an example body replaced by the first real one of its kind."""
    if isinstance(body, list):
        return [_first_ids(item, ids) for item in body]
    if isinstance(body, dict):
        return {
            k: ids[FIELD_KINDS[k]][0] if k in FIELD_KINDS else _first_ids(v, ids)
            for k, v in body.items()
        }
    return body


def _send_documented_example(fuzz, method: str, path: str) -> int:
    """The operation on a real object, with the document's example body: it must succeed."""
    schema, world, ids, document = fuzz
    spec = document["paths"][path][method.lower()]
    expected = min(int(code) for code in spec["responses"] if code.startswith("2"))
    kind = _path_kind(path)
    params = {"id": ids[kind][0]} if kind else {}
    kwargs: dict[str, Any] = {}
    if "requestBody" in spec:
        body = _first_ids(spec["requestBody"]["content"]["application/json"]["example"], ids)
        if path.endswith("/batch"):  # the example's key is the one POST /indicators makes
            body["items"][0]["external_key"] = "crm-sales-1"
        if "version" in body:
            body["version"] = _current_version(schema.app, params["id"])
        kwargs = {"body": body, "media_type": "application/json"}
    headers = {"Authorization": f"Bearer {world.tokens['executive']}"}
    case = schema[path][method].Case(path_parameters=params, headers=headers, **kwargs)
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == expected, response.text
    return response.status_code


def _run(fuzz, method: str, path: str, who: str, mode: GenerationMode, examples: int) -> int:
    """Send up to `examples` cases of one operation as `who`; the number sent."""
    schema, world, ids, _ = fuzz
    operation = schema[path][method]
    token = world.tokens[who]
    key = (method, path, f"{who} {mode.value}")
    RAN[key] = 0
    STATUSES[key] = collections.Counter()

    @seed(SEED)
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case):
        _aim(case, schema.app, ids)
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        response = case.call_and_validate(checks=CHECKS)
        RAN[key] += 1
        STATUSES[key][response.status_code] += 1

    send()
    assert RAN[key] >= 1, f"no case sent for {key}"
    return RAN[key]


@pytest.mark.parametrize(
    ("method", "path", "has_inputs"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_fuzz_operation(fuzz, method, path, has_inputs):
    _send_documented_example(fuzz, method, path)
    sent = {
        "positive": _run(
            fuzz, method, path, "executive", GenerationMode.POSITIVE, POSITIVE_EXAMPLES
        )
    }
    if has_inputs:
        sent["negative"] = _run(
            fuzz, method, path, "executive", GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES
        )
    if method == "GET":
        sent["viewer"] = _run(
            fuzz, method, path, "viewer_read", GenerationMode.POSITIVE, READ_EXAMPLES
        )
    print(f"{method} {path}: {sent}")
    for key, codes in STATUSES.items():
        if key[:2] == (method, path):
            print(f"    {key[2]}: {dict(sorted(codes.items()))}")


def test_every_operation_is_fuzzed():
    """The document's operations are exactly those parametrized above (none left out)."""
    app = create_app(make_config("sqlite://"))
    document = app.test_client().get(f"{PREFIX}/openapi.json").get_json()
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    assert documented == {(m, p) for m, p, _ in OPERATIONS}
    assert len(documented) >= 32
