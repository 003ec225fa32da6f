"""GET /search?q= (DESIGN §7): every kind found, each hit with its status, bounded queries."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import CheckIn, Objective
from strategy_app.models.base import utcnow
from strategy_app.services.evaluation import clock
from strategy_app.services.writes.tokens import create_token
from tests import factories
from tests.queries import counting_queries, page_query_counts
from tests.test_plan_pages import edit_data


@pytest.fixture
def world(app, make):
    sales = make.department("sales")
    w = {}
    w["boss"] = make.user("executive", email="boss@example.test", name="Erin Exec")
    w["lead"] = make.user("lead", sales, email="lead@example.test", name="Walrus Lead")
    make.user("member", sales, email="gone@example.test", name="Walrus Gone", active=False)
    company = make.company_strategy(title="Walrus growth", description="Grow.")
    service = make.service_strategy(links=[(company, "supports")], title="Walrus service")
    w["objective"] = make.objective(service, title="Walrus deliveries on time")
    make.objective(service, title="Old walrus objective", archived_at=utcnow())
    w["plan"] = make.plan(
        w["objective"],
        sales,
        title="Call every walrus",
        state="in_progress",
        progress_pct=40,
        due_date=date(2026, 3, 1),  # before FIXED_TODAY: overdue
    )
    w["indicator"] = make.indicator(
        w["objective"], name="Walrus orders", unit="%", actuals=[(date(2026, 6, 1), 5.0)]
    )
    db.session.add(
        CheckIn(
            action_plan=w["plan"],
            author=w["lead"],
            state="blocked",
            progress_pct=40,
            text="Waiting for the walrus trucks",
        )
    )
    make.objective(service, title="Unrelated thing")
    db.session.commit()
    return w


def hits(body: str) -> dict[str, list[str]]:
    """The page's hits by kind: each item's text, squashed."""
    found: dict[str, list[str]] = {}
    for kind, item in re.findall(r'data-kind="(\w+)">(.*?)</li>', body, re.S):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip()
        found.setdefault(kind, []).append(text)
    return found


def test_search_finds_every_kind_with_its_status(client, login, world):
    login(world["lead"])
    r = client.get("/search?q=WALRUS")
    assert r.status_code == 200
    found = hits(r.get_data(as_text=True))
    assert set(found) == {"objective", "plan", "indicator", "strategy", "person", "check_in"}
    objectives = found["objective"]
    assert objectives[0].startswith("Walrus deliveries on time")
    assert "Off track" in objectives[0]  # 5 of an expected ~45 by mid-June
    assert "Archived" in objectives[1]
    assert objectives[1].startswith("Old walrus objective")
    assert "In progress, overdue" in found["plan"][0]
    assert "Off track" in found["indicator"][0]
    assert any("Walrus growth" in s and "Active" in s for s in found["strategy"])
    assert any("Walrus service" in s for s in found["strategy"])
    assert "Department lead" in found["person"][0]
    assert "deactivated" in found["person"][1]
    assert "Waiting for the walrus trucks" in found["check_in"][0]
    assert "Blocked, 40%" in found["check_in"][0]
    assert "Unrelated" not in r.get_data(as_text=True)


def test_search_links_to_each_thing(client, login, world):
    login(world["lead"])
    body = client.get("/search?q=walrus").get_data(as_text=True)
    assert f'href="/objectives/{world["objective"].id}"' in body
    assert f'href="/plans/{world["plan"].id}"' in body
    assert f'href="/objectives/indicators/{world["indicator"].id}"' in body


def test_the_navigation_carries_the_search_box(client, login, world):
    login(world["lead"])
    body = client.get("/").get_data(as_text=True)
    assert 'role="search"' in body
    assert 'action="/search"' in body
    assert 'name="q"' in body


@pytest.mark.parametrize("words", ["%", "_", "\\", "'; DROP TABLE users; --", "<script>x</script>"])
def test_wildcards_and_hostile_words_are_only_words(client, login, world, words):
    login(world["lead"])
    r = client.get("/search", query_string={"q": words})
    assert r.status_code == 200
    assert hits(r.get_data(as_text=True)) == {}
    assert "<script>x</script>" not in r.get_data(as_text=True)


def test_an_empty_query_shows_the_form_only(client, login, world):
    login(world["lead"])
    r = client.get("/search?q=")
    assert r.status_code == 200
    assert hits(r.get_data(as_text=True)) == {}


@pytest.mark.parametrize("words", ["x" * 201, "nul\x00byte"])
def test_a_query_too_long_or_with_nul_is_a_400_in_words(client, login, world, words):
    login(world["lead"])
    r = client.get("/search", query_string={"q": words})
    assert r.status_code == 400
    assert 'id="search-q-errors"' in r.get_data(as_text=True)


def test_search_needs_sign_in(client, world):
    r = client.get("/search?q=walrus")
    assert r.status_code == 302
    assert "/login" in r.location


def test_search_shows_at_most_ten_of_a_kind_and_says_there_are_more(client, login, world, make):
    for n in range(14):
        make.objective(world["objective"].service_strategy, title=f"Walrus extra {n:02d}")
    db.session.commit()
    login(world["lead"])
    body = client.get("/search?q=walrus").get_data(as_text=True)
    assert len(hits(body)["objective"]) == 10
    assert "add a word to narrow it" in body


def test_search_queries_are_bounded(client, login, world, make):
    login(world["lead"])
    _, small = page_query_counts(client, "/search?q=walrus")
    for n in range(30):
        plan = make.plan(world["objective"], title=f"Walrus plan {n}")
        make.indicator(plan, name=f"Walrus gauge {n}", actuals=[(date(2026, 5, 1), 1.0)])
        make.user("member", plan.department, name=f"Walrus {n}", email=f"w{n}@example.test")
        db.session.add(CheckIn(action_plan=plan, state="planned", progress_pct=0, text="walrus"))
    db.session.commit()
    _, large = page_query_counts(client, "/search?q=walrus")
    assert large == small, (small, large)
    with counting_queries() as statements:
        client.get("/search?q=walrus")
    assert len(statements) <= 15, statements


def test_search_password_is_never_searched(client, login, world):
    login(world["lead"])
    body = client.get("/search", query_string={"q": factories.PASSWORD[:6]}).get_data(as_text=True)
    assert hits(body) == {}


# --- matching: case-insensitive substrings, kept by the database's search index ------------


def found_titles(client, words: str, as_of: date | None = None) -> dict[str, list[str]]:
    """Each kind's hit titles for words (the page must answer 200), today or as of a day."""
    query = {"q": words, **({"as_of": as_of.isoformat()} if as_of else {})}
    r = client.get("/search", query_string=query)
    assert r.status_code == 200, (words, r.status_code)
    titles = re.findall(
        r'data-kind="(\w+)">.*?class="fw-semibold">(.*?)</a>', r.get_data(as_text=True), re.S
    )
    found: dict[str, list[str]] = {}
    for kind, title in titles:
        found.setdefault(kind, []).append(unescape(title))
    return found


@pytest.mark.parametrize(
    ("words", "kinds"),
    [
        ("ALRU", {"objective", "plan", "indicator", "strategy", "person", "check_in"}),
        ("lrus tru", {"check_in"}),  # across words, inside words
        ("wa", {"objective", "plan", "indicator", "strategy", "person", "check_in"}),
        ("trucks walrus", set()),  # the words in another order are another text
    ],
)
def test_words_are_found_inside_words_and_across_them(client, login, world, words, kinds):
    login(world["lead"])
    assert set(found_titles(client, words)) == kinds


@pytest.fixture
def odd_titles(world, make):
    """Things whose titles hold what a search syntax would read as operators."""
    service = world["objective"].service_strategy
    make.objective(service, title='Say "walrus" AND mean it')
    make.objective(service, title="Walrus NEAR(the shore) OR NOT")
    make.objective(service, title="50%_off walrus* -sale ^first title:x {a b}")
    make.objective(service, title="Seals 🦭 walrus\u200b zone; ab")
    db.session.commit()


HOSTILE = [
    '"',
    '""',
    '"walrus"',
    'walrus"',
    '"walrus" AND',
    "walrus AND trucks",
    "walrus OR unrelated",
    "NEAR(walrus trucks)",
    "NEAR(the shore) OR",
    "walrus*",
    "*",
    "-sale",
    "^first",
    "title:x",
    "title:walrus",
    "{a b}",
    "{title}: walrus",
    "50%_off",
    "50%",
    "%_",
    "'",
    "walrus' --",
    "\\",
    "w" * 200,
    "walrus " * 28,
    "🦭 walrus",
    "walrus\u200b",
    "ab",
    "   ",
]


@pytest.mark.parametrize("words", HOSTILE)
def test_search_syntax_is_only_words(client, login, world, odd_titles, words):
    """Whatever the words hold, the answer is the things holding them as they are typed."""
    login(world["lead"])
    titles = db.session.scalars(sa.select(Objective.title)).all()
    words_ = words.strip()
    expected = sorted(t for t in titles if words_ and words_.lower() in t.lower())
    assert sorted(found_titles(client, words).get("objective", [])) == expected


def test_what_the_app_adds_changes_and_removes_is_found_at_once(client, login, world, make):
    login(world["boss"])
    plan_id = world["plan"].id
    data = edit_data(client, plan_id, title="Brief every narwhal", description="Tusks")
    assert client.post(f"/plans/{plan_id}/edit", data=data).status_code == 302
    assert found_titles(client, "NARWHAL") == {"plan": ["Brief every narwhal"]}
    assert found_titles(client, "tusks") == {"plan": ["Brief every narwhal"]}
    assert "plan" not in found_titles(client, "call every walrus")

    check_in = {"state": "in_progress", "progress_pct": "50", "confidence": "3", "text": "Orca"}
    assert client.post(f"/plans/{plan_id}/check-in", data=check_in).status_code == 302
    assert set(found_titles(client, "orca")) == {"check_in"}

    db.session.execute(sa.delete(CheckIn).where(CheckIn.text == "Orca"))
    db.session.commit()
    assert found_titles(client, "orca") == {}

    doomed = make.plan(world["objective"], title="Beluga pilot")
    db.session.add(CheckIn(action_plan=doomed, state="planned", progress_pct=0, text="Beluga"))
    db.session.commit()
    assert set(found_titles(client, "beluga")) == {"plan", "check_in"}
    db.session.delete(doomed)  # its check-ins go with it
    db.session.commit()
    assert found_titles(client, "beluga") == {}


def test_what_the_api_adds_and_changes_is_found_at_once(client, login, world):
    _, token = create_token(world["boss"], "CRM", "write")
    auth = {"Authorization": f"Bearer {token}"}
    login(world["lead"])
    ids = {k: world[k].id for k in ("objective", "indicator")}
    body = {
        "objective_id": ids["objective"],
        "department_id": world["plan"].department_id,
        "title": "Dolphin routes",
    }

    def api(method: str, path: str, json: dict) -> None:
        db.session.commit()  # each request in a session of its own, as in production
        try:
            r = client.open(f"/api/v1{path}", method=method, json=json, headers=auth)
        finally:
            db.session.remove()
        assert r.status_code in (200, 201), r.get_json()

    api("POST", "/action-plans", body)
    api("PATCH", f"/objectives/{ids['objective']}", {"title": "Dolphin days"})
    api("PATCH", f"/indicators/{ids['indicator']}", {"name": "Dolphin count"})
    assert found_titles(client, "dolphin") == {
        "objective": ["Dolphin days"],
        "plan": ["Dolphin routes"],
        "indicator": ["Dolphin count"],
    }
    assert found_titles(client, "walrus deliveries") == {}


def test_a_past_day_is_searched_in_the_words_it_had(client, login, make):
    """The index holds today's words; ?as_of= finds what that day's titles and texts held."""
    monday = date(2026, 3, 2)
    with clock.travel(monday):
        user = make.user("executive")
        plan = make.plan(title="Walrus census", description="Count them")
        db.session.add(CheckIn(action_plan=plan, state="planned", progress_pct=0, text="Tusks"))
        db.session.commit()
        login(user)
    with clock.travel(monday + timedelta(days=2)):
        data = edit_data(client, plan.id, title="Narwhal census", description="Count")
        assert client.post(f"/plans/{plan.id}/edit", data=data).status_code == 302
        make.plan(plan.objective, plan.department, title="Walrus patrol")
        db.session.scalars(sa.select(CheckIn)).one().text = "Horns"  # audited, as the app does
        db.session.commit()
        past = monday
        assert found_titles(client, "walrus") == {"plan": ["Walrus patrol"]}
        assert found_titles(client, "walrus", past) == {"plan": ["Walrus census"]}
        assert found_titles(client, "narwhal", past) == {}
        assert found_titles(client, "them", past) == {"plan": ["Walrus census"]}
        assert found_titles(client, "tusks", past) == {"check_in": ["Tusks"]}
        assert found_titles(client, "tusks") == {}
