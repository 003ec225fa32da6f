"""A past day kept under the data version is refreshed, not rebuilt, after a change made
today: only the rows the change touched are rewound again, and the day reads the same as
if it had been rebuilt from nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import AuditEvent, CheckIn, Measurement
from strategy_app.services.evaluation import clock, history
from strategy_app.services.plumbing import data_version
from tests.queries import counting_queries
from tests.test_as_of import DAYS, MONDAY, Story

TODAY = MONDAY + timedelta(days=4)


def prepared(day: date):
    db.session.commit()
    return history._prepared(day, db.session.connection().dialect)


def fresh(day: date):
    """The day prepared from nothing (nothing kept)."""
    data_version.cache().clear()
    return prepared(day)


def plain(kept):
    """The prepared day with the driver's JSON wrappers (psycopg's Json) unwrapped, so that
    two preparations compare by value."""
    rows, differ = kept
    return {
        name: {i: tuple(getattr(v, "obj", v) for v in row) for i, row in by_id.items()}
        for name, by_id in rows.items()
    }, differ


@pytest.fixture
def story(app, make):
    with clock.travel(MONDAY):
        story = Story(make)
        story.day(0)
        db.session.commit()
    with clock.travel(DAYS[1]):
        story.day(1)
        db.session.commit()
    return story


CHANGES = {
    "a plan renamed and moved on": lambda s: (
        setattr(s.plan, "title", "Train every agent"),
        setattr(s.plan, "progress_pct", 70),
    ),
    "a new actual": lambda s: db.session.add(
        Measurement(indicator=s.indicator, date=TODAY, value=40.0)
    ),
    "an earlier actual corrected": lambda s: setattr(
        db.session.scalar(sa.select(Measurement).where(Measurement.date == date(2026, 3, 3))),
        "value",
        11.0,
    ),
    "an objective archived": lambda s: setattr(s.objective, "archived_at", datetime.now(UTC)),
    "a check-in": lambda s: db.session.add(
        CheckIn(action_plan=s.other, state="in_progress", progress_pct=5, text="Started")
    ),
    "a new plan": lambda s: s.make.plan(s.objective, s.ops, title="Later plan"),
}


@pytest.mark.parametrize("name", list(CHANGES))
@pytest.mark.parametrize("day", [MONDAY, DAYS[1]])
def test_a_past_day_after_a_change_today_equals_one_rebuilt_from_nothing(story, name, day):
    with clock.travel(TODAY):
        prepared(day)  # kept
        CHANGES[name](story)
        db.session.commit()
        refreshed = prepared(day)
        assert plain(refreshed) == plain(fresh(day))


def test_changes_one_after_another_keep_the_past_right(story):
    with clock.travel(TODAY):
        prepared(MONDAY)
        for change in CHANGES.values():
            change(story)
            db.session.commit()
            assert plain(prepared(MONDAY)) == plain(fresh(MONDAY))
            prepared(MONDAY)  # kept again, for the next change to refresh


def test_a_refresh_reads_the_later_events_of_the_touched_rows_only(story):
    with clock.travel(TODAY):
        prepared(MONDAY)
        CHANGES["a plan renamed and moved on"](story)
        db.session.commit()
        db.session.execute(sa.text("SELECT 1"))
        with counting_queries() as queries:
            prepared(MONDAY)
        events = [q for q in queries if "FROM audit_events" in q]
        assert len(events) == 1
        assert "audit_events.entity_id IN" in events[0]  # not every later event
        assert not any("EXISTS" in q for q in queries)  # nor which tables hold later rows


def test_the_page_of_a_past_day_after_a_change_shows_that_day(story, client, login):
    with clock.travel(TODAY):
        login(story.ceo)
        url = f"/plans/{story.plan.id}?as_of={MONDAY.isoformat()}"
        before = client.get(url).get_data(as_text=True)
        assert "Train agents" in before
        story.plan.title = "Train every agent"
        db.session.commit()
        after = client.get(url).get_data(as_text=True)
        assert "Train agents" in after
        assert "Train every agent" not in after
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) > 0


def test_an_actual_entered_today_leaves_the_past_a_plain_filter(story):
    """A row made after the day needs no rebuilt copy: the view's date filter hides it, and
    the view stays one the database sees through (its indexes serve the past too)."""
    with clock.travel(TODAY):
        CHANGES["a new actual"](story)
        db.session.commit()
        assert history.enter(MONDAY)
        try:
            made = dict((name, kind) for kind, name in db.session.info[history._OBJECTS_KEY])
            assert "measurements" in made  # a view: it filters out the new actual
            assert "asof_measurements" not in made  # and nothing rebuilt beside it
            assert (
                db.session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Measurement)
                    .where(Measurement.date == TODAY)
                )
                == 0
            )
        finally:
            history.leave()


def test_a_row_made_after_the_day_without_a_creation_event_is_not_in_the_past(story):
    """A bulk load writes rows without creation events; a later change of such a row must
    not bring it into a day before it was made."""
    with clock.travel(TODAY):
        plan = story.make.plan(story.objective, story.ops, title="Loaded in bulk")
        db.session.execute(
            sa.delete(AuditEvent).where(
                AuditEvent.entity_type == "ActionPlan",
                AuditEvent.entity_id == plan.id,
                AuditEvent.action == "create",
            )
        )
        db.session.commit()
        plan.progress_pct = 40  # a later change: an update event, but no creation event
        db.session.commit()
        plan_id = plan.id
        assert history.enter(DAYS[1])
        try:
            assert db.session.get(type(plan), plan_id) is None
        finally:
            history.leave()
