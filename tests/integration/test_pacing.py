"""Pacing from the rate-limit headers: a spent window is waited out, not sent into a 429.

Most run the transport against canned answers over loopback, with a recorded ``sleep`` and a
wall clock that the sleeps move forward, so each test sees exactly which wait was chosen. The
last runs several containers against the sandbox's own limiter, in real time (about 30 s); the
single-update case is in ``test_retries.py``.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Sequence

import pytest
import urllib3

from intercom_sandbox import IntercomSandbox
from intercom_update.dal.rate_limit import RateLimits, WorkspaceRateLimit
from intercom_update.dal.transport import (
    Deadline,
    IntercomResponse,
    Request,
    RetryPolicy,
    Transport,
    Waiting,
)
from intercom_update.models.errors import IntercomUnavailableError
from tests.support.intercom import TOKEN
from tests.support.trickle import Reply, TrickleServer, answer

NOW = 1_900_000_000.0
POLICY = RetryPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=0.05)
CONTACT = json.dumps({"type": "contact", "id": "c1"}).encode()


class PacedCalls:
    """Sends through one workspace's rate-limit state; sleeps are recorded and move the clock."""

    def __init__(self, replies: list[Reply], budget_s: float = 30.0) -> None:
        self.server = TrickleServer(replies)
        self.rate_limit = WorkspaceRateLimit()
        self.sleeps: list[float] = []
        self.now = NOW
        self.budget_s = budget_s

    def __enter__(self) -> PacedCalls:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__()

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def send(self) -> IntercomResponse:
        waiting = Waiting(sleep=self._sleep, jitter=lambda low, high: high, wall_clock=self.clock)
        transport = Transport(
            urllib3.PoolManager(), Deadline(self.budget_s), POLICY, waiting, None, self.rate_limit
        )
        request = Request("GET", "/contacts/{id}", self.server.base_url + "/contacts/c1", {})
        return transport.send(request, lambda data: isinstance(data, dict) and "id" in data)

    def clock(self) -> float:
        return self.now

    @property
    def attempts(self) -> int:
        return len(self.server.received)


def with_figures(limit: str, remaining: str, reset: str) -> Reply:
    headers: Sequence[tuple[str, str]] = [
        ("X-RateLimit-Limit", limit),
        ("X-RateLimit-Remaining", remaining),
        ("X-RateLimit-Reset", reset),
    ]
    return answer(200, CONTACT, headers)


def test_a_spent_window_is_waited_out_with_jitter_before_the_next_request() -> None:
    reset = str(int(NOW) + 4)
    with PacedCalls([with_figures("10", "0", reset), answer(200, CONTACT)]) as calls:
        calls.send()
        assert calls.sleeps == []
        calls.send()

    assert calls.sleeps == [4.0 + 0.5]  # until the reset, plus the pinned jitter's upper bound
    assert calls.attempts == 2


def test_a_window_with_room_sends_at_once() -> None:
    reset = str(int(NOW) + 4)
    with PacedCalls([with_figures("10", "5", reset), answer(200, CONTACT)]) as calls:
        calls.send()
        calls.send()

    assert calls.sleeps == []
    assert calls.attempts == 2


def test_a_reset_that_cannot_fit_the_deadline_raises_at_once_and_sends_nothing() -> None:
    reset = str(int(NOW) + 5)
    with PacedCalls([with_figures("10", "0", reset), answer(200, CONTACT)], budget_s=2.0) as calls:
        calls.send()
        with pytest.raises(IntercomUnavailableError, match="does not fit the time left"):
            calls.send()

    assert calls.sleeps == []
    assert calls.attempts == 1


@pytest.mark.parametrize(
    ("limit", "remaining", "reset"),
    [
        ("\u00b9\u00b2", "0", "+4"),  # superscript digits
        ("10", "-1", "+4"),
        ("10", "0x0", "+4"),
        ("10", " ", "+4"),
        ("0", "0", "+4"),  # an allowance of nothing is no allowance
        ("10", "11", "+4"),  # more left than allowed
        ("9" * 40, "0", "+4"),
        ("10", "0", "nan"),
        ("10", "0", "inf"),
        ("10", "0", "1e10"),
        ("10", "0", "-5"),
        ("10", "0", "+3600"),  # no 10-second window ends an hour from now
        ("10", "0", "9" * 400),
    ],
)
def test_hostile_figures_count_as_absent(limit: str, remaining: str, reset: str) -> None:
    reset = str(int(NOW) + int(reset[1:])) if reset.startswith("+") else reset
    with PacedCalls([with_figures(limit, remaining, reset), answer(200, CONTACT)]) as calls:
        calls.send()
        calls.send()

    assert calls.sleeps == []
    assert calls.attempts == 2


def test_each_workspace_has_its_own_figures() -> None:
    limits = RateLimits()

    assert limits.for_workspace("a") is limits.for_workspace("a")
    assert limits.for_workspace("a") is not limits.for_workspace("b")


def test_containers_that_share_a_binding_limit_stay_inside_every_window(
    sandbox: IntercomSandbox,
) -> None:
    """Three containers, three threads each, send three windows' worth of requests: each paces
    by its share of the previous window, so none is sent into a 429 at a window's start."""
    sandbox.rate_limit = 12
    contact = sandbox.add_contact(role="user", email="ada@example.com", name="Ada")
    url = f"{sandbox.base_url}/contacts/{contact['id']}"
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Accept": "application/json",
        "Intercom-Version": "2.14",
    }
    todo = list(range(36))
    lock = threading.Lock()

    def container() -> None:
        rate_limit, pool = WorkspaceRateLimit(), urllib3.PoolManager()

        def sender() -> None:
            transport = Transport(pool, Deadline(60.0), POLICY, None, None, rate_limit)
            while True:
                with lock:
                    if not todo:
                        return
                    todo.pop()
                transport.send(
                    Request("GET", "/contacts/{id}", url, headers), lambda data: "id" in data
                )

        run_threads(sender, 3)

    run_threads(container, 3)

    windows = sorted({e.response_headers["x-ratelimit-reset"] for e in sandbox.exchanges})
    assert len(windows) >= 3
    landed = Counter(e.response_headers["x-ratelimit-reset"] for e in sandbox.exchanges)
    assert sum(e.status == 200 for e in sandbox.exchanges) == 36
    assert max(landed.values()) <= 12 + 9  # a 429 is counted in its window too
    # The first window opens with no figures at all (9 requests at once); every later one is
    # entered at each container's pace, never into a 429.
    rate_limited = {
        e.response_headers["x-ratelimit-reset"] for e in sandbox.exchanges if e.status == 429
    }
    assert rate_limited <= {windows[0]}


def run_threads(target: Callable[[], None], count: int) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
