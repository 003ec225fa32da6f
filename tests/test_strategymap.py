"""GET /strategy-map/: vision → company → service → objectives → plans, by status and fit."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

import strategy_app.assets
import strategy_app.strategymap
from strategy_app.strategymap import pages
from tests.queries import page_query_counts

GREEN, YELLOW, RED, GREY = "#146c43", "#ffc107", "#b02a37", "#adb5bd"


@pytest.fixture(autouse=True)
def registered(app):
    """The blueprints the lead adds to the factory (registered here until then)."""
    for module, name in (
        (strategy_app.assets, "assets"),
        (strategy_app.strategymap, "strategymap"),
    ):
        if name not in app.blueprints:
            module.register(app)


def sunburst(html: str) -> dict[str, tuple]:
    """The map's nodes: id → (parent, label, colour)."""
    found = re.search(r'id="chart-strategy-map-data">(.*?)</script>', html, re.S)
    assert found, "no strategy map on the page"
    trace = json.loads(found[1])["data"][0]
    return {
        i: (p, label, colour)
        for i, p, label, colour in zip(
            trace["ids"], trace["parents"], trace["labels"], trace["marker"]["colors"], strict=True
        )
    }


@pytest.fixture
def cascade(make, db_session):
    """Grow sales ← supports — Perfect order — conflicts → Cut costs; Know the consumer alone.

    One objective on track (its plan's indicator), one off track (its own indicator).
    """
    make.organization(name="Acme", vision="Be the preferred supplier")
    grow = make.company_strategy(title="Grow sales", position=1)
    cut = make.company_strategy(title="Cut costs", position=2)
    make.company_strategy(title="Know the consumer", position=3)
    service = make.service_strategy(
        title="Perfect order", links=[(grow, "supports"), (cut, "conflicts")]
    )
    lonely = make.service_strategy(title="Answer fast")
    good = make.objective(service, title="Deliver complete")
    bad = make.objective(service, title="Bill right")
    dept = make.department("sales", name="Sales")
    plan = make.plan(good, dept, title="Pick slots")
    make.indicator(plan, actuals=[(date(2026, 6, 1), 60.0)])  # expected 45.3: on track
    make.indicator(bad, actuals=[(date(2026, 6, 1), 10.0)])  # off track
    db_session.commit()
    return {"service": service, "lonely": lonely, "good": good, "bad": bad, "plan": plan}


def test_map_shows_the_cascade_with_fits_and_statuses(client, login, make, cascade):
    login(make.user("viewer"))
    response = client.get("/strategy-map/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    nodes = sunburst(html)
    s, good, bad, plan = (cascade[k].id for k in ("service", "good", "bad", "plan"))
    grow_id = next(i for i, n in nodes.items() if "Grow sales" in n[1])
    cut_id = next(i for i, n in nodes.items() if "Cut costs" in n[1])
    assert nodes["vision"][:2] == ("", "✖ Acme")
    # the service strategy under each company strategy it is linked to, with the fit
    assert nodes[f"{grow_id}/s{s}"][1] == "✖ Perfect order · supports ✓"
    assert nodes[f"{cut_id}/s{s}"][1] == "✖ Perfect order · conflicts ✖"
    assert nodes[f"{grow_id}/s{s}/o{good}"] == (f"{grow_id}/s{s}", "● Deliver complete", GREEN)
    assert nodes[f"{grow_id}/s{s}/o{bad}"][2] == RED
    assert nodes[f"{grow_id}/s{s}/o{good}/p{plan}"][1:] == ("● Pick slots", GREEN)
    # a service strategy linked to nothing hangs from the vision, and says so
    assert nodes[f"s{cascade['lonely'].id}"][:2] == ("vision", "○ Answer fast (not linked)")
    # a company strategy whose only service link conflicts takes none of its status
    assert nodes[cut_id][2] == GREY
    assert nodes[grow_id][2] == RED
    # the table view: one row per objective with the links and their fits
    assert "supports ✓ Grow sales; conflicts ✖ Cut costs" in html
    assert "Show as table: Strategy map" in html


def test_filter_by_service_strategy(client, login, make, cascade):
    login(make.user("viewer"))
    html = client.get(f"/strategy-map/?service={cascade['lonely'].id}").get_data(as_text=True)
    nodes = sunburst(html)
    assert set(nodes) == {"vision", f"s{cascade['lonely'].id}"}


@pytest.mark.parametrize("query", ["service=abc", "service=999999", "service=1%00", "as_of=x"])
def test_bad_filters_are_400(client, login, make, cascade, query):
    login(make.user("viewer"))
    assert client.get(f"/strategy-map/?{query}").status_code == 400


def test_as_of_a_past_date_shows_the_older_statuses(client, login, make, cascade):
    login(make.user("viewer"))
    html = client.get("/strategy-map/?as_of=2026-05-01").get_data(as_text=True)
    colours = {n[2] for i, n in sunburst(html).items() if "/o" in i}
    assert colours == {GREY}  # the actuals are dated June 1
    assert "as they stood on 1 May 2026" in html


def test_a_large_map_stops_at_the_objectives(client, login, make, cascade, monkeypatch):
    # vision, 3 company, 3 service places, 4 objective places: 11; and 2 plan places: 13
    monkeypatch.setattr(pages, "MAX_NODES", 12)
    login(make.user("viewer"))
    html = client.get("/strategy-map/").get_data(as_text=True)
    nodes = sunburst(html)
    assert not any("/p" in i for i in nodes)
    assert any("/o" in i for i in nodes)
    assert "it stops at the objectives" in html


def test_empty_map_says_what_to_do(client, login, make, db_session):
    login(make.user("viewer"))
    db_session.commit()
    html = client.get("/strategy-map/").get_data(as_text=True)
    assert "Nothing to map yet" in html


def test_map_needs_sign_in(client):
    response = client.get("/strategy-map/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_names_are_escaped(client, login, make, db_session):
    make.service_strategy(title="<b>bold</b><script>x</script>")
    login(make.user("viewer"))
    db_session.commit()
    html = client.get("/strategy-map/").get_data(as_text=True)
    assert "<script>x</script>" not in html
    assert "<b>bold</b>" not in html
    labels = [n[1] for n in sunburst(html).values()]
    assert "○ &lt;b&gt;bold&lt;/b&gt;&lt;script&gt;x&lt;/script&gt; (not linked)" in labels


def test_queries_do_not_grow_with_the_data(client, login, make, cascade, db_session):
    login(make.user("viewer"))
    client.get("/strategy-map/")
    small = page_query_counts(client, "/strategy-map/")
    for k in range(10):
        o = make.objective(cascade["service"], title=f"More {k}")
        p = make.plan(o, make.department(), title=f"Plan {k}")
        make.indicator(p, actuals=[(date(2026, 6, 1), 50.0)])
    large = page_query_counts(client, "/strategy-map/")
    assert small == large
    assert large[0] <= 20  # 17, one for the data version, 2 for the count on "My updates"
    assert large[1] < large[0]  # unchanged data: the figures are reused
