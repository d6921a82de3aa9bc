"""Answers no Intercom should give still end in a documented outcome, never a crash.

Retryable trouble ends in a retry or ``IntercomUnavailableError``; a final 4xx is the refusal
(``IntercomApiError``), whatever its body. Waits go through a recorded ``sleep`` and a pinned
wall clock and jitter, so the tests see exactly which wait was chosen and whether one was.
"""

from __future__ import annotations

import json
from email.utils import formatdate
from typing import Any

import pytest
import urllib3

from intercom_update.dal.intercom_client import IntercomClient
from intercom_update.dal.transport import (
    Deadline,
    IntercomApiError,
    IntercomResponse,
    Request,
    RetryPolicy,
    Transport,
    Waiting,
)
from intercom_update.logic import companies
from intercom_update.models.errors import IntercomUnavailableError
from tests.support.trickle import Part, Reply, TrickleServer, answer

NOW = 1_900_000_000.0
POLICY = RetryPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=0.05)
CONTACT = json.dumps({"type": "contact", "id": "c1"}).encode()
TOO_DEEP = b"[" * 100_000 + b"]" * 100_000


class Recorded:
    """A transport against ``replies`` whose sleeps are recorded, not slept."""

    def __init__(self, replies: list[Reply], budget_s: float = 30.0) -> None:
        self.server = TrickleServer(replies)
        self.sleeps: list[float] = []
        self.budget_s = budget_s

    def __enter__(self) -> Recorded:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__()

    def send(self) -> IntercomResponse:
        waiting = Waiting(
            sleep=self.sleeps.append, jitter=lambda low, high: high, wall_clock=lambda: NOW
        )
        transport = Transport(urllib3.PoolManager(), Deadline(self.budget_s), POLICY, waiting)
        request = Request("GET", "/contacts/{id}", self.server.base_url + "/contacts/c1", {})
        return transport.send(request, lambda data: isinstance(data, dict) and "id" in data)

    @property
    def attempts(self) -> int:
        return len(self.server.received)


def rate_limited(**headers: str) -> Reply:
    return answer(429, b'{"type": "error.list", "errors": []}', list(headers.items()))


# -- Retry-After and X-RateLimit-Reset ------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["\u00b2", "-1", "NaN", "inf", "1e3", "0x10", "3.5", "", "soon", "\u00bd"]
)
def test_a_retry_after_that_is_not_seconds_or_a_date_is_ignored(value: str) -> None:
    # No usable wait: the 429 falls back to the one-second floor, then the resend lands.
    with Recorded([rate_limited(**{"Retry-After": value}), answer(200, CONTACT)]) as call:
        assert call.send().data["id"] == "c1"

    assert call.sleeps == [1.0]
    assert call.attempts == 2


@pytest.mark.parametrize("value", ["nan", "inf", "-5", "1e10", "12:00", "\u00b9\u00b2"])
def test_a_reset_that_is_not_unix_seconds_is_ignored(value: str) -> None:
    with Recorded([rate_limited(**{"X-RateLimit-Reset": value}), answer(200, CONTACT)]) as call:
        assert call.send().data["id"] == "c1"

    assert call.sleeps == [1.0]


def test_retry_after_in_seconds_is_waited_in_full_before_the_resend() -> None:
    with Recorded([rate_limited(**{"Retry-After": "2"}), answer(200, CONTACT)]) as call:
        call.send()

    assert call.sleeps == [2.0]


def test_retry_after_as_a_date_is_waited_until() -> None:
    date = formatdate(NOW + 5, usegmt=True)
    with Recorded([rate_limited(**{"Retry-After": date}), answer(200, CONTACT)]) as call:
        call.send()

    assert call.sleeps == [5.0]


def test_a_reset_is_waited_for_with_its_jitter() -> None:
    reset = str(int(NOW) + 3)
    with Recorded([rate_limited(**{"X-RateLimit-Reset": reset}), answer(200, CONTACT)]) as call:
        call.send()

    assert call.sleeps == [3.0 + 0.5]  # the pinned jitter draws its upper bound


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "3600"},
        {"Retry-After": "9" * 400},
        {"Retry-After": formatdate(NOW + 3600, usegmt=True)},
        {"X-RateLimit-Reset": str(int(NOW) + 3600)},
        {"X-RateLimit-Reset": "4102444800"},
        {"X-RateLimit-Reset": "9" * 400},
    ],
    ids=[
        "retry-after-3600",
        "retry-after-huge",
        "retry-after-date",
        "reset-hour",
        "reset-2100",
        "reset-huge",
    ],
)
def test_a_rate_limit_wait_that_cannot_fit_is_refused_at_once(headers: dict[str, str]) -> None:
    with (
        Recorded([rate_limited(**headers), answer(200, CONTACT)]) as call,
        pytest.raises(IntercomUnavailableError, match="429 rate limited"),
    ):
        call.send()

    assert call.sleeps == []  # never slept the cap, never resent early
    assert call.attempts == 1


def test_a_rate_limit_wait_longer_than_the_cap_is_refused_even_when_the_budget_is_long() -> None:
    with (
        Recorded([rate_limited(**{"Retry-After": "20"}), answer(200, CONTACT)], 60) as call,
        pytest.raises(IntercomUnavailableError, match="longer than 12 s"),
    ):
        call.send()

    assert call.sleeps == []


def test_a_rate_limit_wait_past_the_deadline_is_refused() -> None:
    with (
        Recorded([rate_limited(**{"Retry-After": "2"}), answer(200, CONTACT)], 1.5) as call,
        pytest.raises(IntercomUnavailableError, match="not enough time left"),
    ):
        call.send()

    assert call.sleeps == []


# -- bodies ---------------------------------------------------------------------------------

UNREADABLE_2XX = {
    "nested past the parser's limit": TOO_DEEP,
    "not UTF-8": b'{"type": "contact", "id": "c\xff"}',
    "UTF-8 with a byte-order mark": b"\xef\xbb\xbf" + CONTACT,
    "a JSON number with 5000 digits": b"9" * 5000,
}


@pytest.mark.parametrize("body", UNREADABLE_2XX.values(), ids=UNREADABLE_2XX.keys())
def test_an_unreadable_2xx_is_retried(body: bytes) -> None:
    with Recorded([answer(200, body), answer(200, CONTACT)]) as call:
        assert call.send().data == {"type": "contact", "id": "c1"}

    assert call.attempts == 2


@pytest.mark.parametrize("body", UNREADABLE_2XX.values(), ids=UNREADABLE_2XX.keys())
def test_a_persistently_unreadable_2xx_is_unavailable(body: bytes) -> None:
    with (
        Recorded([answer(200, body)]) as call,
        pytest.raises(IntercomUnavailableError, match="gave up after 4 attempts"),
    ):
        call.send()


def test_a_declared_length_over_the_bound_is_not_read_and_is_retried() -> None:
    lying = b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n" + CONTACT
    huge = Reply((Part(lying),))
    with Recorded([huge, answer(200, CONTACT)]) as call:
        assert call.send().data["id"] == "c1"

    assert [r.connection for r in call.server.received] == [1, 2]


REFUSALS: dict[str, tuple[bytes, str]] = {
    "nested past the parser's limit": (TOO_DEEP, "unknown"),
    "not UTF-8": (b'{"errors": [{"code": "not_found\xff", "message": "x"}]}', "not_found\ufffd"),
    "a nested code": (json.dumps({"errors": [{"code": [[["x"]]]}]}).encode(), "unknown"),
    "over the size bound": (b'{"errors": "' + b"x" * (5 * 1024 * 1024) + b'"}', "unknown"),
}


@pytest.mark.parametrize(("body", "code"), REFUSALS.values(), ids=REFUSALS.keys())
def test_a_final_refusal_with_an_odd_body_is_still_the_refusal(body: bytes, code: str) -> None:
    with Recorded([answer(404, body)]) as call, pytest.raises(IntercomApiError) as raised:
        call.send()

    assert (raised.value.status, raised.value.code) == (404, code)
    assert call.attempts == 1


# -- companies ------------------------------------------------------------------------------


def test_a_company_list_entry_without_an_id_is_not_taken_for_the_company() -> None:
    listing: dict[str, Any] = {
        "type": "list",
        "data": [{"type": "company", "company_id": "acme"}, {"type": "company", "id": 7}],
    }
    with TrickleServer([answer(200, json.dumps(listing).encode())]) as server:
        client = IntercomClient(
            base_url=server.base_url,
            token="tok_odd_0123456789",
            api_version="2.14",
            deadline=Deadline(10),
            policy=POLICY,
            pool=urllib3.PoolManager(),
        )
        (found,) = companies.start_finding(client, ["acme"])

        assert found.result() is None  # then created (an idempotent upsert), never a KeyError
