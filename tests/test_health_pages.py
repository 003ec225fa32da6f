"""The service-health pages: assessing, reading the verdict, radar and elements, turning a weak
element into a plan; bad input refused beside the field with nothing written."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, Assessment, AssessmentAnswer, AuditEvent
from strategy_app.services.evaluation import checklist
from tests.queries import page_query_counts

TODAY = date(2026, 6, 15)  # conftest.FIXED_TODAY
KEYS = checklist.statement_keys()


def html(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def rows() -> tuple[int, int, int]:
    return count(Assessment), count(AssessmentAnswer), count(ActionPlan)


def assessment(day: date, scores: dict[str, int], comments: dict[str, str] | None = None):
    """An assessment recorded on its own day, with the given answers."""
    at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    a = Assessment(date=day, notes="", created_at=at, updated_at=at)
    a.answers = [
        AssessmentAnswer(statement_key=k, score=v, comment=(comments or {}).get(k, ""))
        for k, v in scores.items()
    ]
    db.session.add(a)
    db.session.flush()
    return a


def every(score: int, **overrides: int) -> dict[str, int]:
    """Every statement scored `score`, some keys ("systems_1") scored otherwise."""
    scores = dict.fromkeys(KEYS, score)
    scores.update({k.replace("_", "."): v for k, v in overrides.items()})
    return scores


class World:
    """Sales and logistics, a lead of sales, an executive, a member, a viewer, an objective."""

    def __init__(self, make):
        self.sales = make.department("sales", name="Sales")
        self.logistics = make.department("logistics", name="Logistics")
        self.executive = make.user("executive", name="Eve Exec")
        self.lead = make.user("lead", self.sales, name="Lee Lead")
        self.member = make.user("member", self.sales)
        self.viewer = make.user("viewer")
        self.objective = make.objective(title="Take every order right")


@pytest.fixture
def world(make, db_session):
    w = World(make)
    db_session.commit()
    return w


def form_post(date_text: str = "2026-06-10", **fields: str) -> dict[str, str]:
    data = {"date": date_text, "notes": ""}
    for name, value in fields.items():
        data[name] = value
    return data


# --- reading ------------------------------------------------------------------------------


def test_with_no_assessment_the_page_says_so_and_offers_one_to_leads(client, login, world):
    login(world.viewer)
    page = html(client.get("/service-health"))
    assert "No assessment yet." in page
    assert "/service-health/new" not in page  # a viewer reads only
    client.post("/logout")
    login(world.lead)
    page = html(client.get("/service-health"))
    assert 'href="/service-health/new"' in page


def test_the_latest_assessment_with_the_previous_overlaid_the_verdict_and_trend(
    client, login, world, db_session
):
    first = assessment(date(2026, 1, 10), every(2, systems_1=0, systems_2=0))
    # latest: 31 statements fully true (ticked), 9 answered 1: not the vast majority
    latest_scores = every(4)
    for key in KEYS[31:]:
        latest_scores[key] = 1
    latest = assessment(date(2026, 6, 1), latest_scores, {"systems.1": "<script>alert(1)</script>"})
    db_session.commit()
    login(world.viewer)
    page = html(client.get("/service-health"))
    # verdict: 31 of 40 ticked, 32 needed
    assert "Not yet on track" in page
    assert "Only 31 of the 40 statements are largely or fully true of us" in page
    assert "(32 or more)" in page
    # overall: (31 × 4 + 9 × 1) / 40 × 25 = 133 / 40 × 25 = 83.125; first: (38 × 2) / 40 × 25 = 47.5
    assert 'id="overall-score">83.1<' in page
    assert "against 47.5 on 2026-01-10" in page
    radar = json.loads(re.search(r'id="health-radar-data">(.*?)</script>', page).group(1))
    names = [t["name"] for t in radar["data"]]
    assert names == ["Weak below 50", "Previous (2026-01-10)", "This assessment (2026-06-01)"]
    trend = json.loads(re.search(r'id="health-trend-data">(.*?)</script>', page).group(1))
    assert trend["data"][0]["x"] == ["2026-01-10", "2026-06-01"]
    assert trend["data"][0]["y"] == [47.5, 83.12]
    # each element's statements, answers and comments; the comment escaped
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'data-statement="retention.4"' in page
    assert f'href="/service-health/assessments/{latest.id}"' in page
    assert first.id != latest.id


def test_on_track_when_the_vast_majority_is_ticked(client, login, world, db_session):
    assessment(date(2026, 6, 1), every(3, systems_1=0, systems_2=0, systems_3=0))
    db_session.commit()
    login(world.viewer)
    page = html(client.get("/service-health"))
    assert "On track" in page
    assert "37 of the 40 statements are largely or fully true of us: the vast majority." in page
    assert "Keep an eye on Systems, still weak." in page  # systems (0+0+0+3)/4 × 25 = 18.75


def test_one_statement_answered_and_the_rest_not(client, login, world, db_session):
    a = assessment(date(2026, 6, 1), {"systems.2": 1})
    db_session.commit()
    login(world.viewer)
    page = html(client.get(f"/service-health/assessments/{a.id}"))
    assert 'id="overall-score">25<' in page
    assert "39 statements were not answered." in page
    assert page.count("Not answered") == 39
    assert 'data-weak="systems"' in page


def test_an_assessment_page_compares_with_the_one_before_it(client, login, world, db_session):
    first = assessment(date(2026, 1, 10), every(1))
    second = assessment(date(2026, 3, 10), every(2))
    assessment(date(2026, 6, 1), every(3))
    db_session.commit()
    login(world.viewer)
    page = html(client.get(f"/service-health/assessments/{second.id}"))
    assert "Previous (2026-01-10)" in page
    assert "against 25 on 2026-01-10" in page
    page = html(client.get(f"/service-health/assessments/{first.id}"))
    assert "Previous (" not in page
    assert client.get("/service-health/assessments/999999").status_code == 404
    assert client.get("/service-health/assessments/99999999999").status_code == 404


def test_the_list_newest_first_with_scores(client, login, world, db_session):
    assessment(date(2026, 1, 10), every(1))
    assessment(date(2026, 6, 1), every(4))
    db_session.commit()
    login(world.member)
    page = html(client.get("/service-health/assessments"))
    assert page.index("Assessment of 2026-06-01") < page.index("Assessment of 2026-01-10")
    assert "<td>100</td>" in page
    assert "<td>25</td>" in page
    assert client.get("/service-health/assessments?page=0").status_code == 400
    assert "There is no page 5" in html(client.get("/service-health/assessments?page=5"))


def test_as_of_shows_only_what_existed_then(client, login, world, db_session):
    assessment(date(2026, 1, 10), every(1))
    assessment(date(2026, 6, 1), every(4))
    db_session.commit()
    login(world.viewer)
    page = html(client.get("/service-health?as_of=2026-03-01"))
    assert "Assessment of 2026-06-01" not in page
    assert 'id="overall-score">25<' in page
    assert "No assessment yet." in html(client.get("/service-health?as_of=2025-12-31"))
    assert client.get("/service-health?as_of=nonsense").status_code == 400


def test_query_counts_do_not_grow_with_the_assessments(client, login, world, db_session):
    assessment(date(2026, 1, 10), every(1))
    assessment(date(2026, 2, 10), every(2))
    db_session.commit()
    login(world.viewer)
    few = page_query_counts(client, "/service-health")
    list_few = page_query_counts(client, "/service-health/assessments")
    for month in range(3, 7):
        assessment(date(2026, month, 10), every(3))
    db_session.commit()
    assert page_query_counts(client, "/service-health") == few
    assert page_query_counts(client, "/service-health/assessments") == list_few
    assert few[0] <= 12


# --- assessing ----------------------------------------------------------------------------


def test_a_lead_scores_the_checklist_and_sees_it(client, login, world):
    login(world.lead)
    page = html(client.get("/service-health/new"))
    assert page.count('type="radio"') == 40 * 6
    fields = {f"score_{k.replace('.', '_')}": "3" for k in KEYS}
    fields["score_systems_1"] = "0"
    fields["comment_systems_1"] = 'Three screens & a "spreadsheet"'
    response = client.post("/service-health/new", data=form_post(**fields))
    assert response.status_code == 302
    (saved,) = db.session.scalars(sa.select(Assessment)).all()
    assert response.headers["Location"] == f"/service-health/assessments/{saved.id}"
    assert saved.assessor_id == world.lead.id
    assert saved.date == date(2026, 6, 10)
    assert len(saved.answers) == 40
    page = html(client.get(response.headers["Location"]))
    assert "Three screens &amp; a &#34;spreadsheet&#34;" in page
    # 39 × 3 + 0 = 117 / 40 × 25 = 73.125; systems (0 + 3 + 3 + 3) / 4 × 25 = 56.25
    assert 'id="overall-score">73.1<' in page
    assert "56.2 / 100" in page


def test_unanswered_statements_are_left_out(client, login, world):
    login(world.executive)
    response = client.post(
        "/service-health/new", data=form_post(score_systems_2="4", score_training_1="")
    )
    assert response.status_code == 302
    (saved,) = db.session.scalars(sa.select(Assessment)).all()
    assert [(a.statement_key, a.score) for a in saved.answers] == [("systems.2", 4)]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (form_post(), None, "Score at least one statement."),
        (form_post(score_systems_1="5"), "score_systems_1", "Score each statement from 0 to 4"),
        (form_post(score_systems_1="-1"), "score_systems_1", "Score each statement from 0 to 4"),
        (form_post(score_systems_1="x"), "score_systems_1", "Choose one of the listed values."),
        (form_post("2026-06-16", score_systems_1="2"), "date", "cannot be dated in the future"),
        (form_post("1999-12-31", score_systems_1="2"), "date", "from 2000 onwards"),
        (form_post("", score_systems_1="2"), "date", "Enter the date of the assessment"),
        (form_post("10/06/2026", score_systems_1="2"), "date", "written YYYY-MM-DD"),
        (
            form_post(score_systems_1="2", comment_systems_2="why not?"),
            "score_systems_2",
            "Choose a score to keep the comment",
        ),
        (
            form_post(score_systems_1="2", comment_systems_1="x" * 10_001),
            "comment_systems_1",
            "Shorten this to at most 10,000 characters",
        ),
        (form_post(score_systems_1="2", notes="a\x00b"), "notes", "NUL"),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_nothing_is_written(
    client, login, world, data, field, message
):
    login(world.lead)
    before = rows()
    response = client.post("/service-health/new", data=data)
    page = html(response)
    assert response.status_code == 422
    assert message in page
    assert "Nothing was saved" in page
    if field:
        assert f'id="{field}-errors"' in page or f'id="{field}-0-errors"' in page
    assert rows() == before
    # what was typed is kept
    for name, value in data.items():
        if name.startswith("comment_") and value and len(value) < 100:
            assert f'value="{value}"' in page.replace("&#39;", "'").replace("&#34;", '"')


def test_viewers_and_members_may_not_assess(client, login, world):
    login(world.viewer)
    assert client.get("/service-health/new").status_code == 403
    assert client.post("/service-health/new", data=form_post(score_systems_1="2")).status_code == (
        403
    )
    client.post("/logout")
    login(world.member)
    assert client.post("/service-health/new", data=form_post(score_systems_1="2")).status_code == (
        403
    )
    assert rows()[0] == 0
    refused = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "refused"))
    assert len(list(refused)) == 3


# --- a weak element becomes a plan --------------------------------------------------------


def test_a_lead_turns_a_weak_element_into_a_plan_of_their_department(
    client, login, world, db_session
):
    a = assessment(date(2026, 6, 1), every(3, systems_1=0, systems_2=1, systems_3=2))
    db_session.commit()
    login(world.lead)
    page = html(client.get("/service-health"))
    url = f"/service-health/assessments/{a.id}/elements/systems/plan"
    assert f'href="{url}"' in page
    assert "elements/processes/plan" not in page  # not weak: no offer
    form = html(client.get(url))
    assert 'value="Strengthen systems"' in form
    assert f'<option selected value="{world.sales.id}">Sales</option>' in form
    assert f'value="{world.logistics.id}"' not in form  # a lead plans for their own only
    response = client.post(
        url,
        data={
            "title": "One customer view",
            "department_id": world.sales.id,
            "objective_id": world.objective.id,
            "due_date": "2026-09-30",
        },
    )
    assert response.status_code == 302
    plan = db.session.scalars(sa.select(ActionPlan)).one()
    assert response.headers["Location"] == f"/plans/{plan.id}"
    assert plan.health_element == "systems"
    assert (plan.department_id, plan.objective_id) == (world.sales.id, world.objective.id)
    assert plan.due_date == date(2026, 9, 30)
    # systems: (0 + 1 + 2 + 3) / 4 × 25 = 37.5; weakest statements first
    assert plan.description.startswith(
        "From the service-health assessment of 2026-06-01: Systems scored 37.5 out of 100."
    )
    assert checklist.element("systems").statements[0].text + " (not at all)" in plan.description
    plan_page = html(client.get(f"/plans/{plan.id}"))
    assert 'Made to strengthen <a href="/service-health#element-systems">Systems</a>' in plan_page
    page = html(client.get("/service-health"))
    assert f'href="/plans/{plan.id}">One customer view</a> (Sales)' in page
    # a second plan from the same element proposes the same objective
    assert f'<option selected value="{world.objective.id}">' in html(client.get(url))


def test_plan_from_an_element_bad_input_and_refusals(client, login, world, db_session):
    a = assessment(date(2026, 6, 1), every(3, systems_1=0))  # systems 56.25: not weak
    b = assessment(date(2026, 6, 2), {"channels.1": 1})
    db_session.commit()
    login(world.lead)
    base = f"/service-health/assessments/{b.id}/elements"
    response = client.post(f"{base}/channels/plan", data={"title": "", "department_id": ""})
    page = html(response)
    assert response.status_code == 422
    assert "Choose the department that carries the plan." in page
    assert "Choose the objective the plan serves." in page
    assert 'id="title-errors"' in page
    good = {"title": "X", "department_id": world.sales.id, "objective_id": world.objective.id}
    not_weak = client.post(f"/service-health/assessments/{a.id}/elements/systems/plan", data=good)
    assert not_weak.status_code == 422
    assert "is not weak in this assessment" in html(not_weak)
    assert client.get(f"{base}/nonsense/plan").status_code == 404
    other = {**good, "department_id": world.logistics.id}
    assert client.post(f"{base}/channels/plan", data=other).status_code == 403
    missing = {**good, "objective_id": 999999}
    assert client.post(f"{base}/channels/plan", data=missing).status_code == 422
    assert count(ActionPlan) == 0
    client.post("/logout")
    login(world.viewer)
    assert client.get(f"{base}/channels/plan").status_code == 403
    assert client.post(f"{base}/channels/plan", data=good).status_code == 403
    assert count(ActionPlan) == 0


def test_an_executive_may_plan_for_any_department(client, login, world, db_session):
    a = assessment(date(2026, 6, 1), {"channels.1": 0})
    db_session.commit()
    login(world.executive)
    url = f"/service-health/assessments/{a.id}/elements/channels/plan"
    data = {
        "title": "Portal",
        "department_id": world.logistics.id,
        "objective_id": world.objective.id,
    }
    assert client.post(url, data=data).status_code == 302
    assert db.session.scalars(sa.select(ActionPlan)).one().department_id == world.logistics.id


def test_the_navigation_links_to_service_health(client, login, world):
    login(world.viewer)
    # grouped under "More" with the rarer pages, so that the bar stays one row (issue 15)
    assert '<a class="dropdown-item" href="/service-health">Service health</a>' in html(
        client.get("/")
    )


def test_the_latest_radar_for_any_surface(world, db_session):
    from strategy_app.services.reads import health as reads

    assert reads.latest_radar() is None
    assessment(date(2026, 1, 10), every(1))
    assessment(date(2026, 6, 1), every(3))
    db_session.commit()
    figure = reads.latest_radar(title="Customer's voice: service health", height=600)
    assert figure["layout"]["height"] == 600
    assert figure["layout"]["meta"]["title"] == "Customer's voice: service health"
    _weak, previous, current = figure["data"]
    assert previous["r"] == [25.0] * 10
    assert current["r"] == [75.0] * 10
    # as of a date before the second: that one alone, nothing to overlay
    earlier = reads.latest_radar(as_of=date(2026, 3, 1))
    assert [t["r"][0] for t in earlier["data"]] == [50.0, 25.0]
