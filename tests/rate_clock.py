"""The rate limiter's clock, stopped for tests that count requests up to a limit.

Its windows are fixed (a minute each): a test that makes four requests and expects the
fourth refused would see it allowed if the minute rolled over between them, which happens
now and then on a slow, busy machine. Stopping the limiter's clock 20.5 s before a minute's
end makes the window certain, and the seconds to the next window a known figure.
"""

from __future__ import annotations

from types import SimpleNamespace

FROZEN_CLOCK = 1_000_000.5
FROZEN_RETRY_AFTER = "20"


def freeze(monkeypatch) -> None:
    """Stop the rate limiter's clock (only its own: time.time elsewhere runs on)."""
    from strategy_app.services.plumbing import ratelimit

    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: FROZEN_CLOCK))
