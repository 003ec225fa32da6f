"""Meeting mode: the slides and their numbers, changes since the last review, recording reviews."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    AuditEvent,
    CheckIn,
    Measurement,
    Review,
    ReviewDecision,
)
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


def figure(page: str, chart_id: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{chart_id}-data">(.*?)</script>', page)
    assert found, chart_id
    return json.loads(found.group(1))


# --- the deck ------------------------------------------------------------------------------


def test_deck_shows_the_right_numbers(world, sign_in):
    page = html(sign_in(world.viewer).get("/meeting"))
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
    slides = re.findall(r'<section class="slide[^"]*" id="([\w-]+)" data-slide', page)
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
    assert 'aria-keyshortcuts="ArrowRight"' in page
    assert 'id="meeting-counter" aria-live="polite"' in page
    assert "js/meeting.js" in page
    assert "css/meeting.css" in page


def test_deck_as_of_a_past_date(world, sign_in):
    client = sign_in(world.viewer)
    page = html(client.get("/meeting?as_of=2026-05-15"))
    assert "Figures as they stood on <strong>2026-05-15</strong>" in page
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
    page = html(client.get("/meeting"))
    assert "No objectives yet" in page
    assert "No departments yet" in page
    assert "No review recorded yet" in page
    listing = html(client.get("/meeting/reviews"))
    assert "No review recorded yet." in listing
    assert 'href="/meeting/reviews/new"' in listing


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
    page = html(sign_in(viewer).get("/meeting"))
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_deck_queries_do_not_grow_with_the_data(world, make, db_session, sign_in):
    reviews_ = [Review(date=date(2026, 6, 1), attendees="A")]
    db_session.add_all(reviews_)
    db_session.commit()
    client = sign_in(world.viewer)
    client.get("/meeting")
    small = page_query_counts(client, "/meeting")
    for k in range(3):
        dept = make.department(f"extra-{k}", name=f"Extra {k}")
        for n in range(4):
            o = make.objective(world.service, title=f"More {k}.{n}")
            p = make.plan(o, dept, state="in_progress", progress_pct=10, due_date=date(2026, 6, 1))
            make.indicator(p, actuals=[(date(2026, 6, 5), 5.0), (date(2026, 6, 10), 50.0)])
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
    large = page_query_counts(client, "/meeting")
    assert 'data-change="state_changes">12<' in html(client.get("/meeting"))
    assert small == large
    assert large[0] <= 46  # 40, and the customer's voice (NPS, loop, follow-ups, radar)
    assert large[1] < large[0]  # unchanged data: the figures are reused


# --- changes since the last review ----------------------------------------------------------


def test_changes_since_start_from_the_last_review(world, make, db_session, sign_in):
    db_session.add_all(
        [
            Review(date=date(2026, 5, 1), notes="older"),
            Review(date=date(2026, 6, 1), notes="the last one"),
            Review(date=date(2026, 6, 10), notes="archived", archived_at=at(date(2026, 6, 11))),
            Review(date=date(2026, 7, 1), notes="after the day shown"),
        ]
    )
    ind = world.off_indicator
    for d in (date(2026, 5, 20), date(2026, 6, 5), date(2026, 6, 15), date(2026, 6, 20)):
        db_session.add(Measurement(indicator=ind, date=d, value=20.0))
    new = make.plan(world.good, world.logistics, title="Brand new plan")
    new.created_at = at(date(2026, 6, 2))
    world.routes.created_at = at(date(2026, 6, 1), 23)  # on the day of the review: not new
    db_session.add_all(
        [
            CheckIn(
                action_plan=world.routes,
                state="blocked",
                progress_pct=50,
                text="Carrier failed",
                created_at=at(date(2026, 6, 3)),
            ),
            CheckIn(
                action_plan=world.routes,
                state="in_progress",
                progress_pct=45,
                created_at=at(date(2026, 5, 30)),
            ),
        ]
    )
    db_session.commit()
    first_event = db_session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    world.late.state = "blocked"  # a state change, inside the window
    db_session.commit()
    world.routes.title = "Routes around the chains"  # no state change: not listed
    db_session.commit()
    world.done.state = "in_progress"  # a state change, before the window
    db_session.commit()
    events = {
        e.entity_id: e
        for e in db_session.scalars(sa.select(AuditEvent).where(AuditEvent.id > first_event))
    }
    events[world.late.id].created_at = at(date(2026, 6, 12))
    events[world.routes.id].created_at = at(date(2026, 6, 12))
    events[world.done.id].created_at = at(date(2026, 5, 25))
    db_session.commit()

    changes = reviews.changes_since(TODAY)
    assert changes.review.notes == "the last one"
    assert changes.since == date(2026, 6, 1)
    assert [a.date for a in changes.actuals.items] == [date(2026, 6, 15), date(2026, 6, 5)]
    assert changes.actuals.total == 2
    assert [(e.plan_id, reviews.state_change(e.changes)) for e in changes.state_changes.items] == [
        (world.late.id, ("in_progress", "blocked"))
    ]
    assert [p.plan_id for p in changes.new_plans.items] == [new.id]
    assert [c.text for c in changes.check_ins.items] == ["Carrier failed"]
    assert changes.total == 5

    page = html(sign_in(world.viewer).get("/meeting"))
    assert "Since the review of" in page
    review_id = changes.review.id
    assert f'<a href="/meeting/reviews/{review_id}">2026-06-01</a>' in page
    found = dict(re.findall(r'data-change="(\w+)">(\d+)<', page))
    assert found == {"actuals": "2", "state_changes": "1", "new_plans": "1", "check_ins": "1"}
    assert "Brand new plan" in page
    assert "Carrier failed" in page

    # shown as of an earlier day, the review before that day is the starting point
    earlier = reviews.changes_since(date(2026, 5, 31))
    assert earlier.review.notes == "older"
    assert earlier.actuals.total == 1  # May 20
    assert [c.state for c in earlier.check_ins.items] == ["in_progress"]


def test_changes_without_a_review_cover_the_last_two_weeks(world, db_session):
    ind = world.off_indicator  # has an actual dated June 1
    for d in (date(2026, 5, 31), date(2026, 6, 2), date(2026, 6, 14)):
        db_session.add(Measurement(indicator=ind, date=d, value=20.0))
    db_session.commit()
    changes = reviews.changes_since(TODAY)
    assert changes.review is None
    assert changes.since == date(2026, 6, 1)  # 14 days: June 2 to June 15
    assert sorted(a.date for a in changes.actuals.items) == [date(2026, 6, 2), date(2026, 6, 14)]


def test_changes_lists_are_cut_with_a_count_of_the_rest(world, db_session, make):
    ind = make.indicator(world.routes)
    for day in range(1, 32):
        db_session.add(Measurement(indicator=ind, date=date(2026, 5, day), value=float(day)))
    db_session.commit()
    changes = reviews.changes_since(date(2026, 5, 31), limit=20)
    assert changes.actuals.total == 14  # May 18 to 31: the last 14 days
    assert len(changes.actuals.items) == 14
    short = reviews.changes_since(date(2026, 5, 31), limit=5)
    assert len(short.actuals.items) == 5
    assert short.actuals.more == 9


def test_changes_leave_out_archived_and_cancelled(world, db_session, make):
    db_session.add(Review(date=date(2026, 6, 1)))
    archived = make.indicator(world.routes, archived_at=at(date(2026, 6, 2)))
    cancelled_plan = make.plan(world.good, world.sales, state="cancelled")
    cancelled = make.indicator(cancelled_plan)
    for ind in (archived, cancelled, world.off_indicator):
        db_session.add(Measurement(indicator=ind, date=date(2026, 6, 10), value=1.0))
    world.risk.archived_at = at(date(2026, 6, 2))  # its plan 'Routes' leaves with it
    db_session.add(
        CheckIn(
            action_plan=world.routes,
            state="blocked",
            progress_pct=1,
            created_at=at(date(2026, 6, 3)),
        )
    )
    db_session.commit()
    changes = reviews.changes_since(TODAY)
    assert [a.indicator_id for a in changes.actuals.items] == [world.off_indicator.id]
    assert changes.check_ins.total == 0


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
    deck = html(client.get("/meeting"))
    assert f'<a href="/meeting/reviews/{review.id}">2026-06-15</a>' in deck


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
    assert reviews.changes_since(TODAY).review.id == older.id
    assert f'data-review="{newer.id}"' not in html(lead.get("/meeting/reviews"))
    assert f'data-review="{newer.id}"' in html(lead.get("/meeting/reviews?archived=1"))
    assert lead.post(f"/meeting/reviews/{newer.id}/restore").status_code == 403
    executive = sign_in(world.executive)
    assert executive.post(f"/meeting/reviews/{newer.id}/restore").status_code == 302
    db_session.expire_all()
    assert reviews.changes_since(TODAY).review.id == newer.id


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
    from strategy_app.meetings import pages

    assert pages.chunks(range(7), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert pages.chunks(range(8), 5, first=3) == [[0, 1, 2], [3, 4, 5, 6, 7]]
    assert pages.chunks([], 5) == [[]]
    slides = pages.parts("slide-overdue", "Overdue plans", "overdue", pages.chunks(range(13), 6))
    assert [s.id for s in slides] == ["slide-overdue", "slide-overdue-2", "slide-overdue-3"]
    assert [s.full_title for s in slides][1] == "Overdue plans (2 of 3)"
    assert pages.parts("x", "One", "overview", [[1]])[0].full_title == "One"


def test_a_section_of_slides_goes_before_the_closing_slide(world, sign_in, monkeypatch):
    from strategy_app.meetings import pages

    def customers_voice(deck):
        return [pages.Slide("slide-voice", "Customer's voice", "overview")]

    monkeypatch.setattr(pages, "SECTIONS", list(pages.SECTIONS))
    pages.add_section(customers_voice)
    page = html(sign_in(world.viewer).get("/meeting"))
    slides = re.findall(r'<section class="slide[^"]*" id="([\w-]+)" data-slide', page)
    assert slides[-2:] == ["slide-voice", "slide-record"]
    assert 'href="#slide-voice" data-goto=' in page
