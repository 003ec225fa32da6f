"""A page of a past day shows no "My updates" count: what waits on someone is today's, and
the request reads that day's world, so a count would be wrong (and slow to read there)."""

from __future__ import annotations

from tests.test_navigation import _world


def test_the_badge_is_left_out_of_a_past_day_and_back_today(client, login, make):
    lead = _world(make)
    login(lead)
    today = client.get("/").get_data(as_text=True)
    past = client.get("/?as_of=2026-03-01").get_data(as_text=True)
    assert 'id="my-updates-count"' in today
    assert "as it stood on" in past  # the past banner: the page does show that day
    assert 'id="my-updates-count"' not in past
