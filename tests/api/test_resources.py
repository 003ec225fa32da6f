"""The declared CRUD resources: each is in /openapi.json with its five operations and filters,
and its lists need as many queries for many rows as for a few."""

from __future__ import annotations

from datetime import date

import pytest

from strategy_app.api import crud, registry
from strategy_app.api import routes as _routes  # noqa: F401  (registers the operations)
from strategy_app.extensions import db
from strategy_app.models import CompanyStrategy, Department, Objective
from tests.api.conftest import PREFIX, SINGLES
from tests.queries import counting_queries

# DESIGN §5: what every list takes, and each resource's own filters.
LIST_PARAMETERS = {"page", "per_page", "archived", "as_of"}
FILTERS = {
    "company-strategies": set(),
    "service-strategies": set(),
    "objectives": set(),
    "action-plans": {"department", "objective_id", "state"},
    "indicators": {"objective_id", "action_plan_id"},
}
DECLARED = {res.path.strip("/"): res for res in crud.RESOURCES}


def test_the_declared_resources_are_the_five_of_design():
    assert list(DECLARED) == list(SINGLES)
    assert set(FILTERS) == set(SINGLES)


@pytest.fixture
def document(api):
    response = api.get("/openapi.json", as_=None)
    assert response.status_code == 200
    return response.get_json()


SUCCESS = {"get": "200", "post": "201", "get one": "200", "patch": "200", "delete": "204"}


@pytest.mark.parametrize("kind", list(SINGLES))
def test_each_resource_has_its_five_operations_in_the_document(app, document, kind):
    create_in, patch_in, response = DECLARED[kind].schemas
    collection = document["paths"][f"{PREFIX}/{kind}"]
    item = document["paths"][f"{PREFIX}/{kind}/{{id}}"]
    assert set(collection) == {"get", "post"}
    assert set(item) == {"get", "patch", "delete"}
    ops = {
        "get": collection["get"],
        "post": collection["post"],
        "get one": item["get"],
        "patch": item["patch"],
        "delete": item["delete"],
    }
    answers = {
        "get": f"Page_{response.__name__}_",
        "post": response.__name__,
        "get one": response.__name__,
        "patch": response.__name__,
        "delete": None,
    }
    for name, op in ops.items():
        assert op["tags"] == [kind], name
        # The operationId is the Flask endpoint that serves it.
        assert f"api.{op['operationId']}" in app.view_functions, (name, op["operationId"])
        assert {code for code in op["responses"] if int(code) < 400} == {SUCCESS[name]}, name
        content = op["responses"][SUCCESS[name]].get("content")
        if answers[name] is None:
            assert content is None, name
        else:
            ref = content["application/json"]["schema"]["$ref"]
            assert ref == f"#/components/schemas/{answers[name]}", name
    for name, model in (("post", create_in), ("patch", patch_in)):
        body = ops[name]["requestBody"]["content"]["application/json"]
        assert body["schema"]["$ref"] == f"#/components/schemas/{model.__name__}"
        assert body["example"], name


@pytest.mark.parametrize("kind", list(SINGLES))
def test_each_list_documents_its_filters(document, kind):
    listing = document["paths"][f"{PREFIX}/{kind}"]["get"]
    documented = {p["name"] for p in listing["parameters"] if p["in"] == "query"}
    assert documented == LIST_PARAMETERS | FILTERS[kind]
    assert documented == set(DECLARED[kind].filters.model_fields)


def test_every_operation_on_a_resource_path_comes_from_its_declaration():
    declared_paths = {res.path for res in crud.RESOURCES} | {
        f"{res.path}/<int:id>" for res in crud.RESOURCES
    }
    on_resources = [op for op in registry.OPERATIONS if op.path in declared_paths]
    assert len(on_resources) == 5 * len(crud.RESOURCES)
    assert {op.tag for op in on_resources} == set(SINGLES)


def _grow(make, world) -> None:
    """Five more of every kind (and in every filtered list), with the relations they show."""
    cs = db.session.get(CompanyStrategy, world.cs)
    o1 = db.session.get(Objective, world.o1)
    sales = db.session.get(Department, world.sales)
    for _ in range(5):
        make.service_strategy([(cs, "supports"), (make.company_strategy(), "neutral")])
        plan = make.plan(make.objective(), sales, due_date=date(2026, 3, 1))
        make.indicator(o1, milestones=[(date(2026, 6, 30), 50.0)])
        make.indicator(plan, actuals=[(date(2026, 5, 1), 10.0)])
    db.session.commit()


def _queries(api, path: str, query: dict | None = None) -> tuple[int, int]:
    with counting_queries() as statements:
        response = api.get(path, query=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return len(statements), response.get_json()["total"]


def test_lists_need_as_many_queries_for_many_rows_as_for_a_few(api, world, make):
    lists = [(f"/{kind}", None) for kind in SINGLES]
    lists += [
        ("/action-plans", {"department": "sales"}),
        ("/indicators", {"objective_id": world.o1}),
    ]
    api.get("/me")  # the token's first use of the minute writes last_used_at: not counted
    few = [_queries(api, path, query) for path, query in lists]
    _grow(make, world)
    many = [_queries(api, path, query) for path, query in lists]
    for where, (queries, total), (more_queries, more_total) in zip(lists, few, many, strict=True):
        assert more_total >= total + 5, where  # the list did grow
        assert more_queries == queries, (where, queries, more_queries)
