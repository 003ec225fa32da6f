"""The NPS pages: responses entered and imported, the loop closed, what NPS feeds (issue 13).

Today is FIXED_TODAY (2026-06-15).
"""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from markupsafe import escape

from strategy_app.extensions import db
from strategy_app.models import (
    Assessment,
    AssessmentAnswer,
    AuditEvent,
    FollowUp,
    Measurement,
    NpsResponse,
)
from tests.queries import page_query_counts


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def respond(when: str, score: int, segment: str = "chains", owner=None, **kw) -> NpsResponse:
    """A response straight into the database (a detractor with its follow-up)."""
    day = date.fromisoformat(when)
    at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)  # recorded the day it came
    r = NpsResponse(date=day, score=score, segment=segment, created_at=at, **kw)
    if score <= 6:
        r.follow_up = FollowUp(owner=owner, state="open", created_at=at)
    db.session.add(r)
    db.session.flush()
    return r


@pytest.fixture
def people(make):
    sales = make.department("sales", name="Sales")
    return {
        "executive": make.user("executive", name="Eve"),
        "lead": make.user("lead", sales, name="Lee"),
        "member": make.user("member", sales, name="Max"),
        "viewer": make.user("viewer", name="Vic"),
    }


def signed_in(client, login, user):
    login(user)
    return client


# --- entering one response ----------------------------------------------------------------


def test_a_detractor_gets_a_follow_up_at_once_and_a_promoter_none(client, login, people):
    signed_in(client, login, people["lead"])
    form = {"date": "2026-06-10", "score": "4", "segment": "chains", "customer_ref": "CH-004"}
    response = client.post("/nps/responses", data={**form, "comment": "Late twice"})
    assert response.status_code == 302
    follow_up = db.session.scalars(sa.select(FollowUp)).one()
    assert response.headers["Location"] == f"/nps/follow-ups/{follow_up.id}"
    assert follow_up.state == "open"
    assert follow_up.owner_id == people["lead"].id  # who entered it, by default
    assert follow_up.response.comment == "Late twice"
    response = client.post("/nps/responses", data={**form, "score": "9"})
    assert response.headers["Location"] == "/nps/"
    assert count(NpsResponse) == 2
    assert count(FollowUp) == 1


def test_the_follow_up_can_go_to_someone_else(client, login, people):
    signed_in(client, login, people["executive"])
    data = {"date": "2026-06-10", "score": "0", "owner_id": str(people["member"].id)}
    assert client.post("/nps/responses", data=data).status_code == 302
    assert db.session.scalars(sa.select(FollowUp.owner_id)).one() == people["member"].id


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("score", "11", "The score must be from 0 to 10."),
        ("score", "-1", "The score must be from 0 to 10."),
        ("score", "7.5", "Write a whole number such as 40."),
        ("date", "2026-06-16", "The date cannot be in the future."),
        ("date", "1999-12-31", "The date must be on or after 2000-01-01."),
        ("comment", '=HYPERLINK("http://evil")', "which spreadsheets run as a formula"),
        ("comment", "@SUM(A1)", "which spreadsheets run as a formula"),
        ("segment", "+cmd|' /C calc'!A0", "which spreadsheets run as a formula"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_written(
    client, login, people, field, value, message
):
    signed_in(client, login, people["lead"])
    data = {"date": "2026-06-10", "score": "3", "comment": "- fine, really", field: value}
    response = client.post("/nps/responses", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = re.search(rf'id="{field}-errors">(.*?)</div>', page, re.S)
    assert errors, page[-3000:]
    assert message in errors.group(1).replace("&#34;", '"')
    assert str(escape(value)) in page  # what they typed is kept
    assert count(NpsResponse) == 0
    assert count(FollowUp) == 0


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_enter_responses(client, login, people, role):
    signed_in(client, login, people[role])
    response = client.post("/nps/responses", data={"date": "2026-06-10", "score": "3"})
    assert response.status_code == 403
    assert count(NpsResponse) == 0
    page = client.get("/nps/").get_data(as_text=True)
    assert 'id="response-form"' not in page


# --- the page's figures -------------------------------------------------------------------


def test_the_page_shows_the_nps_the_loop_and_segments(client, login, people):
    lead = people["lead"]
    # May: 10, 9, 3 (chains) → (2 − 1) / 3 = 33; June: 8 (stores), 2, 6 (chains) → −67.
    respond("2026-05-04", 10)
    respond("2026-05-05", 9)
    a = respond("2026-05-06", 3, owner=lead)
    respond("2026-06-02", 8, "stores")
    b = respond("2026-06-03", 2, owner=lead)
    respond("2026-06-04", 6, owner=lead)
    # Two of three detractors' loops closed, after 4 and 10 days: median 7.
    a.follow_up.state, a.follow_up.resolved_at = "resolved", datetime(2026, 5, 10, tzinfo=UTC)
    b.follow_up.state, b.follow_up.resolved_at = "resolved", datetime(2026, 6, 13, tzinfo=UTC)
    db.session.commit()
    page = signed_in(client, login, lead).get("/nps/").get_data(as_text=True)
    # All six: promoters 2, detractors 3 → round(−16.7) = −17.
    assert re.search(r'id="nps-overall">\s*-17<', page)
    assert re.search(r'id="nps-latest">\s*-67<', page)
    assert re.search(r'id="nps-loop-rate">\s*67%', page)
    assert re.search(r'id="nps-median-days">\s*7<', page)
    segments = re.search(r'id="nps-segments">(.*?)</table>', page, re.S).group(1)
    assert re.search(r"chains</a></th>\s*<td[^>]*>5</td>.*?>-20<", segments, re.S)
    assert "chart-nps-trend" in page
    chains = client.get("/nps/?segment=chains").get_data(as_text=True)
    assert re.search(r'id="nps-latest">\s*-100<', chains)  # June's chains: 2, 6


def test_as_of_leaves_out_what_came_later(client, login, people):
    respond("2026-05-04", 10)
    respond("2026-06-03", 2, owner=people["lead"])
    db.session.commit()
    page = signed_in(client, login, people["lead"]).get("/nps/?as_of=2026-05-31")
    assert re.search(r'id="nps-overall">\s*\+100<', page.get_data(as_text=True))


def test_a_page_with_no_responses_says_so(client, login, people):
    page = signed_in(client, login, people["viewer"]).get("/nps/").get_data(as_text=True)
    assert re.search(r'id="nps-overall">\s*<span[^>]*>—', page)
    assert "No responses yet." in page


def test_comments_are_escaped_on_every_page(client, login, people):
    evil = "<script>alert(1)</script>"
    r = respond("2026-06-03", 2, owner=people["lead"], comment=evil, customer_ref="<b>x</b>")
    db.session.commit()
    signed_in(client, login, people["lead"])
    for url in ("/nps/", "/nps/follow-ups", f"/nps/follow-ups/{r.follow_up.id}"):
        page = client.get(url).get_data(as_text=True)
        assert evil not in page, url
        assert "<b>x</b>" not in page, url
        assert "&lt;script&gt;" in page or "&lt;b&gt;" in page, url
    page = client.get("/reports/my-updates").get_data(as_text=True)
    assert evil not in page
    assert "&lt;script&gt;" in page


def test_the_export_neutralises_formula_looking_text(client, login, people):
    # Input refuses such text; older rows (or rows from elsewhere) are neutralised on export.
    respond("2026-06-03", 9, segment="=cmd", comment='=HYPERLINK("x")', customer_ref="@A1")
    db.session.commit()
    body = signed_in(client, login, people["viewer"]).get("/nps/responses.csv")
    text = body.get_data(as_text=True)
    assert "'=HYPERLINK" in text
    assert "'=cmd" in text
    assert "'@A1" in text
    assert "\n=" not in text
    assert ",=" not in text


def test_query_counts_do_not_grow_with_the_data(client, login, people):
    signed_in(client, login, people["lead"])
    respond("2026-05-04", 3, owner=people["lead"])
    small = [page_query_counts(client, u)[0] for u in ("/nps/", "/nps/follow-ups")]
    for n in range(40):
        respond(f"2026-0{4 + n % 3}-1{n % 10}", n % 11, f"seg {n % 4}", owner=people["member"])
    large = [page_query_counts(client, u)[0] for u in ("/nps/", "/nps/follow-ups")]
    assert large == small


# --- follow-ups ---------------------------------------------------------------------------


def test_my_updates_links_to_the_follow_up_and_two_clicks_resolve_it(client, login, people):
    lead = people["lead"]
    r = respond("2026-06-03", 2, owner=lead, customer_ref="CH-004")
    db.session.commit()
    page = signed_in(client, login, lead).get("/reports/my-updates").get_data(as_text=True)
    link = f'href="/nps/follow-ups/{r.follow_up.id}"'
    assert link in page
    page = client.get(f"/nps/follow-ups/{r.follow_up.id}").get_data(as_text=True)
    action = f"/nps/follow-ups/{r.follow_up.id}/state/resolved"
    assert f'action="{action}"' in page
    assert client.post(action).status_code == 302
    db.session.refresh(r.follow_up)
    assert r.follow_up.state == "resolved"
    assert r.follow_up.resolved_at is not None
    page = client.get("/reports/my-updates").get_data(as_text=True)
    assert link not in page


def test_reopening_clears_when_it_closed(client, login, people):
    r = respond("2026-06-03", 2, owner=people["lead"])
    db.session.commit()
    signed_in(client, login, people["lead"])
    client.post(f"/nps/follow-ups/{r.follow_up.id}/state/resolved")
    client.post(f"/nps/follow-ups/{r.follow_up.id}/state/open")
    db.session.refresh(r.follow_up)
    assert (r.follow_up.state, r.follow_up.resolved_at) == ("open", None)


def test_a_member_closes_their_own_follow_up_not_anothers(client, login, people, make):
    mine = respond("2026-06-03", 2, owner=people["member"])
    theirs = respond("2026-06-04", 1, owner=people["lead"])
    db.session.commit()
    signed_in(client, login, people["member"])
    page = client.get(f"/nps/follow-ups/{theirs.follow_up.id}").get_data(as_text=True)
    assert "quick-actions" not in page
    assert 'id="follow-up-form"' not in page
    refused = client.post(f"/nps/follow-ups/{theirs.follow_up.id}/state/resolved")
    assert refused.status_code == 403
    assert client.post(f"/nps/follow-ups/{mine.follow_up.id}/state/contacted").status_code == 302
    db.session.expire_all()
    assert (mine.follow_up.state, theirs.follow_up.state) == ("contacted", "open")


def test_the_follow_up_form_saves_owner_note_and_plan(client, login, people, make):
    objective = make.objective(title="Loyal chains")
    plan = make.plan(objective, people["lead"].department, title="Call every detractor")
    r = respond("2026-06-03", 2, owner=people["lead"])
    db.session.commit()
    signed_in(client, login, people["lead"])
    data = {
        "owner_id": str(people["member"].id),
        "state": "contacted",
        "note": "Called; a credit note follows",
        "action_plan_id": str(plan.id),
    }
    assert client.post(f"/nps/follow-ups/{r.follow_up.id}", data=data).status_code == 302
    db.session.refresh(r.follow_up)
    f = r.follow_up
    assert (f.owner_id, f.state, f.note, f.action_plan_id) == (
        people["member"].id,
        "contacted",
        "Called; a credit note follows",
        plan.id,
    )
    page = client.get(f"/nps/follow-ups/{f.id}").get_data(as_text=True)
    assert "Call every detractor" in page
    assert "Called; a credit note follows" in page


def test_a_bad_follow_up_form_changes_nothing(client, login, people):
    r = respond("2026-06-03", 2, owner=people["lead"])
    db.session.commit()
    signed_in(client, login, people["lead"])
    for data in (
        {"owner_id": str(people["viewer"].id), "state": "open", "note": ""},
        {"owner_id": "", "state": "closed", "note": ""},
        {"owner_id": "", "state": "open", "note": "=1+1"},
        {"owner_id": "", "state": "open", "note": "", "action_plan_id": "999999"},
        {"owner_id": "'; DROP TABLE users; --", "state": "resolved", "note": ""},
        {"owner_id": "", "state": "resolved", "note": "", "action_plan_id": "1e400"},
    ):
        response = client.post(f"/nps/follow-ups/{r.follow_up.id}", data=data)
        assert response.status_code == 422, data
        assert 'class="invalid-feedback"' in response.get_data(as_text=True)
    db.session.refresh(r.follow_up)
    assert (r.follow_up.owner_id, r.follow_up.state) == (people["lead"].id, "open")


def test_the_list_filters_by_state_owner_and_segment(client, login, people):
    a = respond("2026-06-01", 2, "chains", owner=people["lead"])
    b = respond("2026-06-02", 3, "stores", owner=people["member"])
    c = respond("2026-06-03", 4, "stores", owner=people["lead"])
    c.follow_up.state = "resolved"
    db.session.commit()
    signed_in(client, login, people["viewer"])

    def listed(query: str) -> list[int]:
        page = client.get("/nps/follow-ups" + query).get_data(as_text=True)
        return [int(i) for i in re.findall(r'data-follow-up="(\d+)"', page)]

    ids = {x: x.follow_up.id for x in (a, b, c)}
    assert listed("") == [ids[a], ids[b], ids[c]]
    assert listed("?state=open") == [ids[a], ids[b]]
    assert listed(f"?owner={people['lead'].id}") == [ids[a], ids[c]]
    assert listed("?segment=stores&state=resolved") == [ids[c]]
    for bad in ("?state=closed", "?owner=abc", "?page=0"):
        assert client.get("/nps/follow-ups" + bad).status_code == 400


def test_an_unknown_follow_up_is_404(client, login, people):
    signed_in(client, login, people["viewer"])
    assert client.get("/nps/follow-ups/999999").status_code == 404
    assert client.get("/nps/follow-ups/99999999999").status_code == 404


# --- the CSV import -----------------------------------------------------------------------


def _upload(client, content: bytes):
    """Post a file as a browser does (the body built here: the test client would spool a
    large one to a temporary file that a refused request never closes)."""
    boundary = "----nps-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csv_file"; filename="nps.csv"'
            "\r\nContent-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/nps/import",
        input_stream=io.BytesIO(body),
        content_length=len(body),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_import_previews_then_saves_all(client, login, people):
    signed_in(client, login, people["lead"])
    text = (
        "date,score,segment,customer reference,comment\n"
        "2026-06-01,9,chains,CH-1,Great\n"
        "2026-06-02;4\n".replace(";", ",")
        + '2026-06-03,2,stores,IS-9,"Late, again"\n'
    )
    preview = _upload(client, text.encode("utf-8-sig"))
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "3 response(s) to save, 2 of them detractors" in page
    assert count(NpsResponse) == 0  # nothing before it is confirmed
    token = re.search(r'name="checked" value="([^"]+)"', page).group(1)
    saved = client.post("/nps/import", data={"checked": token, "save": "1"})
    assert saved.status_code == 302
    assert count(NpsResponse) == 3
    assert count(FollowUp) == 2
    comments = db.session.scalars(sa.select(NpsResponse.comment).order_by(NpsResponse.id))
    assert list(comments) == ["Great", "", "Late, again"]


BIG_ROWS = "".join(f"2026-06-01,{n % 10}\n" for n in range(100_000)).encode()  # 1.3 MB


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"2026-06-01,11,chains\n", "Line 1: Score: must be a whole number from 0 to 10"),
        (b"2026-06-01,-1\n", "Line 1: Score: must be a whole number from 0 to 10"),
        (b"2026-06-01,nine\n", "Line 1: Score: must be a whole number from 0 to 10"),
        (b"2026-06-16,9\n", "Line 1: Date: The date cannot be in the future."),
        (b"1999-12-31,9\n", "Line 1: Date: The date must be on or after 2000-01-01."),
        (b"06/01/2026,9\n", "Line 1: Date: must be a date written YYYY-MM-DD"),
        (b'2026-06-01,9,chains,C1,=HYPERLINK("x")\n', "which spreadsheets run as a formula"),
        (b"2026-06-01,9,chains,C1,ok,extra\n", "Has 6 columns; expected at most 5."),
        (b"2026-06-01,9\n2026-06-02,12\n", "Line 2: Score"),
        (b"2030-01-01,4,x,y,=SUM(A1)\n", "Line 1: Date: The date cannot be in the future."),
        ("2026-06-01,3,café,C1,très mal\n".encode("latin-1"), "is not UTF-8 text"),
        (b"x" * (3 * 1024 * 1024), "larger than 2 MB"),
        (b"x" * (10 * 1024 * 1024), "far larger than 2 MB"),
        (BIG_ROWS, "The file has 100,000 lines; at most 5,000"),
        (b"\n\n", "The file has no lines to import."),
    ],
    ids=[
        "score-11",
        "score-negative",
        "score-word",
        "future",
        "before-2000",
        "us-date",
        "formula",
        "too-many-columns",
        "one-bad-line-of-two",
        "future-and-formula",
        "not-utf8",
        "3-MB",
        "10-MB",
        "100000-rows",
        "empty",
    ],
)
def test_import_refuses_bad_files_and_writes_nothing(client, login, people, content, message):
    signed_in(client, login, people["lead"])
    response = _upload(client, content)
    assert response.status_code == (413 if len(content) > 4 * 1024 * 1024 else 422)
    page = response.get_data(as_text=True).replace("&#34;", '"')
    assert message in page, page[-4000:]
    assert 'id="save-form"' not in page
    assert count(NpsResponse) == 0
    assert count(FollowUp) == 0


def test_a_tampered_confirmation_writes_nothing(client, login, people):
    signed_in(client, login, people["lead"])
    bad = base64.b64encode(b"2026-06-01,11\n").decode()
    for token in (bad, "not base64!", ""):
        response = client.post("/nps/import", data={"checked": token, "save": "1"})
        assert response.status_code == 422
    assert count(NpsResponse) == 0


def test_only_executives_and_leads_import(client, login, people):
    signed_in(client, login, people["member"])
    assert client.get("/nps/import").status_code == 403
    token = base64.b64encode(b"2026-06-01,9\n").decode()
    assert client.post("/nps/import", data={"checked": token, "save": "1"}).status_code == 403
    assert count(NpsResponse) == 0


# --- what NPS feeds -----------------------------------------------------------------------


def test_an_indicator_fed_by_nps_is_recomputed_with_every_response(client, login, people, make):
    objective = make.objective(title="Loyal chains")
    indicator = make.indicator(objective, name="NPS of chains", baseline_value=0.0)
    respond("2026-05-04", 10)
    respond("2026-05-05", 3, owner=people["lead"])
    respond("2026-05-06", 9, "stores")
    db.session.commit()
    signed_in(client, login, people["executive"])
    data = {"source": "nps", "segment": "chains"}
    response = client.post(f"/nps/indicators/{indicator.id}/source", data=data)
    assert response.status_code == 302
    values = lambda: {  # noqa: E731
        (m.date, m.value, m.source)
        for m in db.session.scalars(
            sa.select(Measurement).where(Measurement.indicator_id == indicator.id)
        )
    }
    db.session.expire_all()
    assert values() == {(date(2026, 5, 31), 0.0, "nps")}  # chains in May: 10, 3 → 0
    page = client.get(f"/objectives/indicators/{indicator.id}").get_data(as_text=True)
    assert 'id="nps-fed"' in page
    assert "monthly Net Promoter Score of chains" in page
    mark = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
    form = {"date": "2026-06-10", "score": "9", "segment": "chains"}
    assert client.post("/nps/responses", data=form).status_code == 302
    db.session.expire_all()
    assert values() == {(date(2026, 5, 31), 0.0, "nps"), (date(2026, 6, 15), 100.0, "nps")}
    # The measurement was written in the response's transaction (same audit batch).
    kinds = db.session.scalars(sa.select(AuditEvent.entity_type).where(AuditEvent.id > mark)).all()
    assert {"NpsResponse", "Measurement"} <= set(kinds)
    # Back to entered actuals: the page no longer says NPS feeds it.
    client.post(f"/nps/indicators/{indicator.id}/source", data={"source": "manual"})
    page = client.get(f"/objectives/indicators/{indicator.id}").get_data(as_text=True)
    assert 'id="nps-fed"' not in page


def test_only_who_may_edit_the_indicator_may_feed_it(client, login, people, make):
    objective = make.objective(title="Loyal chains")
    indicator = make.indicator(objective)
    db.session.commit()
    signed_in(client, login, people["lead"])
    response = client.post(f"/nps/indicators/{indicator.id}/source", data={"source": "nps"})
    assert response.status_code == 403
    db.session.refresh(indicator)
    assert indicator.actuals_source == "manual"


def test_an_objective_shows_its_customer_evidence(client, login, people, make):
    objective = make.objective(title="Deliver to chains")
    respond("2026-05-04", 10)
    respond("2026-05-05", 9)
    respond("2026-06-01", 9)
    respond("2026-06-02", 5, owner=people["lead"])
    older = Assessment(date=date(2026, 3, 1))
    older.answers = [AssessmentAnswer(statement_key="systems.1", score=4)]
    latest = Assessment(date=date(2026, 6, 1))
    latest.answers = [
        AssessmentAnswer(statement_key="systems.1", score=1),
        AssessmentAnswer(statement_key="systems.2", score=2),
        AssessmentAnswer(statement_key="processes.1", score=4),
    ]
    db.session.add_all([older, latest])
    db.session.commit()
    signed_in(client, login, people["executive"])
    data = {"nps_segment": "chains", "health_element": "systems"}
    response = client.post(f"/nps/objectives/{objective.id}/evidence", data=data)
    assert response.status_code == 302
    page = client.get(f"/objectives/{objective.id}").get_data(as_text=True)
    nps = re.search(r'id="evidence-nps">(.*?)</dd>', page, re.S).group(1)
    # June: 9, 5 → 0; May: 10, 9 → +100.
    assert "<strong>0</strong> in 2026-06" in nps
    assert "+100" in nps
    element = re.search(r'id="evidence-element">(.*?)</dd>', page, re.S).group(1)
    # Systems in the latest assessment: (1 + 2) / 2 × 25 = 37.5 → "38", weak.
    assert "<strong>38</strong> / 100" in element
    assert "2026-06-01" in element
    assert "weak" in element
    assert "chart-evidence-nps" in page
    for bad in ({"health_element": "nonsense"}, {"nps_segment": "x" * 81}):
        refused = client.post(f"/nps/objectives/{objective.id}/evidence", data=bad)
        assert refused.status_code == 400
    db.session.refresh(objective)
    assert (objective.nps_segment, objective.health_element) == ("chains", "systems")


# --- for the meeting (the integrator's "Customer's voice" slide) ---------------------------


def test_the_customer_voice_for_a_meeting(app, people):
    from strategy_app.charts import nps as nps_charts
    from strategy_app.services.reads import nps as nps_reads

    respond("2026-05-04", 10)
    late = respond("2026-05-05", 3, owner=people["lead"])
    done = respond("2026-06-01", 1, owner=people["lead"])
    done.follow_up.state, done.follow_up.resolved_at = "resolved", datetime(2026, 6, 3, tzinfo=UTC)
    db.session.commit()
    voice = nps_reads.customer_voice(date(2026, 6, 15))
    assert [(g.label, g.counts.nps) for g in voice.months] == [("2026-05", 0), ("2026-06", -100)]
    assert [f.id for f in voice.open_follow_ups] == [late.follow_up.id]
    assert (voice.loop.total, voice.loop.rate, voice.loop.median_days) == (2, 0.5, 2)
    slide = nps_charts.trend(voice.months, "NPS", surface="meeting")
    page = nps_charts.trend(voice.months, "NPS")
    assert slide["layout"]["font"]["size"] > page["layout"]["font"]["size"]
    assert slide["layout"]["height"] > page["layout"]["height"]
    assert slide["layout"]["meta"]["table"]["rows"] == [
        ["May 2026", 2, 1, 0, 1, "0"],
        ["Jun 2026", 1, 0, 0, 1, "-100"],
    ]
    assert [t["y"] for t in slide["data"]] == [[1, 1], [0, 0], [1, 0], [0, -100]]
    empty = nps_charts.trend([], "NPS")
    assert empty["layout"]["annotations"][0]["text"] == "No responses yet."
