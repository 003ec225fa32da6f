"""The strategy pages: cascade, organization, company and service strategies with their links."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    AuditEvent,
    CompanyStrategy,
    Department,
    Organization,
    ServiceStrategy,
    StrategyLink,
)
from strategy_app.services.plumbing import numbers
from strategy_app.services.plumbing.errors import PermissionDenied, ValidationFailed
from strategy_app.services.writes import strategy_admin
from strategy_app.strategy import routes as strategy_routes
from strategy_app.strategy.routes import PLANS_SHOWN
from tests import factories

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def html(response) -> str:
    return response.get_data(as_text=True)


def snapshot() -> dict:
    """Every row of the strategy tables (the audit log apart), to prove nothing changed."""
    db.session.expire_all()
    tables = {
        "org": (Organization, ("name", "vision", "mission")),
        "company": (
            CompanyStrategy,
            ("title", "description", "owner_id", "status", "position", "archived_at"),
        ),
        "service": (
            ServiceStrategy,
            (
                "title",
                "statement",
                "owner_id",
                "period_start",
                "period_end",
                "status",
                "archived_at",
            ),
        ),
        "links": (StrategyLink, ("service_strategy_id", "company_strategy_id", "fit", "rationale")),
    }
    return {
        key: sorted(
            (row.id, *(getattr(row, c) for c in cols))
            for row in db.session.scalars(sa.select(model))
        )
        for key, (model, cols) in tables.items()
    }


def events(entity_type: str, entity_id: int | None = None, action: str | None = None):
    query = sa.select(AuditEvent).where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


@pytest.fixture
def people(make, db_session):
    sales = make.department("sales")
    people = {
        "executive": make.user("executive", name="Elena Exec"),
        "lead": make.user("lead", sales, name="Lena Lead"),
        "member": make.user("member", sales, name="Max Member"),
        "viewer": make.user("viewer", name="Vera Viewer"),
    }
    db_session.commit()
    return people


@pytest.fixture
def sign_in(app):
    """A fresh client signed in as user (each role gets its own cookie jar)."""

    def _sign_in(user):
        client = app.test_client()
        r = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
        assert r.status_code == 302
        return client

    return _sign_in


@pytest.fixture
def ceo(people, sign_in):
    return sign_in(people["executive"])


@pytest.fixture
def cascade_data(make, db_session, people):
    """An organization, three company strategies (one archived), a linked service strategy."""
    org = make.organization(name="Acme", vision="Be the distributor chains trust", mission="Serve")
    grow = make.company_strategy(title="Grow sales", position=0)
    costs = make.company_strategy(title="Reduce costs", position=1)
    old = make.company_strategy(title="Old idea", position=2)
    service = make.service_strategy(
        title="First moment of truth",
        statement="Make ordering easy",
        links=[(grow, "supports"), (costs, "neutral")],
    )
    archived_service = make.service_strategy(title="Post only", status="archived")
    db_session.flush()
    old.archived_at = old.created_at
    old.status = "archived"
    archived_service.archived_at = archived_service.created_at
    db_session.commit()
    return {
        "org": org,
        "grow": grow,
        "costs": costs,
        "old": old,
        "service": service,
        "archived_service": archived_service,
    }


def service_form(links=(), **fields) -> dict:
    """The service form's post: links as (company strategy id, fit, rationale) rows."""
    data = {"title": "Service", "statement": "", "owner_id": "", "status": "active"}
    data.update(fields)
    for i, (cs_id, fit, rationale) in enumerate(links):
        data[f"links-{i}-company_strategy_id"] = str(cs_id)
        data[f"links-{i}-fit"] = fit
        data[f"links-{i}-rationale"] = rationale
    return data


def company_form(**fields) -> dict:
    return {"title": "A strategy", "description": "", "owner_id": "", "status": "active", **fields}


def write_routes(d) -> list[tuple[str, str, dict]]:
    """Every executive-only route as (method, path, a valid post)."""
    grow, old, service, archived = d["grow"], d["old"], d["service"], d["archived_service"]
    links = [(grow.id, "supports", "why"), (d["costs"].id, "", "")]
    return [
        ("GET", "/strategy/organization", {}),
        ("POST", "/strategy/organization", {"name": "X", "vision": "V", "mission": "M"}),
        ("GET", "/strategy/company/new", {}),
        ("POST", "/strategy/company/new", company_form(title="New one")),
        ("GET", f"/strategy/company/{grow.id}/edit", {}),
        ("POST", f"/strategy/company/{grow.id}/edit", company_form(title="Changed")),
        ("POST", f"/strategy/company/{grow.id}/archive", {}),
        ("POST", f"/strategy/company/{old.id}/restore", {}),
        ("POST", f"/strategy/company/{d['costs'].id}/move/up", {}),
        ("POST", f"/strategy/company/{grow.id}/move/down", {}),
        ("GET", "/strategy/service/new", {}),
        ("POST", "/strategy/service/new", service_form(links, title="New service")),
        ("GET", f"/strategy/service/{service.id}/edit", {}),
        ("POST", f"/strategy/service/{service.id}/edit", service_form(links, title="Changed")),
        ("POST", f"/strategy/service/{service.id}/archive", {}),
        ("POST", f"/strategy/service/{archived.id}/restore", {}),
    ]


# --- access -------------------------------------------------------------------------------


def test_signed_out_every_route_redirects_to_login(app, cascade_data):
    client = app.test_client()
    before = snapshot()
    routes = [
        ("GET", "/strategy/", {}),
        ("GET", f"/strategy/service/{cascade_data['service'].id}", {}),
        *write_routes(cascade_data),
    ]
    for method, path, data in routes:
        r = client.open(path, method=method, data=data)
        assert r.status_code == 302, (method, path)
        assert r.headers["Location"].startswith("/login"), (method, path)
    assert snapshot() == before


@pytest.mark.parametrize("role", ["lead", "member", "viewer"])
def test_other_roles_are_refused_every_write_and_nothing_changes(
    role, people, sign_in, cascade_data
):
    client = sign_in(people[role])
    before = snapshot()
    for method, path, data in write_routes(cascade_data):
        r = client.open(path, method=method, data=data)
        assert r.status_code == 403, (method, path, r.status_code)
        assert snapshot() == before, (method, path)
    refused = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "refused", AuditEvent.user_id == people[role].id
        )
    ).all()
    assert len(refused) == len(write_routes(cascade_data))


@pytest.mark.parametrize("role", ["lead", "member", "viewer"])
def test_other_roles_read_the_cascade_without_write_buttons(role, people, sign_in, cascade_data):
    client = sign_in(people[role])
    for path in ("/strategy/", f"/strategy/service/{cascade_data['service'].id}"):
        r = client.get(path)
        assert r.status_code == 200
        page = html(r)
        assert "First moment of truth" in page
        for text in (">Edit<", "Archive", "Restore", "Write the vision", "/move/", "New company"):
            assert text not in page, (path, text)
    assert "Old idea" not in html(client.get("/strategy/"))  # archived: executives only


def test_unknown_and_non_numeric_ids_are_404(ceo, cascade_data):
    before = snapshot()
    for path in (
        "/strategy/company/999999/edit",
        "/strategy/company/abc/edit",
        "/strategy/company/0/edit",
        "/strategy/company/99999999999999999999/edit",
        "/strategy/service/999999",
        "/strategy/service/-1",
        "/strategy/service/x/edit",
    ):
        assert ceo.get(path).status_code == 404, path
    for path in ("/strategy/company/999999/archive", "/strategy/service/999999/restore"):
        assert ceo.post(path).status_code == 404, path
    assert ceo.post(f"/strategy/company/{cascade_data['grow'].id}/move/left").status_code == 404
    assert snapshot() == before


# --- the cascade page ---------------------------------------------------------------------


def test_cascade_shows_vision_strategies_links_objectives_and_plans(
    ceo, make, db_session, people, cascade_data
):
    service = cascade_data["service"]
    sales = people["lead"].department
    logistics = make.department("logistics", name="Logistics", position=2)
    sales.position = 1
    objective = make.objective(service, title="Orders right first time")
    make.indicator(objective, actuals=[(date(2026, 6, 1), 10.0)])  # far behind: off track
    make.plan(objective, logistics, title="Late trucks", due_date=date(2026, 6, 1), state="blocked")
    make.plan(objective, sales, title="Finished calls", due_date=date(2026, 5, 1), state="done")
    make.plan(objective, sales, title="Call every chain", due_date=date(2026, 9, 1))
    cascade_data["grow"].owner_id = people["lead"].id
    db_session.commit()
    page = html(ceo.get("/strategy/"))
    assert "Be the distributor chains trust" in page
    assert "Serve" in page
    assert page.index("Grow sales") < page.index("Reduce costs")
    assert "Owner: Lena Lead" in page
    assert 'data-fit="supports"' in page
    assert "Supports</span> <strong>Grow sales" in page
    assert "Neutral to</span> <strong>Reduce costs" in page
    block = page[page.index(f'data-objective="{objective.id}"') :]
    assert "Off track" in block[:600]
    # plans grouped by department, in department order, with the overdue flag
    assert block.index("Sales") < block.index("Logistics")
    late = block[block.index("Late trucks") : block.index("Late trucks") + 400]
    assert "Blocked" in late
    assert "Overdue" in late
    done = block[block.index("Finished calls") : block.index("Finished calls") + 300]
    assert "Overdue" not in done.split("</li>")[0]
    assert block.count("data-overdue") == 1
    # archived strategies: a separate section for executives, with Restore
    archived = page[page.index('id="archived"') :]
    assert "Old idea" in archived
    assert "Post only" in archived
    assert "Old idea" not in page[: page.index('id="archived"')]
    assert f"/strategy/company/{cascade_data['old'].id}/restore" in archived


def test_cascade_lists_the_first_objectives_and_counts_the_rest_by_status(
    ceo, make, db_session, people, monkeypatch
):
    monkeypatch.setattr(strategy_routes, "OBJECTIVES_SHOWN", 2)
    service = make.service_strategy(title="Big portfolio")
    made = []
    for n, actual in enumerate([90.0, 90.0, 0.0, 0.0, 0.0]):  # two on track, three off
        o = make.objective(service, title=f"Objective {n}")
        make.indicator(o, actuals=[(date(2026, 6, 1), actual)])
        made.append(o)
    plan = make.plan(made[-1], people["lead"].department, title="Hidden plan")
    db_session.commit()
    page = html(ceo.get("/strategy/"))
    block = page[page.index(f'data-service="{service.id}"') :]
    block = block[: block.index("</article>")]
    assert block.count("data-objective=") == 2
    assert f'data-objective="{made[0].id}"' in block
    more = block[block.index("data-more-objectives") :]
    assert 'data-more-objectives="3"' in block
    assert re.search(r"Off track</span>\s*3\.", more)
    assert "On track" not in more
    assert "See all 5 objectives" in more
    assert f"/objectives/?service_strategy={service.id}" in more
    assert f'data-plan="{plan.id}"' not in page  # the plans of objectives not shown


def test_cascade_lists_a_few_plans_per_department_and_links_to_the_rest(
    ceo, make, db_session, people, cascade_data
):
    sales = people["lead"].department
    objective = make.objective(cascade_data["service"], title="Many plans")
    late = [
        make.plan(objective, sales, title=f"Plan {n:02d}", due_date=date(2026, 1, n + 1))
        for n in range(PLANS_SHOWN + 3)
    ]
    late[-1].state = "done"  # the last is done: not overdue
    db_session.commit()
    page = html(ceo.get("/strategy/"))
    block = page[page.index(f'data-objective="{objective.id}"') :]
    block = block[: block.index("</ul>\n          </li>")]
    assert block.count("data-plan=") == PLANS_SHOWN
    assert "and 3 more" in block
    assert "2 overdue" in block  # of the three not listed, two are overdue
    link = f"/plans/?objective={objective.id}&amp;department={sales.slug}"
    assert link in block
    listed = html(ceo.get(link.replace("&amp;", "&")))
    assert all(p.title in listed for p in late)


def _flags(page: str, service_id: int) -> set[str]:
    start = page.index(f'data-service="{service_id}"')
    end = page.find("<article", start + 1)
    block = page[start : end if end != -1 else None]
    return set(re.findall(r'data-flag="(\w+)"', block))


def test_cascade_flags_a_conflicting_link(ceo, make, db_session, people):
    grow, costs = make.company_strategy(title="Grow"), make.company_strategy(title="Cut")
    s = make.service_strategy(links=[(costs, "conflicts"), (grow, "supports")])
    db_session.commit()
    for path in ("/strategy/", f"/strategy/service/{s.id}"):
        page = html(ceo.get(path))
        assert 'data-flag="conflict"' in page
        assert "conflicts with\n  “Cut”" in page
        # links are listed in the company strategies' order, not in the order they were made
        assert page.index(f'data-link="{grow.id}"') < page.index(f'data-link="{costs.id}"')
    assert _flags(html(ceo.get("/strategy/")), s.id) == {"conflict"}


def test_cascade_flags_a_missing_supporting_link(ceo, make, db_session, people):
    grow, costs = make.company_strategy(title="Grow"), make.company_strategy(title="Cut")
    neutral = make.service_strategy(links=[(grow, "neutral")])
    unlinked = make.service_strategy()
    # a supports link to an archived company strategy supports nothing live
    gone = make.company_strategy(title="Gone")
    stale = make.service_strategy(links=[(gone, "supports"), (costs, "neutral")])
    gone.archived_at = gone.created_at
    db_session.commit()
    page = html(ceo.get("/strategy/"))
    for s in (neutral, unlinked, stale):
        assert _flags(page, s.id) == {"unsupported"}, s.title
    assert "Not linked to any company strategy it supports." in page
    assert "Gone" not in page.split('id="archived"')[0]


def test_cascade_shows_no_flag_for_a_clean_service_strategy(ceo, make, db_session, people):
    grow, costs = make.company_strategy(title="Grow"), make.company_strategy(title="Cut")
    s = make.service_strategy(links=[(grow, "supports"), (costs, "neutral")])
    db_session.commit()
    page = html(ceo.get("/strategy/"))
    assert _flags(page, s.id) == set()
    assert "data-flag" not in page


def test_cascade_empty_states(people, sign_in):
    ceo = sign_in(people["executive"])
    page = html(ceo.get("/strategy/"))
    assert "No vision written yet" in page
    assert 'href="/strategy/organization">Write the vision' in page
    assert "No company strategies yet" in page
    assert "Add a company strategy" in page
    assert "No customer-service strategy yet" in page
    assert "Add a service strategy" in page
    viewer = html(sign_in(people["viewer"]).get("/strategy/"))
    assert "No vision written yet" in viewer
    assert "An executive writes it." in viewer
    assert "Write the vision" not in viewer
    assert "Add a company strategy" not in viewer


@pytest.mark.parametrize("as_of", ["garbage", "2026-13-01", "2026-02-30", "'; drop table x"])
def test_cascade_refuses_a_bad_as_of_date(ceo, as_of):
    assert ceo.get("/strategy/", query_string={"as_of": as_of}).status_code == 400


@pytest.mark.parametrize("as_of", ["2026-01-01", "0001-01-01", "9999-12-31"])
def test_cascade_as_of_a_date(ceo, cascade_data, as_of):
    r = ceo.get("/strategy/", query_string={"as_of": as_of})
    assert r.status_code == 200
    assert f"as they stood on {numbers.day(date.fromisoformat(as_of))}" in html(r)


def test_cascade_escapes_html_everywhere(ceo, make, db_session, people):
    org = make.organization(name=XSS, vision=XSS, mission=XSS)
    cs = make.company_strategy(title=XSS, description=XSS)
    s = make.service_strategy(title=XSS, statement=XSS, links=[(cs, "conflicts")])
    s.links[0].rationale = XSS
    o = make.objective(s, title=XSS)
    make.plan(o, people["lead"].department, title=XSS)
    db_session.commit()
    for path in ("/strategy/", f"/strategy/service/{s.id}", f"/strategy/service/{s.id}/edit"):
        page = html(ceo.get(path))
        assert XSS not in page, path
        assert XSS_ESCAPED in page, path
    assert org.id


def _build(make, n: int, people) -> None:
    """n company strategies and n service strategies, each with objectives, plans, indicators."""
    departments = [people["lead"].department, make.department()]
    company = [make.company_strategy(owner_id=people["lead"].id) for _ in range(n + 1)]
    for i in range(n):
        s = make.service_strategy(
            links=[(company[i], "supports"), (company[i + 1], "conflicts")],
            owner_id=people["executive"].id,
        )
        for _ in range(2):
            o = make.objective(s)
            make.indicator(o, milestones=[(date(2026, 6, 1), 40)], actuals=[(date(2026, 6, 1), 30)])
            for d in departments:
                p = make.plan(o, d, due_date=date(2026, 1, 1))
                make.indicator(p, actuals=[(date(2026, 5, 1), 50)])


def test_cascade_query_count_does_not_grow_with_the_data(ceo, make, db_session, people):
    make.organization()
    _build(make, 1, people)
    db_session.commit()
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def queries() -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            r = ceo.get("/strategy/")
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert r.status_code == 200
        return len(statements)

    small = queries()
    _build(make, 4, people)
    db_session.commit()
    large = queries()
    assert html(ceo.get("/strategy/")).count("data-objective=") == 10
    assert small == large, (small, large)
    assert small <= 25


# --- organization -------------------------------------------------------------------------


def test_executive_writes_the_organization_the_first_time(ceo, people):
    r = ceo.post(
        "/strategy/organization", data={"name": "Acme", "vision": "Be first", "mission": "Serve"}
    )
    assert r.status_code == 302
    assert r.headers["Location"] == "/strategy/"
    org = db.session.scalar(sa.select(Organization))
    assert (org.name, org.vision, org.mission) == ("Acme", "Be first", "Serve")
    (event,) = events("Organization", org.id, "create")
    assert event.user_id == people["executive"].id
    assert "Saved the vision and mission." in html(ceo.get("/strategy/"))


def test_executive_edits_the_organization_and_sees_its_history(ceo, people, cascade_data):
    org = cascade_data["org"]
    page = html(ceo.get("/strategy/organization"))
    assert 'value="Acme"' in page
    assert "Be the distributor chains trust</textarea>" in page
    r = ceo.post(
        "/strategy/organization", data={"name": "Acme Ltd", "vision": "New vision", "mission": ""}
    )
    assert r.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Organization.id))) == 1
    db.session.refresh(org)
    assert (org.name, org.vision, org.mission) == ("Acme Ltd", "New vision", "")
    (event,) = events("Organization", org.id, "update")
    assert event.user_id == people["executive"].id
    assert event.changes["vision"] == ["Be the distributor chains trust", "New vision"]
    page = html(ceo.get("/strategy/organization"))
    assert "History" in page
    assert "Elena Exec" in page
    assert "New vision" in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "vision": "V", "mission": ""}, "name"),
        ({"name": "   ", "vision": "V", "mission": ""}, "name"),
        ({"name": "x" * 201, "vision": "V", "mission": ""}, "name"),
        ({"name": "A\x00B", "vision": "V", "mission": ""}, "name"),
        ({"name": "Acme", "vision": "V\x00", "mission": ""}, "vision"),
        ({"name": "Acme", "vision": "v" * 10_001, "mission": ""}, "vision"),
        ({"name": "Acme", "vision": "", "mission": "m" * 10_001}, "mission"),
    ],
)
def test_organization_refuses_bad_values_beside_the_field(ceo, cascade_data, data, field):
    before = snapshot()
    r = ceo.post("/strategy/organization", data=data)
    assert r.status_code == 422
    page = html(r)
    assert f'id="{field}-errors"' in page
    assert f'id="{field}"' in page
    assert 'aria-invalid="true"' in page
    assert snapshot() == before


def test_organization_keeps_what_was_typed(ceo, cascade_data):
    r = ceo.post(
        "/strategy/organization", data={"name": "", "vision": "Keep 😀 this", "mission": ""}
    )
    assert r.status_code == 422
    assert "Keep 😀 this</textarea>" in html(r)


# --- company strategies -------------------------------------------------------------------


def test_executive_adds_a_company_strategy_at_the_end(ceo, people, cascade_data):
    lead = people["lead"]
    r = ceo.post(
        "/strategy/company/new",
        data=company_form(title="Know the consumer", description="Listen", owner_id=str(lead.id)),
    )
    assert r.status_code == 302
    cs = db.session.scalar(
        sa.select(CompanyStrategy).where(CompanyStrategy.title == "Know the consumer")
    )
    assert (cs.description, cs.owner_id, cs.status, cs.archived_at) == (
        "Listen",
        lead.id,
        "active",
        None,
    )
    assert cs.position == 3  # after every other, the archived one included
    (event,) = events("CompanyStrategy", cs.id, "create")
    assert event.user_id == people["executive"].id
    page = html(ceo.get("/strategy/"))
    assert "Company strategy “Know the consumer” added." in page
    listed = page[page.index('id="company-list"') :]
    assert listed.index("Reduce costs") < listed.index("Know the consumer")


def test_company_form_offers_active_users_as_owners(ceo, make, db_session, people):
    make.user("viewer", name="Gone Person", active=False)
    db_session.commit()
    page = html(ceo.get("/strategy/company/new"))
    assert "Lena Lead" in page
    assert "Gone Person" not in page
    assert '<option selected value="">— none —</option>' in page


def test_executive_edits_a_company_strategy_and_sees_its_history(ceo, people, cascade_data):
    grow = cascade_data["grow"]
    page = html(ceo.get(f"/strategy/company/{grow.id}/edit"))
    assert 'value="Grow sales"' in page
    assert "History" in page
    r = ceo.post(
        f"/strategy/company/{grow.id}/edit",
        data=company_form(
            title="Grow sales fast", description="More", owner_id=str(people["lead"].id)
        ),
    )
    assert r.status_code == 302
    db.session.refresh(grow)
    assert (grow.title, grow.description, grow.owner_id) == (
        "Grow sales fast",
        "More",
        people["lead"].id,
    )
    (event,) = events("CompanyStrategy", grow.id, "update")
    assert event.user_id == people["executive"].id
    assert event.changes["title"] == ["Grow sales", "Grow sales fast"]
    page = html(ceo.get(f"/strategy/company/{grow.id}/edit"))
    assert "Elena Exec" in page
    assert "Grow sales fast" in page


def test_choosing_the_archived_status_archives_and_active_restores(ceo, cascade_data):
    grow = cascade_data["grow"]
    r = ceo.post(
        f"/strategy/company/{grow.id}/edit",
        data=company_form(title="Grow sales", status="archived"),
    )
    assert r.status_code == 302
    db.session.refresh(grow)
    assert grow.archived_at is not None
    assert grow.status == "archived"
    assert events("CompanyStrategy", grow.id, "archive")
    # An archived strategy is not edited: its edit page refuses politely and offers Restore.
    r = ceo.get(f"/strategy/company/{grow.id}/edit")
    assert r.status_code == 409
    assert "is archived" in html(r)
    assert f"/strategy/company/{grow.id}/restore" in html(r)
    r = ceo.post(f"/strategy/company/{grow.id}/edit", data=company_form(title="Grow sales"))
    assert r.status_code == 409
    assert ceo.post(f"/strategy/company/{grow.id}/restore").status_code == 302
    db.session.refresh(grow)
    assert grow.archived_at is None
    assert grow.status == "active"


def test_executive_archives_and_restores_a_company_strategy(ceo, people, cascade_data):
    grow = cascade_data["grow"]
    r = ceo.post(f"/strategy/company/{grow.id}/archive")
    assert r.status_code == 302
    db.session.refresh(grow)
    assert grow.archived_at is not None
    assert grow.status == "archived"
    (event,) = events("CompanyStrategy", grow.id, "archive")
    assert event.user_id == people["executive"].id
    page = html(ceo.get("/strategy/"))
    assert "archived." in page
    assert "Grow sales" in page[page.index('id="archived"') :]
    # the service strategy's only supports link now points at an archived strategy
    assert _flags(page, cascade_data["service"].id) == {"unsupported"}
    r = ceo.post(f"/strategy/company/{grow.id}/restore")
    assert r.status_code == 302
    db.session.refresh(grow)
    assert grow.archived_at is None
    assert grow.status == "active"
    (event,) = events("CompanyStrategy", grow.id, "restore")
    assert event.user_id == people["executive"].id


def test_executive_reorders_company_strategies(ceo, people, cascade_data):
    grow, costs = cascade_data["grow"], cascade_data["costs"]

    def order() -> list[str]:
        page = html(ceo.get("/strategy/"))
        return re.findall(r'<h3 class="h6 mb-1">\d+\. ([^<]+)</h3>', page)

    assert order() == ["Grow sales", "Reduce costs"]
    assert ceo.post(f"/strategy/company/{costs.id}/move/up").status_code == 302
    assert order() == ["Reduce costs", "Grow sales"]
    db.session.refresh(grow)
    db.session.refresh(costs)
    assert (costs.position, grow.position) == (0, 1)
    assert events("CompanyStrategy", costs.id, "update")[-1].user_id == people["executive"].id
    assert ceo.post(f"/strategy/company/{costs.id}/move/down").status_code == 302
    assert order() == ["Grow sales", "Reduce costs"]
    # already at the top: nothing changes
    before = snapshot()
    r = ceo.post(f"/strategy/company/{grow.id}/move/up", follow_redirects=True)
    assert "already at the top" in html(r)
    assert snapshot() == before
    # an archived one has no place in the order
    r = ceo.post(f"/strategy/company/{cascade_data['old'].id}/move/up", follow_redirects=True)
    assert "restore it first" in html(r)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Nul\x00byte"}, "title"),
        ({"description": "d" * 10_001}, "description"),
        ({"description": "\x00"}, "description"),
        ({"owner_id": "999999"}, "owner_id"),
        ({"owner_id": "abc"}, "owner_id"),
        ({"status": "paused"}, "status"),
    ],
)
@pytest.mark.parametrize("where", ["new", "edit"])
def test_company_form_refuses_bad_values_beside_the_field(ceo, cascade_data, fields, field, where):
    path = (
        "/strategy/company/new"
        if where == "new"
        else f"/strategy/company/{cascade_data['grow'].id}/edit"
    )
    before = snapshot()
    r = ceo.post(path, data=company_form(**fields))
    assert r.status_code == 422
    page = html(r)
    assert f'id="{field}-errors"' in page, page
    assert snapshot() == before


def test_company_form_refuses_a_deactivated_owner(ceo, make, db_session, cascade_data):
    gone = make.user("executive", name="Gone Person", active=False)
    grow = cascade_data["grow"]
    grow.owner_id = gone.id
    db_session.commit()
    page = html(ceo.get(f"/strategy/company/{grow.id}/edit"))
    assert "Gone Person (deactivated)" in page
    before = snapshot()
    r = ceo.post(f"/strategy/company/{grow.id}/edit", data=company_form(owner_id=str(gone.id)))
    assert r.status_code == 422
    assert "Choose one of the listed people" in html(r)
    assert snapshot() == before


def test_html_in_a_title_is_stored_and_escaped(ceo, cascade_data):
    r = ceo.post("/strategy/company/new", data=company_form(title=XSS, description=XSS))
    assert r.status_code == 302
    assert db.session.scalar(sa.select(CompanyStrategy).where(CompanyStrategy.title == XSS))
    page = html(ceo.get("/strategy/"))
    assert XSS not in page
    assert XSS_ESCAPED in page


def test_company_form_keeps_what_was_typed(ceo, people, cascade_data):
    lead = people["lead"]
    r = ceo.post(
        "/strategy/company/new",
        data=company_form(title="", description="Keep ünïcode & <this>", owner_id=str(lead.id)),
    )
    assert r.status_code == 422
    page = html(r)
    assert "Keep ünïcode &amp; &lt;this&gt;</textarea>" in page
    assert f'<option selected value="{lead.id}">' in page


# --- service strategies -------------------------------------------------------------------


def test_executive_adds_a_service_strategy_with_links(ceo, people, cascade_data):
    grow, costs = cascade_data["grow"], cascade_data["costs"]
    page = html(ceo.get("/strategy/service/new"))
    assert page.count("data-link-row=") == 2  # one row per live company strategy
    assert "Old idea" not in page
    r = ceo.post(
        "/strategy/service/new",
        data=service_form(
            [(grow.id, "supports", "More orders"), (costs.id, "conflicts", "Costs more")],
            title="Second moment",
            statement="Deliver on time",
            owner_id=str(people["executive"].id),
            period_start="2026-01-01",
            period_end="2026-12-31",
            status="draft",
        ),
    )
    assert r.status_code == 302
    s = db.session.scalar(
        sa.select(ServiceStrategy).where(ServiceStrategy.title == "Second moment")
    )
    assert r.headers["Location"] == f"/strategy/service/{s.id}"
    assert (s.statement, s.status, s.period_start, s.period_end) == (
        "Deliver on time",
        "draft",
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert sorted((lk.company_strategy_id, lk.fit, lk.rationale) for lk in s.links) == sorted(
        [(grow.id, "supports", "More orders"), (costs.id, "conflicts", "Costs more")]
    )
    (event,) = events("ServiceStrategy", s.id, "create")
    assert event.user_id == people["executive"].id
    for link in s.links:
        (event,) = events("StrategyLink", link.id, "create")
        assert event.user_id == people["executive"].id
    page = html(ceo.get(f"/strategy/service/{s.id}"))
    assert "Deliver on time" in page
    assert "2026-01-01 – 2026-12-31" in page
    assert 'data-flag="conflict"' in page
    assert "More orders" in page
    assert "Elena Exec" in page


def test_a_row_left_unlinked_makes_no_link(ceo, cascade_data):
    grow, costs = cascade_data["grow"], cascade_data["costs"]
    r = ceo.post(
        "/strategy/service/new",
        data=service_form(
            [(grow.id, "", "typed but not linked"), (costs.id, "supports", "")], title="S2"
        ),
    )
    assert r.status_code == 302
    s = db.session.scalar(sa.select(ServiceStrategy).where(ServiceStrategy.title == "S2"))
    assert [(lk.company_strategy_id, lk.fit) for lk in s.links] == [(costs.id, "supports")]


def test_executive_edits_a_service_strategy_and_its_links(ceo, people, cascade_data):
    s, grow, costs = cascade_data["service"], cascade_data["grow"], cascade_data["costs"]
    page = html(ceo.get(f"/strategy/service/{s.id}/edit"))
    assert 'value="First moment of truth"' in page
    assert "History" in page
    assert '<option selected value="supports">' in page
    assert '<option selected value="neutral">' in page
    r = ceo.post(
        f"/strategy/service/{s.id}/edit",
        data=service_form(
            [(grow.id, "", ""), (costs.id, "conflicts", "Expensive")],
            title="First moment, revised",
            period_start="2026-01-01",
        ),
    )
    assert r.status_code == 302
    db.session.expire_all()
    s = db.session.get(ServiceStrategy, s.id)
    assert s.title == "First moment, revised"
    assert s.period_start == date(2026, 1, 1)
    assert [(lk.company_strategy_id, lk.fit, lk.rationale) for lk in s.links] == [
        (costs.id, "conflicts", "Expensive")
    ]
    (event,) = events("ServiceStrategy", s.id, "update")
    assert event.user_id == people["executive"].id
    assert events("StrategyLink", action="delete")[-1].user_id == people["executive"].id
    page = html(ceo.get("/strategy/"))
    assert _flags(page, s.id) == {"conflict", "unsupported"}


def test_service_edit_warns_of_links_to_archived_company_strategies(
    ceo, make, db_session, cascade_data
):
    s, old = cascade_data["service"], cascade_data["old"]
    db_session.add(StrategyLink(service_strategy=s, company_strategy=old, fit="supports"))
    db_session.commit()
    page = html(ceo.get(f"/strategy/service/{s.id}/edit"))
    assert "Links to archived company strategies are removed when you save" in page
    assert "supports “Old idea”" in page
    assert page.count("data-link-row=") == 2


def _row_errors(page: str, row: int) -> str:
    start = page.index(f'id="links-{row}-company_strategy_id"')
    return page[start : page.index("</fieldset>", start)]


@pytest.mark.parametrize("where", ["new", "edit"])
def test_service_form_refuses_a_link_to_an_archived_or_unknown_strategy(ceo, cascade_data, where):
    grow, old = cascade_data["grow"], cascade_data["old"]
    path = (
        "/strategy/service/new"
        if where == "new"
        else f"/strategy/service/{cascade_data['service'].id}/edit"
    )
    before = snapshot()
    for bad in (old.id, 999_999):
        # row 0 left unlinked, so the bad link is the first of the links sent: the error
        # must still show on row 2, where it was typed
        rows = [
            (grow.id, "", ""),
            (cascade_data["costs"].id, "supports", ""),
            (bad, "supports", ""),
        ]
        r = ceo.post(path, data=service_form(rows, title="Tampered"))
        assert r.status_code == 422, bad
        page = html(r)
        assert "no longer exists" in _row_errors(page, 2)
        assert "no longer exists" not in _row_errors(page, 1)
        assert 'value="Tampered"' in page
    assert snapshot() == before


@pytest.mark.parametrize("where", ["new", "edit"])
def test_service_form_refuses_duplicate_link_rows(ceo, cascade_data, where):
    grow = cascade_data["grow"]
    path = (
        "/strategy/service/new"
        if where == "new"
        else f"/strategy/service/{cascade_data['service'].id}/edit"
    )
    before = snapshot()
    rows = [(grow.id, "supports", "a"), (grow.id, "conflicts", "b")]
    r = ceo.post(path, data=service_form(rows))
    assert r.status_code == 422
    page = html(r)
    errors = page[page.index('id="links-errors"') :]
    assert "Each company strategy can be linked once" in errors[:300]
    assert snapshot() == before


@pytest.mark.parametrize("where", ["new", "edit"])
def test_service_form_refuses_a_period_ending_before_it_starts(ceo, cascade_data, where):
    path = (
        "/strategy/service/new"
        if where == "new"
        else f"/strategy/service/{cascade_data['service'].id}/edit"
    )
    before = snapshot()
    r = ceo.post(path, data=service_form(period_start="2026-06-01", period_end="2026-05-31"))
    assert r.status_code == 422
    page = html(r)
    assert (
        "Must not be before the start of the period"
        in page[page.index('id="period_end-errors"') :][:200]
    )
    assert 'value="2026-06-01"' in page
    assert 'value="2026-05-31"' in page
    assert snapshot() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"statement": "s" * 10_001}, "statement"),
        ({"statement": "\x00"}, "statement"),
        ({"period_start": "2026-13-45"}, "period_start"),
        ({"period_start": "yesterday"}, "period_start"),
        ({"period_end": "9999-12-31"}, "period_end"),
        ({"period_start": "0001-01-01"}, "period_start"),
        ({"owner_id": "424242"}, "owner_id"),
        ({"owner_id": "-1"}, "owner_id"),
        ({"status": "archived"}, "status"),
        ({"status": "<b>"}, "status"),
    ],
)
@pytest.mark.parametrize("where", ["new", "edit"])
def test_service_form_refuses_bad_values_beside_the_field(ceo, cascade_data, fields, field, where):
    path = (
        "/strategy/service/new"
        if where == "new"
        else f"/strategy/service/{cascade_data['service'].id}/edit"
    )
    before = snapshot()
    r = ceo.post(path, data=service_form([(cascade_data["grow"].id, "supports", "")], **fields))
    assert r.status_code == 422
    assert f'id="{field}-errors"' in html(r)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (("abc", "supports", ""), "company_strategy_id"),
        (("-5", "supports", ""), "company_strategy_id"),
        (("1", "great", ""), "fit"),
        (("1", "supports", "r" * 10_001), "rationale"),
        (("1", "supports", "nul\x00"), "rationale"),
    ],
)
def test_service_form_refuses_bad_link_rows(ceo, cascade_data, row, field):
    cs_id, fit, rationale = row
    cs_id = str(cascade_data["grow"].id) if cs_id == "1" else cs_id
    before = snapshot()
    r = ceo.post("/strategy/service/new", data=service_form([(cs_id, fit, rationale)]))
    assert r.status_code == 422
    page = html(r)
    if field == "company_strategy_id":
        assert "Choose one of the listed values" in _row_errors(page, 0)
    else:
        assert f'id="links-0-{field}-errors"' in page
    assert snapshot() == before


def test_service_view_shows_links_objectives_and_history(ceo, make, db_session, cascade_data):
    s = cascade_data["service"]
    make.objective(s, title="Orders right first time", due_date=date(2026, 12, 31))
    archived = make.objective(s, title="Dropped objective")
    archived.archived_at = archived.created_at
    db_session.commit()
    page = html(ceo.get(f"/strategy/service/{s.id}"))
    assert "Make ordering easy" in page
    assert "no period set" in page
    assert "Supports</span> <strong>Grow sales" in page
    assert "Orders right first time" in page
    assert "2026-12-31" in page
    assert "Dropped objective" not in page
    assert "No data" in page
    assert "History" in page
    assert f"/strategy/service/{s.id}/edit" in page


def test_executive_archives_and_restores_a_service_strategy(ceo, people, cascade_data):
    s = cascade_data["service"]
    assert ceo.post(f"/strategy/service/{s.id}/archive").status_code == 302
    db.session.refresh(s)
    assert s.archived_at is not None
    assert s.status == "archived"
    (event,) = events("ServiceStrategy", s.id, "archive")
    assert event.user_id == people["executive"].id
    page = html(ceo.get("/strategy/"))
    assert f'data-service="{s.id}"' not in page
    assert f'data-archived-service="{s.id}"' in page
    view = html(ceo.get(f"/strategy/service/{s.id}"))
    assert "This service strategy was archived" in view
    assert "Restore" in view
    assert f"/strategy/service/{s.id}/edit" not in view  # Restore, not Edit
    r = ceo.post(f"/strategy/service/{s.id}/restore")
    assert r.status_code == 302
    assert r.headers["Location"] == f"/strategy/service/{s.id}"
    db.session.refresh(s)
    assert s.archived_at is None
    assert s.status == "active"
    (event,) = events("ServiceStrategy", s.id, "restore")
    assert event.user_id == people["executive"].id


def test_editing_an_archived_service_strategy_is_refused_politely(ceo, cascade_data):
    s = cascade_data["archived_service"]
    r = ceo.get(f"/strategy/service/{s.id}/edit")
    assert r.status_code == 409
    assert "is archived" in html(r)
    assert f"/strategy/service/{s.id}/restore" in html(r)
    r = ceo.post(
        f"/strategy/service/{s.id}/edit",
        data=service_form(title="Renamed while archived", status="draft"),
    )
    assert r.status_code == 409
    db.session.refresh(s)
    assert s.archived_at is not None
    assert s.status == "archived"
    assert s.title != "Renamed while archived"


# --- the service module on its own --------------------------------------------------------


def test_reorder_and_organization_check_the_policy(app, people, cascade_data):
    for role in ("lead", "member", "viewer"):
        with pytest.raises(PermissionDenied):
            strategy_admin.reorder_company_strategy(people[role], cascade_data["grow"], "down")
        with pytest.raises(PermissionDenied):
            strategy_admin.update_organization(
                people[role], strategy_admin.OrganizationIn(name="X")
            )


def test_reorder_refuses_an_archived_strategy_and_stops_at_the_ends(app, people, cascade_data):
    ceo = people["executive"]
    with pytest.raises(ValidationFailed):
        strategy_admin.reorder_company_strategy(ceo, cascade_data["old"], "up")
    assert strategy_admin.reorder_company_strategy(ceo, cascade_data["grow"], "up") is False
    assert strategy_admin.reorder_company_strategy(ceo, cascade_data["costs"], "down") is False
    assert strategy_admin.reorder_company_strategy(ceo, cascade_data["costs"], "up") is True


# --- CSRF ---------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session.remove()


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_strategy_posts_need_the_csrf_token(csrf_app, make):
    ceo = make.user("executive")
    grow = make.company_strategy(title="Grow")
    costs = make.company_strategy(title="Costs", position=1)
    s = make.service_strategy(links=[(grow, "supports")])
    db.session.commit()
    client = csrf_app.test_client()
    token = _token(html(client.get("/login")))
    r = client.post(
        "/login", data={"email": ceo.email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 302
    before = snapshot()
    for path, data in (
        ("/strategy/organization", {"name": "X"}),
        ("/strategy/company/new", company_form()),
        (f"/strategy/company/{grow.id}/edit", company_form()),
        (f"/strategy/company/{grow.id}/archive", {}),
        (f"/strategy/company/{costs.id}/move/up", {}),
        ("/strategy/service/new", service_form()),
        (f"/strategy/service/{s.id}/edit", service_form()),
        (f"/strategy/service/{s.id}/archive", {}),
    ):
        assert client.post(path, data=data).status_code == 400, path
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400, path
    assert snapshot() == before
    token = _token(html(client.get("/strategy/")))
    r = client.post(f"/strategy/company/{grow.id}/archive", data={"csrf_token": token})
    assert r.status_code == 302
    db.session.refresh(grow)
    assert grow.archived_at is not None


def test_service_page_shows_its_objectives_a_page_at_a_time_worst_first(
    ceo, make, db_session, people
):
    """A strategy with many objectives: 25 a page, those off track first, every one on
    some page exactly once, the pages linked."""
    from strategy_app.strategy.service import OBJECTIVES_SHOWN

    s = make.service_strategy(title="Many objectives")
    sales = db.session.scalar(sa.select(Department).where(Department.slug == "sales"))
    made = [make.objective(s, title=f"Objective {k:02d}") for k in range(OBJECTIVES_SHOWN + 5)]
    late = made[-1]  # the newest, but off track: shown first
    plan = make.plan(late, sales, title="Late plan")
    make.indicator(plan, actuals=[(date(2026, 6, 1), 1.0)])
    db_session.commit()

    first = html(ceo.get(f"/strategy/service/{s.id}"))
    rows = re.findall(r'<tr data-objective="(\d+)">', first)
    assert len(rows) == OBJECTIVES_SHOWN
    assert rows[0] == str(late.id)
    assert f"1–{OBJECTIVES_SHOWN} of {len(made)}" in first
    assert f'href="/strategy/service/{s.id}?page=2"' in first
    second = html(ceo.get(f"/strategy/service/{s.id}?page=2"))
    rest = re.findall(r'<tr data-objective="(\d+)">', second)
    assert len(rest) == 5
    assert sorted(map(int, rows + rest)) == sorted(o.id for o in made)
    assert ceo.get(f"/strategy/service/{s.id}?page=3").status_code == 404
