"""Pacing arithmetic (dal/rate_limit.py) on figures a run produces itself."""

from __future__ import annotations

from intercom_update.dal.rate_limit import WorkspaceRateLimit

NOW = 1_796_000_001.0  # one second into a window
RESET = 1_796_000_010


def _figures(remaining: int) -> dict[str, str]:
    return {
        "x-ratelimit-limit": "1000",
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(RESET),
    }


def test_a_containers_own_burst_then_a_pause_is_not_read_as_the_apps_rate() -> None:
    """One run's concurrent reads answer within milliseconds; after a pause (a 429's wait, say)
    the window still has 991 of 1,000 left and nobody else is sending: the next request goes."""
    clock = [50.0]
    state = WorkspaceRateLimit(clock=lambda: clock[0])
    for _ in range(9):
        assert state.reserve(NOW) == 0
    for sent in range(9):
        clock[0] += 0.0005
        state.release(_figures(999 - sent), NOW, latency_s=0.005)
    clock[0] += 2.0
    assert state.reserve(NOW + 2.0) == 0


def test_other_containers_consumption_still_holds_a_request_back() -> None:
    """The same figures, but the window fell by 900 while this container saw two answers: the
    others' requests in transit outnumber what is left, so this one waits for the reset."""
    clock = [50.0]
    state = WorkspaceRateLimit(clock=lambda: clock[0])
    assert state.reserve(NOW) == 0
    state.release(_figures(950), NOW, latency_s=0.05)
    assert state.reserve(NOW + 0.1) == 0
    clock[0] += 0.1
    state.release(_figures(50), NOW + 0.1, latency_s=0.05)
    clock[0] += 1.0
    wait = state.reserve(NOW + 1.1)
    assert 0 < wait <= RESET - (NOW + 1.1)
