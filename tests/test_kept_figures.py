"""The figures kept per data version beside the cascade's (services.plumbing.per_version: the
dashboard's ranking, the indicator list, the departments' indicator lines, a person's
updates and their count) are, after every kind of change, the same as computed afresh; and
a change they can follow (an actual) is followed, not computed again."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from strategy_app.departments import indicators as department_indicators
from strategy_app.extensions import db
from strategy_app.meetings import pages as meeting_pages
from strategy_app.models import Measurement
from strategy_app.services.evaluation import clock
from strategy_app.services.plumbing import data_version, per_version
from strategy_app.services.reads import compare, dashboard, indicator_list, my_updates
from tests.conftest import FIXED_TODAY
from tests.test_refresh import CHANGES, first_indicator_of, world  # noqa: F401 (a fixture)


@pytest.fixture
def lead(world, make):  # noqa: F811 (the fixture imported above)
    """The sales lead: every sales plan and its indicators wait on them."""
    person = make.user("lead", world["departments"][0])
    db.session.commit()
    return person


def kept(person) -> dict:
    """Every kept figure, as plain data."""
    board = dashboard.build(FIXED_TODAY)
    updates = my_updates.my_updates(person, FIXED_TODAY)
    return {
        "attention": [(o.id, r) for o, r in board.attention],
        "status counts": board.status_counts,
        "by service": board.counts_by_service,
        "department results": board.department_results,
        "misses": board.misses,
        "scorecards": [(d.id, card) for d, card in board.departments],
        "indicator rows": indicator_list.rows(indicator_list.Filters(), FIXED_TODAY),
        "indicator lines": department_indicators.lines(FIXED_TODAY),
        "waiting": my_updates.waiting_count(person, FIXED_TODAY),
        "my plans": ([i.plan.id for i in updates.plans], updates.plan_total),
        "my indicators": (
            [(i.indicator_id, i.period_start) for i in updates.indicators],
            updates.indicator_total,
        ),
    }


def afresh(person) -> dict:
    db.session.commit()
    data_version.cache().clear()
    per_version.clear()
    return kept(person)


@pytest.mark.parametrize("name", list(CHANGES))
def test_kept_figures_after_a_change_equal_fresh_ones(world, make, lead, name):  # noqa: F811
    kept(lead)
    db.session.commit()
    CHANGES[name](world, make)
    db.session.commit()
    after = kept(lead)
    assert after == afresh(lead)


def test_kept_figures_follow_changes_one_after_another(world, make, lead):  # noqa: F811
    kept(lead)
    db.session.commit()
    seen = []
    for change in CHANGES.values():
        change(world, make)
        db.session.commit()
        after = kept(lead)
        assert after == afresh(lead)
        seen.append(repr((after["waiting"], after["misses"], after["status counts"])))
        db.session.commit()
    assert len(set(seen)) > 2, "the changes moved no kept figure: the test proves nothing"


def _count_calls(monkeypatch) -> dict[str, int]:
    calls = dict.fromkeys(("ranking", "rows", "lines", "waiting"), 0)
    for module, name, key in (
        (dashboard, "_ranking", "ranking"),
        (indicator_list, "_all", "rows"),
        (department_indicators, "_lines", "lines"),
        (my_updates, "_waiting", "waiting"),
    ):
        real = getattr(module, name)

        def counted(*args, _real=real, _key=key):
            calls[_key] += 1
            return _real(*args)

        monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.parametrize("plan", [0, 1], ids=["on the lead's own plan", "on another department's"])
def test_an_actual_is_followed_not_computed_again(world, lead, monkeypatch, plan):  # noqa: F811
    kept(lead)
    db.session.commit()
    calls = _count_calls(monkeypatch)
    indicator = first_indicator_of(world["plans"][plan])  # plans[0] is sales', [1] logistics'
    db.session.add(Measurement(indicator=indicator, date=date(2026, 6, 12), value=1.0))
    db.session.commit()
    after = kept(lead)
    # a person's count is worked out again only when the actual was on one of theirs
    assert calls == {"ranking": 0, "rows": 0, "lines": 0, "waiting": 1 if plan == 0 else 0}
    assert after == afresh(lead)


def _changes(as_of: date) -> tuple:
    found = meeting_pages.since(as_of, None)
    return found.total, [(c.kind, c.item) for c in found.listed], found.comparison


@pytest.mark.parametrize("actual", ["new", "edited", "one from before the start, edited"])
def test_the_meetings_changes_follow_an_actual_entered_in_the_meeting(
    world,  # noqa: F811
    monkeypatch,
    actual,
):
    """The deck's "changes since the last review" (compare.py between the start and today)
    after an actual entered today: followed, not read again, and the same as afresh."""
    indicator = first_indicator_of(world["plans"][0])
    with clock.travel(FIXED_TODAY - timedelta(days=3)):  # after the start (14 days back)
        recent = Measurement(indicator=indicator, date=date(2026, 6, 11), value=41.0)
        db.session.add(recent)
        db.session.commit()
    with clock.travel(FIXED_TODAY):
        before = _changes(FIXED_TODAY)
        db.session.commit()
        calls = []
        real = compare.days
        monkeypatch.setattr(compare, "days", lambda *a: calls.append(1) or real(*a))
        if actual == "new":
            db.session.add(Measurement(indicator=indicator, date=date(2026, 6, 14), value=77.0))
        elif actual == "edited":
            recent.value = 12.0
        else:  # written long before the start: its value then was never read
            old = db.session.scalar(
                sa.select(Measurement).where(
                    Measurement.indicator_id == indicator.id, Measurement.id != recent.id
                )
            )
            old.value = 3.0
        db.session.commit()
        after = _changes(FIXED_TODAY)
        assert calls == ([1] if actual.startswith("one from before") else [])
        assert after != before, "the actual moved nothing on the slide"
        db.session.commit()
        data_version.cache().clear()
        per_version.clear()
        assert after == _changes(FIXED_TODAY)
