"""The figures kept per data version beside the cascade's (services.plumbing.per_version: the
dashboard's ranking, the indicator list, the departments' indicator lines, a person's
updates and their count) are, after every kind of change, the same as computed afresh; and
a change they can follow (an actual) is followed, not computed again."""

from __future__ import annotations

from datetime import date

import pytest

from strategy_app.departments import indicators as department_indicators
from strategy_app.extensions import db
from strategy_app.models import Measurement
from strategy_app.services.plumbing import data_version, per_version
from strategy_app.services.reads import dashboard, indicator_list, my_updates
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
