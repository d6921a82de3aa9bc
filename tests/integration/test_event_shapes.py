"""Event shapes the template never sends but users do (issue 9, point 9).

- An HTTP API (payload format 2.0) in front of the API handler gets the REST contract: the same
  statuses, ``Retry-After`` on 503, the same output as body.
- ``{}``, the Lambda console's sample event and other non-requests get a 400 whose
  ``validation_error`` names ``(event)``; nothing reaches Secrets Manager or Intercom.
- An SQS event without records raises ``UpdateUnsuccessfulError`` (``validation_error`` naming
  ``Records``): there is no record to report as failed, and nothing is called.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final

import pytest

from intercom_sandbox import Fault, IntercomSandbox
from intercom_update.handlers import api_gateway, sqs
from intercom_update.models.failures import UpdateUnsuccessfulError
from tests.support.events import direct_event
from tests.support.intercom import api_requests
from tests.support.lambda_context import FakeLambdaContext
from tests.support.stub_aws import StubAwsEndpoint

CONSOLE_SAMPLE: Final = {"key1": "value1", "key2": "value2", "key3": "value3"}


def http_api_event(
    body: str, *, stage: str = "$default", path: str = "/users/update", base64_encoded: bool = False
) -> dict[str, Any]:
    """An HTTP API request as Lambda receives it with payload format 2.0."""
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    return {
        "version": "2.0",
        "routeKey": "POST /users/update",
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "http": {"method": "POST", "path": raw_path, "protocol": "HTTP/1.1"},
            "requestId": "JKJaXmPLoAMEJdw=",
            "routeKey": "POST /users/update",
            "stage": stage,
        },
        "body": base64.b64encode(body.encode()).decode() if base64_encoded else body,
        "isBase64Encoded": base64_encoded,
    }


@pytest.fixture
def ada(sandbox: IntercomSandbox, lambda_env: None, account: str) -> dict[str, Any]:
    return sandbox.add_contact(role="user", email="ada@example.com", name="Ada")


def answer(event: Any, timeout_s: float = 30.0) -> tuple[int, dict[str, Any], Any]:
    response = api_gateway.lambda_handler(event, FakeLambdaContext(timeout_s=timeout_s))
    headers = {name.lower(): value for name, value in (response.get("headers") or {}).items()}
    return response["statusCode"], headers, json.loads(response["body"])


# -- HTTP API payload 2.0 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "status", "code"),
    [
        ({"name": "Ada L."}, 200, None),
        ({"value": "not-an-email"}, 400, "validation_error"),
        ({"value": "ghost@example.com", "name": "X"}, 404, "user_not_found"),
        ({"email": "taken@example.com"}, 409, "conflict"),
        ({"connected_account": "intercom/missing"}, 422, "connected_account_error"),
    ],
)
def test_an_http_api_request_gets_the_rest_contract(
    sandbox: IntercomSandbox,
    ada: dict[str, Any],
    inputs: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    sandbox.add_contact(role="user", email="taken@example.com")

    got_status, headers, body = answer(http_api_event(json.dumps(direct_event(**inputs))))

    assert got_status == status
    assert headers["content-type"] == "application/json"
    assert set(body) == {"outcome", "json_output", "contact_id", "error"}
    assert body["outcome"] == ("success" if code is None else "unsuccessful")
    assert (body["error"] or {}).get("code") == code
    if code is None:
        assert json.loads(body["json_output"])["name"] == "Ada L."
        assert sandbox.contact(ada["id"])["name"] == "Ada L."


def test_an_http_api_request_on_a_named_stage_with_a_base64_body_works(
    sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    event = http_api_event(
        json.dumps(direct_event(name="Ada (v1)")), stage="v1", base64_encoded=True
    )

    status, _, body = answer(event)

    assert status == 200, body
    assert sandbox.contact(ada["id"])["name"] == "Ada (v1)"


def test_an_http_api_request_when_intercom_is_down_is_503_with_retry_after(
    sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.add_fault(Fault(status=503, times=-1))

    status, headers, body = answer(
        http_api_event(json.dumps(direct_event(name="X"))), timeout_s=4.0
    )

    assert status == 503
    assert int(headers["retry-after"]) > 0
    assert body["error"]["code"] == "intercom_unavailable"
    assert sandbox.contact(ada["id"])["name"] == "Ada"


@pytest.mark.parametrize("text", ["{not json", "", "[1, 2]"])
def test_an_http_api_request_with_a_bad_body_is_400(
    sandbox: IntercomSandbox, ada: dict[str, Any], text: str
) -> None:
    sandbox.clear_exchanges()

    status, _, body = answer(http_api_event(text))

    assert status == 400
    assert body["error"]["code"] == "validation_error"
    assert sandbox.exchanges == []


def test_an_http_api_request_on_another_route_reaches_nobody(
    sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.clear_exchanges()

    status, _, _ = answer(http_api_event(json.dumps(direct_event(name="X")), path="/users/delete"))

    assert status == 404
    assert sandbox.exchanges == []


# -- not a request, not a batch ---------------------------------------------------------------


NOT_REQUESTS: Final[dict[str, Any]] = {
    "empty object": {},
    "console sample": CONSOLE_SAMPLE,
    "bare inputs": direct_event(name="X"),
    "eventbridge-like": {"id": "x", "detail": direct_event(name="X")},
    "v2 without http": {"version": "2.0", "rawPath": "/users/update", "requestContext": {}},
    "rest without path": {"httpMethod": "POST", "requestContext": {}},
    "list": [],
    "null": None,
}


@pytest.mark.parametrize("name", NOT_REQUESTS)
def test_an_event_that_is_no_api_request_is_a_400_naming_the_event(
    sandbox: IntercomSandbox, counted_aws: StubAwsEndpoint, name: str
) -> None:
    status, headers, body = answer(NOT_REQUESTS[name])

    assert status == 400
    assert headers["content-type"] == "application/json"
    assert body["outcome"] == "unsuccessful"
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["field"] == "(event)"
    assert "HTTP API payload 2.0" in body["error"]["message"]
    assert sandbox.exchanges == []
    assert counted_aws.targets == []


NOT_BATCHES: Final[dict[str, Any]] = {
    "empty object": {},
    "console sample": CONSOLE_SAMPLE,
    "empty records": {"Records": []},
    "null records": {"Records": None},
    "records not a list": {"Records": {"messageId": "m", "body": "{}"}},
    "record not an object": {"Records": ["x"]},
    "record without messageId": {"Records": [{"body": json.dumps(direct_event(name="X"))}]},
    "bare inputs": direct_event(name="X"),
    "list": [],
}


@pytest.mark.parametrize("name", NOT_BATCHES)
def test_an_event_that_is_no_sqs_batch_raises_a_validation_error_naming_records(
    sandbox: IntercomSandbox, counted_aws: StubAwsEndpoint, name: str
) -> None:
    with pytest.raises(UpdateUnsuccessfulError) as raised:
        sqs.lambda_handler(NOT_BATCHES[name], FakeLambdaContext())

    error = raised.value.output.error
    assert error is not None
    assert error["code"] == "validation_error"
    assert error["field"] == "Records"
    assert str(raised.value).startswith("validation_error: the event is not an SQS batch")
    assert api_requests(sandbox) == []
    assert counted_aws.targets == []
