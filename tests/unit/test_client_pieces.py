"""Pieces of the Intercom client that need no network: path segments, waits, error bodies."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping
from urllib.parse import unquote

import pytest
import urllib3

from intercom_update.dal.intercom_client import (
    Deadline,
    IntercomClient,
    RetryPolicy,
    _segment,
)
from intercom_update.dal.transport import (
    IntercomApiError,
    Waiting,
    _first_error,
    backoff_s,
    rate_limit_wait_s,
)

TOKEN = "tok_never_shown_12345"


def client(policy: RetryPolicy | None = None) -> IntercomClient:
    # A private, never-used pool: nothing here opens a connection.
    return IntercomClient(
        base_url="https://api.intercom.io/",
        token=TOKEN,
        api_version="2.14",
        deadline=Deadline(30),
        policy=policy,
        pool=urllib3.PoolManager(),
    )


def backoff(attempt: int, policy: RetryPolicy | None = None) -> float:
    return backoff_s(attempt, policy or RetryPolicy(), random.uniform)


def rate_limit_wait(
    values: Mapping[str, str], attempt: int, policy: RetryPolicy | None = None
) -> float:
    return rate_limit_wait_s(values, attempt, policy or RetryPolicy(), Waiting())


def headers(**values: str) -> urllib3.HTTPHeaderDict:
    # Headers as Intercom spells them; urllib3's header dict is case-insensitive.
    names = {"retry_after": "Retry-After", "reset": "X-RateLimit-Reset"}
    return urllib3.HTTPHeaderDict({names[key]: value for key, value in values.items()})


# -- _segment -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6571a0b2c3d4e5f6a7b8c9d0", "6571a0b2c3d4e5f6a7b8c9d0"),
        ("u-42_~x", "u-42_~x"),
        ("a/b", "a%2Fb"),
        ("../admin", "%2E%2E%2Fadmin"),
        ("a?b=c", "a%3Fb%3Dc"),
        ("a#frag", "a%23frag"),
        ("100%", "100%25"),
        ("%2F", "%252F"),
        ("a\r\nHost: evil", "a%0D%0AHost%3A%20evil"),
        ("a\x00b", "a%00b"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("jane.doe@example.com", "jane%2Edoe%40example%2Ecom"),
        ("a b+c", "a%20b%2Bc"),
        ("\u00e9", "%C3%A9"),
        ("\u65e5\u672c", "%E6%97%A5%E6%9C%AC"),
        ("\\", "%5C"),
        (";,&=$", "%3B%2C%26%3D%24"),
    ],
)
def test_segment_escapes(value: str, expected: str) -> None:
    assert _segment(value) == expected


@pytest.mark.parametrize(
    "value",
    ["a/b", "../x", "?#%", "\r\n", "..", ".", "\u00e9/\u65e5", "x/./y", "a b", "%2e%2e"],
)
def test_segment_is_one_opaque_segment_that_round_trips(value: str) -> None:
    escaped = _segment(value)
    assert unquote(escaped) == value
    assert not set(escaped) & set("/?#.\r\n \\")
    assert escaped.isascii()


def test_segment_refuses_empty() -> None:
    with pytest.raises(ValueError, match="empty path segment"):
        _segment("")


# -- backoff_s --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [(1, 0.125, 0.25), (2, 0.25, 0.5), (3, 0.5, 1.0), (4, 1.0, 2.0), (5, 2.0, 4.0), (9, 2.0, 4.0)],
)
def test_backoff_within_bounds(attempt: int, low: float, high: float) -> None:
    for _ in range(200):
        assert low <= backoff(attempt) <= high


def test_backoff_grows_until_the_cap() -> None:
    samples = {attempt: [backoff(attempt) for _ in range(200)] for attempt in range(1, 8)}
    for attempt in range(1, 5):
        assert min(samples[attempt + 1]) >= max(samples[attempt])
    cap = RetryPolicy().max_delay_s
    assert all(sample <= cap for values in samples.values() for sample in values)


def test_backoff_is_jittered() -> None:
    assert len({backoff(3) for _ in range(50)}) > 1


def test_backoff_follows_the_policy() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=1.5)
    for _ in range(100):
        assert 0.5 <= backoff(1, policy) <= 1.0
        assert 0.75 <= backoff(6, policy) <= 1.5


# -- rate_limit_wait_s ------------------------------------------------------------------------


def test_rate_limit_reset_in_the_future_is_honoured() -> None:
    wait = rate_limit_wait(headers(reset=str(int(time.time()) + 6)), 1)
    assert 4.5 <= wait <= 6.6


def test_rate_limit_reset_in_the_past_waits_only_a_little() -> None:
    for reset in (int(time.time()) - 60, 0):
        wait = rate_limit_wait(headers(reset=str(reset)), 1)
        assert 0.05 <= wait <= 0.5


def test_rate_limit_reset_far_away_is_the_whole_wait() -> None:
    # Not capped: a wait beyond the policy's cap is refused by the transport, never shortened
    # into a resend before the window opens (tests/integration/test_odd_answers.py).
    far = int(time.time()) + 3600
    assert 3599 <= rate_limit_wait(headers(reset=str(far)), 1) <= 3600.6


@pytest.mark.parametrize("reset", ["garbage", "", "soon", "1e", "12:00"])
@pytest.mark.parametrize("attempt", [1, 3, 5])
def test_rate_limit_reset_garbage_falls_back_to_backoff(reset: str, attempt: int) -> None:
    policy = RetryPolicy()
    wait = rate_limit_wait(headers(reset=reset), attempt, policy)
    assert 1.0 <= wait <= max(1.0, policy.max_delay_s)


def test_rate_limit_without_headers_waits_at_least_a_second() -> None:
    assert 1.0 <= rate_limit_wait(urllib3.HTTPHeaderDict(), 1) <= 4.0


@pytest.mark.parametrize(("retry_after", "expected"), [("0", 0.0), ("3", 3.0), (" 7 ", 7.0)])
def test_retry_after_seconds_are_honoured(retry_after: str, expected: float) -> None:
    assert rate_limit_wait(headers(retry_after=retry_after), 1) == expected


def test_retry_after_wins_over_the_reset() -> None:
    value = headers(retry_after="2", reset=str(int(time.time()) + 10))
    assert rate_limit_wait(value, 1) == 2.0


def test_retry_after_is_the_whole_wait() -> None:
    # Not capped, for the same reason as the reset above.
    assert rate_limit_wait(headers(retry_after="300"), 1) == 300.0
    assert (
        rate_limit_wait(headers(retry_after="300"), 1, RetryPolicy(max_rate_limit_wait_s=1.5))
        == 300.0
    )


def test_retry_after_as_a_date_falls_back_to_the_reset() -> None:
    value = headers(retry_after="Wed, 21 Oct 2015 07:28:00 GMT", reset=str(int(time.time()) + 3))
    assert 1.5 <= rate_limit_wait(value, 1) <= 3.6


def test_lowercase_header_names_work_too() -> None:
    reset = str(int(time.time()) + 3)
    assert 1.5 <= rate_limit_wait({"x-ratelimit-reset": reset}, 1) <= 3.6
    assert rate_limit_wait({"retry-after": "4"}, 1) == 4.0


# -- _first_error and IntercomApiError ------------------------------------------------------


def test_first_error_reads_the_error_list() -> None:
    body = {
        "type": "error.list",
        "request_id": "req-1",
        "errors": [
            {"code": "not_found", "message": "User Not Found"},
            {"code": "second", "message": "ignored"},
        ],
    }
    assert _first_error(json.dumps(body)) == ("not_found", "User Not Found")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("unknown", "")),
        ("<html>502 Bad Gateway</html>", ("unknown", "<html>502 Bad Gateway</html>")),
        ("x" * 500, ("unknown", "x" * 200)),
        ('{"errors": []}', ("unknown", '{"errors": []}')),
        ('{"errors": "boom"}', ("unknown", '{"errors": "boom"}')),
        ('{"errors": ["boom"]}', ("unknown", '{"errors": ["boom"]}')),
        ('{"type": "error.list"}', ("unknown", '{"type": "error.list"}')),
        ("[1, 2]", ("unknown", "[1, 2]")),
        ("null", ("unknown", "null")),
        ('{"errors": [{"message": "only a message"}]}', ("unknown", "only a message")),
        ('{"errors": [{"code": "only_code"}]}', ("only_code", "")),
        ('{"errors": [{"code": null, "message": null}]}', ("unknown", "")),
        ('{"errors": [{"code": 42, "message": 7}]}', ("42", "7")),
    ],
)
def test_first_error_on_anything_else(text: str, expected: tuple[str, str]) -> None:
    assert _first_error(text) == expected


def test_intercom_api_error_carries_status_body_code_and_request_id() -> None:
    body = json.dumps({"errors": [{"code": "parameter_invalid", "message": "Email is invalid"}]})
    error = IntercomApiError(400, body, "req-1")
    assert (error.status, error.text, error.request_id) == (400, body, "req-1")
    assert (error.code, error.message) == ("parameter_invalid", "Email is invalid")
    assert str(error) == "Intercom answered 400 parameter_invalid: Email is invalid"


def test_client_repr_never_shows_the_token() -> None:
    subject = client()
    assert TOKEN not in repr(subject)
    assert repr(subject) == "IntercomClient(base_url='https://api.intercom.io')"


def test_deadline_counts_down_on_its_clock() -> None:
    now = [100.0]
    deadline = Deadline(10, clock=lambda: now[0])
    assert deadline.remaining() == 10
    now[0] = 107.5
    assert deadline.remaining() == 2.5
    now[0] = 111
    assert deadline.remaining() == -1
