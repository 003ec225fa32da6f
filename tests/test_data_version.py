"""The data version: a token that changes with every committed change, and the cache on it."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import Measurement
from strategy_app.services.dataio import bench_data
from strategy_app.services.evaluation import metrics
from strategy_app.services.plumbing import data_version
from tests.conftest import FIXED_TODAY


def stored_token() -> str | None:
    """The token as committed (read on a connection of its own, outside the test's session)."""
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT token FROM data_versions WHERE id = 1")).scalar()


def test_an_empty_database_has_no_token_and_nothing_is_cached(app, db_session):
    assert data_version.current() is None
    calls = []
    for _ in range(2):
        data_version.cache().get_or_compute("k", lambda: calls.append(1))
    assert len(calls) == 2


def test_a_committed_change_writes_a_new_token(app, make, db_session):
    make.objective()
    db_session.commit()
    first = stored_token()
    assert first is not None
    assert len(first) == 32
    make.objective()
    db_session.commit()
    second = stored_token()
    assert second not in (None, first)


def test_reads_and_rolled_back_changes_leave_the_token(app, make, db_session):
    make.objective()
    db_session.commit()
    before = stored_token()
    metrics.overview(FIXED_TODAY)
    db_session.commit()
    make.objective()  # flushed, audited, then rolled back
    db_session.rollback()
    db_session.commit()  # nothing left to write
    assert stored_token() == before


def test_a_savepoint_leaves_the_token_to_the_outer_commit(app, make, db_session):
    make.objective()
    db_session.commit()
    before = stored_token()
    with db_session.begin_nested():
        make.objective()
    assert data_version.current() == before  # as this transaction sees it: no new token yet
    db_session.commit()
    assert stored_token() != before


def test_the_cache_keeps_a_value_while_the_token_stands(app, make, db_session):
    make.objective()
    db_session.commit()
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    cache = data_version.cache()
    assert cache.get_or_compute("k", compute) == 1
    assert cache.get_or_compute("k", compute) == 1
    assert cache.get_or_compute("other", compute) == 2
    make.objective()
    db_session.commit()
    assert cache.get_or_compute("k", compute) == 3


def test_the_cache_forgets_the_oldest_beyond_its_size(app):
    cache = data_version.Cache(size=2)
    db.session.execute(sa.text("INSERT INTO data_versions (id, token) VALUES (1, 't')"))
    for key in "abc":
        cache.get_or_compute(key, lambda k=key: k)
    assert cache.get_or_compute("a", lambda: "again") == "again"
    assert cache.get_or_compute("c", lambda: "again") == "c"


def test_another_worker_sees_a_change_at_once(app, app_factory, make, db_session):
    """Two apps on one database stand for two gunicorn workers, each with its own cache."""
    plan = make.plan()
    indicator_id = make.indicator(plan, actuals=[(date(2026, 6, 1), 50.0)]).id
    db_session.commit()
    assert stored_token() is not None  # so the figures below are cached under it
    assert metrics.overview(FIXED_TODAY).results[indicator_id].status == "on_track"
    db_session.commit()  # ends the read, as the end of a request does

    other = app_factory()
    with other.app_context():
        db.session.add(Measurement(indicator_id=indicator_id, date=date(2026, 6, 10), value=5.0))
        db.session.commit()
        db.session.remove()

    assert metrics.overview(FIXED_TODAY).results[indicator_id].status == "off_track"


def test_a_transaction_sees_its_own_uncommitted_changes(app, make, db_session):
    indicator = make.indicator(make.plan(), actuals=[(date(2026, 6, 1), 50.0)])
    db_session.commit()
    assert metrics.overview(FIXED_TODAY).results[indicator.id].status == "on_track"
    db_session.add(Measurement(indicator_id=indicator.id, date=date(2026, 6, 10), value=5.0))
    # not flushed yet, then flushed: either way not the figures cached before the change
    assert metrics.overview(FIXED_TODAY).results[indicator.id].status == "off_track"
    assert metrics.overview(FIXED_TODAY).results[indicator.id].status == "off_track"
    db_session.rollback()
    assert metrics.overview(FIXED_TODAY).results[indicator.id].status == "on_track"


@pytest.mark.parametrize("plans", [10])
def test_seed_bench_writes_a_token(app, db_session, plans):
    bench_data.generate(plans)
    db_session.commit()
    assert stored_token() is not None


def test_one_value_per_key_is_kept_whatever_the_versions_gone_by(app, make, db_session):
    """Figures of versions gone by do not pile up: each key keeps its newest value only,
    while every key stays readable (a page's figures are not pushed out by old ones)."""
    cache = data_version.Cache(size=8)
    make.objective()
    db_session.commit()
    for n in range(20):
        cache.get_or_compute("big", lambda n=n: ["figure", n])
        cache.get_or_compute("small", lambda n=n: n)
        make.objective()
        db_session.commit()
    assert len(cache._items) == 2
    calls = []
    assert cache.get_or_compute("small", lambda: calls.append(1) or 99) == 99  # a new version
    assert cache.get_or_compute("small", lambda: calls.append(1)) == 99  # kept
    assert calls == [1]
