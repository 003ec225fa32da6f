"""The JSON API v1 contract of DESIGN §5, endpoint by endpoint, with §2's fields, §3's
computed figures and §4's permissions (the cascade is in tests/api/conftest.py)."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from strategy_app.api import registry
from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    Indicator,
    Objective,
    User,
)
from strategy_app.services.evaluation import metrics, rules
from strategy_app.services.writes.tokens import create_token
from tests import factories
from tests.api.conftest import (
    SINGLES,
    Api,
    assert_error,
    audit_events,
    build_world,
    expire_token,
    measurement_count,
    revoke_token,
    snapshot,
    valid_bodies,
)
from tests.conftest import FIXED_TODAY
from tests.rate_clock import FROZEN_RETRY_AFTER

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
COMMON = {"id", "archived_at", "created_at", "updated_at"}
FIELDS = {
    "company-strategies": COMMON | {"title", "description", "owner_id", "status", "position"},
    "service-strategies": COMMON
    | {"title", "statement", "owner_id", "period_start", "period_end", "status", "links"},
    "objectives": COMMON
    | {
        "service_strategy_id",
        "title",
        "description",
        "owner_id",
        "start_date",
        "due_date",
        "tags",
        "results",
        "execution",
        "status",
    },
    "action-plans": COMMON
    | {
        "objective_id",
        "department_id",
        "title",
        "description",
        "owner_id",
        "start_date",
        "due_date",
        "state",
        "progress_pct",
        "budget",
        "version",
        "overdue",
        "execution",
    },
    "indicators": COMMON
    | {
        "objective_id",
        "action_plan_id",
        "name",
        "unit",
        "direction",
        "baseline_value",
        "baseline_date",
        "target_value",
        "target_date",
        "tolerance",
        "milestones",
        "external_key",
        "expected",
        "actual",
        "progress",
        "status",
    },
    "departments": COMMON | {"name", "slug", "service_role", "lead_id", "colour", "position"},
    "measurements": COMMON | {"indicator_id", "date", "value", "note", "source", "entered_by_id"},
    "users": {"id", "name", "email", "role", "department_id", "archived_at"},
}
DATE_FIELDS = {
    "period_start",
    "period_end",
    "start_date",
    "due_date",
    "baseline_date",
    "target_date",
    "date",
}
COMPUTED = {
    "objectives": ("results", "execution", "status"),
    "action-plans": ("overdue", "execution"),
    "indicators": ("expected", "actual", "progress", "status"),
}


def check_fields(kind: str, item: dict) -> None:
    """Every §2 field of the resource, relations as <name>_id, dates as YYYY-MM-DD."""
    missing = FIELDS[kind] - set(item)
    assert not missing, f"{kind} lacks {sorted(missing)}"
    assert isinstance(item["id"], int)
    for name in DATE_FIELDS & set(item):
        assert item[name] is None or DATE_RE.match(item[name]), (name, item[name])
    for link in item.get("links", []):
        assert set(link) >= {"company_strategy_id", "fit", "rationale"}
    for milestone in item.get("milestones", []):
        assert set(milestone) >= {"date", "expected_value"}
        assert DATE_RE.match(milestone["date"])


def check_page(body: dict, page: int = 1, per_page: int = 50) -> list[dict]:
    assert set(body) == {"items", "page", "per_page", "total"}, body.keys()
    assert (body["page"], body["per_page"]) == (page, per_page)
    assert isinstance(body["total"], int)
    assert len(body["items"]) <= per_page
    return body["items"]


def by_id(items: list[dict]) -> dict[int, dict]:
    return {item["id"]: item for item in items}


# --- every list, every single resource: fields and shapes --------------------------------

LISTS = [
    "company-strategies",
    "service-strategies",
    "objectives",
    "action-plans",
    "indicators",
    "departments",
    "users",
]


@pytest.mark.parametrize("kind", LISTS)
def test_lists_have_every_field_and_the_page_shape(api, world, kind):
    response = api.get(f"/{kind}", as_="viewer_read")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    items = check_page(response.get_json())
    assert items
    for item in items:
        check_fields(kind, item)


@pytest.mark.parametrize(("kind", "name"), SINGLES.items())
def test_each_resource_reads_as_in_its_list(api, world, kind, name):
    one = api.get(f"/{kind}/{getattr(world, name)}", as_="viewer_read")
    assert one.status_code == 200
    check_fields(kind, one.get_json())
    listed = by_id(api.get(f"/{kind}", as_="viewer_read").get_json()["items"])
    assert listed[getattr(world, name)] == one.get_json()


def test_relations_are_ids_and_links_carry_their_fit(api, world):
    plan = api.get(f"/action-plans/{world.sales_plan}").get_json()
    assert (plan["objective_id"], plan["department_id"]) == (world.o1, world.sales)
    assert plan["owner_id"] == world.users["member"]
    assert (plan["start_date"], plan["due_date"]) == ("2026-01-15", "2026-05-31")
    assert (plan["state"], plan["progress_pct"], plan["budget"], plan["version"]) == (
        "in_progress",
        40,
        1500.0,
        1,
    )
    service = api.get(f"/service-strategies/{world.ss}").get_json()
    assert service["links"] == [
        {"company_strategy_id": world.cs, "fit": "supports", "rationale": ""}
    ]
    assert (service["period_start"], service["period_end"]) == ("2026-01-01", "2026-12-31")
    indicator = api.get(f"/indicators/{world.plan_ind}").get_json()
    assert (indicator["action_plan_id"], indicator["objective_id"]) == (world.sales_plan, None)
    assert indicator["external_key"] == "crm-sales-1"
    objective = api.get(f"/objectives/{world.o1}").get_json()
    assert objective["service_strategy_id"] == world.ss
    assert objective["tags"] == ["moment of truth: delivery"]


# --- computed fields: the values of DESIGN §3 ---------------------------------------------


def test_indicator_figures_match_the_rules(api, world):
    items = by_id(api.get("/indicators").get_json()["items"])
    indicators = list(db.session.scalars(sa.select(Indicator)))
    results = metrics.evaluate_indicators(indicators, FIXED_TODAY)
    for ident, result in results.items():
        item = items[ident]
        assert item["expected"] == pytest.approx(result.expected)
        assert item["actual"] == result.actual
        assert item["progress"] == pytest.approx(result.progress)
        assert item["status"] == result.status
    # and by hand (today 2026-06-15 is day 165 of the 364 from baseline to target):
    assert items[world.obj_ind]["expected"] == pytest.approx(100 * 165 / 364)
    assert (items[world.obj_ind]["actual"], items[world.obj_ind]["status"]) == (40.0, "at_risk")
    assert items[world.obj_ind]["progress"] == pytest.approx(0.4)
    assert items[world.plan_ind]["expected"] == pytest.approx(100 - 50 * 165 / 364)
    assert items[world.plan_ind]["progress"] == pytest.approx(0.8)
    assert items[world.plan_ind]["status"] == "on_track"
    assert (items[world.log_ind]["progress"], items[world.log_ind]["status"]) == (0, "off_track")
    assert (items[world.o2_ind]["actual"], items[world.o2_ind]["status"]) == (None, "no_data")


def test_indicator_figures_as_of_an_earlier_date(api, world):
    item = api.get(f"/indicators/{world.obj_ind}", query={"as_of": "2026-03-15"}).get_json()
    spec = rules.IndicatorSpec.of(db.session.get(Indicator, world.obj_ind))
    result = rules.evaluate(spec, (date(2026, 3, 1), 20.0), date(2026, 3, 15))
    assert item["actual"] == 20.0
    assert item["expected"] == pytest.approx(result.expected)
    assert (item["progress"], item["status"]) == (pytest.approx(0.2), result.status)


def test_objective_figures_match_the_rules(api, world):
    items = by_id(api.get("/objectives").get_json()["items"])
    objectives = list(db.session.scalars(sa.select(Objective)))
    for ident, rollup in metrics.objective_rollups(objectives, FIXED_TODAY).items():
        assert items[ident]["results"] == pytest.approx(rollup.results)
        assert items[ident]["execution"] == pytest.approx(rollup.execution)
        assert items[ident]["status"] == rollup.status
    o1, o2 = items[world.o1], items[world.o2]
    assert o1["results"] == pytest.approx((0.4 + 0.8 + 0.0) / 3)
    assert o1["execution"] == pytest.approx((0.4 + 0.0 + 1.0) / 3)
    assert o1["status"] == "off_track"
    assert (o2["results"], o2["execution"], o2["status"]) == (0.0, None, "no_data")


def test_plan_figures_match_the_rules(api, world):
    items = by_id(api.get("/action-plans").get_json()["items"])
    for plan in db.session.scalars(sa.select(ActionPlan)):
        item = items[plan.id]
        assert item["overdue"] == rules.plan_overdue(plan.due_date, plan.state, FIXED_TODAY)
        assert item["execution"] == rules.plan_execution(plan.state, plan.progress_pct)
    assert (items[world.sales_plan]["overdue"], items[world.sales_plan]["execution"]) == (
        True,
        0.4,
    )
    assert (items[world.sales_plan2]["overdue"], items[world.sales_plan2]["execution"]) == (
        False,
        0.0,
    )
    assert (items[world.log_plan]["overdue"], items[world.log_plan]["execution"]) == (False, 1.0)


def test_summary_counts_objectives_and_scores_departments(api, world):
    response = api.get("/summary", as_="viewer_read")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"as_of", "objectives", "departments"}
    assert body["as_of"] == FIXED_TODAY.isoformat()
    assert body["objectives"] == {"on_track": 0, "at_risk": 0, "off_track": 1, "no_data": 1}
    zero = dict.fromkeys(("planned", "in_progress", "done", "blocked", "cancelled"), 0)
    assert body["departments"] == [
        {
            "slug": "sales",
            "plans": {**zero, "planned": 1, "in_progress": 1},
            "overdue": 1,
            "execution": pytest.approx(0.2),
        },
        {
            "slug": "logistics",
            "plans": {**zero, "done": 1},
            "overdue": 0,
            "execution": 1.0,
        },
    ]
    earlier = api.get("/summary", query={"as_of": "2026-05-01"}).get_json()
    assert earlier["as_of"] == "2026-05-01"
    assert earlier["departments"][0]["overdue"] == 0  # sales_plan was due on 05-31


# --- create, read, change, archive ----------------------------------------------------------


@pytest.mark.parametrize("kind", list(SINGLES))
def test_create_read_change_archive(api, world, kind):
    create, patch, model = valid_bodies(world)[kind]
    made = api.post(f"/{kind}", create)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    check_fields(kind, body)
    for name, value in create.items():
        assert body[name] == value, name
    assert body["archived_at"] is None
    ident = body["id"]
    assert api.get(f"/{kind}/{ident}").get_json() == body

    changed = api.patch(f"/{kind}/{ident}", patch)
    assert changed.status_code == 200, changed.get_json()
    for name, value in patch.items():
        if name != "version":
            assert changed.get_json()[name] == value
    if kind == "action-plans":
        assert changed.get_json()["version"] == 2

    gone = api.delete(f"/{kind}/{ident}")
    assert gone.status_code == 204
    assert gone.get_data() == b""
    archived = api.get(f"/{kind}/{ident}").get_json()
    assert archived["archived_at"] is not None
    assert ident not in by_id(api.get(f"/{kind}").get_json()["items"])
    assert ident in by_id(api.get(f"/{kind}", query={"archived": 1}).get_json()["items"])
    db.session.expire_all()
    assert db.session.get(model, ident) is not None  # archived, never deleted
    assert api.delete(f"/{kind}/{ident}").status_code == 204  # archiving twice is harmless


def test_a_new_indicator_is_evaluated_at_once(api, world):
    create = valid_bodies(world)["indicators"][0]
    body = api.post("/indicators", create).get_json()
    # baseline 20 on 01-01, milestone 30 on 07-01: 06-15 is 165 of the 181 days between
    assert body["expected"] == pytest.approx(20 + 10 * 165 / 181)
    assert (body["actual"], body["progress"], body["status"]) == (None, 0.0, "no_data")


# --- lists: paging, archived items, filters ---------------------------------------------------


def test_pages_and_their_limits(api, world):
    first = api.get("/action-plans", query={"per_page": 2}).get_json()
    assert check_page(first, 1, 2)
    assert first["total"] == 3
    second = api.get("/action-plans", query={"per_page": 2, "page": 2}).get_json()
    assert len(check_page(second, 2, 2)) == 1
    assert not set(by_id(first["items"])) & set(by_id(second["items"]))
    beyond = api.get("/action-plans", query={"page": 9}).get_json()
    assert check_page(beyond, 9) == []
    assert beyond["total"] == 3
    assert api.get("/action-plans", query={"per_page": 200}).status_code == 200
    assert_error(api.get("/action-plans", query={"per_page": 201}), 422, "per_page")
    assert_error(api.get("/action-plans", query={"per_page": 0}), 422, "per_page")
    assert_error(api.get("/action-plans", query={"page": 0}), 422, "page")
    assert_error(api.get("/objectives", query={"page": "two"}), 422, "page")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"department": "sales"}, {"sales_plan", "sales_plan2"}),
        ({"department": "logistics"}, {"log_plan"}),
        ({"department": "nowhere"}, set()),
        ({"state": "done"}, {"log_plan"}),
        ({"department": "sales", "state": "in_progress"}, {"sales_plan"}),
        ({"objective_id": "o1"}, {"sales_plan", "sales_plan2", "log_plan"}),
        ({"objective_id": "o2"}, set()),
        ({"objective_id": "o1", "department": "logistics", "state": "done"}, {"log_plan"}),
    ],
)
def test_action_plan_filters(api, world, query, expected):
    query = {k: getattr(world, v) if k == "objective_id" else v for k, v in query.items()}
    body = api.get("/action-plans", query=query).get_json()
    assert set(by_id(body["items"])) == {getattr(world, name) for name in expected}
    assert body["total"] == len(expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"objective_id": "o1"}, {"obj_ind"}),
        ({"objective_id": "o2"}, {"o2_ind"}),
        ({"action_plan_id": "sales_plan"}, {"plan_ind"}),
        ({"action_plan_id": "sales_plan2"}, set()),
    ],
)
def test_indicator_filters(api, world, query, expected):
    query = {k: getattr(world, v) for k, v in query.items()}
    body = api.get("/indicators", query=query).get_json()
    assert set(by_id(body["items"])) == {getattr(world, name) for name in expected}


def test_filters_refuse_bad_values(api, world):
    assert_error(api.get("/action-plans", query={"state": "asleep"}), 422, "state")
    assert_error(api.get("/action-plans", query={"objective_id": "x"}), 422, "objective_id")
    assert_error(api.get("/indicators", query={"action_plan_id": -1}), 422, "action_plan_id")


def test_archived_items_leave_lists_unless_asked_for(api, world):
    assert api.delete(f"/action-plans/{world.sales_plan2}").status_code == 204
    live = by_id(api.get("/action-plans", query={"department": "sales"}).get_json()["items"])
    assert set(live) == {world.sales_plan}
    everything = api.get("/action-plans", query={"department": "sales", "archived": 1})
    assert set(by_id(everything.get_json()["items"])) == {world.sales_plan, world.sales_plan2}
    # ... and out of every computation: the sales scorecard no longer counts it
    sales = api.get("/summary").get_json()["departments"][0]
    assert sales["plans"]["planned"] == 0
    assert sales["execution"] == pytest.approx(0.4)


# --- measurements ---------------------------------------------------------------------------


def test_measurements_list_and_post(api, world):
    listed = api.get(f"/indicators/{world.obj_ind}/measurements", as_="viewer_read")
    items = check_page(listed.get_json())
    assert [(m["date"], m["value"]) for m in items] == [("2026-03-01", 20.0), ("2026-06-01", 40.0)]
    for item in items:
        check_fields("measurements", item)
    made = api.post(
        f"/indicators/{world.obj_ind}/measurements",
        {"date": "2026-06-14", "value": 47.5, "note": "From the CRM"},
    )
    assert made.status_code == 201
    body = made.get_json()
    check_fields("measurements", body)
    assert (body["indicator_id"], body["date"], body["value"], body["note"]) == (
        world.obj_ind,
        "2026-06-14",
        47.5,
        "From the CRM",
    )
    assert (body["source"], body["entered_by_id"]) == ("api", world.users["executive"])
    assert api.get(f"/indicators/{world.obj_ind}").get_json()["actual"] == 47.5


def test_the_same_date_replaces_the_value_and_the_audit_log_keeps_the_old(api, world):
    before = measurement_count()
    path = f"/indicators/{world.obj_ind}/measurements"
    made = api.post(path, {"date": "2026-06-01", "value": 44.0})
    assert made.status_code == 201
    assert measurement_count() == before
    listed = api.get(path).get_json()["items"]
    assert [(m["date"], m["value"]) for m in listed][-1] == ("2026-06-01", 44.0)
    updates = [
        e for e in audit_events("update", "Measurement") if e.entity_id == made.get_json()["id"]
    ]
    assert updates
    assert updates[-1].changes["value"] == [40.0, 44.0]
    assert updates[-1].user_id == world.users["executive"]


def test_measurement_paths_name_a_real_indicator(api, world):
    assert_error(api.get("/indicators/999/measurements"), 404)
    assert_error(api.post("/indicators/999/measurements", {"date": "2026-06-01", "value": 1}), 404)


def test_measurements_on_archived_or_cancelled_indicators_are_refused(api, world):
    assert api.delete(f"/indicators/{world.o2_ind}").status_code == 204
    response = api.post(
        f"/indicators/{world.o2_ind}/measurements", {"date": "2026-06-01", "value": 1}
    )
    assert_error(response, 422, "indicator_id")
    plan = api.get(f"/action-plans/{world.log_plan}").get_json()
    assert (
        api.patch(
            f"/action-plans/{world.log_plan}", {"version": plan["version"], "state": "cancelled"}
        ).status_code
        == 200
    )
    response = api.post(
        f"/indicators/{world.log_ind}/measurements", {"date": "2026-06-01", "value": 1}
    )
    assert_error(response, 422, "indicator_id")


# --- who: /me, /users, /departments, /healthz, /openapi.json -----------------------------


@pytest.mark.parametrize("who", ["executive", "lead", "member", "viewer"])
def test_me_is_the_tokens_user(api, world, who):
    body = api.get("/me", as_=f"{who}_read").get_json()
    user = db.session.get(User, world.users[who])
    assert body["id"] == user.id
    assert (body["email"], body["name"], body["role"]) == (user.email, user.name, who)
    assert body["department_id"] == user.department_id
    assert body["archived_at"] is None


def test_users_list_and_deactivated_users(api, world):
    items = by_id(api.get("/users", as_="viewer_read").get_json()["items"])
    assert set(items) == set(world.users.values())
    lead = items[world.users["lead"]]
    assert (lead["role"], lead["department_id"]) == ("lead", world.sales)
    assert "password_hash" not in lead
    db.session.get(User, world.users["member"]).active = False
    db.session.commit()
    live = by_id(api.get("/users").get_json()["items"])
    assert world.users["member"] not in live
    every = by_id(api.get("/users", query={"archived": 1}).get_json()["items"])
    assert every[world.users["member"]]["archived_at"] is not None


def test_departments(api, world):
    items = api.get("/departments", as_="viewer_read").get_json()["items"]
    assert [d["slug"] for d in items] == ["sales", "logistics"]
    assert items[0]["lead_id"] == world.users["lead"]


def test_healthz_needs_no_token(api, world):
    response = api.get("/healthz", as_=None)
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_openapi_document_lists_every_operation(app, api, world):
    response = api.get("/openapi.json", as_=None)  # open, like the reference page
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"]
    assert doc["info"]["version"]
    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.docs":
            path = registry.openapi_path(rule.rule)
            served |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served
    design = {
        ("GET", "/me"),
        ("GET", "/users"),
        ("GET", "/departments"),
        ("GET", "/summary"),
        ("GET", "/openapi.json"),
        ("GET", "/indicators/{id}/measurements"),
        ("POST", "/indicators/{id}/measurements"),
        ("POST", "/measurements/batch"),
        # the customer's voice (issue 13)
        ("GET", "/nps-responses"),
        ("POST", "/nps-responses"),
        ("GET", "/nps"),
        ("GET", "/follow-ups"),
        ("GET", "/follow-ups/{id}"),
        ("PATCH", "/follow-ups/{id}"),
        ("GET", "/assessments"),
        ("POST", "/assessments"),
        ("GET", "/assessments/{id}"),
        ("GET", "/checklist"),
    }
    for kind in SINGLES:
        design |= {("GET", f"/{kind}"), ("POST", f"/{kind}")}
        design |= {(m, f"/{kind}/{{id}}") for m in ("GET", "PATCH", "DELETE")}
    assert {(m, "/api/v1" + p) for m, p in design} == documented
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op["operationId"], (method, path)
            assert op["responses"], (method, path)
            if path != "/api/v1/openapi.json":
                assert op["security"] == [{"bearerAuth": []}]
                assert {"401", "429"} <= set(op["responses"])
            if method in ("post", "patch"):
                assert op["requestBody"]["content"]["application/json"]["example"]
    patch_plan = doc["paths"]["/api/v1/action-plans/{id}"]["patch"]["responses"]
    assert patch_plan["409"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "PlanConflict"
    )
    assert api.get("/docs", as_=None).status_code == 200  # the human reference page


# --- computed fields are returned, never accepted; versions ----------------------------------


def _computed_cases():
    for kind, fields in COMPUTED.items():
        for name in fields:
            yield kind, name


@pytest.mark.parametrize(("kind", "field"), list(_computed_cases()))
def test_computed_fields_are_refused_on_post_and_patch(api, world, kind, field):
    create, patch, _ = valid_bodies(world)[kind]
    before = snapshot()
    assert_error(api.post(f"/{kind}", {**create, field: 0.5}), 422, field)
    ident = getattr(world, SINGLES[kind])
    assert_error(api.patch(f"/{kind}/{ident}", {**patch, field: 0.5}), 422, field)
    assert snapshot() == before


@pytest.mark.parametrize("field", ["id", "created_at", "updated_at", "archived_at"])
def test_fields_every_resource_has_are_read_only(api, world, field):
    before = snapshot()
    response = api.patch(f"/objectives/{world.o1}", {field: "2026-01-01"})
    assert_error(response, 422, field)
    assert snapshot() == before


def test_patching_a_plan_needs_its_version(api, world):
    before = snapshot()
    assert_error(api.patch(f"/action-plans/{world.sales_plan}", {"title": "New"}), 422, "version")
    assert snapshot() == before


def test_a_stale_version_is_a_conflict_that_changes_nothing(api, world):
    path = f"/action-plans/{world.sales_plan}"
    first = api.patch(path, {"version": 1, "progress_pct": 50})
    assert first.status_code == 200
    assert first.get_json()["version"] == 2
    before = snapshot()
    stale = api.patch(path, {"version": 1, "progress_pct": 90, "title": "Mine"})
    error = assert_error(stale, 409)
    assert "changed" in error["message"]
    current = api.get(path).get_json()
    assert stale.get_json()["current"] == current
    assert (current["progress_pct"], current["version"]) == (50, 2)
    assert snapshot() == before
    again = api.patch(path, {"version": 2, "progress_pct": 90})
    assert (again.status_code, again.get_json()["version"]) == (200, 3)


# --- permissions (DESIGN §4) through the API ---------------------------------------------------


def refused(api, method: str, path: str, body=None, *, as_: str) -> None:
    """The write is a 403 in the error shape, changes nothing, and is in the audit log."""
    before = snapshot()
    refusals = len(audit_events("refused"))
    kwargs = {} if body is None else {"body": body}
    response = api(method, path, as_=as_, **kwargs)
    assert_error(response, 403)
    assert snapshot() == before
    if not as_.endswith("_read"):
        assert len(audit_events("refused")) == refusals + 1


def allowed(api, method: str, path: str, body=None, *, as_: str, status: int):
    kwargs = {} if body is None else {"body": body}
    response = api(method, path, as_=as_, **kwargs)
    assert response.status_code == status, response.get_json()
    return response


def _plan_body(w, department: int, **extra) -> dict:
    return {"objective_id": w.o1, "department_id": department, "title": "A plan", **extra}


def _indicator_body(w, **parent) -> dict:
    return {
        "name": "Calls answered",
        "baseline_value": 0,
        "baseline_date": "2026-01-01",
        "target_value": 10,
        "target_date": "2026-12-31",
        **parent,
    }


ACTUAL = {"date": "2026-06-12", "value": 5}


@pytest.mark.parametrize("who", ["lead", "member"])
def test_only_executives_write_strategies_and_objectives(api, world, who):
    w = world
    refused(api, "POST", "/company-strategies", {"title": "Mine"}, as_=who)
    refused(api, "PATCH", f"/company-strategies/{w.cs}", {"title": "Mine"}, as_=who)
    refused(api, "DELETE", f"/company-strategies/{w.cs}", as_=who)
    refused(api, "POST", "/service-strategies", {"title": "Mine"}, as_=who)
    refused(api, "PATCH", f"/service-strategies/{w.ss}", {"title": "Mine"}, as_=who)
    refused(api, "DELETE", f"/service-strategies/{w.ss}", as_=who)
    refused(api, "POST", "/objectives", {"service_strategy_id": w.ss, "title": "M"}, as_=who)
    refused(api, "PATCH", f"/objectives/{w.o2}", {"title": "Mine"}, as_=who)
    refused(api, "DELETE", f"/objectives/{w.o2}", as_=who)
    refused(api, "POST", "/indicators", _indicator_body(w, objective_id=w.o2), as_=who)
    refused(api, "PATCH", f"/indicators/{w.o2_ind}", {"name": "Mine"}, as_=who)
    refused(api, "DELETE", f"/indicators/{w.obj_ind}", as_=who)


def test_a_lead_runs_the_plans_of_their_own_department_only(api, world):
    w = world
    made = allowed(api, "POST", "/action-plans", _plan_body(w, w.sales), as_="lead", status=201)
    plan = made.get_json()["id"]
    allowed(
        api,
        "PATCH",
        f"/action-plans/{w.sales_plan}",
        {"version": 1, "progress_pct": 60},
        as_="lead",
        status=200,
    )
    # another department's plans (IDOR: the ids are known, the writes are not allowed)
    refused(api, "POST", "/action-plans", _plan_body(w, w.logistics), as_="lead")
    refused(
        api, "PATCH", f"/action-plans/{w.log_plan}", {"version": 1, "title": "Mine"}, as_="lead"
    )
    refused(api, "DELETE", f"/action-plans/{w.log_plan}", as_="lead")
    refused(
        api,
        "PATCH",
        f"/action-plans/{plan}",
        {"version": 1, "department_id": w.logistics},
        as_="lead",
    )
    # indicators of plans: own department yes, another no
    allowed(
        api,
        "POST",
        "/indicators",
        _indicator_body(w, action_plan_id=w.sales_plan),
        as_="lead",
        status=201,
    )
    allowed(api, "PATCH", f"/indicators/{w.plan_ind}", {"unit": "calls"}, as_="lead", status=200)
    refused(api, "POST", "/indicators", _indicator_body(w, action_plan_id=w.log_plan), as_="lead")
    refused(api, "PATCH", f"/indicators/{w.log_ind}", {"unit": "x"}, as_="lead")
    refused(api, "DELETE", f"/indicators/{w.log_ind}", as_="lead")
    # actuals: own department's plans yes; another's, and objectives they do not own, no
    allowed(api, "POST", f"/indicators/{w.plan_ind}/measurements", ACTUAL, as_="lead", status=201)
    refused(api, "POST", f"/indicators/{w.log_ind}/measurements", ACTUAL, as_="lead")
    refused(api, "POST", f"/indicators/{w.obj_ind}/measurements", ACTUAL, as_="lead")
    allowed(api, "DELETE", f"/action-plans/{plan}", as_="lead", status=204)


def test_a_lead_enters_actuals_on_an_objective_they_own(api, world, make):
    db.session.get(Objective, world.o1).owner_id = world.users["lead"]
    allowed(
        api, "POST", f"/indicators/{world.obj_ind}/measurements", ACTUAL, as_="lead", status=201
    )
    refused(api, "POST", f"/indicators/{world.o2_ind}/measurements", ACTUAL, as_="lead")


def test_a_member_enters_actuals_on_the_plans_they_own_only(api, world, make):
    w = world
    other = make.indicator(db.session.get(ActionPlan, w.sales_plan2), name="Playbook pages").id
    db.session.commit()
    allowed(api, "POST", f"/indicators/{w.plan_ind}/measurements", ACTUAL, as_="member", status=201)
    allowed(api, "POST", f"/indicators/{w.o2_ind}/measurements", ACTUAL, as_="member", status=201)
    refused(api, "POST", f"/indicators/{other}/measurements", ACTUAL, as_="member")
    refused(api, "POST", f"/indicators/{w.obj_ind}/measurements", ACTUAL, as_="member")
    refused(api, "POST", f"/indicators/{w.log_ind}/measurements", ACTUAL, as_="member")
    # members do not create, edit or archive plans, not even their own
    refused(api, "POST", "/action-plans", _plan_body(w, w.sales), as_="member")
    refused(
        api,
        "PATCH",
        f"/action-plans/{w.sales_plan}",
        {"version": 1, "progress_pct": 99},
        as_="member",
    )
    refused(api, "DELETE", f"/action-plans/{w.sales_plan}", as_="member")
    refused(
        api, "POST", "/indicators", _indicator_body(w, action_plan_id=w.sales_plan), as_="member"
    )


def test_a_viewer_reads_everything_and_holds_read_tokens_only(api, world):
    for path in ("/objectives", "/action-plans", "/indicators", "/summary", "/users", "/me"):
        assert api.get(path, as_="viewer_read").status_code == 200
    viewer = db.session.get(User, world.users["viewer"])
    with pytest.raises(ValueError, match="read tokens"):
        create_token(viewer, "sneaky", "write")


ASSESSED = {"statement_key": "systems.1", "score": 2}


def _writes(w) -> list[tuple[str, str, dict | None]]:
    """One request per write operation of the API."""
    create = valid_bodies(w)
    writes = []
    for kind, name in SINGLES.items():
        ident = getattr(w, name)
        writes += [
            ("POST", f"/{kind}", create[kind][0]),
            ("PATCH", f"/{kind}/{ident}", create[kind][1]),
            ("DELETE", f"/{kind}/{ident}", None),
        ]
    writes += [
        ("POST", f"/indicators/{w.obj_ind}/measurements", ACTUAL),
        ("POST", "/measurements/batch", {"items": [{"indicator_id": w.obj_ind, **ACTUAL}]}),
        ("POST", "/nps-responses", {"date": "2026-06-10", "score": 3}),
        ("PATCH", f"/follow-ups/{w.follow_up}", {"state": "resolved"}),
        ("POST", "/assessments", {"date": "2026-06-01", "answers": [ASSESSED]}),
    ]
    return writes


@pytest.mark.parametrize("who", ["executive", "lead", "member", "viewer"])
def test_a_read_token_writes_nothing(api, world, who):
    for method, path, body in _writes(world):
        refused(api, method, path, body, as_=f"{who}_read")


def test_every_write_operation_is_covered_by_the_read_token_test(api, world):
    ops = {(op.method, op.path) for op in registry.OPERATIONS if op.method != "GET"}
    tested = {(m, re.sub(r"/\d+", "/<int:id>", p)) for m, p, _ in _writes(world)}
    assert tested == ops


# --- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer stk_not-a-token",
        "Token {token}",
        "Basic {token}",
        "{token}",
        "Bearer {token}x",
    ],
)
def test_missing_or_unknown_tokens_are_401(api, world, header):
    headers = {}
    if header is not None:
        headers["Authorization"] = header.format(token=world.tokens["executive"])
    before = snapshot()
    for method, path, body in [
        ("GET", "/me", None),
        ("POST", "/company-strategies", {"title": "X"}),
    ]:
        kwargs = {} if body is None else {"body": body}
        response = api(method, path, as_=None, headers=headers, **kwargs)
        assert_error(response, 401)
    assert snapshot() == before


def test_expired_revoked_and_deactivated_tokens_are_401(api, world):
    expire_token(world.tokens["lead"])
    assert "expired" in assert_error(api.get("/me", as_="lead"), 401)["message"]
    revoke_token(world.tokens["member"])
    assert_error(api.get("/me", as_="member"), 401)
    db.session.get(User, world.users["other_lead"]).active = False
    db.session.commit()
    assert_error(api.get("/me", as_="other_lead"), 401)
    assert_error(api.get("/me", as_="other_lead_read"), 401)
    assert api.get("/me", as_="executive").status_code == 200


def test_a_token_in_the_url_or_a_session_cookie_is_not_enough(api, world, client):
    token = world.tokens["executive"]
    for name in ("token", "access_token", "api_key"):
        assert_error(api.get("/me", as_=None, query={name: token}), 401)
    response = client.post(
        "/login", data={"email": "eve@example.test", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert_error(api.get("/me", as_=None), 401)  # signed in, but no bearer token


def test_token_use_is_recorded(api, world):
    from strategy_app.models import ApiToken
    from strategy_app.services.writes.tokens import token_hash

    assert api.get("/me").status_code == 200
    db.session.expire_all()
    row = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == token_hash(world.tokens["executive"]))
    )
    assert row.last_used_at is not None


def test_writes_need_no_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = build_world(factories)
        api = Api(app.test_client(), world)
        response = api.post("/company-strategies", {"title": "No CSRF token needed"})
        assert response.status_code == 201
        db.session.remove()


# --- rate limits ----------------------------------------------------------------------------


def test_the_fourth_request_of_a_token_is_429_with_retry_after(app_factory, frozen_rate_clock):
    app = app_factory(API_RATE_LIMIT_PER_TOKEN=3)
    with app.app_context():
        world = build_world(factories)
        api = Api(app.test_client(), world)
        for _ in range(3):
            assert api.get("/me").status_code == 200
        before = measurement_count()
        limited = api.post(f"/indicators/{world.obj_ind}/measurements", ACTUAL)
        assert_error(limited, 429)
        assert limited.headers["Retry-After"] == FROZEN_RETRY_AFTER  # seconds to the next window
        assert measurement_count() == before
        assert api.get("/me", as_="lead").status_code == 200  # another token has its own count
        db.session.remove()


def test_the_address_limit_counts_unknown_tokens_too(app_factory, frozen_rate_clock):
    app = app_factory(API_RATE_LIMIT_PER_ADDRESS=3)
    with app.app_context():
        world = build_world(factories)
        api = Api(app.test_client(), world)
        for _ in range(3):
            assert_error(api.get("/me", token="stk_guess"), 401)
        limited = api.get("/me")
        assert_error(limited, 429)
        assert limited.headers["Retry-After"] == FROZEN_RETRY_AFTER
        db.session.remove()
