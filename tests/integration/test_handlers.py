"""Each trigger's entry point against the sandbox: success, unsuccessful and unavailable.

The handlers run as Lambda runs them: default dependencies built from the environment, a Lambda
context, Powertools logging and metrics. Every captured log line is checked for the token.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from intercom_sandbox import Fault, IntercomSandbox
from intercom_update.handlers import api_gateway, direct, eventbridge, sqs
from intercom_update.handlers.batches import RECORD_CONCURRENCY
from intercom_update.models.errors import IntercomUnavailableError, NotStartedError
from intercom_update.models.failures import UpdateUnsuccessfulError
from tests.support.events import api_event, direct_event, eventbridge_event, sqs_event
from tests.support.intercom import TOKEN, writes
from tests.support.lambda_context import FakeLambdaContext
from tests.support.logs import captured_logs


@pytest.fixture
def ada(sandbox: IntercomSandbox) -> dict[str, Any]:
    return sandbox.add_contact(role="user", email="ada@example.com", name="Ada")


class FunctionOutput:
    """Everything the function logged (all levels) and printed (EMF metrics) so far."""

    def __init__(self, stream: io.StringIO, capfd: pytest.CaptureFixture[str]) -> None:
        self._stream = stream
        self._capfd = capfd
        self._printed: list[str] = []

    def log_lines(self) -> list[str]:
        """What the function logged, once each (stdout may hold the same lines again)."""
        return self._stream.getvalue().splitlines()

    def lines(self) -> list[str]:
        """Everything: the log lines and whatever reached stdout (EMF metrics among them)."""
        self._printed.extend(self._capfd.readouterr().out.splitlines())
        return self.log_lines() + self._printed


@pytest.fixture
def logs(
    lambda_env: None, account: str, capfd: pytest.CaptureFixture[str]
) -> Iterator[FunctionOutput]:
    with captured_logs() as stream:
        output = FunctionOutput(stream, capfd)
        yield output
        assert_no_token(output.lines())


def assert_no_token(lines: list[str]) -> None:
    leaked = [line for line in lines if TOKEN in line]
    assert leaked == []


# -- direct / Step Functions ------------------------------------------------------------------


def test_direct_success(
    sandbox: IntercomSandbox, ada: dict[str, Any], logs: FunctionOutput
) -> None:
    result = direct.lambda_handler(direct_event(name="Ada L."), FakeLambdaContext())

    assert result["outcome"] == "success"
    assert result["error"] is None
    assert result["contact_id"] == ada["id"]
    assert json.loads(result["json_output"])["name"] == "Ada L."
    assert set(result) == {"outcome", "json_output", "contact_id", "error"}


def test_direct_unsuccessful_is_returned(
    sandbox: IntercomSandbox, ada: dict[str, Any], logs: FunctionOutput
) -> None:
    result = direct.lambda_handler(direct_event(value="ghost@example.com"), FakeLambdaContext())

    assert result["outcome"] == "unsuccessful"
    assert result["error"]["code"] == "user_not_found"


def test_direct_unavailable_raises(
    sandbox: IntercomSandbox, ada: dict[str, Any], logs: FunctionOutput
) -> None:
    sandbox.add_fault(Fault(status=503, times=-1))

    with pytest.raises(IntercomUnavailableError):
        direct.lambda_handler(direct_event(name="X"), FakeLambdaContext(timeout_s=4.0))

    assert writes(sandbox) == []


def test_logs_name_the_contact_and_outcome_and_never_the_token(
    sandbox: IntercomSandbox, ada: dict[str, Any], logs: FunctionOutput
) -> None:
    sandbox.add_fault(Fault(method="PUT", status=503))
    direct.lambda_handler(direct_event(name="Ada"), FakeLambdaContext())
    direct.lambda_handler(direct_event(value="ghost@example.com"), FakeLambdaContext())
    sandbox.add_fault(Fault(status=503, times=-1))
    with pytest.raises(IntercomUnavailableError):
        direct.lambda_handler(direct_event(name="X"), FakeLambdaContext(timeout_s=3.0))

    lines = logs.lines()
    finished = [json.loads(line) for line in logs.log_lines() if '"update finished"' in line]
    assert [(f["outcome"], f.get("contact_id")) for f in finished] == [
        ("success", ada["id"]),
        ("unsuccessful", None),
        ("unavailable", None),
    ]
    assert any('"retrying Intercom call"' in line for line in lines)
    assert any('"_aws"' in line for line in lines), "EMF metrics were not emitted"
    assert any('"intercom call"' in line for line in lines), "debug lines were not captured"
    assert any(ada["id"] in line for line in lines), "the check below would prove nothing"
    assert_no_token(lines)


# -- API Gateway -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "Ada"}, 200, None),
        ({"value": "not-an-email"}, 400, "validation_error"),
        ({"value": "ghost@example.com"}, 404, "user_not_found"),
        ({"email": "taken@example.com"}, 409, "conflict"),
        (
            {"custom_attribute_1_name": "plan", "custom_attribute_1_value": "x"},
            422,
            "attribute_not_found",
        ),
        ({"connected_account": "intercom/missing"}, 422, "connected_account_error"),
    ],
)
def test_api_gateway_status_codes(
    sandbox: IntercomSandbox,
    ada: dict[str, Any],
    logs: FunctionOutput,
    body: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    sandbox.add_contact(role="user", email="taken@example.com")

    response = api_gateway.lambda_handler(
        api_event(json.dumps(direct_event(**body))), FakeLambdaContext()
    )

    assert response["statusCode"] == status
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    output = json.loads(response["body"])
    assert output["outcome"] == ("success" if code is None else "unsuccessful")
    assert (output["error"] or {}).get("code") == code


def test_api_gateway_ambiguous_is_409(sandbox: IntercomSandbox, logs: FunctionOutput) -> None:
    sandbox.add_contact(role="user", email="twin@example.com", external_id="a")
    sandbox.add_contact(role="user", email="twin@example.com", external_id="b")

    response = api_gateway.lambda_handler(
        api_event(json.dumps(direct_event(value="twin@example.com", name="X"))), FakeLambdaContext()
    )

    assert response["statusCode"] == 409
    assert json.loads(response["body"])["error"]["code"] == "ambiguous_user"


def test_api_gateway_intercom_refusal_is_502(
    sandbox: IntercomSandbox, ada: dict[str, Any], logs: FunctionOutput
) -> None:
    sandbox.add_fault(Fault(method="PUT", status=400))

    response = api_gateway.lambda_handler(
        api_event(json.dumps(direct_event(name="X"))), FakeLambdaContext()
    )

    assert response["statusCode"] == 502
    assert json.loads(response["body"])["error"]["code"] == "intercom_error"


def test_api_gateway_unavailable_is_503_with_retry_after(
    sandbox: IntercomSandbox, ada: dict[str, Any], logs: FunctionOutput
) -> None:
    sandbox.add_fault(Fault(status=503, times=-1))

    response = api_gateway.lambda_handler(
        api_event(json.dumps(direct_event(name="X"))), FakeLambdaContext(timeout_s=4.0)
    )

    assert response["statusCode"] == 503
    assert int(response["multiValueHeaders"]["Retry-After"][0]) > 0
    assert json.loads(response["body"])["error"]["code"] == "intercom_unavailable"


@pytest.mark.parametrize("body", ["{not json", "", "[1, 2]", '"text"'])
def test_api_gateway_bad_body_is_400(
    sandbox: IntercomSandbox, logs: FunctionOutput, body: str
) -> None:
    response = api_gateway.lambda_handler(api_event(body), FakeLambdaContext())

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["code"] == "validation_error"
    assert sandbox.exchanges == []


# -- EventBridge -------------------------------------------------------------------------------


def test_eventbridge_success_uses_the_detail(
    sandbox: IntercomSandbox, ada: dict[str, Any], logs: FunctionOutput
) -> None:
    result = eventbridge.lambda_handler(
        eventbridge_event(direct_event(name="From EventBridge")), FakeLambdaContext()
    )

    assert result["outcome"] == "success"
    assert sandbox.contact(ada["id"])["name"] == "From EventBridge"


@pytest.mark.parametrize("detail", [direct_event(value="ghost@example.com"), None, "text"])
def test_eventbridge_unsuccessful_raises_so_the_event_is_retried(
    sandbox: IntercomSandbox, ada: dict[str, Any], logs: FunctionOutput, detail: Any
) -> None:
    with pytest.raises(UpdateUnsuccessfulError) as raised:
        eventbridge.lambda_handler(eventbridge_event(detail), FakeLambdaContext())

    expected = "user_not_found" if isinstance(detail, dict) else "validation_error"
    assert str(raised.value).startswith(f"{expected}:")


def test_eventbridge_unavailable_raises(
    sandbox: IntercomSandbox, ada: dict[str, Any], logs: FunctionOutput
) -> None:
    sandbox.add_fault(Fault(status=503, times=-1))

    with pytest.raises(IntercomUnavailableError):
        eventbridge.lambda_handler(
            eventbridge_event(direct_event(name="X")), FakeLambdaContext(timeout_s=4.0)
        )


# -- SQS ----------------------------------------------------------------------------------------


def test_sqs_reports_only_the_failed_records(
    sandbox: IntercomSandbox, ada: dict[str, Any], logs: FunctionOutput
) -> None:
    grace = sandbox.add_contact(role="user", email="grace@example.com", name="Grace")
    event = sqs_event(
        json.dumps(direct_event(name="Ada (bulk)")),
        json.dumps(direct_event(value="ghost@example.com", name="X")),
        "{not json",
        json.dumps(direct_event(value="grace@example.com", name="Grace (bulk)")),
    )

    response = sqs.lambda_handler(event, FakeLambdaContext())

    assert response == {
        "batchItemFailures": [{"itemIdentifier": "msg-1"}, {"itemIdentifier": "msg-2"}]
    }
    assert sandbox.contact(ada["id"])["name"] == "Ada (bulk)"
    assert sandbox.contact(grace["id"])["name"] == "Grace (bulk)"


def test_sqs_unavailable_record_is_reported_failed(
    sandbox: IntercomSandbox, ada: dict[str, Any], logs: FunctionOutput
) -> None:
    sandbox.add_fault(Fault(method="PUT", status=503, times=-1))

    response = sqs.lambda_handler(
        sqs_event(json.dumps(direct_event(name="X"))), FakeLambdaContext(timeout_s=4.0)
    )

    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    assert sandbox.contact(ada["id"])["name"] == "Ada"


def test_sqs_one_record_in_an_outage_does_not_starve_the_others(
    sandbox: IntercomSandbox, ada: dict[str, Any], logs: FunctionOutput
) -> None:
    grace = sandbox.add_contact(role="user", email="grace@example.com", name="Grace")
    alan = sandbox.add_contact(role="user", email="alan@example.com", name="Alan")
    # Ada's PUT answers 503 only after 3 s: one record could spend the whole invocation.
    sandbox.add_fault(
        Fault(method="PUT", path=f"/contacts/{ada['id']}", status=503, delay_s=3, times=-1)
    )
    event = sqs_event(
        json.dumps(direct_event(name="Ada (bulk)")),
        json.dumps(direct_event(value="grace@example.com", name="Grace (bulk)")),
        json.dumps(direct_event(value="alan@example.com", name="Alan (bulk)")),
    )

    response = sqs.lambda_handler(event, FakeLambdaContext(timeout_s=7.5))

    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    assert sandbox.contact(grace["id"])["name"] == "Grace (bulk)"
    assert sandbox.contact(alan["id"])["name"] == "Alan (bulk)"


def test_sqs_records_run_side_by_side_and_exactly_the_failed_ones_are_reported(
    sandbox: IntercomSandbox, logs: FunctionOutput
) -> None:
    users = [
        sandbox.add_contact(role="user", email=f"user{n}@example.com", name="Old")
        for n in range(2 * RECORD_CONCURRENCY)
    ]
    bodies = [
        json.dumps(direct_event(value=u["email"], name=f"New {n}")) for n, u in enumerate(users)
    ]
    bodies.insert(3, json.dumps(direct_event(value="ghost@example.com", name="X")))
    bodies.insert(7, "{not json")

    response = sqs.lambda_handler(sqs_event(*bodies), FakeLambdaContext())

    assert response == {
        "batchItemFailures": [{"itemIdentifier": "msg-3"}, {"itemIdentifier": "msg-7"}]
    }
    assert [sandbox.contact(u["id"])["name"] for u in users] == [
        f"New {n}" for n in range(len(users))
    ]
    assert len(writes(sandbox)) == len(users)  # one PUT each, nothing twice
    # Every record's metric reached the batch's EMF blob (records finish on their own threads).
    blobs = [json.loads(line) for line in logs.lines() if line.startswith('{"_aws"')]
    (batch_blob,) = [blob for blob in blobs if "Success" in blob]
    successes = batch_blob["Success"]
    assert (successes if isinstance(successes, list) else [successes]) == [1.0] * len(users)


def test_sqs_records_for_the_same_user_run_in_batch_order(
    sandbox: IntercomSandbox, ada: dict[str, Any], logs: FunctionOutput
) -> None:
    sandbox.add_data_attribute("plan", data_type="string")
    # The attribute list answers after 1 s: the first record, which needs it, would write after
    # the second unless records for the same user wait for each other.
    sandbox.add_fault(Fault(method="GET", path="/data_attributes", action="delay", delay_s=1))
    pro = direct_event(name="pro", custom_attribute_1_name="plan", custom_attribute_1_value="pro")
    team = direct_event(value="ADA@example.com ", name="team")
    other = sandbox.add_contact(role="user", email="grace@example.com", name="Grace")

    response = sqs.lambda_handler(
        sqs_event(
            json.dumps(pro), json.dumps(team), json.dumps(direct_event(value=other["email"]))
        ),
        FakeLambdaContext(),
    )

    assert response == {"batchItemFailures": []}
    assert sandbox.contact(ada["id"])["name"] == "team"
    assert sandbox.contact(ada["id"])["custom_attributes"]["plan"] == "pro"


def test_sqs_records_that_cannot_start_in_time_are_reported_and_never_attempted(
    sandbox: IntercomSandbox, logs: FunctionOutput
) -> None:
    slow = [
        sandbox.add_contact(role="user", email=f"slow{n}@example.com", name="Old")
        for n in range(RECORD_CONCURRENCY)
    ]
    sandbox.add_contact(role="user", email="late0@example.com", name="Old")
    sandbox.add_contact(role="user", email="late1@example.com", name="Old")
    # The first records' PUTs answer 503 after 3 s: when they are over, less than MIN_START_S
    # of the 5 s invocation (3.5 s of budget) is left for the records queued behind them.
    for contact in slow:
        sandbox.add_fault(
            Fault(method="PUT", path=f"/contacts/{contact['id']}", status=503, delay_s=3, times=-1)
        )
    bodies = [json.dumps(direct_event(value=c["email"], name="New")) for c in slow]
    bodies += [json.dumps(direct_event(value=f"late{n}@example.com", name="New")) for n in (0, 1)]

    response = sqs.lambda_handler(sqs_event(*bodies), FakeLambdaContext(timeout_s=5.0))

    assert response == {
        "batchItemFailures": [{"itemIdentifier": f"msg-{n}"} for n in range(len(bodies))]
    }
    late = dict(sqs.last_batch.exceptions[len(slow) :])
    assert set(late) == {f"msg-{len(slow)}", f"msg-{len(slow) + 1}"}
    assert all(isinstance(error, NotStartedError) for error in late.values())
    # Intercom never heard of the records that did not start.
    assert not [e for e in sandbox.exchanges if "late" in (e.body_text or "")]
