"""Every write route, for every role and a signed-out visitor, against DESIGN §4 (issue 3).

ROUTES lists each (endpoint, method) that writes, HTML forms and the JSON API alike, with the
objects it is tried on (another department's among them) and who may write to each. Each
(route, object, actor) is one test: an allowed write succeeds (the form's redirect to its
page, or the API's 2xx) and changes the table it is about; a refused one is a 403 (an HTML
page in the layout, JSON under /api/v1; signed out: the sign-in page, or 401 for the API),
records the refusal in the audit log and changes no row of any table. A write route that
ROUTES does not know fails test_the_sweep_knows_every_write_route.

The 500 handler's rollback and the 405 answer's Allow header are tested here too.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import request

from strategy_app import create_app
from strategy_app.extensions import db
from strategy_app.models import Department
from tests.conftest import RequestClient, make_config, wipe
from tests.factories import PASSWORD
from tests.sweep_world import ROLES, Sweep, World, audit_mark, audit_since, snapshot

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Signing in and out are not writes on the domain: anyone may (auth tests cover them).
NOT_SWEPT = {("auth.login", "POST"), ("auth.logout", "POST")}
# The unsubscribe link of a reminder e-mail: a signed token, not a role, decides (and anyone
# holding the link may use it); tests/test_reminders.py tests it.
NOT_SWEPT |= {("account.unsubscribe_confirm", "POST")}
SIGNED_OUT = None
EXECUTIVE_READ = "executive_read"  # an executive's read-scope token: the API refuses writes

NOBODY: frozenset[str] = frozenset()
EXEC = frozenset({"executive"})
LEAD = EXEC | {"lead"}  # the object is the sales lead's own department's
OWNER = LEAD | {"member"}  # ... and the sales member owns it (plan, or objective)
EXEC_MEMBER = EXEC | {"member"}
ALL = frozenset(ROLES)
WRITERS = ALL - {"viewer"}

# Who may enter actuals on which indicator (DESIGN §4: plan indicators by department and plan
# owner, objective indicators by the objective's owner).
MEASURE = {
    "obj_ind": EXEC,
    "lead_obj_ind": LEAD,
    "member_obj_ind": EXEC_MEMBER,
    "sales_ind": OWNER,
    "sales2_ind": LEAD,
    "log_ind": EXEC,
}
INDICATOR_FORM = {
    "name": "Renamed result",
    "unit": "%",
    "direction": "increase",
    "baseline_value": "0",
    "baseline_date": "2026-01-01",
    "target_value": "100",
    "target_date": "2026-12-31",
    "tolerance": "10",
}
INDICATOR_JSON = {
    "name": "New result",
    "baseline_value": 0,
    "baseline_date": "2026-01-01",
    "target_value": 100,
    "target_date": "2026-12-31",
}
ACTUAL = {"date": "2026-06-15", "value": 60}  # ahead of the 45 expected: on track
CSV = base64.b64encode(b"2026-06-15,60,from the sweep\n").decode()
NEW_PASSWORD = "a brand new passphrase for 2026"
SCOPES = ("read", "write")


@dataclass(frozen=True)
class Ctx:
    """What a payload or path may refer to: the world's ids and the object tried."""

    ids: dict[str, int]
    name: str
    actor: str | None

    @property
    def obj(self) -> int:
        """The object's id; "self" and "own_token" are the actor's (signed out: somebody's)."""
        if self.name == "self":
            return self.ids[self.actor or "executive"]
        if self.name == "own_token":
            return self.ids[f"token_{self.actor or 'executive'}"]
        if self.name in SCOPES:
            return 0  # not an object: the scope of the token asked for
        return self.ids[self.name]

    def fmt(self) -> dict[str, int]:
        """Names for a path or redirect: every id, obj, and obj_plan (a dependency's plan)."""
        return {**self.ids, "obj": self.obj, "obj_plan": self.ids.get(f"{self.name}_plan", 0)}


Payload = dict[str, Any] | Callable[[Ctx], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    """A write route: where it is, what to send, who may write to which object."""

    endpoint: str
    method: str
    path: str  # a format string: {obj} is the object's id, {name} any id of the world
    objects: dict[str, frozenset[str]]  # object tried → roles allowed
    table: str  # the table an allowed write changes
    payload: Payload = field(default_factory=dict)
    status: int = 302  # of an allowed write
    to: str | dict[str, str] | None = None  # regex of its redirect (a format string)

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    def data(self, ctx: Ctx) -> dict[str, Any]:
        return self.payload(ctx) if callable(self.payload) else self.payload


def form(endpoint, path, objects, table, payload=None, *, to=None, status=302) -> Route:
    """An HTML form route (posted as a browser does)."""
    return Route(endpoint, "POST", path, objects, table, payload or {}, status, to)


def api(endpoint, method, path, objects, table, payload=None) -> Route:
    """A JSON API operation under /api/v1."""
    status = {"POST": 201, "PATCH": 200, "DELETE": 204}[method]
    return Route(endpoint, method, "/api/v1" + path, objects, table, payload or {}, status)


def _plan(c: Ctx) -> dict:
    return {"objective_id": c.ids["o1"], "department_id": c.obj, "title": "New plan"}


def _review(c: Ctx) -> dict:
    """A review; tried on a department, its decision becomes a plan of that department."""
    data = {"date": "2026-06-15", "attendees": "All", "decisions-0-text": "Call them back"}
    if c.name != "review":
        data.update({"decisions-0-make_plan": "y", "decisions-0-objective_id": c.ids["o1"]})
        data["decisions-0-department_id"] = c.obj
    return data


def _element_plan(c: Ctx) -> dict:
    """A plan for the weak systems element of the assessment, in the department tried."""
    return {"title": "Fix systems", "department_id": c.obj, "objective_id": c.ids["o1"]}


def _service(c: Ctx) -> dict:
    link = {"links-0-company_strategy_id": c.ids["cs"], "links-0-fit": "neutral"}
    return {**SERVICE, **link}


def _blocker(c: Ctx) -> dict:
    return {"blocked_by_id": c.ids["log_plan" if c.name == "sales_plan" else "sales_plan"]}


def _indicator(c: Ctx) -> dict:
    parent = "objective_id" if c.name.startswith("o") else "action_plan_id"
    return {parent: c.obj, **INDICATOR_JSON}


def _follow_up(c: Ctx) -> dict:
    """The follow-up form as its page fills it: the owner kept, the state moved on."""
    owner = c.ids["member" if c.name == "fu_member" else "other_lead"]
    return {"owner_id": owner, "state": "contacted", "note": "Called them", "action_plan_id": ""}


ASSESSMENT_FORM = {"date": "2026-06-15", "score_systems_1": "2", "comment_systems_1": "So-so"}
ASSESSMENT_JSON = {"date": "2026-06-15", "answers": [{"statement_key": "systems.1", "score": 2}]}
ORGANIZATION = {"name": "Acme", "vision": "Be first", "mission": "Serve"}
COMPANY = {"title": "Renamed strategy", "description": "", "owner_id": "", "status": "active"}
SERVICE = {"title": "Renamed service", "statement": "", "owner_id": "", "status": "active"}
PASSWORDS = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
ON_PLANS = {"sales_plan": LEAD, "log_plan": EXEC}
ON_INDICATORS = {"obj_ind": EXEC, "sales_ind": LEAD, "log_ind": EXEC}
# Follow-ups: executives and leads any; a member those they own (DESIGN §4).
ON_FOLLOW_UPS = {"fu_member": OWNER, "fu_other": LEAD}
NPS_FORM = {"date": "2026-06-15", "score": "3", "segment": "chains", "comment": "Late again"}
NPS_CSV = base64.b64encode(b"date,score,segment\n2026-06-01,9,chains\n2026-06-02,4,chains\n")
NPS_CSV = NPS_CSV.decode()
CASCADE, USERS, DEPTS = "/strategy/#company-h", "/admin/users", "/admin/departments"

# fmt: off
ROUTES: list[Route] = [
    # form(endpoint, path, {object: roles allowed}, table changed, payload, redirect)
    # --- strategy: executives only -------------------------------------------------------
    form("strategy.organization_edit", "/strategy/organization", {"org": EXEC},
         "organizations", ORGANIZATION, to="/strategy/"),
    form("strategy.company_new", "/strategy/company/new", {"cs": EXEC}, "company_strategies",
         COMPANY, to=CASCADE),
    form("strategy.company_edit", "/strategy/company/{obj}/edit", {"cs": EXEC},
         "company_strategies", COMPANY, to=CASCADE),
    form("strategy.company_archive", "/strategy/company/{obj}/archive", {"cs": EXEC},
         "company_strategies", to=CASCADE),
    form("strategy.company_restore", "/strategy/company/{obj}/restore", {"cs_old": EXEC},
         "company_strategies", to=CASCADE),
    form("strategy.company_move", "/strategy/company/{obj}/move/down", {"cs": EXEC},
         "company_strategies", to=CASCADE),
    form("strategy.service_new", "/strategy/service/new", {"ss": EXEC}, "service_strategies",
         SERVICE, to=r"/strategy/service/\d+"),
    form("strategy.service_edit", "/strategy/service/{obj}/edit", {"ss": EXEC},
         "service_strategies", _service, to="/strategy/service/{obj}"),
    form("strategy.service_archive", "/strategy/service/{obj}/archive", {"ss": EXEC},
         "service_strategies", to="/strategy/"),
    form("strategy.service_restore", "/strategy/service/{obj}/restore", {"ss_old": EXEC},
         "service_strategies", to="/strategy/service/{obj}"),
    # --- objectives and their indicators (a plan's: as the plan) ---------------------------
    form("objectives.new", "/objectives/new", {"ss": EXEC}, "objectives",
         lambda c: {"service_strategy_id": c.obj, "title": "New"}, to=r"/objectives/\d+"),
    form("objectives.edit", "/objectives/{obj}/edit", {"o1": EXEC}, "objectives",
         lambda c: {"service_strategy_id": c.ids["ss"], "title": "Renamed"},
         to="/objectives/{obj}"),
    form("objectives.archive", "/objectives/{obj}/archive", {"o1": EXEC}, "objectives",
         to="/objectives/"),
    form("objectives.restore", "/objectives/{obj}/restore", {"o_old": EXEC}, "objectives",
         to="/objectives/{obj}"),
    form("objectives.indicator_new", "/objectives/{obj}/indicators/new", {"o1": EXEC},
         "indicators", INDICATOR_FORM, to="/objectives/{obj}"),
    form("objectives.indicator_edit", "/objectives/indicators/{obj}/edit", ON_INDICATORS,
         "indicators", INDICATOR_FORM, to="/objectives/indicators/{obj}"),
    form("objectives.indicator_archive", "/objectives/indicators/{obj}/archive", ON_INDICATORS,
         "indicators", to={"obj_ind": "/objectives/{o1}", "sales_ind": "/plans/{sales_plan}",
                           "log_ind": "/plans/{log_plan}"}),
    # Restoring is the executives' (DESIGN §4), a plan's indicator too.
    form("objectives.indicator_restore", "/objectives/indicators/{obj}/restore",
         {"old_ind": EXEC}, "indicators", to="/objectives/indicators/{obj}"),
    # --- plans: executives, and the lead of the plan's department -------------------------
    form("plans.new", "/plans/new", {"sales": LEAD, "logistics": EXEC}, "action_plans", _plan,
         to=r"/plans/\d+"),
    form("plans.edit", "/plans/{obj}/edit", ON_PLANS, "action_plans",
         {"title": "Renamed", "version": 1}, to="/plans/{obj}"),
    form("plans.archive", "/plans/{obj}/archive", ON_PLANS, "action_plans", to="/plans/{obj}"),
    # Restoring a plan is the executives' (DESIGN §4), though its lead may archive it.
    form("plans.restore", "/plans/{obj}/restore", {"old_plan": EXEC}, "action_plans",
         to="/plans/{obj}"),
    form("plans.check_in", "/plans/{obj}/check-in",
         {"sales_plan": OWNER, "sales_plan2": LEAD, "log_plan": EXEC}, "check_ins",
         {"state": "in_progress", "progress_pct": 50, "confidence": 4, "text": "On it"},
         to="/plans/{obj}#check-ins"),
    form("plans.indicator_new", "/plans/{obj}/indicators/new", ON_PLANS, "indicators",
         INDICATOR_FORM, to="/plans/{obj}#indicators"),
    form("plans.dependency_add", "/plans/{obj}/dependencies", ON_PLANS, "plan_dependencies",
         _blocker, to="/plans/{obj}#dependencies"),
    form("plans.dependency_remove", "/plans/{obj_plan}/dependencies/{obj}/remove",
         {"dep_sales": LEAD, "dep_log": EXEC}, "plan_dependencies",
         to="/plans/{obj_plan}#dependencies"),
    # --- actuals ------------------------------------------------------------------------
    form("actuals.new", "/actuals/{obj}/new", MEASURE, "measurements", ACTUAL,
         to="/objectives/indicators/{obj}"),
    form("actuals.upload", "/actuals/{obj}/upload", MEASURE, "measurements",
         {"save": "Save all", "checked": CSV}, to="/objectives/indicators/{obj}"),
    # --- reviews: DESIGN §4 has no row for them; executives and leads, as assessments
    # (the app's policy.REVIEW), and a decision made a plan needs the plans row -----------
    form("meetings.review_new", "/meeting/reviews/new",
         {"review": LEAD, "sales": LEAD, "logistics": EXEC}, "reviews", _review,
         to=r"/meeting/reviews/\d+"),
    form("meetings.review_archive", "/meeting/reviews/{obj}/archive", {"review": LEAD},
         "reviews", to="/meeting/reviews"),
    form("meetings.review_restore", "/meeting/reviews/{obj}/restore", {"review_old": EXEC},
         "reviews", to="/meeting/reviews/{obj}"),
    # --- the customer's voice: NPS responses (executives and leads), follow-ups (also the
    # member who owns one), what NPS feeds (as the indicator or objective) -----------------
    form("nps.add_response", "/nps/responses", {"org": LEAD}, "nps_responses", NPS_FORM,
         to=r"/nps/follow-ups/\d+"),
    form("nps.import_csv", "/nps/import", {"org": LEAD}, "nps_responses",
         {"save": "1", "checked": NPS_CSV}, to="/nps/"),
    form("nps.follow_up_save", "/nps/follow-ups/{obj}", ON_FOLLOW_UPS, "follow_ups",
         _follow_up, to="/nps/follow-ups/{obj}"),
    form("nps.follow_up_state", "/nps/follow-ups/{obj}/state/resolved", ON_FOLLOW_UPS,
         "follow_ups", to="/nps/follow-ups/{obj}"),
    form("nps.indicator_source", "/nps/indicators/{obj}/source", ON_INDICATORS, "indicators",
         {"source": "nps", "segment": "chains"}, to="/objectives/indicators/{obj}"),
    form("nps.objective_evidence", "/nps/objectives/{obj}/evidence", {"o1": EXEC}, "objectives",
         {"nps_segment": "chains", "health_element": "systems"},
         to="/objectives/{obj}#customer-evidence"),
    # --- service health: executives and leads assess; a weak element made a plan needs the
    # plans row on the department chosen ---------------------------------------------------
    form("health.assessment_new", "/service-health/new", {"assessment": LEAD}, "assessments",
         ASSESSMENT_FORM, to=r"/service-health/assessments/\d+"),
    form("health.element_plan", "/service-health/assessments/{assessment}/elements/systems/plan",
         {"sales": LEAD, "logistics": EXEC}, "action_plans", _element_plan, to=r"/plans/\d+"),
    # --- administration: executives only ---------------------------------------------------
    form("admin.new_user", "/admin/users/new", {"sales": EXEC}, "users",
         lambda c: {"email": "new@example.test", "name": "New", "role": "member",
                    "department": c.obj}, status=200),
    form("admin.edit_user", "/admin/users/{obj}/edit", {"other_lead": EXEC}, "users",
         lambda c: {"name": "Olga R.", "role": "lead", "department": c.ids["logistics"]},
         to=USERS),
    form("admin.deactivate_user", "/admin/users/{obj}/deactivate", {"other_lead": EXEC},
         "users", to=USERS + "/{obj}/edit"),
    form("admin.reactivate_user", "/admin/users/{obj}/reactivate", {"gone": EXEC}, "users",
         to=USERS + "/{obj}/edit"),
    form("admin.reset_password", "/admin/users/{obj}/reset-password", {"other_lead": EXEC},
         "users", status=200),
    form("admin.new_department", "/admin/departments/new", {"sales": EXEC}, "departments",
         {"name": "Finance", "slug": "finance", "colour": "#123456"}, to=DEPTS),
    form("admin.edit_department", "/admin/departments/{obj}/edit", {"logistics": EXEC},
         "departments", lambda c: {"name": "Transport", "slug": "transport",
                                   "colour": "#123456", "lead": c.ids["other_lead"]}, to=DEPTS),
    form("admin.archive_department", "/admin/departments/{obj}/archive", {"logistics": EXEC},
         "departments", to=DEPTS),
    form("admin.restore_department", "/admin/departments/{obj}/restore", {"old_dept": EXEC},
         "departments", to=DEPTS),
    form("admin.move_department", "/admin/departments/{obj}/move/down", {"sales": EXEC},
         "departments", to=DEPTS),
    # --- my account: everyone, for themselves (a viewer's tokens read only) ---------------
    form("account.password", "/account/password", {"self": ALL}, "users", PASSWORDS, to="/"),
    form("account.create_token", "/account/tokens", {"read": ALL, "write": WRITERS},
         "api_tokens", lambda c: {"name": "CI", "scope": c.name, "days": 30}, status=200),
    form("account.revoke_token", "/account/tokens/{obj}/revoke",
         {"own_token": ALL, "token_other_lead": NOBODY}, "api_tokens", to="/account/"),
    # --- reminders (issue 16): one's own e-mail preference; webhooks for executives -------
    form("account.save_reminders", "/account/reminders", {"self": ALL}, "reminder_preferences",
         {"frequency": "daily", "weekday": "2"}, to="/account/#reminders"),
    form("admin.webhook_add", "/admin/webhooks", {"sales": EXEC}, "webhooks",
         {"name": "Chat", "url": "https://203.0.113.10/hook", "events": "off_track"},
         to="/admin/webhooks"),
    form("admin.webhook_switch", "/admin/webhooks/{obj}/switch", {"hook": EXEC}, "webhooks",
         to="/admin/webhooks"),
    form("admin.webhook_archive", "/admin/webhooks/{obj}/archive", {"hook": EXEC}, "webhooks",
         to="/admin/webhooks"),
    form("admin.webhook_restore", "/admin/webhooks/{obj}/restore", {"hook_old": EXEC},
         "webhooks", to="/admin/webhooks"),
    form("admin.webhook_retry", "/admin/webhooks/deliveries/{obj}/retry",
         {"hook_failed": EXEC}, "webhook_deliveries", to="/admin/webhooks"),
    # --- the JSON API (api.method, path, {object: roles allowed}, table changed, body) -----
    api("api.create_company_strategy", "POST", "/company-strategies", {"cs": EXEC},
        "company_strategies", {"title": "Know the consumer"}),
    api("api.patch_company_strategy", "PATCH", "/company-strategies/{obj}", {"cs": EXEC},
        "company_strategies", {"title": "Renamed"}),
    api("api.delete_company_strategy", "DELETE", "/company-strategies/{obj}", {"cs": EXEC},
        "company_strategies"),
    api("api.create_service_strategy", "POST", "/service-strategies", {"ss": EXEC},
        "service_strategies", {"title": "Serve fast"}),
    api("api.patch_service_strategy", "PATCH", "/service-strategies/{obj}", {"ss": EXEC},
        "service_strategies", {"statement": "Answer in one call"}),
    api("api.delete_service_strategy", "DELETE", "/service-strategies/{obj}", {"ss": EXEC},
        "service_strategies"),
    api("api.create_objective", "POST", "/objectives", {"ss": EXEC}, "objectives",
        lambda c: {"service_strategy_id": c.obj, "title": "First-contact resolution"}),
    api("api.patch_objective", "PATCH", "/objectives/{obj}", {"o1": EXEC}, "objectives",
        {"title": "Renamed"}),
    api("api.delete_objective", "DELETE", "/objectives/{obj}", {"o1": EXEC}, "objectives"),
    api("api.create_action_plan", "POST", "/action-plans", {"sales": LEAD, "logistics": EXEC},
        "action_plans", _plan),
    api("api.patch_action_plan", "PATCH", "/action-plans/{obj}", ON_PLANS, "action_plans",
        {"title": "Renamed", "version": 1}),
    api("api.delete_action_plan", "DELETE", "/action-plans/{obj}", ON_PLANS, "action_plans"),
    api("api.create_indicator", "POST", "/indicators", {"o1": EXEC, **ON_PLANS}, "indicators",
        _indicator),
    api("api.patch_indicator", "PATCH", "/indicators/{obj}", ON_INDICATORS, "indicators",
        {"name": "Renamed"}),
    api("api.delete_indicator", "DELETE", "/indicators/{obj}", ON_INDICATORS, "indicators"),
    api("api.create_measurement", "POST", "/indicators/{obj}/measurements", MEASURE,
        "measurements", ACTUAL),
    api("api.batch_measurements", "POST", "/measurements/batch", MEASURE, "measurements",
        lambda c: {"items": [{"indicator_id": c.obj, **ACTUAL}]}),
    api("api.create_nps_response", "POST", "/nps-responses", {"org": LEAD}, "nps_responses",
        {"date": "2026-06-15", "score": 4, "segment": "chains"}),
    api("api.patch_follow_up", "PATCH", "/follow-ups/{obj}", ON_FOLLOW_UPS, "follow_ups",
        {"state": "resolved", "note": "Called back"}),
    api("api.create_assessment", "POST", "/assessments", {"assessment": LEAD}, "assessments",
        ASSESSMENT_JSON),
]
# fmt: on


def _cases():
    """(route, object, actor) for every role on every object; signed out, and with an
    executive's read-scope token, only on the first object (refused before it is looked at)."""
    for route in ROUTES:
        for n, name in enumerate(route.objects):
            extra = (EXECUTIVE_READ,) if route.api else ()
            for actor in (*ROLES, *extra, SIGNED_OUT) if n == 0 else ROLES:
                yield pytest.param(
                    route, name, actor, id=f"{route.endpoint}-{name}-{actor or 'signed_out'}"
                )


@pytest.fixture(scope="module")
def sweep(database_url):
    """The world of tests.sweep_world on an app of its own, wiped at the end of the module."""
    app = create_app(
        make_config(
            database_url,
            API_RATE_LIMIT_PER_TOKEN=10**6,  # hundreds of requests a minute from one address
            API_RATE_LIMIT_PER_ADDRESS=10**6,
            SESSION_IDLE_MINUTES=24 * 60,  # the cookies signed in once serve the whole module
        )
    )
    app.test_client_class = RequestClient
    yield Sweep(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    wipe(app)


def _send(sweep: Sweep, world: World, route: Route, path: str, ctx: Ctx, actor: str | None):
    client = sweep.client(None if route.api else actor)
    data = route.data(ctx)
    if not route.api:
        return client.post(path, data={k: str(v) for k, v in data.items()})
    headers = {"Authorization": f"Bearer {world.tokens[actor]}"} if actor else {}
    body = {"json": data} if route.method != "DELETE" else {}
    return client.open(path, method=route.method, headers=headers, **body)


def _changed(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def _assert_allowed(route, ctx, response, before, after, events, actor_id):
    text = response.get_data(as_text=True)[:2000]
    assert response.status_code == route.status, text
    if route.to is not None:
        to = route.to[ctx.name] if isinstance(route.to, dict) else route.to
        location = response.headers["Location"]
        assert re.fullmatch(to.format(**ctx.fmt()), location), location
    assert route.table in _changed(before, after), f"{route.table} unchanged: {text}"
    assert any(a != "refused" and u == actor_id for a, u in events), events


def _assert_refused(route, actor, response, before, after, events, actor_id):
    text = response.get_data(as_text=True)[:2000]
    if actor is SIGNED_OUT and route.api:
        assert response.status_code == 401, text
    elif actor is SIGNED_OUT:
        assert response.status_code == 302, text
        assert response.headers["Location"].startswith("/login"), response.headers["Location"]
    else:
        assert response.status_code == 403, text
    if route.api:
        assert response.mimetype == "application/json", response.mimetype
        assert response.get_json()["error"]["status"] == response.status_code
    elif actor is not SIGNED_OUT:
        assert response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert "403 · Not allowed" in page, text
        assert 'class="navbar' in page  # the app's layout, not a bare error
    changed = _changed(before, after)
    assert not changed, f"a refused write changed {changed}"
    assert events == ([] if actor is SIGNED_OUT else [("refused", actor_id)])


@pytest.mark.parametrize(("route", "name", "actor"), list(_cases()))
def test_write_route(sweep, route, name, actor):
    world = sweep.fresh()
    ctx = Ctx(world.ids, name, actor)
    path = route.path.format(**ctx.fmt())
    endpoint, _ = sweep.app.url_map.bind("localhost").match(path, route.method)
    assert endpoint == route.endpoint, (path, endpoint)
    with sweep.app.app_context():
        before, mark = snapshot(), audit_mark()
    sweep.dirty = True  # until the test proves that nothing changed
    response = _send(sweep, world, route, path, ctx, actor)
    with sweep.app.app_context():
        after, events = snapshot(), audit_since(mark)
    actor_id = world.ids.get("executive" if actor == EXECUTIVE_READ else actor or "")
    if actor in route.objects[name]:
        _assert_allowed(route, ctx, response, before, after, events, actor_id)
    else:
        _assert_refused(route, actor, response, before, after, events, actor_id)
        sweep.dirty = False


def test_the_sweep_knows_every_write_route(sweep):
    """A new write route fails here until ROUTES says who may use it."""
    found = {
        (rule.endpoint, method)
        for rule in sweep.app.url_map.iter_rules()
        for method in rule.methods & WRITE_METHODS
    }
    known = {(r.endpoint, r.method) for r in ROUTES}
    assert found - known - NOT_SWEPT == set(), "write routes the sweep does not try"
    assert known - found == set(), "routes in the sweep that the app no longer has"
    assert found >= NOT_SWEPT


# --- error pages --------------------------------------------------------------------------


def test_a_server_error_rolls_back_and_shows_the_page_in_the_layout(sweep, database_url):
    app = create_app(
        make_config(
            database_url, TESTING=False, PROPAGATE_EXCEPTIONS=False, PROPAGATE_SERVER_ERRORS=False
        )
    )
    seen: list[int | None] = []

    @app.post("/half-written")
    def half_written():
        db.session.add(Department(name="Half written", slug="half-written"))
        db.session.flush()
        raise RuntimeError("secret detail of the failure")

    @app.after_request
    def later_commit(response):
        # Anything committing later in the same request must not save the flushed row.
        if request.path == "/half-written":
            seen.append(
                db.session.scalar(sa.select(Department.id).where(Department.slug == "half-written"))
            )
            db.session.commit()
        return response

    try:
        response = app.test_client().post("/half-written")
        text = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "500 · Server error" in text
        assert 'class="navbar' in text
        assert "Traceback" not in text
        assert "secret detail" not in text
        assert seen == [None]
        with app.app_context():
            half = sa.select(Department.id).where(Department.slug == "half-written")
            assert db.session.scalar(half) is None
    finally:
        sweep.dirty = True
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("/logout", "text/html"),
        ("/plans/1/restore", "text/html"),  # (archive has a GET: its confirmation)
        ("/api/v1/measurements/batch", "application/json"),
    ],
)
def test_405_keeps_its_allow_header(sweep, path, mimetype):
    response = sweep.client(SIGNED_OUT).get(path)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert response.mimetype == mimetype
