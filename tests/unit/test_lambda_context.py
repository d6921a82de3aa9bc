"""The time budget each entry point gives an update."""

from __future__ import annotations

import pytest

from intercom_update.handlers.api_gateway import API_GATEWAY_BUDGET_S
from intercom_update.handlers.lambda_context import (
    SAFETY_MARGIN_S,
    function_arn,
    time_budget,
)
from tests.support.lambda_context import FakeLambdaContext


def test_the_budget_is_the_remaining_time_minus_the_margin() -> None:
    budget = time_budget(FakeLambdaContext(timeout_s=30.0))
    assert budget == pytest.approx(30.0 - SAFETY_MARGIN_S, abs=0.05)


def test_a_cap_bounds_the_budget() -> None:
    assert time_budget(FakeLambdaContext(timeout_s=900.0), 25.0) == 25.0
    assert time_budget(FakeLambdaContext(timeout_s=10.0), 25.0) == pytest.approx(8.5, abs=0.05)


def test_no_time_left_is_a_budget_of_zero() -> None:
    assert time_budget(FakeLambdaContext(timeout_s=1.0)) == 0.0


def test_outside_lambda_there_is_no_budget_but_the_cap() -> None:
    assert time_budget(None) is None
    assert time_budget(object(), 25.0) == 25.0


def test_api_gateway_answers_before_its_29_second_integration_timeout() -> None:
    # Cold-start init counts against API Gateway's 29 s too: keep seconds of headroom.
    assert API_GATEWAY_BUDGET_S + SAFETY_MARGIN_S <= 27.0


def test_function_arn_is_read_from_the_context() -> None:
    assert function_arn(FakeLambdaContext()) == FakeLambdaContext().invoked_function_arn
    assert function_arn(None) is None
