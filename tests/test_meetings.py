"""Meeting mode: the slides and their numbers, changes since the last review, recording reviews."""

from __future__ import annotations

import html as htmllib
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.meetings import pages
from strategy_app.models import (
    ActionPlan,
    AuditEvent,
    CheckIn,
    Measurement,
    Review,
    ReviewDecision,
)
from strategy_app.services.evaluation import clock
from strategy_app.services.writes import reviews
from tests import factories
from tests.queries import counting_queries, page_query_counts

TODAY = date(2026, 6, 15)  # conftest.FIXED_TODAY


def html(response) -> str:
    return response.get_data(as_text=True)


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def snapshot() -> dict[str, int]:
    """Rows of what recording a review may write."""
    return {
        m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Review, ReviewDecision, ActionPlan)
    }


class World:
    """Sales and logistics; three objectives: off track, at risk, on track (at 2026-06-15).

    Plans: sales 'Late' (in progress 40 %, due May 1: overdue), logistics 'Routes' (50 %, due
    in July), sales 'Done' (done). An indicator 0 → 100 over 2026 is expected at 45.3 on June
    15: an actual of 10 is off track, 40 at risk, 60 on track.
    """

    def __init__(self, make, session):
        self.org = make.organization(vision="Be the distributor chains trust")
        self.service = make.service_strategy(title="Win the moments of truth")
        self.sales = make.department("sales", name="Sales", service_role="Takes the orders")
        self.logistics = make.department("logistics", name="Logistics")
        self.executive = make.user("executive")
        self.sales_lead = make.user("lead", self.sales)
        self.member = make.user("member", self.sales)
        self.viewer = make.user("viewer")
        self.off = make.objective(self.service, title="Answer at the first call")
        self.risk = make.objective(self.service, title="Deliver in the slot")
        self.good = make.objective(self.service, title="Know the consumer")
        self.late = make.plan(
            self.off,
            self.sales,
            title="Late scripts",
            state="in_progress",
            progress_pct=40,
            due_date=date(2026, 5, 1),
        )
        self.routes = make.plan(
            self.risk,
            self.logistics,
            title="Routes",
            state="in_progress",
            progress_pct=50,
            due_date=date(2026, 7, 1),
        )
        self.done = make.plan(self.good, self.sales, title="Done survey", state="done")
        self.off_indicator = make.indicator(self.late, actuals=[(date(2026, 6, 1), 10.0)])
        make.indicator(self.routes, actuals=[(date(2026, 6, 1), 40.0)])
        make.indicator(self.done, actuals=[(date(2026, 6, 1), 60.0)])
        session.commit()


@pytest.fixture
def world(make, db_session):
    return World(make, db_session)


@pytest.fixture
def sign_in(app):
    """A fresh client signed in as the given user."""

    def _sign_in(user):
        c = app.test_client()
        r = c.post("/login", data={"email": user.email, "password": factories.PASSWORD})
        assert r.status_code == 302, html(r)
        return c

    return _sign_in


def whole_deck(client, url: str = "/meeting") -> str:
    """The deck page and every slide it leaves to meeting.js, fetched the way meeting.js
    fetches them (each slide's data-src): the HTML of the whole deck."""
    page = html(client.get(url))
    found = [page]
    for src in re.findall(r'data-src="([^"]+)"', page):
        response = client.get(src.replace("&amp;", "&"))
        assert response.status_code == 200, src
        found.append(html(response))
    return "\n".join(found)


def slide_ids(page: str) -> list[str]:
    return re.findall(r'<section class="slide[^"]*" id="([\w-]+)" data-slide', page)


def figure(page: str, chart_id: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{chart_id}-data">(.*?)</script>', page)
    assert found, chart_id
    return json.loads(found.group(1))


# --- the deck ------------------------------------------------------------------------------


def test_deck_shows_the_right_numbers(world, sign_in):
    client = sign_in(world.viewer)
    deck = html(client.get("/meeting"))
    page = whole_deck(client)
    assert "Be the distributor chains trust" in page
    counts = dict(re.findall(r'data-status="(\w+)">(\d+)<', page))
    assert counts == {"on_track": "1", "at_risk": "1", "off_track": "1", "no_data": "0"}
    assert 'data-figure-name="overdue">1<' in page
    # scorecards: sales has two plans (one overdue), execution (40 % + 100 %) / 2
    sales = page.split('<tr data-department="sales">', 1)[1].split("</tr>", 1)[0]
    assert '<td data-cell="plans">2</td>' in sales
    assert '<td data-cell="overdue">1</td>' in sales
    assert '<td data-cell="execution">70%</td>' in sales
    logistics = page.split('<tr data-department="logistics">', 1)[1].split("</tr>", 1)[0]
    assert '<td data-cell="execution">50%</td>' in logistics
    # off track and at risk: worst first, the on-track objective not listed
    troubled = page.split('id="meeting-troubled"', 1)[1].split("</table>", 1)[0]
    assert troubled.index(f'data-objective="{world.off.id}"') < troubled.index(
        f'data-objective="{world.risk.id}"'
    )
    assert f'data-objective="{world.good.id}"' not in troubled
    # overdue plans: only the late one, 45 days late
    overdue = page.split('id="meeting-overdue"', 1)[1].split("</table>", 1)[0]
    assert f'data-plan="{world.late.id}"' in overdue
    assert f'data-plan="{world.routes.id}"' not in overdue
    assert "45 days" in overdue
    # one slide per department, and the slide list names each one
    for slug, name in (("sales", "Sales"), ("logistics", "Logistics")):
        assert f'data-department-slide="{slug}"' in page
        assert f'href="#slide-department-{slug}" data-goto=' in page
        assert name in page
    assert "Takes the orders" in page
    slides = slide_ids(deck)
    assert slides[:5] == [
        "slide-overview",
        "slide-scorecards",
        "slide-departments-compared",
        "slide-troubled",
        "slide-misses",
    ]
    # a slide for the off-track objective (not the at-risk one), with its indicators' chart
    assert f"slide-objective-{world.off.id}" in slides
    assert f"slide-objective-{world.risk.id}" not in slides
    assert f'id="slide-objective-{world.off.id}-chart-data"' in page
    # each department: its plans, then its indicators' expected vs actual
    for slug in ("sales", "logistics"):
        at = slides.index(f"slide-department-{slug}")
        assert slides[at + 1] == f"slide-department-{slug}-results"
        results = figure(page, f"slide-department-{slug}-results-chart")
        assert results["layout"]["meta"]["surface"] == "meeting"
        assert results["layout"]["font"]["size"] >= 20  # read from the back of the room
    assert slides[-1] == "slide-record"
    assert len(slides) == len(set(slides))
    # the charts carry the same numbers
    departments = figure(page, "meeting-chart-departments")
    execution = next(t for t in departments["data"] if t["name"] == "Execution")
    assert execution["x"] == ["Sales", "Logistics"]
    assert execution["y"] == [70.0, 50.0]
    overdue_chart = figure(page, "meeting-chart-overdue")
    assert overdue_chart["data"][0]["y"] == [1, 0]
    misses = figure(page, "meeting-chart-misses")
    assert sum(len(t["y"]) for t in misses["data"]) == 2
    # controls for the keyboard, mouse and screen readers
    assert 'aria-keyshortcuts="ArrowRight"' in deck
    assert 'id="meeting-counter" aria-live="polite"' in deck
    assert "js/meeting.js" in deck
    assert "css/meeting.css" in deck


def test_deck_as_of_a_past_date(world, sign_in):
    client = sign_in(world.viewer)
    page = html(client.get("/meeting?as_of=2026-05-15"))
    assert "Figures as they stood on <strong>15 May 2026</strong>" in page
    counts = dict(re.findall(r'data-status="(\w+)">(\d+)<', page))
    assert counts["no_data"] == "3"  # the actuals are dated June 1
    assert 'data-figure-name="overdue">1<' in page  # due May 1


@pytest.mark.parametrize("as_of", ["2026-02-30", "yesterday", "0001-01-01", "9999-12-31"])
def test_deck_bad_as_of_is_a_400(world, sign_in, as_of):
    assert sign_in(world.viewer).get(f"/meeting?as_of={as_of}").status_code == 400


def test_empty_deck_says_what_to_do(app, make, db_session, sign_in):
    user = make.user("executive")
    db_session.commit()
    client = sign_in(user)
    page = whole_deck(client)
    assert "No objectives yet" in page
    assert "No departments yet" in page
    assert "No review recorded yet" in page
    listing = html(client.get("/meeting/reviews"))
    assert "No review recorded yet." in listing
    assert 'href="/meeting/reviews/new"' in listing


def test_every_slide_has_a_page_of_its_own_and_keeps_the_date(world, sign_in, client):
    viewer = sign_in(world.viewer)
    deck = html(viewer.get("/meeting?as_of=2026-05-15"))
    ids = slide_ids(deck)
    sources = re.findall(r'data-src="([^"]+)"', deck)
    assert len(sources) == len(ids) - 1  # the first slide is drawn in the deck page
    for slide_id, src in zip(ids[1:], sources, strict=True):
        assert src == f"/meeting/slides/{slide_id}?fragment=1&amp;as_of=2026-05-15"
        # without JavaScript: a plain link to the slide's own page, same date
        assert f'<a href="/meeting/slides/{slide_id}?as_of=2026-05-15">' in deck
    for n, slide_id in enumerate(ids):
        page = html(viewer.get(f"/meeting/slides/{slide_id}?as_of=2026-05-15"))
        assert '<section class="slide' in page
        assert f'id="{slide_id}" data-slide' in page
        assert "Figures as they stood on <strong>15 May 2026</strong>" in page
        assert f"Slide {n + 1} of {len(ids)}." in page
        assert "data-src" not in page
        if n:
            assert f'href="/meeting/slides/{ids[n - 1]}?as_of=2026-05-15" rel="prev"' in page
        if n + 1 < len(ids):
            assert f'href="/meeting/slides/{ids[n + 1]}?as_of=2026-05-15" rel="next"' in page
    # the slide alone shows the day's numbers: no actual yet on May 15
    overview = html(viewer.get("/meeting/slides/slide-overview?fragment=1&as_of=2026-05-15"))
    assert overview.lstrip().startswith("<section")
    assert dict(re.findall(r'data-status="(\w+)">(\d+)<', overview))["no_data"] == "3"
    today = html(viewer.get("/meeting/slides/slide-overview?fragment=1"))
    assert dict(re.findall(r'data-status="(\w+)">(\d+)<', today))["no_data"] == "0"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/meeting/slides/slide-nothing", 404),
        ("/meeting/slides/slide-department-nowhere?fragment=1", 404),
        ("/meeting/slides/slide-overview%00", 404),
        ("/meeting/slides/slide-overview?as_of=2026-02-30", 400),
        ("/meeting/slides/slide-overview?fragment=1&as_of=9999-12-31", 400),
    ],
)
def test_a_slide_asked_for_wrongly_is_a_4xx(world, sign_in, url, status):
    assert sign_in(world.viewer).get(url).status_code == status


def test_a_slide_needs_sign_in(client):
    response = client.get("/meeting/slides/slide-overview?fragment=1")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_deck_needs_sign_in(client):
    response = client.get("/meeting")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_nav_links_to_meeting_mode(world, sign_in):
    page = html(sign_in(world.viewer).get("/"))
    assert 'href="/meeting">Meeting</a>' in page


def test_deck_escapes_names(make, db_session, sign_in):
    viewer = make.user("viewer")
    dept = make.department("sales", name="<b>Sales</b>")
    o = make.objective(title="<script>alert(1)</script>")
    p = make.plan(o, dept, title="<img src=x onerror=alert(1)>", due_date=date(2026, 1, 1))
    make.indicator(p, actuals=[(date(2026, 6, 1), 1.0)])
    db_session.commit()
    page = whole_deck(sign_in(viewer))
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


SLIDES = (
    "/meeting/slides/slide-changes?fragment=1",
    "/meeting/slides/slide-department-sales-results?fragment=1",
    "/meeting/slides/slide-department-sales",
)


def test_deck_queries_do_not_grow_with_the_data(world, make, db_session, sign_in):
    db_session.add(Review(date=date(2026, 6, 1), attendees="A"))
    db_session.commit()
    client = sign_in(world.viewer)

    def grow(departments: range) -> list[tuple[int, int]]:
        for k in departments:
            dept = make.department(f"extra-{k}", name=f"Extra {k}")
            for n in range(4):
                o = make.objective(world.service, title=f"More {k}.{n}")
                p = make.plan(
                    o, dept, state="in_progress", progress_pct=10, due_date=date(2026, 6, 1)
                )
                make.indicator(p, actuals=[(date(2026, 6, 5), 5.0), (date(2026, 6, 10), 50.0)])
                make.indicator(world.late, actuals=[(date(2026, 6, 5), 5.0)])
                db_session.add(
                    CheckIn(
                        action_plan=p,
                        state="in_progress",
                        progress_pct=20,
                        created_at=at(date(2026, 6, 9)),
                    )
                )
                p.created_at = at(date(2026, 6, 3))
                p.state = "blocked"
        db_session.commit()
        db_session.execute(sa.update(AuditEvent).values(created_at=at(date(2026, 6, 8))))
        return [page_query_counts(client, url) for url in ("/meeting", *SLIDES)]

    small = grow(range(1))
    large = grow(range(1, 4))
    assert html(client.get("/meeting")).count('data-department-slide="extra-') == 4
    page = whole_deck(client)
    assert page.count('<li data-change-item="') == pages.CHANGES_LISTED  # six of the many
    assert small == large
    deck, changes, results, plans = large
    # the deck: the dashboard's figures (cached per data version), its slides' outline,
    # the customer's voice (NPS, loop, follow-ups, radar); none of the figures of the slides
    assert deck[0] <= 27  # 46 when the deck drew every slide at once; 29 with the recent lists
    assert deck[1] <= 10  # warm: 40 then; 12 with the dashboard's recent actuals and check-ins
    # the changes: each day as it stood (services.evaluation.history: a few per kind of row
    # changed since the first day), compared
    assert changes[0] <= 78
    assert results[0] <= 29  # the outline, the department's indicators, milestones, actuals
    assert plans[0] <= 28
    for cold, warm in large:
        assert warm < cold  # unchanged data: the figures are reused


def test_the_kept_outline_follows_every_change(world, make, db_session, sign_in):
    """The slides' outline is kept per data version and through actuals; a new plan, a
    new indicator or an actual each show on the next request."""
    client = sign_in(world.viewer)
    sales = "/meeting/slides/slide-department-sales?fragment=1"
    results = "/meeting/slides/slide-department-sales-results?fragment=1"
    assert "Fresh plan" not in html(client.get(sales))
    fresh = make.plan(world.good, world.sales, title="Fresh plan", due_date=date(2026, 6, 20))
    db_session.commit()
    assert "Fresh plan" in html(client.get(sales))
    # a seventh indicator of sales: its results run over a second slide
    for n in range(5):
        make.indicator(fresh, name=f"Indicator {n}", actuals=[(date(2026, 6, 1), 10.0)])
    db_session.commit()
    deck = html(client.get("/meeting"))
    assert "slide-department-sales-results-2" in deck
    before = dict(re.findall(r'data-status="(\w+)">(\d+)<', deck))
    # an actual (the outline is kept): 'Answer at the first call' is on track now
    db_session.add(Measurement(indicator=world.off_indicator, date=TODAY, value=90.0))
    db_session.commit()
    after = dict(re.findall(r'data-status="(\w+)">(\d+)<', html(client.get("/meeting"))))
    assert int(after["on_track"]) == int(before["on_track"]) + 1
    assert int(after["off_track"]) == int(before["off_track"]) - 1
    first = figure(html(client.get(results)), "slide-department-sales-results-chart")
    second = html(client.get("/meeting/slides/slide-department-sales-results-2"))
    assert "slide-department-sales-results-2-chart-data" in second
    # worst first: the five new indicators (off track) fill the first slide
    assert json.dumps(first).count("Indicator ") >= 5


# --- changes since the last review (services.reads.compare) ---------------------------------

MARCH = date(2026, 3, 2)


def changes_slide(client, as_of: date | None = None) -> str:
    query = f"&as_of={as_of.isoformat()}" if as_of else ""
    response = client.get(f"/meeting/slides/slide-changes?fragment=1{query}")
    assert response.status_code == 200
    return html(response)


class March:
    """Made on March 2 (a review that day), changed on March 4, looked at on March 6."""

    def __init__(self, make, session):
        with clock.travel(MARCH):
            self.sales = make.department("sales", name="Sales")
            self.viewer = make.user("viewer")
            service = make.service_strategy(title="Serve at the first contact")
            self.objective = make.objective(service, title="Faster answers")
            self.plan = make.plan(self.objective, self.sales, title="Train agents", state="planned")
            self.indicator = make.indicator(self.plan, name="Calls answered")
            self.review = Review(date=MARCH, attendees="A")
            session.add(self.review)
            session.commit()

    def change(self, make, session) -> None:
        with clock.travel(MARCH + timedelta(days=2)):
            self.plan.state = "in_progress"
            self.plan.progress_pct = 30
            self.new_plan = make.plan(self.objective, self.sales, title="Call-back tool")
            session.add(Measurement(indicator=self.indicator, date=MARCH, value=42.0))
            session.commit()


def test_the_changes_slide_shows_a_scripted_change_since_the_last_review(
    app, make, db_session, sign_in
):
    march = March(make, db_session)
    march.change(make, db_session)
    with clock.travel(MARCH + timedelta(days=4)):
        client = sign_in(march.viewer)
        page = changes_slide(client)
        review_link = f'<a href="/meeting/reviews/{march.review.id}">2 March 2026</a>'
        assert f"Since the review of {review_link}" in page
        counts = dict(re.findall(r'data-change="(\w+)">(\d+)<', page))
        assert counts["state_changes"] == "1"
        assert counts["progress_moves"] == "1"
        assert counts["new"] == "1"
        assert counts["new_actuals"] == "1"
        assert counts["status_changes"] == "1"  # its first actual: no data → a status
        assert counts["archived"] == "0"
        lines = re.findall(r'<li data-change-item="(\w+)">(.*?)</li>', page, re.S)
        text = {kind: re.sub(r"<[^>]+>", "", line) for kind, line in lines}
        assert text["state_changes"] == "Train agents: Planned → In progress"
        assert text["progress_moves"] == "Train agents: progress 0% → 30%"
        assert text["new"] == "New plan: Call-back tool"
        assert text["new_actuals"] == "Calls answered: new actual 42 for 2 March 2026"
        compare_link = "/reports/changes?from=2026-03-02&amp;to=2026-03-06"
        assert f'href="{compare_link}" id="meeting-compare"' in page
        # the link opens the same comparison
        full = html(client.get(compare_link.replace("&amp;", "&")))
        assert "Call-back tool" in full
        assert "Train agents" in full
        # the overview says when the last review was, and points at this slide
        deck = html(client.get("/meeting"))
        assert 'The last review was held on <span class="text-nowrap">2 March 2026</span>' in deck
        assert 'href="#slide-changes"' in deck


def test_nothing_changed_since_the_review_says_so(app, make, db_session, sign_in):
    march = March(make, db_session)
    with clock.travel(MARCH + timedelta(days=4)):
        page = changes_slide(sign_in(march.viewer))
        assert "Nothing changed between 2 March 2026 and 6 March 2026" in page
        assert 'id="meeting-changes-none"' in page
        assert "data-change-item" not in page
        assert "/reports/changes?from=2026-03-02&amp;to=2026-03-06" in page


def test_the_changes_slide_as_of_a_past_day(app, make, db_session, sign_in):
    march = March(make, db_session)
    march.change(make, db_session)
    with clock.travel(MARCH + timedelta(days=4)):
        client = sign_in(march.viewer)
        before = changes_slide(client, as_of=MARCH + timedelta(days=1))  # before the changes
        assert "Nothing changed between 2 March 2026 and 3 March 2026" in before
        on_review_day = changes_slide(client, as_of=MARCH)
        assert "the day shown: nothing has changed since" in on_review_day
        assert "/reports/changes" not in on_review_day
        after = changes_slide(client, as_of=MARCH + timedelta(days=2))
        assert 'data-change-item="new"' in after
        assert "/reports/changes?from=2026-03-02&amp;to=2026-03-04" in after


def test_without_a_review_the_changes_cover_the_last_two_weeks(app, make, db_session, sign_in):
    with clock.travel(MARCH):
        viewer = make.user("viewer")
        sales = make.department("sales", name="Sales")
        objective = make.objective(title="Faster answers")
        db_session.commit()
    with clock.travel(MARCH + timedelta(days=20)):
        make.plan(objective, sales, title="Late idea")
        db_session.commit()
        page = changes_slide(sign_in(viewer))
        assert "No review recorded yet: the last 14 days" in page
        assert "from the end of 8 March 2026 to the end of 22 March 2026" in page
        assert 'data-change-item="new"' in page
        assert "Late idea" in page


def test_a_long_list_of_changes_is_cut_and_links_to_the_whole_comparison(
    app, make, db_session, sign_in
):
    march = March(make, db_session)
    with clock.travel(MARCH + timedelta(days=2)):
        for n in range(9):
            make.plan(march.objective, march.sales, title=f"Plan number {n}")
        db_session.commit()
    with clock.travel(MARCH + timedelta(days=4)):
        page = changes_slide(sign_in(march.viewer))
        assert page.count("<li data-change-item=") == pages.CHANGES_LISTED
        assert '…and 3 more: <a href="/reports/changes?from=2026-03-02&amp;to=2026-03-06"' in page


# --- recording a review ---------------------------------------------------------------------


def review_form(**extra) -> dict[str, str]:
    data = {
        "date": "2026-06-15",
        "attendees": "Elena, Camila",
        "notes": "First-contact resolution is behind plan.",
        "decisions-0-text": "Systems delivers the CRM link before July.\nIt blocks sales.",
        "decisions-0-make_plan": "y",
        "decisions-0-department_id": "",
        "decisions-0-objective_id": "",
        "decisions-1-text": "Review the figures weekly.",
    }
    data.update(extra)
    return data


def test_recording_a_review_with_a_decision_that_becomes_a_plan(world, sign_in, db_session):
    client = sign_in(world.executive)
    form = html(client.get("/meeting/reviews/new"))
    assert 'value="2026-06-15"' in form  # today by default
    assert form.count("data-decision-row>") == 2
    data = review_form(
        **{
            "decisions-0-department_id": str(world.logistics.id),
            "decisions-0-objective_id": str(world.risk.id),
            "decisions-0-due_date": "2026-07-31",
        }
    )
    response = client.post("/meeting/reviews/new", data=data)
    assert response.status_code == 302, html(response)
    review = db_session.scalar(sa.select(Review))
    assert response.headers["Location"].endswith(f"/meeting/reviews/{review.id}")
    assert review.date == date(2026, 6, 15)
    assert review.attendees == "Elena, Camila"
    made, plain = review.decisions
    assert plain.text == "Review the figures weekly."
    assert plain.action_plan_id is None
    plan = made.action_plan
    assert plan.department_id == world.logistics.id
    assert plan.objective_id == world.risk.id
    assert plan.title == "Systems delivers the CRM link before July."
    assert plan.due_date == date(2026, 7, 31)
    assert plan.state == "planned"
    assert "Decided in the review of 2026-06-15" in plan.description
    # written through cascade.create_plan, audited like any plan
    assert db_session.scalar(
        sa.select(AuditEvent.id).where(
            AuditEvent.entity_type == "ActionPlan",
            AuditEvent.entity_id == plan.id,
            AuditEvent.action == "create",
            AuditEvent.user_id == world.executive.id,
        )
    )
    page = html(client.get(response.headers["Location"]))
    assert "1 decision became a plan" in page
    assert f'href="/plans/{plan.id}" data-plan="{plan.id}"' in page
    listing = html(client.get("/meeting/reviews"))
    assert f'data-review="{review.id}"' in listing
    # the deck now counts from this review
    deck = whole_deck(client)
    assert f'<a href="/meeting/reviews/{review.id}">15 June 2026</a>' in deck


def test_a_plan_title_can_be_given(world, sign_in, db_session):
    client = sign_in(world.sales_lead)
    data = review_form(
        **{
            "decisions-0-department_id": str(world.sales.id),
            "decisions-0-objective_id": str(world.off.id),
            "decisions-0-plan_title": "CRM link",
        }
    )
    assert client.post("/meeting/reviews/new", data=data).status_code == 302
    plan = db_session.scalar(sa.select(ActionPlan).where(ActionPlan.title == "CRM link"))
    assert plan.department_id == world.sales.id


def test_blank_rows_are_ignored_and_rows_can_be_added(world, sign_in, db_session):
    client = sign_in(world.executive)
    data = {
        "date": "2026-06-14",
        "decisions-0-text": "",
        "decisions-5-text": "Only this one",
        "add_row": "1",
    }
    response = client.post("/meeting/reviews/new", data=data)
    assert response.status_code == 200
    page = html(response)
    assert page.count("data-decision-row>") == 3
    assert "Only this one</textarea>" in page
    assert snapshot()["Review"] == 0
    del data["add_row"]
    assert client.post("/meeting/reviews/new", data=data).status_code == 302
    review = db_session.scalar(sa.select(Review))
    assert [d.text for d in review.decisions] == ["Only this one"]


def test_a_lead_cannot_make_a_plan_for_another_department(world, sign_in, db_session):
    client = sign_in(world.sales_lead)
    form = html(client.get("/meeting/reviews/new"))
    # only their own department is offered
    assert f'<option value="{world.sales.id}">Sales</option>' in form
    assert f'<option value="{world.logistics.id}">Logistics</option>' not in form
    before = snapshot()
    data = review_form(
        **{
            "decisions-0-department_id": str(world.logistics.id),
            "decisions-0-objective_id": str(world.risk.id),
        }
    )
    response = client.post("/meeting/reviews/new", data=data)
    assert response.status_code == 403
    assert snapshot() == before
    refused = db_session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "refused").order_by(AuditEvent.id.desc())
    )
    assert refused.user_id == world.sales_lead.id
    assert refused.changes["action"] == policy.PLAN


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_record(world, sign_in, role):
    user = world.member if role == "member" else world.viewer
    client = sign_in(user)
    before = snapshot()
    assert client.get("/meeting/reviews/new").status_code == 403
    assert client.post("/meeting/reviews/new", data=review_form()).status_code == 403
    assert snapshot() == before
    # they read everything, and see no button to record
    for path in ("/meeting", "/meeting/reviews"):
        response = client.get(path)
        assert response.status_code == 200
        assert 'href="/meeting/reviews/new"' not in html(response)


def test_who_may_record(world):
    assert policy.can(world.executive, policy.REVIEW)
    assert policy.can(world.sales_lead, policy.REVIEW)
    assert not policy.can(world.member, policy.REVIEW)
    assert not policy.can(world.viewer, policy.REVIEW)


HOSTILE = [
    ({"date": ""}, "date", "Enter the date of the review"),
    ({"date": "2026-02-30"}, "date", "YYYY-MM-DD"),
    ({"date": "0001-01-01"}, "date", "between 1900-01-01"),
    ({"date": "'; DROP TABLE reviews; --"}, "date", "YYYY-MM-DD"),
    ({"notes": "x" * 10_001}, "notes", "at most 10,000"),
    ({"attendees": "a\x00b"}, "attendees", "NUL"),
    ({"decisions-1-text": "y" * 20_000}, "decisions-1-text", "at most 10,000"),
    ({"decisions-0-objective_id": "abc"}, "decisions-0-objective_id", "the listed values"),
    ({"decisions-0-objective_id": "99999999999"}, "decisions-0-objective_id", "the listed values"),
    ({"decisions-0-objective_id": "987654"}, "decisions-0-objective_id", "no longer exists"),
    ({"decisions-0-department_id": "-3"}, "decisions-0-department_id", "the listed values"),
    ({"decisions-0-due_date": "31/07/2026"}, "decisions-0-due_date", "YYYY-MM-DD"),
    ({"decisions-0-plan_title": "t" * 201}, "decisions-0-plan_title", "at most 200"),
    ({"decisions-0-make_plan": "y", "decisions-0-text": ""}, "decisions-0-text", "Write"),
    ({"decisions-0-make_plan": "x" * 5000}, "decisions-0-make_plan", "Choose yes or no"),
]


@pytest.mark.parametrize(("extra", "field", "message"), HOSTILE)
def test_hostile_values_are_refused_beside_the_field(world, sign_in, extra, field, message):
    client = sign_in(world.executive)
    base = review_form(
        **{
            "decisions-0-department_id": str(world.sales.id),
            "decisions-0-objective_id": str(world.off.id),
        }
    )
    before = snapshot()
    response = client.post("/meeting/reviews/new", data={**base, **extra})
    assert response.status_code == 422
    assert snapshot() == before
    page = html(response)
    errors = re.search(rf'id="{field}-errors">(.*?)</div>', page, re.S)
    assert errors, page
    assert message in errors.group(1)
    assert 'aria-invalid="true"' in page
    assert "Nothing was saved" in page


def test_missing_objective_and_department_are_named_for_every_row(world, sign_in):
    client = sign_in(world.executive)
    data = {
        **review_form(),
        "decisions-1-make_plan": "y",
    }
    response = client.post("/meeting/reviews/new", data=data)
    assert response.status_code == 422
    page = html(response)
    for row in (0, 1):
        assert f'id="decisions-{row}-objective_id-errors">Choose the objective' in page
        assert f'id="decisions-{row}-department_id-errors">Choose the department' in page
    assert snapshot()["Review"] == 0


def test_what_was_typed_is_kept_and_escaped(world, sign_in, db_session):
    client = sign_in(world.executive)
    data = review_form(notes="<script>alert(1)</script>", date="soon")
    page = html(client.post("/meeting/reviews/new", data=data))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in page
    assert 'value="soon"' in page
    assert "Systems delivers the CRM link before July." in page
    data = review_form(notes="<script>alert(1)</script>", **{"decisions-0-make_plan": ""})
    response = client.post("/meeting/reviews/new", data=data)
    assert response.status_code == 302
    page = html(client.get(response.headers["Location"]))
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_too_many_decisions_are_refused(world, sign_in):
    client = sign_in(world.executive)
    data = {"date": "2026-06-15"}
    data.update({f"decisions-{k}-text": f"Decision {k}" for k in range(51)})
    response = client.post("/meeting/reviews/new", data=data)
    assert response.status_code == 422
    assert "at most 50" in html(response)
    assert snapshot()["Review"] == 0


def test_review_pages_404_and_ids_out_of_range(world, sign_in):
    client = sign_in(world.viewer)
    assert client.get("/meeting/reviews/999").status_code == 404
    assert client.get("/meeting/reviews/99999999999").status_code == 404
    assert client.get("/meeting/reviews?page=abc").status_code == 400


# --- archive and restore --------------------------------------------------------------------


def test_archiving_a_review_moves_changes_since_back(world, sign_in, db_session):
    older = Review(date=date(2026, 5, 1))
    newer = Review(date=date(2026, 6, 10))
    db_session.add_all([older, newer])
    db_session.commit()
    member = sign_in(world.member)
    assert member.post(f"/meeting/reviews/{newer.id}/archive").status_code == 403
    lead = sign_in(world.sales_lead)
    assert lead.post(f"/meeting/reviews/{newer.id}/archive").status_code == 302
    db_session.expire_all()
    assert reviews.latest_review(TODAY).id == older.id
    assert f'data-review="{newer.id}"' not in html(lead.get("/meeting/reviews"))
    assert f'data-review="{newer.id}"' in html(lead.get("/meeting/reviews?archived=1"))
    assert lead.post(f"/meeting/reviews/{newer.id}/restore").status_code == 403
    executive = sign_in(world.executive)
    assert executive.post(f"/meeting/reviews/{newer.id}/restore").status_code == 302
    db_session.expire_all()
    assert reviews.latest_review(TODAY).id == newer.id


def _words(response) -> str:
    """The page's main text as read (tags out, spaces folded, entities decoded)."""
    main = html(response).split("<main", 1)[-1]
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def test_a_review_is_archived_after_a_confirmation_that_says_what_follows(
    world, sign_in, db_session
):
    older = Review(date=date(2026, 5, 1))
    newer = Review(
        date=date(2026, 6, 10),
        decisions=[
            ReviewDecision(text="Call them", action_plan=world.late),
            ReviewDecision(text="x"),
        ],
    )
    db_session.add_all([older, newer])
    db_session.commit()
    lead = sign_in(world.sales_lead)
    page = html(lead.get(f"/meeting/reviews/{newer.id}"))
    assert f'href="/meeting/reviews/{newer.id}/archive"' in page  # a link to the question
    asked = lead.get(f"/meeting/reviews/{newer.id}/archive")
    assert asked.status_code == 200
    words = _words(asked)
    assert "Archive the review “10 June 2026”?" in words
    assert (
        "“changes since the last review” in meeting mode then starts from the review of 1 May 2026"
        in words
    )
    assert "its 2 decisions stay with it, and one plan made of them goes on as before" in words
    assert "an executive can restore it" in words
    assert "2026-06-10" not in words
    db_session.expire_all()
    assert db_session.get(Review, newer.id).archived_at is None  # asking changes nothing
    older_words = _words(lead.get(f"/meeting/reviews/{older.id}/archive"))
    assert "goes on showing the changes since the latest review, of 10 June 2026" in older_words

    done = lead.post(f"/meeting/reviews/{newer.id}/archive", follow_redirects=True)
    assert "an executive can restore it" in _words(done)
    assert 'id="undo-button"' not in html(done)  # restoring is the executives' (DESIGN §4)
    db_session.expire_all()
    assert reviews.latest_review(TODAY).id == older.id
    assert lead.get(f"/meeting/reviews/{newer.id}/archive").status_code == 302  # nothing to ask

    executive = sign_in(world.executive)
    done = executive.post(f"/meeting/reviews/{older.id}/archive", follow_redirects=True)
    assert f'action="/meeting/reviews/{older.id}/restore"' in html(done)  # Undo, right there
    assert executive.post(f"/meeting/reviews/{older.id}/restore").status_code == 302
    db_session.expire_all()
    assert db_session.get(Review, older.id).archived_at is None


def test_review_list_queries_do_not_grow(world, sign_in, db_session):
    client = sign_in(world.viewer)
    db_session.add(Review(date=date(2026, 1, 1), decisions=[ReviewDecision(text="a")]))
    db_session.commit()
    client.get("/meeting/reviews")
    db_session.commit()  # each count starts from a fresh transaction
    with counting_queries() as small:
        assert client.get("/meeting/reviews").status_code == 200
    for k in range(20):
        decisions = [ReviewDecision(text=f"d{k}.{n}", action_plan=world.late) for n in range(3)]
        db_session.add(Review(date=date(2026, 2, 1 + k), decisions=decisions))
    db_session.commit()
    client.get("/meeting/reviews")  # warm, as the first count was (the menu's count is kept)
    db_session.commit()
    with counting_queries() as large:
        page = html(client.get("/meeting/reviews"))
    assert len(small) == len(large)
    assert page.count("data-review=") == 21


# --- CSRF -----------------------------------------------------------------------------------


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_review_posts_need_the_csrf_token(app_factory, make):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make.user("executive")
        db.session.add(Review(date=date(2026, 6, 1)))
        db.session.commit()
        review_id = db.session.scalar(sa.select(Review.id))
        client = app.test_client()
        token = _token(html(client.get("/login")))
        login = {"email": user.email, "password": factories.PASSWORD, "csrf_token": token}
        assert client.post("/login", data=login).status_code == 302
        before = snapshot()
        data = {"date": "2026-06-15", "decisions-0-text": "x"}
        assert client.post("/meeting/reviews/new", data=data).status_code == 400
        assert client.post(f"/meeting/reviews/{review_id}/archive").status_code == 400
        assert snapshot() == before
        page = html(client.get("/meeting/reviews/new"))
        data["csrf_token"] = _token(page)
        assert client.post("/meeting/reviews/new", data=data).status_code == 302
        db.session.remove()


def test_long_lists_run_over_several_slides_each_reachable():

    assert pages.chunks(range(7), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert pages.chunks(range(8), 5, first=3) == [[0, 1, 2], [3, 4, 5, 6, 7]]
    assert pages.chunks([], 5) == [[]]
    slides = pages.parts("slide-overdue", "Overdue plans", "overdue", pages.chunks(range(13), 6))
    assert [s.id for s in slides] == ["slide-overdue", "slide-overdue-2", "slide-overdue-3"]
    assert [s.full_title for s in slides][1] == "Overdue plans (2 of 3)"
    assert pages.parts("x", "One", "overview", [[1]])[0].full_title == "One"


def test_a_section_of_slides_goes_before_the_closing_slide(world, sign_in, monkeypatch):

    def customers_voice(deck):
        return [pages.Slide("slide-voice", "Customer's voice", "overview")]

    monkeypatch.setattr(pages, "SECTIONS", list(pages.SECTIONS))
    pages.add_section(customers_voice)
    page = html(sign_in(world.viewer).get("/meeting"))
    slides = slide_ids(page)
    assert slides[-2:] == ["slide-voice", "slide-record"]
    assert 'href="#slide-voice" data-goto=' in page
