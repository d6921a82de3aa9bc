"""Duplicate deliveries (EventBridge, SQS) are answered once, using moto's DynamoDB over HTTP."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from intercom_sandbox import IntercomSandbox
from intercom_update.handlers import eventbridge, sqs
from intercom_update.handlers.idempotency import TABLE_CALL_LIMITS
from intercom_update.handlers.lambda_context import SAFETY_MARGIN_S
from intercom_update.models.errors import IdempotencyStoreUnavailableError
from intercom_update.models.failures import UpdateUnsuccessfulError
from tests.support.aws import IDEMPOTENCY_TTL_SECONDS as TTL_SECONDS
from tests.support.events import direct_event, eventbridge_event, sqs_event
from tests.support.intercom import api_requests
from tests.support.lambda_context import FakeLambdaContext


@pytest.fixture
def ada(sandbox: IntercomSandbox) -> dict[str, Any]:
    return sandbox.add_contact(role="user", email="ada@example.com", name="Ada")


def records(endpoint: str, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb", endpoint_url=endpoint).scan(
        TableName=table
    )["Items"]
    return items


def test_a_duplicate_eventbridge_delivery_is_answered_without_calling_intercom(
    sandbox: IntercomSandbox, ada: dict[str, Any], idempotency_table: str, aws_endpoint: str
) -> None:
    event = eventbridge_event(direct_event(name="Ada (once)", update_last_request_at=True))

    first = eventbridge.lambda_handler(event, FakeLambdaContext())
    calls_after_first = len(sandbox.exchanges)
    second = eventbridge.lambda_handler(event, FakeLambdaContext())

    assert first["outcome"] == "success"
    assert second == first
    assert len(sandbox.exchanges) == calls_after_first
    assert len(api_requests(sandbox, "PUT")) == 1
    (item,) = records(aws_endpoint, idempotency_table)
    assert item["status"]["S"] == "COMPLETED"
    expires = int(item["expiration"]["N"])
    assert time.time() + TTL_SECONDS - 60 <= expires <= time.time() + TTL_SECONDS + 60


def test_distinct_events_with_the_same_detail_both_run(
    sandbox: IntercomSandbox, ada: dict[str, Any], idempotency_table: str
) -> None:
    detail = direct_event(name="Ada")
    first = eventbridge_event(detail)
    second = {**eventbridge_event(detail), "id": "another-event-id"}

    eventbridge.lambda_handler(first, FakeLambdaContext())
    eventbridge.lambda_handler(second, FakeLambdaContext())

    assert len(api_requests(sandbox, "PUT")) == 2


def test_an_unsuccessful_event_is_not_recorded_so_its_retry_runs_again(
    sandbox: IntercomSandbox, idempotency_table: str, aws_endpoint: str
) -> None:
    event = eventbridge_event(direct_event(value="late@example.com", name="Late"))

    with pytest.raises(UpdateUnsuccessfulError):
        eventbridge.lambda_handler(event, FakeLambdaContext())
    late = sandbox.add_contact(role="user", email="late@example.com")
    retried = eventbridge.lambda_handler(event, FakeLambdaContext())

    assert retried["outcome"] == "success"
    assert sandbox.contact(late["id"])["name"] == "Late"
    assert [i["status"]["S"] for i in records(aws_endpoint, idempotency_table)] == ["COMPLETED"]


def test_a_duplicate_sqs_message_is_answered_once(
    sandbox: IntercomSandbox, ada: dict[str, Any], idempotency_table: str
) -> None:
    body = json.dumps(direct_event(name="Ada (bulk)"))

    first = sqs.lambda_handler(sqs_event(body), FakeLambdaContext())
    calls_after_first = len(sandbox.exchanges)
    redelivered = sqs.lambda_handler(sqs_event(body), FakeLambdaContext())

    assert first == redelivered == {"batchItemFailures": []}
    assert len(sandbox.exchanges) == calls_after_first
    assert len(api_requests(sandbox, "PUT")) == 1


def test_without_the_table_every_delivery_runs(
    sandbox: IntercomSandbox, ada: dict[str, Any], lambda_env: None, account: str
) -> None:
    event = eventbridge_event(direct_event(name="Ada"))

    eventbridge.lambda_handler(event, FakeLambdaContext())
    eventbridge.lambda_handler(event, FakeLambdaContext())

    assert len(api_requests(sandbox, "PUT")) == 2


@pytest.fixture
def silent_dynamodb(idempotency_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """DynamoDB on a loopback port that takes connections and never answers (a hung endpoint).

    Only DynamoDB goes there (``AWS_ENDPOINT_URL_DYNAMODB``); Secrets Manager stays on moto.
    """
    with socket.create_server(("127.0.0.1", 0), backlog=64) as listener:
        port = listener.getsockname()[1]
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{port}")
        yield


def test_an_sqs_batch_answers_within_its_budget_when_the_table_never_answers(
    sandbox: IntercomSandbox, ada: dict[str, Any], silent_dynamodb: None
) -> None:
    bodies = [json.dumps(direct_event(value=f"user{n}@example.com", name="X")) for n in range(3)]
    context = FakeLambdaContext(timeout_s=6.0)

    started = time.monotonic()
    response = sqs.lambda_handler(sqs_event(*bodies), context)
    elapsed = time.monotonic() - started

    # Every record is reported for a retry, and none reached Intercom: the table's in-progress
    # write comes first. botocore's defaults would have waited 60 s per attempt.
    assert response == {"batchItemFailures": [{"itemIdentifier": f"msg-{n}"} for n in range(3)]}
    assert {type(error) for _, error in sqs.last_batch.exceptions} == {
        IdempotencyStoreUnavailableError
    }
    assert sandbox.exchanges == []
    assert elapsed < context.timeout_s


def test_an_eventbridge_event_is_retried_when_the_table_never_answers(
    sandbox: IntercomSandbox, ada: dict[str, Any], silent_dynamodb: None
) -> None:
    context = FakeLambdaContext(timeout_s=4.0)

    with pytest.raises(IdempotencyStoreUnavailableError) as raised:
        eventbridge.lambda_handler(eventbridge_event(direct_event(name="X")), context)

    assert raised.value.code == "idempotency_store_unavailable"
    assert "in progress" in str(raised.value)
    assert sandbox.exchanges == []
    assert context.get_remaining_time_in_millis() > 0


def test_the_table_calls_fit_in_the_safety_margin() -> None:
    # The write after an update (success, or the delete after a failure) runs inside the margin.
    assert TABLE_CALL_LIMITS.worst_case_s <= SAFETY_MARGIN_S / 1.5
