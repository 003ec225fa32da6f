"""The past cannot be changed (DESIGN §7 "As of a date"), whatever the address says.

Every write route of the permission sweep, sent by an executive (who may make nearly all of
them) with ?as_of= a past day, is refused with a 409 and changes no row; every edit or new
form opened with it says that the past cannot be changed and links to today's form, which
works.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from strategy_app.extensions import db
from strategy_app.services.evaluation import clock
from tests.sweep_world import audit_mark, audit_since, snapshot
from tests.test_permission_sweep import ROUTES, Ctx, _send, sweep  # noqa: F401 (fixture)

ACTOR = "executive"
READS = {"GET", "HEAD", "OPTIONS"}
# Forms that are not history: signing in.
NOT_HISTORY = {"auth.login"}


def _yesterday() -> str:
    """The day before the app's today (tests fix it in their config)."""
    return (clock.today() - timedelta(days=1)).isoformat()


def _first_object(route) -> str:
    return next(iter(route.objects))


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.endpoint}-{r.method}")
def test_a_write_carrying_a_past_day_changes_nothing(sweep, route):  # noqa: F811
    world = sweep.fresh()
    ctx = Ctx(world.ids, _first_object(route), ACTOR)
    with sweep.app.app_context():
        before, mark = snapshot(), audit_mark()
        path = route.path.format(**ctx.fmt()) + f"?as_of={_yesterday()}"
    sweep.dirty = True
    response = _send(sweep, world, route, path, ctx, ACTOR)
    with sweep.app.app_context():
        after, events = snapshot(), audit_since(mark)
        db.session.remove()
    text = response.get_data(as_text=True)
    assert response.status_code == 409, text[:1500]
    assert [name for name in before if before[name] != after[name]] == []
    assert [a for a, _user in events if a not in ("refused", "sign_in")] == []
    if route.api:
        assert response.get_json()["error"]["status"] == 409
        assert "past cannot be changed" in response.get_json()["error"]["message"]
    else:
        assert "the past cannot be changed" in text
        assert 'class="navbar' in text  # the app's layout
    sweep.dirty = False


def test_a_posted_as_of_field_is_refused_too(sweep):  # noqa: F811
    world = sweep.fresh()
    with sweep.app.app_context():
        before, yesterday = snapshot(), _yesterday()
    response = sweep.client(ACTOR).post(
        f"/plans/{world.ids['sales_plan']}/check-in",
        data={"state": "done", "progress_pct": "100", "text": "x", "as_of": yesterday},
    )
    with sweep.app.app_context():
        assert snapshot() == before
    assert response.status_code == 409
    bad = sweep.client(ACTOR).post(
        f"/plans/{world.ids['sales_plan']}/check-in?as_of=last-week",
        data={"state": "done", "progress_pct": "100", "text": "x"},
    )
    assert bad.status_code == 400
    with sweep.app.app_context():
        assert snapshot() == before


def _form_pages(app) -> list[tuple[str, str]]:
    """(endpoint, path) of every form a page opens (a rule taking GET and POST)."""
    forms = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if {"GET", "POST"} <= (rule.methods or set()) and rule.endpoint not in NOT_HISTORY
    }
    seen, out = set(), []
    for route in ROUTES:
        if route.endpoint in forms and route.endpoint not in seen:
            seen.add(route.endpoint)
            out.append((route.endpoint, route))
    assert seen == forms, f"forms with no path to try: {forms - seen}"
    return out


def test_every_form_opened_in_the_past_says_it_cannot_be_changed(sweep):  # noqa: F811
    world = sweep.fresh()
    client = sweep.client(ACTOR)
    with sweep.app.app_context():
        yesterday, today = _yesterday(), clock.today()
    tried = 0
    for endpoint, route in _form_pages(sweep.app):
        ctx = Ctx(world.ids, _first_object(route), ACTOR)
        today_path = route.path.format(**ctx.fmt())
        today = client.get(today_path)
        assert today.status_code == 200, (endpoint, today.status_code)
        assert "<form" in today.get_data(as_text=True)
        past = client.get(f"{today_path}?as_of={yesterday}")
        text = past.get_data(as_text=True)
        assert past.status_code == 409, (endpoint, text[:1000])
        assert "the past cannot be changed" in text, endpoint
        assert f'href="{today_path}">Today&#39;s version of this page</a>' in text, endpoint
        assert 'method="post"' not in text.split('id="main"', 1)[1].lower(), endpoint
        tried += 1
    assert tried >= 20
    # A form for today's date or a later one is today's form.
    ok = client.get(f"/plans/{world.ids['sales_plan']}/edit?as_of={today}")
    assert ok.status_code == 200
