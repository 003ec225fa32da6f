"""403 and 404 pages say why and offer the way back (DESIGN §4: a refusal is a 403 page)."""

from __future__ import annotations

from strategy_app.extensions import db


def test_a_refused_edit_says_why_and_links_back(client, login, make):
    sales = make.department("sales", name="Sales")
    viewer = make.user("viewer", email="v@example.test")
    member = make.user("member", sales, email="m@example.test")
    plan = make.plan(make.objective(), sales, title="Call late orders")
    db.session.commit()
    login(member)
    r = client.get(f"/plans/{plan.id}/edit")
    assert r.status_code == 403
    body = r.get_data(as_text=True)
    assert "You are not allowed to do this." in body
    assert "A member changes only the plans they own" in body
    assert f'href="/plans/{plan.id}"' in body  # the thing's own page
    assert 'href="/departments/sales"' in body
    assert "Your department: Sales" in body
    client.post("/logout")
    login(viewer)
    body = client.get(f"/plans/{plan.id}/edit").get_data(as_text=True)
    assert "A viewer reads everything but changes nothing." in body


def test_not_found_says_so_and_offers_search(client, login, make):
    boss = make.user("executive", email="b@example.test")
    db.session.commit()
    login(boss)
    r = client.get("/plans/999999")
    assert r.status_code == 404
    body = r.get_data(as_text=True)
    assert "no longer there" in body
    assert 'href="/search"' in body
    assert 'href="/"' in body
