"""Archive safely, for everything a page can archive (issue 15).

Plans, objectives, indicators, company and service strategies share one mechanism
(strategy_app/archiving.py): a confirmation that says what goes with the thing, "Undo" right
after, "Restore" for executives (policy.RESTORE, DESIGN §4), archived things marked and their
edit addresses refusing politely with "Restore" instead.
"""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    CompanyStrategy,
    Department,
    Indicator,
    Objective,
    ServiceStrategy,
)
from strategy_app.models.base import utcnow
from tests import factories


@pytest.fixture
def world(app, make):
    sales = make.department("sales", name="Sales", position=0)
    logistics = make.department("logistics", name="Logistics", position=1)
    exec_ = make.user("executive", name="Chief", email="ceo@example.test")
    lead = make.user("lead", department=sales, name="Sally", email="lead@example.test")
    make.user("lead", department=logistics, name="Lou", email="lou@example.test")
    make.user("viewer", name="Vic", email="viewer@example.test")
    cs = make.company_strategy(title="Grow with chains", position=0)
    cs2 = make.company_strategy(title="Cut waste", position=1)
    ss = make.service_strategy(
        links=[(cs, "supports"), (cs2, "conflicts")], title="First contact right"
    )
    objective = make.objective(ss, title="Take every order right", owner=exec_)
    own = make.indicator(objective, name="Orders right", actuals=[(date(2026, 3, 1), 30.0)])
    plans = [make.plan(objective, sales, title=f"Plan {n}", owner=lead) for n in range(4)]
    plan_indicators = [
        make.indicator(plans[n % 4], name=f"Plan indicator {n}", actuals=[(date(2026, 2, 1), 5)])
        for n in range(5)
    ]
    make.plan(objective, sales, title="Gone already", archived_at=utcnow())
    db.session.commit()
    return {
        "dept": sales.id,
        "cs": cs.id,
        "ss": ss.id,
        "objective": objective.id,
        "indicator": own.id,
        "plan": plans[0].id,
        "plan_indicator": plan_indicators[0].id,
    }


def sign_in(client, email: str) -> None:
    r = client.post("/login", data={"email": email, "password": factories.PASSWORD})
    assert r.status_code == 302


def text(response) -> str:
    body = response.get_data(as_text=True)
    main = body.split("<main", 1)[-1]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


# model, world key, archive address, edit address, restore address, what the page must say
KINDS = {
    "objective": (
        Objective,
        "/objectives/{id}/archive",
        "/objectives/{id}/edit",
        "/objectives/{id}/restore",
        "its 4 plans and 6 indicators (with 6 actuals) stop counting",
    ),
    "indicator": (
        Indicator,
        "/objectives/indicators/{id}/archive",
        "/objectives/indicators/{id}/edit",
        "/objectives/indicators/{id}/restore",
        "its one actual stops counting in the results of “Take every order right”",
    ),
    "plan": (
        ActionPlan,
        "/plans/{id}/archive",
        "/plans/{id}/edit",
        "/plans/{id}/restore",
        "its 2 indicators and their 2 actuals stop counting",
    ),
    "ss": (
        ServiceStrategy,
        "/strategy/service/{id}/archive",
        "/strategy/service/{id}/edit",
        "/strategy/service/{id}/restore",
        "its one objective, with their 4 plans and 6 indicators, leaves the cascade",
    ),
    "cs": (
        CompanyStrategy,
        "/strategy/company/{id}/archive",
        "/strategy/company/{id}/edit",
        "/strategy/company/{id}/restore",
        "its fit with one service strategy (1 supporting) leaves the alignment report",
    ),
    "dept": (
        Department,
        "/admin/departments/{id}/archive",
        "/admin/departments/{id}/edit",
        "/admin/departments/{id}/restore",
        "its 4 plans stay as they are, still counted in their objectives; "
        "its one person keeps their account",
    ),
}


@pytest.mark.parametrize("key", KINDS)
def test_confirm_then_archive_then_undo(client, world, key):
    model, archive, edit, restore, says = KINDS[key]
    ident = world[key]
    sign_in(client, "ceo@example.test")

    confirm = client.get(archive.format(id=ident))
    assert confirm.status_code == 200
    words = text(confirm)
    assert says in words, words[:1500]
    assert "Nothing is deleted" in words
    assert db.session.get(model, ident).archived_at is None  # asking changes nothing

    done = client.post(archive.format(id=ident), follow_redirects=True)
    assert done.status_code == 200
    page = done.get_data(as_text=True)
    assert 'id="undo-button"' in page
    assert f'action="{restore.format(id=ident)}"' in page  # Undo restores this very thing
    db.session.expire_all()
    assert db.session.get(model, ident).archived_at is not None

    refused = client.get(edit.format(id=ident))
    assert refused.status_code == 409
    assert "is archived" in text(refused)
    assert 'id="restore-button"' in refused.get_data(True)
    posted = client.post(edit.format(id=ident), data={"title": "Changed", "name": "Changed"})
    assert posted.status_code == 409
    assert client.get(archive.format(id=ident)).status_code == 302  # nothing left to confirm

    assert client.post(restore.format(id=ident)).status_code == 302
    db.session.expire_all()
    obj = db.session.get(model, ident)
    assert obj.archived_at is None
    assert getattr(obj, "title", getattr(obj, "name", None)) != "Changed"
    if key in ("cs", "ss"):
        assert obj.status == "active"


@pytest.mark.parametrize("key", ["objective", "indicator", "plan", "ss"])
def test_an_archived_thing_offers_restore_not_edit(client, world, key):
    model, archive, edit, restore, _ = KINDS[key]
    ident = world[key]
    db.session.get(model, ident).archived_at = utcnow()
    db.session.commit()
    sign_in(client, "ceo@example.test")
    view = {
        "objective": "/objectives/{id}",
        "indicator": "/objectives/indicators/{id}",
        "plan": "/plans/{id}",
        "ss": "/strategy/service/{id}",
    }[key]
    page = client.get(view.format(id=ident)).get_data(as_text=True)
    assert 'id="archived-banner"' in page
    assert f'action="{restore.format(id=ident)}"' in page
    assert f'href="{edit.format(id=ident)}"' not in page
    assert f'href="{archive.format(id=ident)}"' not in page


def test_a_lead_archives_their_own_plan_but_restoring_is_the_executives(client, world):
    """DESIGN §4 (binding): "restore archived items" — executive yes, lead no."""
    plan = db.session.get(ActionPlan, world["plan"])
    indicator = db.session.get(Indicator, world["plan_indicator"])
    plan_id, indicator_id = plan.id, indicator.id
    sign_in(client, "lead@example.test")
    assert client.post(f"/plans/{plan_id}/archive").status_code == 302
    db.session.get(Indicator, indicator_id).archived_at = utcnow()
    db.session.commit()
    page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert 'id="archived-banner"' in page
    assert 'id="restore-button"' not in page
    assert client.post(f"/objectives/indicators/{indicator_id}/restore").status_code == 403
    assert client.post(f"/plans/{plan_id}/restore").status_code == 403
    client.post("/logout")
    sign_in(client, "ceo@example.test")
    assert client.post(f"/plans/{plan_id}/restore").status_code == 302
    assert client.post(f"/objectives/indicators/{indicator_id}/restore").status_code == 302
    db.session.expire_all()
    assert db.session.get(Indicator, indicator_id).archived_at is None
    assert db.session.get(ActionPlan, plan_id).archived_at is None


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("lou@example.test", "plan"),  # another department's lead
        ("lead@example.test", "objective"),  # objectives are the executives'
        ("lead@example.test", "ss"),
        ("viewer@example.test", "indicator"),
    ],
)
def test_who_may_not_edit_may_not_archive_nor_restore(client, world, email, key):
    model, archive, _, restore, _ = KINDS[key]
    ident = world[key]
    sign_in(client, email)
    assert client.get(archive.format(id=ident)).status_code == 403
    assert client.post(archive.format(id=ident)).status_code == 403
    db.session.get(model, ident).archived_at = utcnow()
    db.session.commit()
    assert client.post(restore.format(id=ident)).status_code == 403
    page = client.get(
        {"plan": "/plans/{id}", "objective": "/objectives/{id}"}.get(
            key, "/objectives/indicators/{id}" if key == "indicator" else "/strategy/service/{id}"
        ).format(id=ident)
    ).get_data(as_text=True)
    assert 'id="archived-banner"' in page
    assert 'id="restore-button"' not in page
    db.session.expire_all()
    assert db.session.get(model, ident).archived_at is not None


def test_the_archived_plans_list_offers_restore_to_executives_only(client, world):
    plan = db.session.get(ActionPlan, world["plan"])
    plan.archived_at = utcnow()
    db.session.commit()
    form = f'action="/plans/{plan.id}/restore"'
    for lead in ("lou@example.test", "lead@example.test"):  # another's lead, and its own
        sign_in(client, lead)
        assert "Plan 0" in client.get("/plans/?archived=1").get_data(True)
        assert form not in client.get("/plans/?archived=1").get_data(True)
        client.post("/logout")
    sign_in(client, "ceo@example.test")
    assert form in client.get("/plans/?archived=1").get_data(True)
