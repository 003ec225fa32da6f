"""The demo data set (`flask seed-demo`) and the built-in service-health checklist."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import (
    ActionPlan,
    Assessment,
    AuditEvent,
    CheckIn,
    CompanyStrategy,
    Department,
    Indicator,
    Measurement,
    NpsResponse,
    Objective,
    Organization,
    PlanDependency,
    Review,
    ServiceStrategy,
    User,
)
from strategy_app.services.dataio import checklist, demo, demo_data
from strategy_app.services.evaluation import clock, metrics, rules
from strategy_app.services.plumbing import audit
from strategy_app.services.writes.users import check_password, find_by_email

PASSWORD = "Lantern-Orchard-Quay-4817"
SLUGS = {"sales", "logistics", "marketing", "finance", "systems"}
# DESIGN §5: the demo's sign-ins are a binding contract.
BINDING_SIGN_INS = {
    ("ceo@demo.test", "executive"),
    ("sales.lead@demo.test", "lead"),
    ("logistics.lead@demo.test", "lead"),
    ("marketing.lead@demo.test", "lead"),
    ("finance.lead@demo.test", "lead"),
    ("systems.lead@demo.test", "lead"),
    ("member@demo.test", "member"),
    ("viewer@demo.test", "viewer"),
}


def row_counts() -> dict[str, int]:
    """Rows in every table of the model."""
    return {
        t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
        for t in db.metadata.sorted_tables
    }


def all_of(model) -> list:
    return list(db.session.scalars(sa.select(model).order_by(model.id)))


@pytest.fixture
def seeded(runner, db_session):
    """The demo, loaded through the command line."""
    result = runner.invoke(args=["seed-demo", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    return result


# --- the command ------------------------------------------------------------------------


def test_seed_demo_prints_every_sign_in_and_the_password(seeded):
    assert "Demo data loaded." in seeded.output
    for email, role in demo.DEMO_SIGN_INS:
        assert re.search(rf"{re.escape(email)}\s+{role}", seeded.output)
    assert PASSWORD in seeded.output
    made = {(u.email, u.role) for u in all_of(User)}
    assert made == BINDING_SIGN_INS == set(demo.DEMO_SIGN_INS)
    for email, _ in demo.DEMO_SIGN_INS:
        assert check_password(find_by_email(email), PASSWORD)


def test_second_run_changes_nothing(seeded, runner, db_session):
    before = row_counts()
    assert before["users"] == len(BINDING_SIGN_INS)
    again = runner.invoke(args=["seed-demo", "--password", "another-password-entirely"])
    assert again.exit_code == 0, again.output
    assert "already present" in again.output
    db_session.expire_all()
    assert row_counts() == before
    assert check_password(find_by_email("ceo@demo.test"), PASSWORD)
    assert not check_password(find_by_email("ceo@demo.test"), "another-password-entirely")


def test_without_password_one_is_generated_printed_and_works(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    match = re.search(r"Password for every demo user: (\S+)", result.output)
    assert match
    password = match.group(1)
    assert len(password) >= 12
    for email in ("ceo@demo.test", "member@demo.test", "viewer@demo.test"):
        assert check_password(find_by_email(email), password)


@pytest.mark.parametrize("password", ["short", "eleven char"])
def test_an_unacceptable_password_is_refused_and_nothing_written(runner, password):
    result = runner.invoke(args=["seed-demo", "--password", password])
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert set(row_counts().values()) == {0}


def test_a_database_with_another_organization_is_left_alone(runner, make, db_session):
    make.organization(name="Someone Else Ltd")
    db_session.commit()
    before = row_counts()
    result = runner.invoke(args=["seed-demo", "--password", PASSWORD])
    assert result.exit_code != 0
    assert "Someone Else Ltd" in result.output
    assert "Nothing was changed" in result.output
    assert row_counts() == before


def test_a_failure_part_way_rolls_back_everything_audit_included(app, monkeypatch, db_session):
    def broken(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo._Builder, "review", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        demo.seed_demo(PASSWORD)
    assert set(row_counts().values()) == {0}
    assert db_session.info.get(audit.ACTOR_KEY) is None


# --- the story --------------------------------------------------------------------------


def test_departments_have_service_roles_leads_and_colours(seeded):
    departments = all_of(Department)
    assert {d.slug for d in departments} == SLUGS
    for d in departments:
        assert len(d.service_role) > 40
        assert re.fullmatch(r"#[0-9a-f]{6}", d.colour)
        assert d.lead.email == f"{d.slug}.lead@demo.test"
        assert d.lead.role == "lead"
        assert d.lead.department_id == d.id
    assert len({d.position for d in departments}) == len(SLUGS)
    assert find_by_email("member@demo.test").department.slug == "sales"
    for email in ("ceo@demo.test", "viewer@demo.test"):
        assert find_by_email(email).department is None


def test_service_strategy_complements_the_company_strategies(seeded):
    org = db.session.scalar(sa.select(Organization))
    assert org.vision
    assert org.mission
    company = all_of(CompanyStrategy)
    assert {c.title for c in company} == {"Reduce costs", "Grow sales", "Know the consumer"}
    view = metrics.cascade(clock.today())
    assert len(view.service_strategies) == 1
    live = view.service_strategies[0]
    assert live.status == "active"
    fits = {link.company_strategy.title: link.fit for link in view.links[live.id]}
    assert fits == {
        "Grow sales": "supports",
        "Know the consumer": "supports",
        "Reduce costs": "neutral",
    }
    # The seed's counter-example is on file, archived, and is the only conflict.
    shelved = [s for s in all_of(ServiceStrategy) if s.id != live.id]
    assert all(s.archived_at is not None for s in shelved)
    assert any(link.fit == "conflicts" for s in shelved for link in s.links)


def test_plans_span_every_department_with_owners_states_and_an_overdue_one(seeded):
    today = clock.today()
    plans = all_of(ActionPlan)
    assert {p.department.slug for p in plans} == SLUGS
    assert all(p.owner is not None and p.due_date is not None for p in plans)
    assert {"planned", "in_progress", "done", "blocked"} <= {p.state for p in plans}
    assert any(rules.plan_overdue(p.due_date, p.state, today) for p in plans)
    assert any(p.budget for p in plans)
    assert any(p.owner.role == "member" for p in plans)
    for objective in all_of(Objective):
        assert objective.owner is not None
        assert objective.tags
        assert objective.start_date < today < objective.due_date
        assert len({p.department_id for p in objective.plans}) >= 3  # cross-functional
    dependency = db.session.scalar(sa.select(PlanDependency))
    assert dependency.plan.department_id != dependency.blocked_by.department_id


def test_measurements_cover_months_before_today(seeded):
    today = clock.today()
    indicators = all_of(Indicator)
    assert {i.direction for i in indicators} == {"increase", "decrease", "maintain"}
    assert any(i.milestones for i in indicators)
    assert any(i.external_key for i in indicators)
    for i in indicators:
        assert i.baseline_date < today < i.target_date
        for m in i.milestones:
            assert i.baseline_date < m.date < i.target_date
        if i.measurements:
            months = {(m.date.year, m.date.month) for m in i.measurements}
            assert len(months) >= 3
            assert all(i.baseline_date <= m.date < today for m in i.measurements)
        if i.unit == "%":
            assert all(0 <= m.value <= 100 for m in i.measurements)
    dates = db.session.scalars(sa.select(Measurement.date)).all()
    assert (max(dates) - min(dates)).days >= 90


@pytest.mark.parametrize("today", ["2026-06-15", "2026-01-31", "2027-03-01", "2028-02-29"])
def test_indicators_are_on_track_at_risk_and_off_track_whatever_today_is(app_factory, today):
    with app_factory(FIXED_TODAY=today).app_context():
        assert demo.seed_demo(PASSWORD)
        as_of = clock.today()
        assert as_of == date.fromisoformat(today)
        view = metrics.cascade(as_of)
        by_name = {i.name: i.id for i in db.session.scalars(sa.select(Indicator))}
        statuses = {name: view.indicator_results[i].status for name, i in by_name.items()}
        assert {rules.ON_TRACK, rules.AT_RISK, rules.OFF_TRACK} <= set(statuses.values())
        for row in demo_data.INDICATORS:
            assert statuses[row.name] == (row.health or rules.NO_DATA), row.name
        objectives = view.status_counts()
        assert sum(objectives.values()) == len(demo_data.OBJECTIVES)
        assert objectives[rules.ON_TRACK] >= 1
        assert objectives[rules.OFF_TRACK] >= 1
        db.session.remove()


def test_objectives_roll_up_results_execution_and_status(seeded):
    view = metrics.cascade(clock.today())
    objectives = [o for group in view.objectives.values() for o in group]
    assert len(objectives) == len(demo_data.OBJECTIVES)
    for o in objectives:
        rollup = view.rollups[o.id]
        assert rollup.results is not None
        assert 0 <= rollup.results <= 1
        assert rollup.execution is not None
        assert 0 <= rollup.execution <= 1
        assert rollup.status != rules.NO_DATA
    assert len({r.status for r in view.rollups.values()}) >= 2


def test_each_plan_stands_as_its_latest_check_in_says(seeded):
    plans = [p for p in all_of(ActionPlan) if p.check_ins]
    assert len(plans) >= 5
    for plan in plans:
        latest = max(plan.check_ins, key=lambda c: c.created_at)
        assert (plan.state, plan.progress_pct) == (latest.state, latest.progress_pct)
        assert plan.check_ins[0] is latest
    check_ins = all_of(CheckIn)
    assert all(1 <= c.confidence <= 5 and c.author and c.text for c in check_ins)
    assert len({c.confidence for c in check_ins}) >= 3


def test_each_assessment_answers_every_checklist_statement(seeded):
    assessments = all_of(Assessment)
    assert len(assessments) == 2
    for assessment in assessments:
        assert assessment.assessor.role == "executive"
        keys = [a.statement_key for a in assessment.answers]
        assert sorted(keys) == sorted(checklist.statement_keys())
        assert all(0 <= a.score <= 4 for a in assessment.answers)
        assert any(a.comment for a in assessment.answers)
        by_element: dict[str, list[int]] = {}
        for a in assessment.answers:
            by_element.setdefault(checklist.element_of(a.statement_key).key, []).append(a.score)
        scores = {k: rules.assessment_score(v) for k, v in by_element.items()}
        assert len(scores) == len(checklist.ELEMENTS)
        assert len(set(scores.values())) > 1  # some elements are weaker than others


def test_the_two_assessments_months_apart_tell_of_progress(seeded):
    first, latest = sorted(all_of(Assessment), key=lambda a: a.date)
    assert (latest.date - first.date).days >= 120
    assert latest.date < clock.today()
    assert first.created_at.date() == first.date  # recorded on its day: ?as_of= shows it then
    checklist_map = checklist.statements_by_element()
    before, after = (
        rules.assessment_scores(((a.statement_key, a.score) for a in x.answers), checklist_map)
        for x in (first, latest)
    )
    assert after.overall > before.overall
    assert after.elements["systems"] > before.elements["systems"]
    assert rules.is_weak(before.elements["systems"])
    assert rules.is_weak(after.elements["performance"])
    linked = {p.health_element: p for p in all_of(ActionPlan) if p.health_element}
    assert set(linked) == {"systems", "channels"}
    # made that way (their creation names the element), not edited later
    for plan in linked.values():
        created = db.session.scalar(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "ActionPlan",
                AuditEvent.entity_id == plan.id,
                AuditEvent.action == "create",
            )
        )
        assert created.changes["health_element"] == [None, plan.health_element]


def test_nps_is_computable_and_every_detractor_is_followed_up(seeded):
    responses = all_of(NpsResponse)
    assert len({(r.date.year, r.date.month) for r in responses}) >= 3
    assert all(r.date < clock.today() for r in responses)
    assert len({r.segment for r in responses}) >= 2
    assert rules.nps(r.score for r in responses) is not None
    for r in responses:
        assert (r.follow_up is not None) == (r.score <= 6)
        if r.follow_up:
            assert r.follow_up.owner is not None
    states = {r.follow_up.state for r in responses if r.follow_up}
    assert {"open", "resolved"} <= states
    # The NPS indicator's actuals are the monthly NPS of the responses.
    indicator = db.session.scalar(
        sa.select(Indicator).where(Indicator.external_key == "nps.all_segments")
    )
    for m in indicator.measurements:
        month = [
            r.score for r in responses if (r.date.year, r.date.month) == (m.date.year, m.date.month)
        ]
        assert m.source == "nps"
        assert m.value == rules.nps(month)


def test_a_past_review_recorded_decisions(seeded):
    (review,) = all_of(Review)
    assert review.date < clock.today()
    assert review.decisions
    assert any(d.action_plan is not None for d in review.decisions)


def test_audit_events_were_written_for_what_was_created(seeded):
    ceo = find_by_email("ceo@demo.test")
    events = all_of(AuditEvent)
    created = Counter(e.entity_type for e in events if e.action == "create")
    for model in (Objective, ActionPlan, Indicator, Measurement, CheckIn, NpsResponse):
        assert created[model.__name__] == len(all_of(model)), model.__name__
    assert created["User"] == len(BINDING_SIGN_INS)
    objective_events = [e for e in events if e.entity_type == "Objective"]
    assert {e.user_id for e in objective_events} == {ceo.id}
    for e in events:
        if e.entity_type == "User":
            assert e.changes["password_hash"] == [None, "(set)"]  # the hash never leaks


# --- helpers and the checklist ----------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "today", "expected"),
    [
        ("m-1", date(2026, 3, 31), date(2026, 2, 28)),
        ("m+0", date(2028, 2, 10), date(2028, 2, 29)),
        ("f+1", date(2026, 12, 31), date(2027, 1, 1)),
        ("m-6", date(2026, 6, 15), date(2025, 12, 31)),
        ("d-10", date(2026, 3, 5), date(2026, 2, 23)),
    ],
)
def test_relative_dates(code, today, expected):
    assert demo.relative_date(code, today) == expected


def test_checklist_has_three_groups_nine_elements_forty_statements():
    assert len(checklist.GROUPS) == 3
    assert len(checklist.ELEMENTS) == 9
    assert {e.group for e in checklist.ELEMENTS} == set(checklist.GROUPS)
    for group in checklist.GROUPS:
        assert len(checklist.elements_in(group)) == 3
    keys = checklist.statement_keys()
    assert len(keys) == 40 == len(set(keys))
    assert len({e.key for e in checklist.ELEMENTS}) == 9
    texts = [s.text for s in checklist.statements()]
    assert len(set(texts)) == 40
    assert all(len(t) > 20 for t in texts)


def test_statement_keys_find_their_element():
    for element in checklist.ELEMENTS:
        for statement in element.statements:
            assert statement.key.startswith(element.key + ".")
            assert checklist.element_of(statement.key) is element
    assert checklist.element_of("nonsense.1") is None
