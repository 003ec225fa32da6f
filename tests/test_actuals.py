"""Entering actuals: one at a time, explained when off track, or many from CSV (preview, save)."""

from __future__ import annotations

import base64
import io
import re
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import url_for
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from strategy_app.extensions import db
from strategy_app.models import ActionPlan, AuditEvent, CheckIn, Indicator, Measurement
from strategy_app.models.base import utcnow
from strategy_app.services.dataio import actuals_import
from strategy_app.services.plumbing import data_version, per_version
from strategy_app.services.plumbing.errors import PermissionDenied, ValidationFailed
from strategy_app.services.writes import variance

TODAY = date(2026, 6, 15)  # conftest's FIXED_TODAY
# The default factory indicator goes 0 → 100 over 2026 (tolerance 0.1): on 2026-06-15 it
# expects about 45.3, so 50 is on track, 40 at risk and 10 off track.
ON_TRACK, OFF_TRACK = "50", "10"


@pytest.fixture
def world(make, db_session):
    """Two departments, a user of each role, a plan of sales with an indicator, an objective's."""
    sales, logistics = make.department("sales"), make.department("logistics")
    w = SimpleNamespace(sales=sales, logistics=logistics)
    w.executive = make.user("executive")
    w.lead = make.user("lead", sales)
    w.other_lead = make.user("lead", logistics)
    w.member = make.user("member", sales)
    w.other_member = make.user("member", sales)
    w.viewer = make.user("viewer")
    w.objective = make.objective(owner_id=w.other_member.id)
    w.plan = make.plan(w.objective, sales, owner_id=w.member.id, state="in_progress")
    w.plan_indicator = make.indicator(w.plan, name="Orders entered", unit="%")
    w.objective_indicator = make.indicator(w.objective, name="Customer NPS", unit="points")
    db_session.commit()
    return w


def values(indicator: Indicator) -> dict[date, tuple[float, str, str]]:
    """The stored actuals of an indicator, read afresh: {date: (value, note, source)}."""
    rows = db.session.execute(
        sa.select(Measurement.date, Measurement.value, Measurement.note, Measurement.source).where(
            Measurement.indicator_id == indicator.id
        )
    )
    return {r.date: (r.value, r.note, r.source) for r in rows}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def new_url(indicator: Indicator) -> str:
    return f"/actuals/{indicator.id}/new"


def upload_url(indicator: Indicator) -> str:
    return f"/actuals/{indicator.id}/upload"


def after_save(app, indicator: Indicator) -> str:
    """Where a save leads: the indicator's page once it exists, else this form again."""
    if "objectives.indicator_view" in app.view_functions:
        with app.test_request_context():
            return url_for("objectives.indicator_view", indicator_id=indicator.id)
    return new_url(indicator)


def post_actual(client, indicator, value, day=TODAY, note="", **extra):
    data = {"date": day.isoformat() if isinstance(day, date) else day, "value": value}
    data["note"] = note
    data.update(extra)
    return client.post(new_url(indicator), data=data)


# --- the page -----------------------------------------------------------------------------


def test_page_shows_the_indicator_and_defaults_to_today(client, login, world):
    login(world.lead)
    r = client.get(new_url(world.plan_indicator))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Orders entered" in html
    assert "Increase (higher is better)" in html
    assert 'value="2026-06-15"' in html
    assert "Expected today" in html
    assert "None yet" in html  # no actual yet
    assert world.plan.title in html


def test_a_good_actual_is_saved_and_redirects(app, client, login, world):
    login(world.lead)
    r = post_actual(client, world.plan_indicator, ON_TRACK, note="from the ERP")
    assert r.status_code == 302
    assert r.headers["Location"].endswith(after_save(app, world.plan_indicator))
    assert values(world.plan_indicator) == {TODAY: (50.0, "from the ERP", "manual")}
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Saved 50 % for 2026-06-15." in page


def test_unknown_and_malformed_ids_are_404(client, login, world):
    login(world.executive)
    for url in ("/actuals/999999/new", "/actuals/abc/new", "/actuals/99999999999/upload"):
        assert client.get(url).status_code == 404


# --- permissions (DESIGN §4) ---------------------------------------------------------------

CASES = [
    ("executive", "plan_indicator", True),
    ("executive", "objective_indicator", True),
    ("lead", "plan_indicator", True),  # own department's plan
    ("other_lead", "plan_indicator", False),  # another department's plan
    ("member", "plan_indicator", True),  # owns the plan
    ("other_member", "plan_indicator", False),  # same department, not the owner
    ("lead", "objective_indicator", False),  # does not own the objective
    ("member", "objective_indicator", False),
    ("other_member", "objective_indicator", True),  # owns the objective
    ("viewer", "plan_indicator", False),
    ("viewer", "objective_indicator", False),
]


@pytest.mark.parametrize(("who", "which", "allowed"), CASES)
def test_who_may_enter_actuals(client, login, world, who, which, allowed):
    login(getattr(world, who))
    indicator = getattr(world, which)
    page = client.get(new_url(indicator))
    assert page.status_code == (200 if allowed else 403)
    assert ("Save actual" in page.get_data(as_text=True)) is allowed
    assert client.get(upload_url(indicator)).status_code == (200 if allowed else 403)
    r = post_actual(client, indicator, ON_TRACK)
    assert r.status_code == (302 if allowed else 403)
    r = client.post(upload_url(indicator), data={"csv_text": "2026-06-01,50", "preview": "1"})
    assert r.status_code == (200 if allowed else 403)
    token = base64.b64encode(b"2026-06-02,50").decode()
    r = client.post(upload_url(indicator), data={"checked": token, "save": "1"})
    assert r.status_code == (302 if allowed else 403)
    assert len(values(indicator)) == (2 if allowed else 0)


def test_a_lead_who_owns_the_objective_may_enter_its_actuals(client, login, world):
    world.objective.owner_id = world.lead.id
    db.session.commit()
    login(world.lead)
    assert client.get(new_url(world.objective_indicator)).status_code == 200
    assert post_actual(client, world.objective_indicator, ON_TRACK).status_code == 302
    assert len(values(world.objective_indicator)) == 1


def test_a_refusal_is_recorded_in_the_audit_log(client, login, world):
    login(world.viewer)
    assert post_actual(client, world.plan_indicator, ON_TRACK).status_code == 403
    refused = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "refused", AuditEvent.user_id == world.viewer.id)
    )
    assert refused >= 1


def test_signed_out_visitors_go_to_the_sign_in_page(client, world):
    for r in (
        client.get(new_url(world.plan_indicator)),
        post_actual(client, world.plan_indicator, ON_TRACK),
        client.get(upload_url(world.plan_indicator)),
    ):
        assert r.status_code == 302
        assert "/login" in r.headers["Location"]
    assert values(world.plan_indicator) == {}


# --- same date replaces ----------------------------------------------------------------------


def test_same_date_replaces_and_keeps_the_old_value_in_the_audit_log(client, login, world):
    login(world.lead)
    assert post_actual(client, world.plan_indicator, "78.5").status_code == 302
    page = client.get(new_url(world.plan_indicator)).get_data(as_text=True)
    assert "replaces 78.5 %" in page
    assert post_actual(client, world.plan_indicator, "80").status_code == 302
    assert values(world.plan_indicator) == {TODAY: (80.0, "", "manual")}
    updates = [
        e.changes
        for e in db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "Measurement", AuditEvent.action == "update"
            )
        )
    ]
    assert [{k: v for k, v in u.items() if k != "updated_at"} for u in updates] == [
        {"value": [78.5, 80.0]}
    ]
    page = client.get(new_url(world.plan_indicator)).get_data(as_text=True)
    assert "78.5 → 80" in page  # the history on the page


def test_the_date_to_replace_can_be_chosen_from_the_list(client, login, world, make):
    login(world.lead)
    day = date(2026, 5, 31)
    db.session.add(Measurement(indicator_id=world.plan_indicator.id, date=day, value=41.0))
    db.session.commit()
    page = client.get(new_url(world.plan_indicator)).get_data(as_text=True)
    assert f"{new_url(world.plan_indicator)}?date=2026-05-31" in page
    page = client.get(f"{new_url(world.plan_indicator)}?date=2026-05-31").get_data(as_text=True)
    assert 'value="2026-05-31"' in page
    assert "replaces 41 %" in page
    # a bad ?date= is ignored (today)
    page = client.get(f"{new_url(world.plan_indicator)}?date=99999-1").get_data(as_text=True)
    assert 'value="2026-06-15"' in page


# --- off track: the variance must be explained ----------------------------------------------

EXPLAINED = {
    "explaining": "1",
    "explanation": "Two agents were on leave; orders were re-keyed by hand.",
    "kind": "check_in",
    "action": "Train two more agents by July.",
    "confidence": "2",
}


def test_an_on_track_value_needs_no_explanation(client, login, world):
    login(world.lead)
    assert post_actual(client, world.plan_indicator, ON_TRACK).status_code == 302
    assert count(CheckIn) == 0


def test_an_at_risk_value_needs_no_explanation(client, login, world):
    login(world.lead)
    assert post_actual(client, world.plan_indicator, "40").status_code == 302


def test_off_track_first_submit_asks_and_writes_nothing(client, login, world):
    login(world.lead)
    events = count(AuditEvent)
    r = post_actual(client, world.plan_indicator, OFF_TRACK, note="June figure")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Why is it off track?" in html
    assert "Post a check-in on the plan" in html
    assert "Record the explanation" not in html  # that one is for objective indicators
    assert "Create a new action plan" in html
    assert "June figure</textarea>" in html  # what was typed is kept
    assert 'name="explaining" type="hidden" value="1"' in html
    assert values(world.plan_indicator) == {}
    assert count(CheckIn) == 0
    assert count(AuditEvent) == events


def test_off_track_second_submit_without_explanation_is_refused(client, login, world):
    login(world.lead)
    r = post_actual(client, world.plan_indicator, OFF_TRACK, explaining="1")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Say why the indicator is off track." in html
    assert "Choose a corrective action." in html
    assert values(world.plan_indicator) == {}


def test_off_track_explained_with_a_check_in(client, login, world):
    login(world.lead)
    assert post_actual(client, world.plan_indicator, OFF_TRACK).status_code == 422
    r = post_actual(client, world.plan_indicator, OFF_TRACK, **EXPLAINED)
    assert r.status_code == 302, r.get_data(as_text=True)
    # The explanation is the actual's own note (issue 15), and the check-in links to it.
    note = f"Why off track: {EXPLAINED['explanation']}\nCorrective action: {EXPLAINED['action']}"
    assert values(world.plan_indicator) == {TODAY: (10.0, note, "manual")}
    check_in = db.session.scalars(sa.select(CheckIn)).one()
    actual = db.session.scalars(sa.select(Measurement)).one()
    assert check_in.measurement_id == actual.id
    assert check_in.action_plan_id == world.plan.id
    assert check_in.author_id == world.lead.id
    assert check_in.confidence == 2
    assert (check_in.state, check_in.progress_pct) == ("in_progress", world.plan.progress_pct)
    assert EXPLAINED["explanation"] in check_in.text
    assert EXPLAINED["action"] in check_in.text
    assert "Orders entered: 10 % on 2026-06-15 is off track." in check_in.text
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "variance_explained")
    ).one()
    assert (event.entity_type, event.entity_id) == ("Indicator", world.plan_indicator.id)
    assert event.changes["check_in_id"] == [None, check_in.id]
    assert event.user_id == world.lead.id
    page = client.get(new_url(world.plan_indicator)).get_data(as_text=True)
    assert "Train two more agents by July." in page  # the plan's latest check-ins


def test_off_track_check_in_needs_the_corrective_action_text(client, login, world):
    login(world.lead)
    r = post_actual(client, world.plan_indicator, OFF_TRACK, **{**EXPLAINED, "action": "  "})
    assert r.status_code == 422
    assert "Say what will be done about it." in r.get_data(as_text=True)
    assert values(world.plan_indicator) == {}
    assert count(CheckIn) == 0


def test_off_track_record_is_only_for_objective_indicators(client, login, world):
    login(world.lead)
    r = post_actual(client, world.plan_indicator, OFF_TRACK, **{**EXPLAINED, "kind": "record"})
    assert r.status_code == 422
    assert "Choose one of the corrective actions offered." in r.get_data(as_text=True)
    assert values(world.plan_indicator) == {}


def test_off_track_objective_indicator_records_the_explanation(client, login, world):
    login(world.executive)
    r = post_actual(client, world.objective_indicator, OFF_TRACK)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Record the explanation" in html
    assert "Post a check-in on the plan" not in html
    r = post_actual(
        client,
        world.objective_indicator,
        OFF_TRACK,
        note="survey of May",
        **{**EXPLAINED, "kind": "record"},
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    value, note, _ = values(world.objective_indicator)[TODAY]
    assert value == 10.0
    assert note.startswith("survey of May")
    assert EXPLAINED["explanation"] in note
    assert EXPLAINED["action"] in note
    assert count(CheckIn) == 0
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "variance_explained")
    ).one()
    assert event.entity_id == world.objective_indicator.id
    assert event.changes["explanation"] == [None, EXPLAINED["explanation"]]
    assert event.changes["corrective_action"] == [None, "record"]
    written = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity_type == "Measurement")
    ).all()
    assert written == ["create"]  # the note is whole from the start


def test_an_objective_indicator_import_records_the_explanation_on_the_latest_row(
    client, login, world
):
    login(world.other_member)  # owns the objective
    text = "2026-06-15,10,survey\n2026-06-01,40,earlier\n"
    r = save(client, world.objective_indicator, text, **{**EXPLAINED, "kind": "record"})
    assert r.status_code == 302, r.get_data(as_text=True)
    stored = values(world.objective_indicator)
    assert stored[date(2026, 6, 1)] == (40.0, "earlier", "import")
    assert stored[TODAY][1].startswith("survey\n\nWhy off track: ")
    assert count(CheckIn) == 0
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "variance_explained")
    ).one()
    assert event.changes["date"] == [None, "2026-06-15"]


def test_off_track_explained_with_a_new_plan(client, login, world):
    login(world.lead)
    new_plan = {
        **EXPLAINED,
        "kind": "new_plan",
        "action": "",
        "department_id": str(world.sales.id),
        "title": "Recover order entry",
    }
    r = post_actual(client, world.plan_indicator, OFF_TRACK, **new_plan)
    assert r.status_code == 302, r.get_data(as_text=True)
    assert values(world.plan_indicator)[TODAY][0] == 10.0
    plan = db.session.scalars(
        sa.select(ActionPlan).where(ActionPlan.title == "Recover order entry")
    ).one()
    assert plan.objective_id == world.objective.id  # under the plan's objective
    assert plan.department_id == world.sales.id
    assert plan.owner_id == world.lead.id
    assert EXPLAINED["explanation"] in plan.description
    assert count(CheckIn) == 0


def test_new_plan_for_an_objective_indicator_goes_under_that_objective(client, login, world):
    login(world.executive)
    data = {
        **EXPLAINED,
        "kind": "new_plan",
        "department_id": str(world.logistics.id),
        "title": "Win detractors back",
    }
    assert post_actual(client, world.objective_indicator, OFF_TRACK, **data).status_code == 302
    plan = db.session.scalars(
        sa.select(ActionPlan).where(ActionPlan.title == "Win detractors back")
    ).one()
    assert (plan.objective_id, plan.department_id) == (world.objective.id, world.logistics.id)
    assert plan.owner_id == world.executive.id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "Give the new plan a title."),
        ({"title": "x" * 201}, "Shorten this to at most 200 characters"),
        ({"department_id": ""}, "Choose the department that runs the new plan."),
        ({"department_id": "987654"}, "Choose one of the listed values"),
        ({"department_id": "abc"}, "Choose one of the listed values."),
        ({"title": "bad\x00title"}, "Remove the NUL characters."),
    ],
)
def test_new_plan_fields_are_validated(client, login, world, change, message):
    login(world.executive)
    data = {**EXPLAINED, "kind": "new_plan", "department_id": str(world.sales.id), "title": "T"}
    r = post_actual(client, world.plan_indicator, OFF_TRACK, **{**data, **change})
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    assert values(world.plan_indicator) == {}
    assert count(ActionPlan) == 1


def test_a_lead_may_only_start_a_plan_for_their_own_department(client, login, world):
    login(world.lead)
    page = post_actual(client, world.plan_indicator, OFF_TRACK).get_data(as_text=True)
    assert ">Sales</option>" in page
    assert ">Logistics</option>" not in page
    data = {
        **EXPLAINED,
        "kind": "new_plan",
        "department_id": str(world.logistics.id),
        "title": "Not mine to start",
    }
    r = post_actual(client, world.plan_indicator, OFF_TRACK, **data)
    assert r.status_code == 403
    assert values(world.plan_indicator) == {}
    assert count(ActionPlan) == 1


def test_a_member_is_not_offered_a_new_plan_and_is_refused_one(client, login, world):
    login(world.member)
    page = post_actual(client, world.plan_indicator, OFF_TRACK).get_data(as_text=True)
    assert "Create a new action plan" not in page
    data = {**EXPLAINED, "kind": "new_plan", "department_id": str(world.sales.id), "title": "T"}
    r = post_actual(client, world.plan_indicator, OFF_TRACK, **data)
    assert r.status_code == 403  # the policy refuses it: a member may not start plans
    assert values(world.plan_indicator) == {}
    assert count(ActionPlan) == 1
    assert post_actual(client, world.plan_indicator, OFF_TRACK, **EXPLAINED).status_code == 302
    assert count(CheckIn) == 1


def test_changing_the_value_back_on_track_needs_no_explanation(client, login, world):
    login(world.lead)
    assert post_actual(client, world.plan_indicator, OFF_TRACK).status_code == 422
    r = post_actual(client, world.plan_indicator, ON_TRACK, explaining="1")
    assert r.status_code == 302
    assert count(CheckIn) == 0


def test_an_old_actual_behind_a_newer_one_decides_nothing(client, login, world):
    db.session.add(Measurement(indicator_id=world.plan_indicator.id, date=TODAY, value=50.0))
    db.session.commit()
    login(world.lead)
    assert post_actual(client, world.plan_indicator, "0", day=date(2026, 6, 1)).status_code == 302


def test_a_future_dated_actual_cannot_dodge_the_question(client, login, world):
    login(world.lead)
    r = post_actual(client, world.plan_indicator, OFF_TRACK, day=date(2026, 9, 1))
    assert r.status_code == 422
    assert values(world.plan_indicator) == {}


# --- CSV: parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "date,value,note\n2026-06-01,50,first\n2026-06-08,51.5,second\n",
        "2026-06-01,50,first\n2026-06-08,51.5,second",
        "Date;Value;Note\r\n2026-06-01;50;first\r\n2026-06-08;51,5;second\r\n",
        "\ufeffdate,value,note\n2026-06-01,50,first\n2026-06-08,51.5,second\n",
        "\n\ndate,value,note\n\n2026-06-01,50,first\n   \n2026-06-08,51.5,second\n\n",
        'date,value,note\n2026-06-01, 50 ,"first"\n2026-06-08,51.5,"second"\n',
    ],
    ids=["header", "no-header", "semicolons", "bom", "blank-lines", "quoted"],
)
def test_csv_variants_parse_alike(text):
    parsed = actuals_import.parse_csv(text)
    assert parsed.errors == {}
    assert [(r.date, r.value, r.note) for r in parsed.rows] == [
        (date(2026, 6, 1), 50.0, "first"),
        (date(2026, 6, 8), 51.5, "second"),
    ]


def test_csv_notes_may_hold_the_delimiter_in_quotes_and_be_left_out():
    parsed = actuals_import.parse_csv('2026-06-01,50,"late, but complete"\n2026-06-02,7\n')
    assert [(r.note) for r in parsed.rows] == ["late, but complete", ""]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("date,value\n2026-06-01,1\n2026-13-01,2\n", 3, "date “2026-13-01”"),
        ("2026-06-01,1\n2026-06-02,1\n01/06/2026,1\n", 3, "write dates as YYYY-MM-DD"),
        ("2026-06-01,lots\n", 1, "value “lots”: Write a number such as 12500"),
        ("2026-06-01,NaN\n", 1, "ordinary number"),
        ("2026-06-01,1e400\n", 1, "ordinary number"),
        ("2026-06-01,-inf\n", 1, "ordinary number"),
        ("2026-06-01,1e16\n", 1, "at most 1,000,000,000,000,000"),
        ("2026-06-01,1\n\n2026-06-01,2\n", 3, "2026-06-01 is also on line 1"),
        ("2026-06-01\n", 1, "found 1 column"),
        ("2026-06-01,1,a,b\n", 1, "found 4 column"),
        ("0001-01-01,1\n", 1, "Must be between 1900-01-01 and 2200-12-31"),
        ("9999-12-31,1\n", 1, "Must be between 1900-01-01 and 2200-12-31"),
        ("2026-06-01,1,a\x00b\n", 1, "Must not contain NUL characters"),
        (f"2026-06-01,1,{'n' * 10_241}\n", 1, "at most 10,000 characters"),
        ('2026-06-01,1,"never closed\n2026-06-02,2\n', 1, "a quote is not closed"),
        ('2026-06-01,1,"a"b\n', 1, "cannot be read as CSV"),
    ],
)
def test_csv_errors_name_the_line(text, line, message):
    parsed = actuals_import.parse_csv(text)
    assert not parsed.ok
    assert line in parsed.errors, parsed.errors
    assert any(message in m for m in parsed.errors[line]), parsed.errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "There are no rows to import"),
        ("\n\n   \n", "There are no rows to import"),
        ("date,value,note\n", "There are no rows to import"),
        ("".join(f"2026-01-01,{i}\n" for i in range(1001)), "More than 1,000 rows"),
        ("2026-01-01,1," + "x" * (1024 * 1024) + "\n", "larger than 1 MB"),
    ],
    ids=["empty", "blank", "header-only", "too-many-rows", "too-large"],
)
def test_csv_file_level_errors(text, message):
    parsed = actuals_import.parse_csv(text)
    assert not parsed.ok
    assert any(message in m for m in parsed.errors[0]), parsed.errors


def test_a_thousand_rows_are_fine():
    days = [date.fromordinal(date(2020, 1, 1).toordinal() + i) for i in range(1000)]
    parsed = actuals_import.parse_csv("".join(f"{d.isoformat()},{i}\n" for i, d in enumerate(days)))
    assert parsed.ok
    assert len(parsed.rows) == 1000


def test_decode_accepts_utf8_with_or_without_bom_and_names_the_bad_line():
    assert actuals_import.decode("2026-06-01,1,café\n".encode()) == "2026-06-01,1,café\n"
    assert actuals_import.decode(b"\xef\xbb\xbf2026-06-01,1\n") == "2026-06-01,1\n"
    with pytest.raises(ValidationFailed) as exc:
        actuals_import.decode(b"2026-06-01,1\n2026-06-02,2,caf\xe9\n")
    assert "Line 2 is not UTF-8" in exc.value.fields["csv"][0]
    with pytest.raises(ValidationFailed):
        actuals_import.decode(b"x" * (1024 * 1024 + 1))


# --- CSV: the pages -----------------------------------------------------------------------------


def preview(client, indicator, text=None, file: bytes | None = None, name="actuals.csv"):
    """Post the first step as a browser does (multipart, encoded in memory)."""
    data = MultiDict({"preview": "Preview", "csv_text": text or ""})
    if file is not None:
        data["csv_file"] = FileStorage(io.BytesIO(file), name, content_type="text/csv")
    boundary, body = encode_multipart(data)
    return client.post(
        upload_url(indicator),
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def save(client, indicator, text: str, **extra):
    token = base64.b64encode(text.encode()).decode()
    return client.post(upload_url(indicator), data={"checked": token, "save": "Save all", **extra})


def test_upload_page_offers_paste_and_file(client, login, world):
    login(world.lead)
    html = client.get(upload_url(world.plan_indicator)).get_data(as_text=True)
    assert 'name="csv_text"' in html
    assert 'type="file"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "Save all" not in html  # not before a preview


def test_preview_shows_each_row_and_what_it_replaces_and_writes_nothing(client, login, world):
    db.session.add(Measurement(indicator_id=world.plan_indicator.id, date=TODAY, value=78.5))
    db.session.commit()
    login(world.lead)
    text = "date,value,note\n2026-06-01,44,<b>bold</b>\n2026-06-15,80,fixed\n"
    r = preview(client, world.plan_indicator, text)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "2 actual(s) to save, 1 of them replacing an earlier value" in html
    assert "Replaces 78.5 → 80" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html
    assert "Save all 2" in html
    assert values(world.plan_indicator) == {TODAY: (78.5, "", "manual")}


def test_preview_with_a_bad_line_names_it_and_offers_no_save(client, login, world):
    login(world.lead)
    text = "date,value\n2026-06-01,44\n2026-06-XX,45\n2026-06-03,many\n"
    r = preview(client, world.plan_indicator, text)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Line 3: date “2026-06-XX”" in html
    assert "Line 4: value “many”: Write a number such as 12500" in html
    assert "2 line(s) have errors" in html
    assert "Save all" not in html
    assert text.split("\n")[2] in html  # what was pasted is kept
    assert values(world.plan_indicator) == {}


def test_a_good_csv_is_saved_with_source_import(app, client, login, world):
    db.session.add(Measurement(indicator_id=world.plan_indicator.id, date=TODAY, value=78.5))
    db.session.commit()
    login(world.lead)
    text = "".join(f"2026-06-{d:02d},{40 + d},week {d}\n" for d in range(1, 16))
    assert preview(client, world.plan_indicator, text).status_code == 200
    r = save(client, world.plan_indicator, text)
    assert r.status_code == 302
    assert r.headers["Location"].endswith(after_save(app, world.plan_indicator))
    stored = values(world.plan_indicator)
    assert len(stored) == 15
    assert {s for _, _, s in stored.values()} == {"import"}
    assert stored[TODAY] == (55.0, "week 15", "import")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Imported 15 actual(s) from CSV, 1 of them replacing an earlier value." in page
    update = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == "Measurement", AuditEvent.action == "update"
        )
    ).one()
    assert update.changes["value"] == [78.5, 55.0]


def test_a_file_upload_is_previewed_and_saved(client, login, world):
    login(world.lead)
    raw = "\ufeffdate;value;note\r\n2026-06-01;50,5;from the file\r\n".encode()
    r = preview(client, world.plan_indicator, file=raw)
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html
    assert "from the file" in html
    token = html.split('name="checked" type="hidden" value="')[1].split('"')[0]
    r = client.post(upload_url(world.plan_indicator), data={"checked": token, "save": "1"})
    assert r.status_code == 302
    assert values(world.plan_indicator) == {date(2026, 6, 1): (50.5, "from the file", "import")}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"2026-06-01,1\n2026-06-02,2,caf\xe9\n", "Line 2 is not UTF-8 text"),
        (b"2026-06-01,1," + b"x" * (1024 * 1024) + b"\n", "larger than 1 MB"),
        (b"", "There are no rows to import"),
    ],
    ids=["latin-1", "too-large", "empty"],
)
def test_bad_files_are_refused(client, login, world, raw, message):
    login(world.lead)
    r = preview(client, world.plan_indicator, file=raw)
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    assert values(world.plan_indicator) == {}


CSV_CASES = {
    "bad-date-line-3": ("date,value\n2026-06-01,1\n2026-02-30,2\n", "Line 3: date"),
    "non-numeric": ("2026-06-01,abc\n", "Write a number"),
    "nan": ("2026-06-01,NaN\n", "ordinary number"),
    "huge": ("2026-06-01,1e400\n", "ordinary number"),
    "duplicate-date": ("2026-06-01,1\n2026-06-01,2\n", "Line 2: 2026-06-01 is also on line 1"),
    "too-many-rows": ("".join(f"2026-01-01,{i}\n" for i in range(1001)), "More than 1,000"),
    "empty": ("   ", "Paste some lines or choose a file."),
    "header-only": ("date,value,note", "There are no rows to import"),
    "nul": ("2026-06-01,1,a\x00b\n", "NUL"),
    "year-0001": ("0001-01-01,1\n", "between 1900-01-01"),
    "year-9999": ("9999-12-31,1\n", "between 1900-01-01"),
    "html-value": ("2026-06-01,<script>alert(1)</script>\n", "&lt;script&gt;"),
}


@pytest.mark.parametrize("case", CSV_CASES)
def test_bad_csv_is_refused_at_preview_and_at_save(client, login, world, case):
    text, message = CSV_CASES[case]
    login(world.lead)
    r = preview(client, world.plan_indicator, text)
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    assert "Save all" not in r.get_data(as_text=True)
    r = save(client, world.plan_indicator, text)  # a forged save is re-validated
    assert r.status_code == 422
    assert values(world.plan_indicator) == {}


def test_a_tampered_save_token_is_refused(client, login, world):
    login(world.lead)
    for token in ("not base64!", base64.b64encode(b"\xff\xfe").decode(), ""):
        r = client.post(upload_url(world.plan_indicator), data={"checked": token, "save": "1"})
        assert r.status_code == 422
        assert "preview the lines again" in r.get_data(as_text=True)
    assert values(world.plan_indicator) == {}


def test_a_pasted_text_of_nearly_1_mb_fits_in_the_form(client, login, world):
    login(world.lead)
    text = "".join(f"2026-01-01,1,{'x' * 1000}\n" for _ in range(2)) + "y" * 900_000
    r = preview(client, world.plan_indicator, text)
    assert r.status_code == 422  # read and refused line by line, not a 413
    assert "Line 3: cannot be read as CSV: a cell holds more than" in r.get_data(as_text=True)


def test_an_import_that_leaves_the_indicator_off_track_must_be_explained(client, login, world):
    login(world.lead)
    text = "2026-06-01,40\n2026-06-15,10\n"
    r = preview(client, world.plan_indicator, text)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "After this import the indicator is off track" in html
    assert "Why is it off track?" in html
    r = save(client, world.plan_indicator, text, explaining="1")
    assert r.status_code == 422
    assert "Say why the indicator is off track." in r.get_data(as_text=True)
    r = save(client, world.plan_indicator, text)  # without the flag: still asked
    assert r.status_code == 422
    assert values(world.plan_indicator) == {}
    r = save(client, world.plan_indicator, text, **EXPLAINED)
    assert r.status_code == 302, r.get_data(as_text=True)
    assert len(values(world.plan_indicator)) == 2
    check_in = db.session.scalars(sa.select(CheckIn)).one()
    assert "10 % on 2026-06-15 is off track" in check_in.text


# --- archived, hostile ------------------------------------------------------------------------


def test_an_archived_indicator_takes_no_actuals(client, login, world):
    world.plan_indicator.archived_at = utcnow()
    db.session.commit()
    login(world.executive)
    page = client.get(new_url(world.plan_indicator)).get_data(as_text=True)
    assert "This indicator is archived." in page
    assert "Save actual" not in page
    r = post_actual(client, world.plan_indicator, ON_TRACK)
    assert r.status_code == 422
    assert "This indicator is archived." in r.get_data(as_text=True)
    r = preview(client, world.plan_indicator, "2026-06-01,1\n")
    assert 400 <= r.status_code < 500
    r = save(client, world.plan_indicator, "2026-06-01,1\n")
    assert r.status_code == 422
    assert "This indicator is archived." in r.get_data(as_text=True)
    assert values(world.plan_indicator) == {}


def test_a_cancelled_plans_indicator_takes_no_actuals(client, login, world):
    world.plan.state = "cancelled"
    db.session.commit()
    login(world.executive)
    r = post_actual(client, world.plan_indicator, ON_TRACK)
    assert r.status_code == 422
    assert values(world.plan_indicator) == {}


HOSTILE = [
    {"value": "1\x002"},
    {"note": "a\x00b"},
    {"value": "<script>alert(1)</script>"},
    {"note": "n" * 10_241},
    {"date": "0001-01-01"},
    {"date": "9999-12-31"},
    {"date": "10000-01-01"},
    {"date": "2026-02-30"},
    {"date": "<b>"},
    {"date": ""},
    {"value": ""},
    {"value": "NaN"},
    {"value": "Infinity"},
    {"value": "1e400"},
    {"value": "-1e16"},
    {"value": "😀"},
    {"value": "9" * 5000},
    {"date": "2026-06-15\x00"},
]


@pytest.mark.parametrize("hostile", HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_hostile_values_are_refused_and_nothing_written(client, login, world, hostile):
    login(world.executive)
    data = {"date": TODAY.isoformat(), "value": "50", "note": "", **hostile}
    events = count(AuditEvent)
    r = client.post(new_url(world.plan_indicator), data=data)
    assert r.status_code == 422
    assert "<script>alert(1)</script>" not in r.get_data(as_text=True)
    assert values(world.plan_indicator) == {}
    assert count(AuditEvent) == events


def test_hostile_explanations_are_refused_and_nothing_written(client, login, world):
    login(world.executive)
    for bad in (
        {"explanation": "x\x00y"},
        {"explanation": "x" * 10_241},
        {"action": "y" * 5_000},
        {"confidence": "9"},
        {"confidence": "high"},
        {"kind": "<script>"},
    ):
        r = post_actual(client, world.plan_indicator, OFF_TRACK, **{**EXPLAINED, **bad})
        assert r.status_code == 422, bad
        assert "<script>" not in r.get_data(as_text=True)
    assert values(world.plan_indicator) == {}
    assert count(CheckIn) == 0


def test_html_in_a_note_is_kept_as_text_and_escaped(client, login, world):
    login(world.executive)
    note = "<img src=x onerror=alert(1)> & co 😀"
    assert post_actual(client, world.plan_indicator, ON_TRACK, note=note).status_code == 302
    assert values(world.plan_indicator)[TODAY][1] == note
    page = client.get(new_url(world.plan_indicator)).get_data(as_text=True)
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; co 😀" in page


def test_forms_refuse_a_missing_csrf_token(app_factory, make):
    app = app_factory(WTF_CSRF_ENABLED=True)
    token_of = re.compile(r'name="csrf_token"[^>]* value="([^"]+)"')
    with app.app_context():
        lead = make.user("lead")
        indicator = make.indicator(make.plan(department_=lead.department))
        db.session.commit()
        client = app.test_client()
        token = token_of.search(client.get("/login").get_data(as_text=True)).group(1)
        r = client.post(
            "/login",
            data={"email": lead.email, "password": make.PASSWORD, "csrf_token": token},
        )
        assert r.status_code == 302
        r = client.post(new_url(indicator), data={"date": "2026-06-15", "value": "50"})
        assert r.status_code == 400
        r = client.post(upload_url(indicator), data={"checked": "MjAyNi0wNi0wMSwx", "save": "1"})
        assert r.status_code == 400
        assert values(indicator) == {}
        token = token_of.search(client.get(new_url(indicator)).get_data(as_text=True)).group(1)
        r = client.post(
            new_url(indicator), data={"date": "2026-06-15", "value": "50", "csrf_token": token}
        )
        assert r.status_code == 302
        page = client.get(upload_url(indicator)).get_data(as_text=True)
        token = token_of.search(page).group(1)
        r = client.post(
            upload_url(indicator),
            data={"checked": "MjAyNi0wNi0wMSwx", "save": "1", "csrf_token": token},
        )
        assert r.status_code == 302
        assert len(values(indicator)) == 2


# --- services -----------------------------------------------------------------------------------


def test_would_be_off_track_uses_the_rules(world):
    ind = world.plan_indicator
    assert variance.would_be_off_track(ind, TODAY, 10.0, TODAY)
    assert not variance.would_be_off_track(ind, TODAY, 40.0, TODAY)  # at risk
    assert not variance.would_be_off_track(ind, TODAY, 50.0, TODAY)


def test_would_be_off_track_for_a_decreasing_and_a_maintained_indicator(make, db_session):
    down = make.indicator(direction="decrease", baseline_value=100.0, target_value=0.0)
    assert variance.would_be_off_track(down, TODAY, 90.0, TODAY)  # expected about 55
    assert not variance.would_be_off_track(down, TODAY, 50.0, TODAY)
    keep = make.indicator(direction="maintain", baseline_value=84, target_value=85, tolerance=0.05)
    assert variance.would_be_off_track(keep, TODAY, 50.0, TODAY)
    assert not variance.would_be_off_track(keep, TODAY, 86.0, TODAY)


def test_evaluate_with_follows_the_milestones(make, db_session):
    ind = make.indicator(milestones=[(date(2026, 6, 1), 90.0)])
    result = variance.evaluate_with(ind, [(TODAY, 70.0)], TODAY)
    assert result.expected > 90
    assert result.status == "off_track"
    assert variance.evaluate_with(ind, [], TODAY) is None


def test_record_with_explanation_stages_nothing_when_the_explanation_is_bad(world, db_session):
    data = actuals_import.inputs.MeasurementIn(date=TODAY, value=10.0)
    with pytest.raises(ValidationFailed):
        variance.record_with_explanation(
            world.lead, world.plan_indicator, data, " ", variance.Corrective(kind="check_in")
        )
    assert not db_session.new


def test_record_with_explanation_checks_the_policy(world, db_session):
    data = actuals_import.inputs.MeasurementIn(date=TODAY, value=10.0)
    with pytest.raises(PermissionDenied):
        variance.record_with_explanation(
            world.other_lead,
            world.plan_indicator,
            data,
            "why",
            variance.Corrective(kind="check_in", action="what"),
        )
    db_session.rollback()


def test_apply_checks_the_policy(world, db_session):
    with pytest.raises(PermissionDenied):
        actuals_import.apply(world.viewer, world.plan_indicator, "2026-06-01,50\n")
    db_session.rollback()
    assert values(world.plan_indicator) == {}


# --- queries ----------------------------------------------------------------------------------


def _count_queries(client, method, url, **kw) -> int:
    """The queries of one request with the kept figures forgotten: every count is of the
    same (cold) kind, whatever the requests before it kept."""
    data_version.cache().clear()
    per_version.clear()
    statements: list[str] = []

    def listener(*args):
        statements.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        r = getattr(client, method)(url, **kw)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert r.status_code in (200, 422), r.status_code
    return len(statements)


def _grow(world, n: int) -> None:
    """n more actuals, check-ins and milestones of the plan indicator."""
    ind = world.plan_indicator
    for i in range(n):
        db.session.add(Measurement(indicator_id=ind.id, date=date(2025, 1, 1 + i), value=i))
        db.session.add(CheckIn(action_plan_id=world.plan.id, state="in_progress", progress_pct=i))
    db.session.commit()


def test_pages_need_a_fixed_number_of_queries(client, login, world):
    login(world.lead)
    _grow(world, 2)
    text = "".join(f"2026-05-{d:02d},{40 + d}\n" for d in range(1, 3))
    small = (
        _count_queries(client, "get", new_url(world.plan_indicator)),
        _count_queries(client, "post", new_url(world.plan_indicator), data={"value": "x"}),
        _count_queries(
            client,
            "post",
            upload_url(world.plan_indicator),
            data={"csv_text": text, "preview": "1"},
        ),
    )
    _grow_more = 10
    for i in range(_grow_more):
        db.session.add(
            Measurement(indicator_id=world.plan_indicator.id, date=date(2024, 1, 1 + i), value=i)
        )
        db.session.add(CheckIn(action_plan_id=world.plan.id, state="in_progress", progress_pct=i))
    db.session.commit()
    text = "".join(f"2026-05-{d:02d},{40 + d}\n" for d in range(1, 29))
    large = (
        _count_queries(client, "get", new_url(world.plan_indicator)),
        _count_queries(client, "post", new_url(world.plan_indicator), data={"value": "x"}),
        _count_queries(
            client,
            "post",
            upload_url(world.plan_indicator),
            data={"csv_text": text, "preview": "1"},
        ),
    )
    assert small == large
    assert max(large) <= 15
