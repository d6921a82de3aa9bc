"""Secrets Manager time is inside the run's budget (issue 9, point 5).

A loopback endpoint that accepts and never answers in time, or an endpoint nobody listens on:
the run raises the documented ``ConnectedAccountUnavailableError``, makes no more attempts than
fit in its budget, starts none when none fits, and writes nothing to Intercom. Attempts are
counted by the endpoint; no test measures speed.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from intercom_sandbox import IntercomSandbox
from intercom_update.handlers import sqs
from intercom_update.logic.update_user import Dependencies, process_update
from intercom_update.models.errors import ConnectedAccountUnavailableError, NotStartedError
from tests.support.events import direct_event, sqs_event
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stub_aws import CannedAnswer, StubAwsEndpoint

GET_SECRET = "secretsmanager.GetSecretValue"


@pytest.fixture
def hanging_aws(monkeypatch: pytest.MonkeyPatch, lambda_env: None) -> Iterator[StubAwsEndpoint]:
    """Secrets Manager that takes 8 s to answer each request: far longer than any budget here."""
    answer = CannedAnswer(200, {"Name": "intercom/acme", "SecretString": "tok_late"}, delay_s=8.0)
    with StubAwsEndpoint(answer) as stub:
        monkeypatch.setenv("AWS_ENDPOINT_URL", stub.url)
        yield stub


@pytest.fixture
def stopped_aws(monkeypatch: pytest.MonkeyPatch, lambda_env: None) -> None:
    """An endpoint on a loopback port that was free a moment ago and that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")


def update(deps: Dependencies, budget_s: float) -> None:
    process_update(direct_event(name="X"), deps=deps, time_budget_s=budget_s)


@pytest.mark.parametrize(("budget_s", "attempts"), [(2.0, 1), (9.5, 2)])
def test_a_hanging_secrets_manager_gets_only_the_attempts_that_fit(
    sandbox: IntercomSandbox,
    hanging_aws: StubAwsEndpoint,
    deps: Dependencies,
    budget_s: float,
    attempts: int,
) -> None:
    with pytest.raises(ConnectedAccountUnavailableError, match="retry later"):
        update(deps, budget_s)

    assert hanging_aws.targets == [GET_SECRET] * attempts
    assert sandbox.exchanges == []


def test_no_read_is_started_when_none_fits(
    sandbox: IntercomSandbox, hanging_aws: StubAwsEndpoint, deps: Dependencies
) -> None:
    with pytest.raises(ConnectedAccountUnavailableError, match="no time left"):
        update(deps, 0.1)

    assert hanging_aws.targets == []
    assert sandbox.exchanges == []


def test_a_stopped_endpoint_is_unavailable_not_an_error_of_the_account(
    sandbox: IntercomSandbox, stopped_aws: None, deps: Dependencies
) -> None:
    with pytest.raises(ConnectedAccountUnavailableError) as raised:
        update(deps, 5.0)

    assert raised.value.code == "connected_account_unavailable"
    assert "intercom/acme" in str(raised.value)
    assert sandbox.exchanges == []


def test_a_batch_during_an_outage_fails_every_record_inside_the_lambda_timeout(
    sandbox: IntercomSandbox, hanging_aws: StubAwsEndpoint
) -> None:
    # Before: 10 records x 3 attempts x up to 4 s each, far past a 12 s Lambda timeout.
    context = FakeLambdaContext(timeout_s=12.0)
    bodies = [json.dumps(direct_event(name=f"X{n}")) for n in range(10)]

    response = sqs.lambda_handler(sqs_event(*bodies), context)

    assert response == {"batchItemFailures": [{"itemIdentifier": f"msg-{n}"} for n in range(10)]}
    # Records run side by side, each within the invocation's time left: unavailable, or, once
    # too little is left to begin one, not started (and then never sent anywhere).
    errors = [error for _, error in sqs.last_batch.exceptions]
    assert all(isinstance(e, ConnectedAccountUnavailableError | NotStartedError) for e in errors)
    assert any(isinstance(e, ConnectedAccountUnavailableError) for e in errors)
    assert hanging_aws.targets
    # The partial-batch response was returned before the Lambda timeout (not a speed measure:
    # the margin is the 1.5 s the function keeps back to answer).
    assert context.get_remaining_time_in_millis() > 0
    assert sandbox.exchanges == []
