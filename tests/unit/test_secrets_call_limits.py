"""call_limits: botocore's timeouts and attempts for a Secrets Manager read always fit the time."""

from __future__ import annotations

import pytest

from intercom_update.dal.bounded_secrets import (
    CONNECT_TIMEOUT_S,
    MAX_ATTEMPTS,
    MIN_READ_S,
    READ_TIMEOUT_S,
    CallLimits,
    call_limits,
)

# botocore's standard retry mode waits at most 1 s before the 2nd attempt, 2 s before the 3rd.
MAX_WAIT_BEFORE_ATTEMPT = {1: 0.0, 2: 1.0, 3: 2.0}


def worst_case_s(limits: CallLimits) -> float:
    per_attempt = limits.connect_timeout_s + limits.read_timeout_s
    waits = sum(MAX_WAIT_BEFORE_ATTEMPT[n] for n in range(1, limits.attempts + 1))
    return limits.attempts * per_attempt + waits


def test_without_a_deadline_the_full_limits_apply() -> None:
    assert call_limits(None) == CallLimits(CONNECT_TIMEOUT_S, READ_TIMEOUT_S, MAX_ATTEMPTS)


@pytest.mark.parametrize(
    ("time_left_s", "expected"),
    [
        (25.0, CallLimits(1.0, 3.0, 3)),
        (15.0, CallLimits(1.0, 3.0, 3)),
        (14.9, CallLimits(1.0, 3.0, 2)),
        (9.0, CallLimits(1.0, 3.0, 2)),
        (8.9, CallLimits(1.0, 3.0, 1)),
        (4.0, CallLimits(1.0, 3.0, 1)),
        (3.9, CallLimits(0.9, 3.0, 1)),
        (2.0, CallLimits(0.5, 1.5, 1)),
        (0.5, CallLimits(0.1, 0.4, 1)),
    ],
)
def test_attempts_and_timeouts_shrink_with_the_time_left(
    time_left_s: float, expected: CallLimits
) -> None:
    assert call_limits(time_left_s) == expected


@pytest.mark.parametrize("time_left_s", [MIN_READ_S - 0.01, 0.0, -3.0])
def test_no_read_is_started_without_time_for_one(time_left_s: float) -> None:
    assert call_limits(time_left_s) is None


def test_the_worst_case_always_fits_and_few_distinct_clients_exist() -> None:
    seen: set[CallLimits] = set()
    for hundredths in range(0, 3000):
        time_left_s = hundredths / 100
        limits = call_limits(time_left_s)
        if limits is None:
            assert time_left_s < MIN_READ_S
            continue
        assert worst_case_s(limits) <= time_left_s + 1e-9, (time_left_s, limits)
        seen.add(limits)
    # One client per distinct limits is kept: near the end of a budget only, in 0.1 s steps.
    assert len(seen) <= 45
