"""A changed input under a known event id is refused loudly (issue 9, point 6).

With idempotency on (moto's DynamoDB over HTTP), the same EventBridge ``id`` or SQS
``messageId`` with a different ``detail`` / ``body`` is not answered with the first run's
output: EventBridge raises ``UpdateUnsuccessfulError`` (validation_error on ``id``; Lambda
retries, then the dead-letter queue), SQS reports the record failed (validation_error on
``messageId``). Nothing is sent to Intercom for the refused delivery; an identical redelivery is
still answered from the record.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from intercom_sandbox import IntercomSandbox
from intercom_update.handlers import eventbridge, sqs
from intercom_update.models.failures import UpdateUnsuccessfulError
from tests.support.events import direct_event, eventbridge_event, sqs_event
from tests.support.lambda_context import FakeLambdaContext


@pytest.fixture
def ada(sandbox: IntercomSandbox) -> dict[str, Any]:
    return sandbox.add_contact(role="user", email="ada@example.com", name="Ada")


def test_eventbridge_same_id_with_a_changed_detail_is_refused(
    sandbox: IntercomSandbox, ada: dict[str, Any], idempotency_table: str
) -> None:
    first = eventbridge_event(direct_event(name="Ada (first)"))
    assert eventbridge.lambda_handler(first, FakeLambdaContext())["outcome"] == "success"
    sandbox.clear_exchanges()
    changed = eventbridge_event(direct_event(name="Ada (changed)"))
    assert changed["id"] == first["id"]

    with pytest.raises(UpdateUnsuccessfulError) as raised:
        eventbridge.lambda_handler(changed, FakeLambdaContext())

    error = raised.value.output.error
    assert error is not None
    assert error["code"] == "validation_error"
    assert error["field"] == "id"
    assert "already processed with a different detail" in error["message"]
    assert str(raised.value).startswith("validation_error: ")
    assert sandbox.exchanges == []
    assert sandbox.contact(ada["id"])["name"] == "Ada (first)"


def test_eventbridge_identical_redelivery_is_still_answered_from_the_record(
    sandbox: IntercomSandbox, ada: dict[str, Any], idempotency_table: str
) -> None:
    event = eventbridge_event(direct_event(name="Ada (once)"))
    first = eventbridge.lambda_handler(event, FakeLambdaContext())
    sandbox.clear_exchanges()

    again = eventbridge.lambda_handler(json.loads(json.dumps(event)), FakeLambdaContext())

    assert again == first
    assert sandbox.exchanges == []


def test_sqs_same_message_id_with_a_changed_body_is_a_failed_record(
    sandbox: IntercomSandbox, ada: dict[str, Any], idempotency_table: str
) -> None:
    first = sqs_event(json.dumps(direct_event(name="Ada (first)")))
    assert sqs.lambda_handler(first, FakeLambdaContext()) == {"batchItemFailures": []}
    sandbox.clear_exchanges()
    # msg-0 changed, msg-1 new: only the changed one fails.
    changed = sqs_event(
        json.dumps(direct_event(name="Ada (changed)")),
        json.dumps(direct_event(name="Ada (second message)")),
    )

    response = sqs.lambda_handler(changed, FakeLambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    failure = sqs.last_batch.exceptions[0][1]
    assert isinstance(failure, UpdateUnsuccessfulError)
    assert failure.output.error is not None
    assert failure.output.error["code"] == "validation_error"
    assert failure.output.error["field"] == "messageId"
    assert sandbox.contact(ada["id"])["name"] == "Ada (second message)"
    assert len([e for e in sandbox.exchanges if e.method == "PUT"]) == 1
