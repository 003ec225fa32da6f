"""The plan pages: list, form, optimistic lock, page, check-ins, indicators, dependencies."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, AuditEvent, CheckIn, Indicator, PlanDependency
from strategy_app.models.base import utcnow
from strategy_app.plans import viewing
from strategy_app.schemas.inputs import PlanPatch
from strategy_app.services.plumbing.audit import set_actor
from strategy_app.services.plumbing.errors import PermissionDenied, ValidationFailed
from strategy_app.services.writes import cascade, dependencies
from tests import factories

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


# --- helpers ------------------------------------------------------------------------------


class _FormParser(HTMLParser):
    """The fields of the <form> whose action ends with a given path, as a browser sends them."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.values = action, False, {}
        self._select = self._textarea = None
        self._first_option = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = (a.get("action") or "").endswith(self.action)
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.values[a["name"]] = a.get("value", "on")
            elif kind != "submit":
                self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select, self._first_option = a.get("name"), None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.values[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            self.values.setdefault(self._select, self._first_option or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_values(page: str, action: str) -> dict[str, str]:
    parser = _FormParser(action)
    parser.feed(page)
    values = parser.values
    for name, value in values.items():  # a textarea's first newline is not part of its value
        if value.startswith("\r\n"):
            values[name] = value[2:]
        elif value.startswith("\n"):
            values[name] = value[1:]
    return values


def html(response) -> str:
    return response.get_data(as_text=True)


def main(response) -> str:
    return html(response).split('<main id="main"', 1)[1].split("</main>", 1)[0]


def errors_of(page: str, field: str) -> str:
    m = re.search(rf'<div class="invalid-feedback" id="{field}-errors">(.*?)</div>', page, re.S)
    return m.group(1) if m else ""


def snapshot() -> dict[str, list]:
    """Every row of every table but the audit log and the users' sign-in bookkeeping."""
    db.session.expire_all()
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name in ("audit_events", "users", "login_throttles"):
            continue
        rows[table.name] = sorted(
            (tuple(r) for r in db.session.execute(sa.select(table)).all()), key=repr
        )
    db.session.commit()
    return rows


@pytest.fixture
def sign_in(app):
    """A fresh client signed in as the given user (several may be signed in at once)."""

    def _sign_in(user):
        c = app.test_client()
        r = c.post("/login", data={"email": user.email, "password": factories.PASSWORD})
        assert r.status_code == 302, html(r)
        return c

    return _sign_in


class World:
    """Two departments, one of each role, an objective and a plan per department."""

    def __init__(self, make, session):
        self.sales = make.department("sales", name="Sales", position=0)
        self.logistics = make.department("logistics", name="Logistics", position=1)
        self.executive = make.user("executive", name="Elena Exec", email="ceo@example.test")
        self.sales_lead = make.user("lead", self.sales, name="Camila Ortega")
        self.logistics_lead = make.user("lead", self.logistics, name="Tomás Herrera")
        self.member = make.user("member", self.sales, name="Lucas Moreno")
        self.viewer = make.user("viewer", name="Ana Viewer")
        self.objective = make.objective(title="Take every order right")
        self.sales_plan = make.plan(
            self.objective,
            self.sales,
            title="Sales scripts",
            owner=self.member,
            start_date=date(2026, 1, 1),
            due_date=date(2026, 9, 30),
            budget=1000,
        )
        self.other_sales_plan = make.plan(self.objective, self.sales, title="Sales portal")
        self.logistics_plan = make.plan(
            self.objective, self.logistics, title="Delivery slots", owner=self.logistics_lead
        )
        session.commit()

    def user(self, role: str):
        return {
            "executive": self.executive,
            "sales_lead": self.sales_lead,
            "logistics_lead": self.logistics_lead,
            "member": self.member,
            "viewer": self.viewer,
        }[role]


@pytest.fixture
def world(make, db_session):
    return World(make, db_session)


def plan_form(w: World, **overrides) -> dict[str, str]:
    data = {
        "objective_id": str(w.objective.id),
        "department_id": str(w.sales.id),
        "title": "Call every chain buyer",
        "description": "Weekly calls",
        "owner_id": str(w.sales_lead.id),
        "start_date": "2026-02-01",
        "due_date": "2026-08-31",
        "state": "in_progress",
        "progress_pct": "10",
        "budget": "2500.50",
    }
    data.update(overrides)
    return data


def edit_data(client, plan_id: int, **changes) -> dict[str, str]:
    """The edit form as loaded by client, with changes typed in."""
    page = client.get(f"/plans/{plan_id}/edit")
    assert page.status_code == 200
    values = form_values(html(page), f"/plans/{plan_id}/edit")
    values.update(changes)
    return values


def plan_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(ActionPlan.id)))


# --- signed out, permissions --------------------------------------------------------------

ROUTES = [
    ("get", "/plans/"),
    ("get", "/plans/?archived=1"),
    ("get", "/plans/new"),
    ("post", "/plans/new"),
    ("get", "/plans/{sales}"),
    ("get", "/plans/{sales}/edit"),
    ("post", "/plans/{sales}/edit"),
    ("post", "/plans/{sales}/archive"),
    ("post", "/plans/{sales}/restore"),
    ("get", "/plans/{sales}/check-in"),
    ("post", "/plans/{sales}/check-in"),
    ("get", "/plans/{sales}/indicators/new"),
    ("post", "/plans/{sales}/indicators/new"),
    ("post", "/plans/{sales}/dependencies"),
    ("post", "/plans/{sales}/dependencies/1/remove"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_signed_out_goes_to_the_sign_in_page(client, world, method, path):
    before = snapshot()
    response = getattr(client, method)(path.format(sales=world.sales_plan.id))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert snapshot() == before


# (role, method, path, data kind, expected status) for the sales plan, owned by the member.
MATRIX = {
    "executive": {
        "new": 302,
        "edit": 302,
        "archive": 302,
        "restore": 302,
        "check_in": 302,
        "indicator": 302,
        "dependency": 302,
    },
    "sales_lead": {
        "new": 302,
        "edit": 302,
        "archive": 302,
        "restore": 403,  # restoring is the executives' (DESIGN §4), archiving is not
        "check_in": 302,
        "indicator": 302,
        "dependency": 302,
    },
    "logistics_lead": dict.fromkeys(
        ("new", "edit", "archive", "restore", "check_in", "indicator", "dependency"), 403
    ),
    "member": {
        "new": 403,
        "edit": 403,
        "archive": 403,
        "restore": 403,
        "check_in": 302,  # the member owns the sales plan
        "indicator": 403,
        "dependency": 403,
    },
    "viewer": dict.fromkeys(
        ("new", "edit", "archive", "restore", "check_in", "indicator", "dependency"), 403
    ),
}


def _write(w: World, what: str):
    p = w.sales_plan.id
    return {
        "new": ("/plans/new", plan_form(w)),
        "edit": (
            f"/plans/{p}/edit",
            plan_form(w, title="Renamed", owner_id=str(w.member.id), version="1"),
        ),
        "archive": (f"/plans/{p}/archive", {}),
        "restore": (f"/plans/{p}/restore", {}),
        "check_in": (
            f"/plans/{p}/check-in",
            {"state": "in_progress", "progress_pct": "40", "confidence": "4", "text": "ok"},
        ),
        "indicator": (
            f"/plans/{p}/indicators/new",
            {
                "name": "Orders right first time",
                "unit": "%",
                "direction": "increase",
                "baseline_value": "80",
                "baseline_date": "2026-01-01",
                "target_value": "95",
                "target_date": "2026-12-31",
                "tolerance": "10",
            },
        ),
        "dependency": (
            f"/plans/{p}/dependencies",
            {"blocked_by_id": str(w.logistics_plan.id), "note": "slots first"},
        ),
    }[what]


@pytest.mark.parametrize("role", list(MATRIX))
@pytest.mark.parametrize(
    "what", ["new", "edit", "archive", "restore", "check_in", "indicator", "dependency"]
)
def test_writes_by_role_on_a_sales_plan(world, sign_in, role, what):
    if what == "restore":
        world.sales_plan.archived_at = utcnow()
        db.session.commit()
    client = sign_in(world.user(role))
    path, data = _write(world, what)
    before = snapshot()
    response = client.post(path, data=data)
    expected = MATRIX[role][what]
    assert response.status_code == expected, main(response)[:2000]
    if expected == 403:
        assert "Not allowed" in html(response)
        assert snapshot() == before
    else:
        assert snapshot() != before


GET_PAGES = {"new": "/plans/new", "edit": "/plans/{p}/edit", "check_in": "/plans/{p}/check-in"}


@pytest.mark.parametrize("role", list(MATRIX))
@pytest.mark.parametrize("what", ["new", "edit", "check_in", "indicator"])
def test_form_pages_by_role(world, sign_in, role, what):
    client = sign_in(world.user(role))
    path = {
        "new": "/plans/new",
        "edit": "/plans/{p}/edit",
        "check_in": "/plans/{p}/check-in",
        "indicator": "/plans/{p}/indicators/new",
    }[what].format(p=world.sales_plan.id)
    allowed = MATRIX[role][what] == 302
    if what == "new":  # any lead may open the form (for their own department)
        allowed = role in ("executive", "sales_lead", "logistics_lead")
    assert client.get(path).status_code == (200 if allowed else 403)


@pytest.mark.parametrize("role", list(MATRIX))
def test_everyone_reads_the_list_and_the_page(world, sign_in, role):
    client = sign_in(world.user(role))
    assert client.get("/plans/").status_code == 200
    assert client.get(f"/plans/{world.sales_plan.id}").status_code == 200


def test_the_logistics_lead_may_work_on_a_logistics_plan(world, sign_in):
    client = sign_in(world.logistics_lead)
    p = world.logistics_plan.id
    assert client.get(f"/plans/{p}/edit").status_code == 200
    data = edit_data(client, p, title="Delivery slots v2")
    assert client.post(f"/plans/{p}/edit", data=data).status_code == 302
    checkin = {"state": "in_progress", "progress_pct": "20", "confidence": "3", "text": ""}
    assert client.post(f"/plans/{p}/check-in", data=checkin).status_code == 302
    assert client.get(f"/plans/{p}/indicators/new").status_code == 200
    assert client.post(f"/plans/{p}/archive").status_code == 302
    db.session.expire_all()
    plan = db.session.get(ActionPlan, p)
    assert (plan.title, plan.progress_pct, plan.is_archived) == ("Delivery slots v2", 20, True)


def test_a_member_checks_in_only_on_plans_they_own(world, sign_in):
    client = sign_in(world.member)
    data = {"state": "blocked", "progress_pct": "5", "confidence": "2", "text": "waiting"}
    assert client.post(f"/plans/{world.other_sales_plan.id}/check-in", data=data).status_code == 403
    assert client.post(f"/plans/{world.sales_plan.id}/check-in", data=data).status_code == 302


@pytest.mark.parametrize(
    ("role", "buttons", "absent"),
    [
        ("executive", ["Edit", "Archive", "Post a check-in", "Add indicator"], []),
        ("sales_lead", ["Edit", "Archive", "Post a check-in", "Add indicator"], []),
        ("member", ["Post a check-in"], ["Edit", "Archive", "Add indicator", "Mark as blocked"]),
        (
            "logistics_lead",
            [],
            ["Edit", "Archive", "Post a check-in", "Add indicator", "Mark as blocked"],
        ),
        ("viewer", [], ["Edit", "Archive", "Post a check-in", "Add indicator", "Mark as blocked"]),
    ],
)
def test_the_plan_page_shows_only_allowed_buttons(world, sign_in, role, buttons, absent):
    page = main(sign_in(world.user(role)).get(f"/plans/{world.sales_plan.id}"))
    for label in buttons:
        assert f">{label}<" in page or f">{label}<span" in page, label
    for label in absent:
        assert f">{label}<" not in page, label
        assert f">{label}<span" not in page, label


def test_unknown_and_malformed_ids(world, sign_in):
    client = sign_in(world.executive)
    assert client.get("/plans/999999").status_code == 404
    assert client.get("/plans/abc").status_code == 404
    assert client.get("/plans/99999999999999999999/edit").status_code == 404
    assert client.post("/plans/999999/archive").status_code == 404
    assert client.post(f"/plans/{world.sales_plan.id}/dependencies/999/remove").status_code == 404
    assert client.get("/plans/new?objective_id=abc").status_code == 400
    assert client.get("/plans/new?department_id=-1").status_code == 400
    assert client.get("/plans/?owner=abc").status_code == 400
    assert client.get("/plans/?page=abc").status_code == 400


# --- the list -----------------------------------------------------------------------------


def test_the_list_shows_columns_and_flags_overdue_plans(world, sign_in, make, db_session):
    late = make.plan(
        world.objective,
        world.sales,
        title="Late plan",
        due_date=date(2026, 6, 1),
        state="in_progress",
        progress_pct=40,
    )
    make.plan(
        world.objective,
        world.sales,
        title="Done late",
        due_date=date(2026, 6, 1),
        state="done",
        progress_pct=100,
    )
    db_session.commit()
    page = main(sign_in(world.viewer).get("/plans/"))
    row = page.split(f'data-plan="{late.id}"', 1)[1].split("</tr>", 1)[0]
    assert "Late plan" in row
    assert "Sales" in row
    assert "Take every order right" in row
    assert "2026-06-01" in row
    assert "Overdue" in row
    assert "In progress" in row
    assert "40%" in row
    done_row = page.split("Done late", 1)[1].split("</tr>", 1)[0]
    assert "Overdue" not in done_row
    assert "100%" in done_row
    assert "<caption>" in page
    assert 'scope="col"' in page


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("department=logistics", ["Delivery slots"], ["Sales scripts"]),
        ("state=done", ["Done one"], ["Sales scripts"]),
        ("owner={member}", ["Sales scripts"], ["Delivery slots"]),
        ("objective={other}", ["Other objective plan"], ["Sales scripts"]),
        ("overdue=yes", ["Overdue one"], ["Sales scripts", "Done one"]),
        ("q=SCRIPTS", ["Sales scripts"], ["Delivery slots"]),
        ("q=100%25", [], ["Sales scripts"]),
    ],
)
def test_the_list_filters(world, sign_in, make, db_session, query, shown, hidden):
    other = make.objective(title="Other objective")
    make.plan(other, world.sales, title="Other objective plan")
    make.plan(
        world.objective, world.sales, title="Done one", state="done", due_date=date(2026, 1, 1)
    )
    make.plan(world.objective, world.sales, title="Overdue one", due_date=date(2026, 1, 1))
    db_session.commit()
    query = query.format(member=world.member.id, other=other.id)
    response = sign_in(world.viewer).get(f"/plans/?{query}")
    assert response.status_code == 200
    page = main(response)
    for title in shown:
        assert title in page
    for title in hidden:
        assert f">{title}</a>" not in page


def test_the_list_pages_by_25(world, sign_in, make, db_session):
    for n in range(30):
        make.plan(world.objective, world.sales, title=f"Bulk {n:02d}", due_date=date(2027, 1, 1))
    db_session.commit()
    client = sign_in(world.viewer)
    first = main(client.get("/plans/"))
    assert first.count("data-plan=") == 25
    assert "of 33" in first
    second = main(client.get("/plans/?page=2"))
    assert second.count("data-plan=") == 8
    assert client.get("/plans/?page=99").status_code == 200


def test_archived_plans_list_and_restore(world, sign_in, db_session):
    world.sales_plan.archived_at = utcnow()
    db_session.commit()
    lead = sign_in(world.sales_lead)
    assert "Sales scripts" not in main(lead.get("/plans/"))
    archived = main(lead.get("/plans/?archived=1"))
    assert "Sales scripts" in archived
    # Restoring is the executives' (DESIGN §4), not the lead's who may archive it.
    assert f'action="/plans/{world.sales_plan.id}/restore"' not in archived
    executive = sign_in(world.executive)
    page = main(executive.get("/plans/?archived=1"))
    assert "Restore" in page
    assert executive.post(f"/plans/{world.sales_plan.id}/restore").status_code == 302
    db.session.expire_all()
    assert db.session.get(ActionPlan, world.sales_plan.id).archived_at is None


def test_empty_list_offers_to_add_a_plan_when_allowed(app, make, db_session, sign_in):
    lead = make.user("lead", make.department("sales"))
    viewer = make.user("viewer")
    db_session.commit()
    page = main(sign_in(lead).get("/plans/"))
    assert "no action plans yet" in page
    assert "Add a plan" in page
    page = main(sign_in(viewer).get("/plans/"))
    assert "no action plans yet" in page
    assert "Add a plan" not in page


# --- the form: adding and editing ---------------------------------------------------------


def test_a_lead_adds_a_plan_to_their_own_department(world, sign_in):
    client = sign_in(world.sales_lead)
    page = html(client.get(f"/plans/new?objective_id={world.objective.id}"))
    values = form_values(page, "/plans/new")
    assert values["objective_id"] == str(world.objective.id)
    assert values["department_id"] == str(world.sales.id)
    # only the lead's own department is offered; owners are its people and the executives
    assert "Logistics" not in page.split('name="department_id"', 1)[1].split("</select>", 1)[0]
    owners = page.split('name="owner_id"', 1)[1].split("</select>", 1)[0]
    assert "Lucas Moreno" in owners
    assert "Elena Exec" in owners
    assert "Tomás Herrera" not in owners
    response = client.post("/plans/new", data=plan_form(world))
    assert response.status_code == 302
    plan = db.session.scalar(
        sa.select(ActionPlan).where(ActionPlan.title == "Call every chain buyer")
    )
    assert response.headers["Location"].endswith(f"/plans/{plan.id}")
    assert (plan.department_id, plan.owner_id, plan.progress_pct) == (
        world.sales.id,
        world.sales_lead.id,
        10,
    )
    assert str(plan.budget) == "2500.50"
    assert plan.due_date == date(2026, 8, 31)


def test_a_lead_may_not_add_a_plan_to_another_department(world, sign_in):
    client = sign_in(world.logistics_lead)
    before = plan_count()
    response = client.post("/plans/new", data=plan_form(world, owner_id=""))
    assert response.status_code == 403
    assert plan_count() == before


def test_new_preselects_the_department_from_the_query(world, sign_in):
    page = html(sign_in(world.executive).get(f"/plans/new?department_id={world.logistics.id}"))
    assert form_values(page, "/plans/new")["department_id"] == str(world.logistics.id)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "bad\x00title"}, "title"),
        ({"description": "nul\x00here"}, "description"),
        ({"description": "x" * 10_001}, "description"),
        ({"progress_pct": "101"}, "progress_pct"),
        ({"progress_pct": "-1"}, "progress_pct"),
        ({"progress_pct": "abc"}, "progress_pct"),
        ({"progress_pct": "50.5"}, "progress_pct"),
        ({"budget": "-5"}, "budget"),
        ({"budget": "1e400"}, "budget"),
        ({"budget": "NaN"}, "budget"),
        ({"budget": "lots"}, "budget"),
        ({"start_date": "2026-09-01", "due_date": "2026-08-01"}, "due_date"),
        ({"start_date": "9999-12-31"}, "start_date"),
        ({"due_date": "0001-01-01"}, "due_date"),
        ({"due_date": "2026-02-30"}, "due_date"),
        ({"owner_id": "{logistics_lead}"}, "owner_id"),
        ({"owner_id": "999999"}, "owner_id"),
        ({"owner_id": "abc"}, "owner_id"),
        ({"objective_id": "999999"}, "objective_id"),
        ({"objective_id": "abc"}, "objective_id"),
        ({"objective_id": "{archived_objective}"}, "objective_id"),
        ({"department_id": "999999"}, "department_id"),
        ({"department_id": "99999999999999999999"}, "department_id"),
        ({"state": "finished"}, "state"),
    ],
)
def test_invalid_values_are_refused_beside_the_field(world, sign_in, make, overrides, field):
    archived = make.objective(title="Old objective", archived_at=utcnow())
    db.session.commit()
    ids = {"logistics_lead": world.logistics_lead.id, "archived_objective": archived.id}
    data = plan_form(world, **{k: v.format(**ids) for k, v in overrides.items()})
    client = sign_in(world.executive)
    before = snapshot()
    response = client.post("/plans/new", data=data)
    assert response.status_code == 422
    page = main(response)
    assert errors_of(page, field), page
    assert 'aria-invalid="true"' in page
    assert snapshot() == before
    # what was typed is kept (the NUL itself may be dropped by the parser)
    kept = form_values(page, "/plans/new")
    if "\x00" not in data[field] and len(data[field]) < 300 and field.endswith("_date"):
        assert kept[field] == data[field]
    if field == "title" and "\x00" not in data["title"]:
        assert kept["title"] == data["title"]


def test_edit_refuses_invalid_values_and_changes_nothing(world, sign_in):
    client = sign_in(world.sales_lead)
    p = world.sales_plan.id
    data = edit_data(client, p, progress_pct="101", title="Typed title")
    before = snapshot()
    response = client.post(f"/plans/{p}/edit", data=data)
    assert response.status_code == 422
    page = main(response)
    assert errors_of(page, "progress_pct")
    assert form_values(page, f"/plans/{p}/edit")["title"] == "Typed title"
    assert snapshot() == before


def test_a_tampered_version_is_refused(world, sign_in):
    client = sign_in(world.sales_lead)
    p = world.sales_plan.id
    before = snapshot()
    response = client.post(f"/plans/{p}/edit", data=edit_data(client, p, version="abc"))
    assert response.status_code == 422
    assert "version" in main(response)
    assert snapshot() == before


def test_html_is_escaped_everywhere(world, sign_in):
    client = sign_in(world.executive)
    response = client.post("/plans/new", data=plan_form(world, title=XSS, description=XSS))
    assert response.status_code == 302
    plan = db.session.scalar(sa.select(ActionPlan).where(ActionPlan.title == XSS))
    for path in (f"/plans/{plan.id}", "/plans/", f"/plans/{plan.id}/edit"):
        page = html(client.get(path))
        assert XSS not in page
        assert XSS_ESCAPED in page
    invalid = html(client.post("/plans/new", data=plan_form(world, title=XSS, budget="-1")))
    assert XSS not in invalid
    assert XSS_ESCAPED in invalid


def test_emoji_and_long_text_are_kept(world, sign_in):
    client = sign_in(world.sales_lead)
    title = "Café ☕ for every buyer 🚚"
    response = client.post("/plans/new", data=plan_form(world, title=title, description="é" * 9000))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(ActionPlan.title).where(ActionPlan.title == title)) == title


def test_edit_saves_only_what_changed(world, sign_in):
    client = sign_in(world.sales_lead)
    p = world.sales_plan.id
    loaded = edit_data(client, p)
    assert loaded["budget"] == "1000.00"
    assert loaded["version"] == "1"
    data = {**loaded, "title": "Sales scripts, v2", "budget": "1500"}
    response = client.post(f"/plans/{p}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    plan = db.session.get(ActionPlan, p)
    assert (plan.title, str(plan.budget), plan.version) == ("Sales scripts, v2", "1500.00", 2)
    event = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "ActionPlan", AuditEvent.entity_id == p)
        .order_by(AuditEvent.id.desc())
    ).first()
    # with the bookkeeping every update moves on (the log rebuilds rows from it)
    assert set(event.changes) == {"title", "budget", "updated_at", "version"}
    assert event.user_id == world.sales_lead.id


def test_edit_refuses_an_owner_of_another_department(world, sign_in):
    client = sign_in(world.executive)
    p = world.sales_plan.id
    before = snapshot()
    data = edit_data(client, p, owner_id=str(world.logistics_lead.id))
    response = client.post(f"/plans/{p}/edit", data=data)
    assert response.status_code == 422
    assert "must belong to Sales" in errors_of(main(response), "owner_id")
    assert snapshot() == before


# --- the optimistic lock (DESIGN §6) ------------------------------------------------------


def _changed_by_executive(w: World, **values) -> None:
    """Another person saves the plan through the service, as the app would."""
    db.session.expire_all()
    plan = db.session.get(ActionPlan, w.sales_plan.id)
    set_actor(db.session, w.executive.id)
    cascade.update_plan(w.executive, plan, PlanPatch(version=plan.version, **values))
    db.session.commit()


def test_a_stale_save_is_refused_keeping_what_was_typed(world, sign_in):
    client = sign_in(world.sales_lead)
    p = world.sales_plan.id
    data = edit_data(client, p, description="My careful new description")
    _changed_by_executive(world, due_date=date(2026, 7, 31))
    before = snapshot()

    response = client.post(f"/plans/{p}/edit", data=data)
    assert response.status_code == 409
    page = main(response)
    assert "Somebody else saved this plan" in page
    assert "Elena Exec changed Due date to 2026-07-31." in page
    values = form_values(page, f"/plans/{p}/edit")
    assert values["description"] == "My careful new description"  # what was typed is kept
    assert values["due_date"] == "2026-07-31"  # untouched here, so it takes their value
    assert values["version"] == "2"
    assert snapshot() == before  # the stale save changed nothing

    again = client.post(f"/plans/{p}/edit", data=values)
    assert again.status_code == 302
    db.session.expire_all()
    plan = db.session.get(ActionPlan, p)
    assert plan.description == "My careful new description"
    assert plan.due_date == date(2026, 7, 31)  # their change survives the second save
    assert plan.version == 3


def test_a_field_both_changed_keeps_mine_and_says_so(world, sign_in):
    client = sign_in(world.sales_lead)
    p = world.sales_plan.id
    data = edit_data(client, p, title="My title", progress_pct="30")
    _changed_by_executive(world, title="Their title", state="blocked")
    response = client.post(f"/plans/{p}/edit", data=data)
    assert response.status_code == 409
    page = main(response)
    assert "Elena Exec changed Title to “Their title”." in page
    assert "Elena Exec changed State to Blocked." in page
    assert "your value is kept" in page
    values = form_values(page, f"/plans/{p}/edit")
    assert (values["title"], values["state"], values["progress_pct"]) == (
        "My title",
        "blocked",
        "30",
    )
    assert client.post(f"/plans/{p}/edit", data=values).status_code == 302
    db.session.expire_all()
    plan = db.session.get(ActionPlan, p)
    assert (plan.title, plan.state, plan.progress_pct) == ("My title", "blocked", 30)


def test_a_check_in_by_someone_else_makes_the_form_stale(world, sign_in):
    lead = sign_in(world.sales_lead)
    p = world.sales_plan.id
    data = edit_data(lead, p, title="Renamed meanwhile")
    member = sign_in(world.member)
    checkin = {"state": "blocked", "progress_pct": "35", "confidence": "2", "text": "stuck"}
    assert member.post(f"/plans/{p}/check-in", data=checkin).status_code == 302
    response = lead.post(f"/plans/{p}/edit", data=data)
    assert response.status_code == 409
    assert "Lucas Moreno changed Progress (%) to 35%." in main(response)


def test_a_race_between_read_and_write_is_a_conflict_too(world, sign_in, monkeypatch):
    """The version matched when read, but the row moved on before the UPDATE (StaleDataError)."""
    client = sign_in(world.sales_lead)
    p = world.sales_plan.id
    data = edit_data(client, p, title="Mine")
    real_update = cascade.update_plan

    def racing_update(actor, plan, patch):
        db.session.execute(
            sa.update(ActionPlan)
            .where(ActionPlan.id == plan.id)
            .values(version=ActionPlan.version + 1, budget=7)
        )
        return real_update(actor, plan, patch)

    monkeypatch.setattr(cascade, "update_plan", racing_update)
    response = client.post(f"/plans/{p}/edit", data=data)
    assert response.status_code == 409
    assert form_values(main(response), f"/plans/{p}/edit")["title"] == "Mine"


# --- the plan page ------------------------------------------------------------------------


def test_the_plan_page_shows_facts_indicators_and_history(world, sign_in, make, db_session):
    make.indicator(world.sales_plan, name="First-call resolution", actuals=[(date(2026, 6, 1), 10)])
    make.indicator(world.sales_plan, name="Old one", archived_at=utcnow())
    db_session.commit()
    client = sign_in(world.member)
    page = main(client.get(f"/plans/{world.sales_plan.id}"))
    for text in (
        "Sales scripts",
        "Sales",
        "Take every order right",
        "Lucas Moreno",
        "2026-01-01",
        "2026-09-30",
        "1,000.00",
        "First-call resolution",
        "Off track",
        "History",
    ):
        assert text in page, text
    assert "Old one" not in page
    assert "Overdue" not in page


def test_the_plan_page_flags_an_overdue_plan(world, sign_in, db_session):
    world.sales_plan.due_date = date(2026, 6, 1)
    db_session.commit()
    page = main(sign_in(world.viewer).get(f"/plans/{world.sales_plan.id}"))
    assert "Overdue" in page
    assert "(overdue)" in page


def test_check_ins_are_newest_first_and_the_plan_takes_them(world, sign_in):
    client = sign_in(world.member)
    p = world.sales_plan.id
    page = html(client.get(f"/plans/{p}/check-in"))
    assert 'value="3" checked' in page or 'checked value="3"' in page or "checked" in page
    first = {"state": "in_progress", "progress_pct": "20", "confidence": "4", "text": "first one"}
    second = {"state": "blocked", "progress_pct": "25", "confidence": "2", "text": "second one"}
    assert client.post(f"/plans/{p}/check-in", data=first).status_code == 302
    assert client.post(f"/plans/{p}/check-in", data=second).status_code == 302
    db.session.expire_all()
    plan = db.session.get(ActionPlan, p)
    assert (plan.state, plan.progress_pct) == ("blocked", 25)
    view = main(client.get(f"/plans/{p}"))
    history = view.split('id="check-ins"', 1)[1].split("</section>", 1)[0]
    assert history.index("second one") < history.index("first one")
    assert "Lucas Moreno" in history
    assert "confidence 2/5" in history
    assert 'data-state="blocked"' in view
    assert 'data-progress="25"' in view


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"progress_pct": "101"}, "progress_pct"),
        ({"progress_pct": "abc"}, "progress_pct"),
        ({"confidence": "0"}, "confidence"),
        ({"confidence": "6"}, "confidence"),
        ({"state": "nope"}, "state"),
        ({"text": "x\x00y"}, "text"),
        ({"text": "x" * 10_001}, "text"),
    ],
)
def test_invalid_check_ins_are_refused(world, sign_in, data, field):
    client = sign_in(world.member)
    p = world.sales_plan.id
    values = {"state": "in_progress", "progress_pct": "20", "confidence": "3", "text": "typed"}
    values.update(data)
    before = snapshot()
    response = client.post(f"/plans/{p}/check-in", data=values)
    assert response.status_code == 422
    page = main(response)
    assert field in page
    assert "invalid-feedback" in page
    assert snapshot() == before


def test_no_check_in_on_an_archived_plan(world, sign_in, db_session):
    world.sales_plan.archived_at = utcnow()
    db_session.commit()
    client = sign_in(world.member)
    data = {"state": "in_progress", "progress_pct": "20", "confidence": "3", "text": ""}
    before = snapshot()
    assert client.post(f"/plans/{world.sales_plan.id}/check-in", data=data).status_code == 422
    assert snapshot() == before


def test_an_indicator_is_added_to_the_plan(world, sign_in):
    client = sign_in(world.sales_lead)
    path, data = _write(world, "indicator")
    response = client.post(path, data=data)
    assert response.status_code == 302
    indicator = db.session.scalar(
        sa.select(Indicator).where(Indicator.name == "Orders right first time")
    )
    assert indicator.action_plan_id == world.sales_plan.id
    assert indicator.objective_id is None
    assert "Orders right first time" in main(client.get(f"/plans/{world.sales_plan.id}"))


def test_an_invalid_indicator_is_refused(world, sign_in):
    client = sign_in(world.sales_lead)
    path, data = _write(world, "indicator")
    data["target_date"] = "2025-01-01"  # before the baseline
    before = snapshot()
    response = client.post(path, data=data)
    assert response.status_code == 422
    assert snapshot() == before


# --- dependencies -------------------------------------------------------------------------


def test_dependency_shows_on_both_pages_and_can_be_removed(world, sign_in):
    client = sign_in(world.sales_lead)
    s, lg = world.sales_plan.id, world.logistics_plan.id
    page = html(client.get(f"/plans/{s}"))
    options = blocker_options(page)
    assert "Delivery slots" in options
    assert 'label="Logistics"' in options
    assert "Sales portal" not in options  # own department's plans are not offered
    response = client.post(
        f"/plans/{s}/dependencies", data={"blocked_by_id": str(lg), "note": "needs slots"}
    )
    assert response.status_code == 302
    blocked = main(client.get(f"/plans/{s}"))
    assert f'data-blocked-by="{lg}"' in blocked
    assert "needs slots" in blocked
    holder = main(client.get(f"/plans/{lg}"))
    assert f'data-holds-up="{s}"' in holder
    dep = db.session.scalar(sa.select(PlanDependency))
    # the logistics lead may not remove the sales plan's mark
    other = sign_in(world.logistics_lead)
    assert other.post(f"/plans/{s}/dependencies/{dep.id}/remove").status_code == 403
    assert other.post(f"/plans/{lg}/dependencies/{dep.id}/remove").status_code == 404
    assert client.post(f"/plans/{s}/dependencies/{dep.id}/remove").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(PlanDependency.id))) == 0


def blocker_options(page: str) -> str:
    return page.split('name="blocked_by_id"', 1)[1].split("</select>", 1)[0]


def test_blocked_by_lists_the_objective_partners_and_searches_the_rest(
    world, sign_in, make, db_session, monkeypatch
):
    elsewhere = make.objective(world.objective.service_strategy, title="Elsewhere")
    robots = make.plan(elsewhere, world.logistics, title="Warehouse robots 100%_done")
    make.plan(elsewhere, world.logistics, title="Warehouse racks")
    db_session.commit()
    client = sign_in(world.sales_lead)
    s = world.sales_plan.id
    options = blocker_options(html(client.get(f"/plans/{s}")))
    assert "Delivery slots" in options  # another department, same objective
    assert "Warehouse" not in options  # another objective: found by a search
    found = html(client.get(f"/plans/{s}?blocker_q=robots"))
    assert f'value="{robots.id}"' in blocker_options(found)
    assert "Warehouse racks" not in blocker_options(found)
    assert "whose title contains “robots”" in found
    by_number = blocker_options(html(client.get(f"/plans/{s}?blocker_q=%23{robots.id}")))
    assert f'value="{robots.id}"' in by_number
    wildcard = blocker_options(html(client.get(f"/plans/{s}?blocker_q=100%25_")))
    assert f'value="{robots.id}"' in wildcard  # % and _ are matched as typed
    assert "Warehouse racks" not in wildcard
    assert client.get(f"/plans/{s}?blocker_q=a%00b").status_code == 400  # PostgreSQL refuses NUL
    none = html(client.get(f"/plans/{s}?blocker_q=Sales+portal"))  # own department's
    assert "No plan of another department matches" in none
    monkeypatch.setattr(viewing, "BLOCKERS_LISTED", 1)
    narrowed = html(client.get(f"/plans/{s}?blocker_q=warehouse"))
    assert blocker_options(narrowed).count("<option") == 2  # the prompt and the first
    assert "the first 1; type more of the title" in narrowed
    # a plan found by a search can be chosen; a refused form keeps that choice listed
    refused = client.post(
        f"/plans/{s}/dependencies", data={"blocked_by_id": str(robots.id), "note": "x" * 10_001}
    )
    assert refused.status_code == 422
    assert f'<option selected value="{robots.id}">' in blocker_options(html(refused))
    # a digit that is not ASCII ("²".isdigit() is true, int("²") fails) is refused plainly
    odd = client.post(f"/plans/{s}/dependencies", data={"blocked_by_id": "²"})
    assert odd.status_code == 422
    done = client.post(f"/plans/{s}/dependencies", data={"blocked_by_id": str(robots.id)})
    assert done.status_code == 302
    assert f'data-blocked-by="{robots.id}"' in main(client.get(f"/plans/{s}"))


@pytest.mark.parametrize("case", ["self", "cycle", "duplicate", "cancelled", "archived", "blank"])
def test_bad_dependencies_are_refused(world, sign_in, make, db_session, case):
    s, lg = world.sales_plan, world.logistics_plan
    blocker = lg
    if case == "self":
        blocker = s
    elif case in ("cycle", "duplicate"):
        first = PlanDependency(
            plan_id=(lg.id if case == "cycle" else s.id),
            blocked_by_id=(s.id if case == "cycle" else lg.id),
        )
        db_session.add(first)
    elif case == "cancelled":
        lg.state = "cancelled"
    elif case == "archived":
        lg.archived_at = utcnow()
    db_session.commit()
    client = sign_in(world.executive)
    before = snapshot()
    value = "" if case == "blank" else str(blocker.id)
    response = client.post(f"/plans/{s.id}/dependencies", data={"blocked_by_id": value})
    assert response.status_code == 422
    assert errors_of(main(response), "blocked_by_id")
    assert snapshot() == before


def test_the_service_refuses_a_longer_cycle(world, make, db_session):
    third = make.plan(world.objective, make.department("marketing"), title="Campaign")
    db_session.commit()
    a, b, c = world.sales_plan, world.logistics_plan, third
    dependencies.add_dependency(world.executive, a, b, "")
    dependencies.add_dependency(world.executive, b, c, "")
    db_session.commit()
    with pytest.raises(ValidationFailed) as err:
        dependencies.add_dependency(world.executive, c, a, "")
    assert "block each other" in err.value.fields["blocked_by_id"][0]
    with pytest.raises(PermissionDenied):
        dependencies.add_dependency(world.logistics_lead, a, c, "")
    with pytest.raises(ValidationFailed):
        dependencies.add_dependency(world.executive, a, c, "x" * 10_001)
    dep = dependencies.add_dependency(world.executive, a, c, " ok ")
    assert dep.note == "ok"
    with pytest.raises(PermissionDenied):
        dependencies.remove_dependency(world.logistics_lead, dep)


# --- queries --------------------------------------------------------------------------------


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self)


def _grow(w: World, make, start: int, stop: int) -> ActionPlan:
    """More plans with indicators, check-ins and dependencies; returns the busy plan."""
    busy = w.sales_plan
    for k in range(start, stop):
        dept = w.sales if k % 2 else w.logistics
        owner = w.member if k % 2 else w.logistics_lead
        plan = make.plan(w.objective, dept, title=f"Grown {k}", owner=owner)
        make.indicator(plan, actuals=[(date(2026, 5, 1), k)])
        make.indicator(busy, milestones=[(date(2026, 6, 1), 40)], actuals=[(date(2026, 5, 1), k)])
        db.session.add(
            CheckIn(
                action_plan=busy,
                author=w.member,
                state="in_progress",
                progress_pct=k,
                text=f"update {k}",
            )
        )
        if dept is w.logistics:
            db.session.add(PlanDependency(plan=busy, blocked_by=plan))
        else:
            db.session.add(PlanDependency(plan=plan, blocked_by=busy))
    db.session.commit()
    return busy


@pytest.mark.parametrize(
    "path", ["/plans/", "/plans/{busy}", "/plans/?department=logistics&state=planned&q=Grown"]
)
def test_query_counts_do_not_grow_with_the_data(world, make, sign_in, path):
    client = sign_in(world.executive)
    url = path.format(busy=world.sales_plan.id)
    counts = []
    for start, stop in ((0, 4), (4, 20)):  # small, then five times as much
        _grow(world, make, start, stop)
        client.get(url)  # warm up
        db.session.expire_all()  # as in production, nothing is known before the request
        with QueryCounter() as counter:
            assert client.get(url).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 20, counts


# --- CSRF ------------------------------------------------------------------------------------


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_plan_posts_need_the_csrf_token(app_factory, make):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        w = World(make, db.session)
        client = app.test_client()
        token = _token(html(client.get("/login")))
        login = {"email": w.executive.email, "password": factories.PASSWORD, "csrf_token": token}
        assert client.post("/login", data=login).status_code == 302
        p = w.sales_plan.id
        before = snapshot()
        for path, data in _writes_without_token(w):
            response = client.post(path, data=data)
            assert response.status_code == 400, path
        assert snapshot() == before
        # with the token from the page, the same form goes through
        page = html(client.get(f"/plans/{p}/check-in"))
        data = {**_write(w, "check_in")[1], "csrf_token": _token(page)}
        assert client.post(f"/plans/{p}/check-in", data=data).status_code == 302
        db.session.remove()


def _writes_without_token(w: World):
    p = w.sales_plan.id
    yield from (_write(w, what) for what in ("new", "edit", "check_in", "indicator", "dependency"))
    yield (f"/plans/{p}/archive", {})
    yield (f"/plans/{p}/restore", {})
