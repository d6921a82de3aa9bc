"""No token, AWS credential or personal data in logs or traces, at every log level (issue 9, 8).

Each outcome runs through every trigger as Lambda runs it, with idempotency on (moto's DynamoDB,
so a fresh container's first AWS calls are DynamoDB's, before any secret is read), AWS session
credentials in the environment, ``LogLevel`` set as Lambda sets it, and tracing recorded. Then
the token, the credentials and the input's email, phone and name are looked for in every log
line of every logger, in stdout/stderr (Powertools' JSON logs, EMF) and in the whole trace.
The output, and the error an EventBridge run raises, do carry what the contract says they carry.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import boto3
import pytest

from intercom_sandbox import Fault, IntercomSandbox
from intercom_update.handlers import api_gateway, direct, eventbridge, sqs
from intercom_update.models.errors import ServiceUnavailableError
from intercom_update.models.failures import UpdateUnsuccessfulError
from intercom_update.observability import QUIET_LOGGERS
from tests.support.events import TRIGGERS, Trigger, api_event, eventbridge_event, sqs_event
from tests.support.intercom import SECRET_NAME, TOKEN
from tests.support.lambda_context import FakeLambdaContext
from tests.support.observed import lambda_log_level, recorded_traces

ACCESS_KEY_ID: Final = "AKIALEAKCHECK0000001"
SECRET_ACCESS_KEY: Final = "leakcheck/secret-access-key/0123456789abcdef"
SESSION_TOKEN: Final = "IQoJleakcheckSessionToken0123456789abcdefEXAMPLE"
EMAIL: Final = "ada.lovelace@example.com"
NEW_EMAIL: Final = "countess.lovelace@example.org"
PHONE: Final = "+14155550123"
NAME: Final = "Augusta Ada King"
SECRETS: Final = (TOKEN, TOKEN[-12:], ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN)
PERSONAL: Final = (EMAIL, NEW_EMAIL, PHONE, PHONE[2:], NAME)
LEVELS: Final = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING}


def found_in(text: str) -> list[str]:
    return [needle for needle in (*SECRETS, *PERSONAL) if needle in text]


@dataclass(frozen=True)
class Outcome:
    name: str
    prepare: Callable[[IntercomSandbox], dict[str, Any]]
    code: str | None
    timeout_s: float = 30.0


def _ada(sandbox: IntercomSandbox, **inputs: Any) -> dict[str, Any]:
    sandbox.add_contact(role="user", email=EMAIL, name="Ada", phone="+14155550100")
    return {"connected_account": SECRET_NAME, "value": EMAIL, **inputs}


def _twins(sandbox: IntercomSandbox) -> dict[str, Any]:
    sandbox.add_contact(role="user", email=EMAIL)
    sandbox.add_contact(role="user", email=EMAIL)
    return {"connected_account": SECRET_NAME, "value": EMAIL, "name": NAME}


def _down(sandbox: IntercomSandbox) -> dict[str, Any]:
    sandbox.add_fault(Fault(status=503, times=-1))
    return _ada(sandbox, name=NAME)


def _refused(sandbox: IntercomSandbox) -> dict[str, Any]:
    # Intercom's error body quotes the value: it is in the output, never in logs or traces.
    errors = [{"code": "parameter_invalid", "message": f"bad email {NEW_EMAIL}"}]
    body = {"type": "error.list", "errors": errors}
    sandbox.add_fault(Fault(method="PUT", times=-1, status=400, body=body))
    return _ada(sandbox, email=NEW_EMAIL)


OUTCOMES: Final = [
    Outcome("success", lambda sandbox: _ada(sandbox, name=NAME, phone=PHONE), None),
    Outcome(
        "user_not_found", lambda sandbox: {**_ada(sandbox), "value": NEW_EMAIL}, "user_not_found"
    ),
    Outcome("ambiguous_user", _twins, "ambiguous_user"),
    Outcome("intercom_error", _refused, "intercom_error"),
    Outcome("intercom_unavailable", _down, "intercom_unavailable", timeout_s=3.5),
]


@pytest.fixture
def aws_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials as a Lambda role has them: key id, secret key and a session token."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)


def invoke(trigger: Trigger, inputs: dict[str, Any], timeout_s: float) -> Any:
    """Run one trigger; returns its answer, or the error it raised."""
    context = FakeLambdaContext(timeout_s=timeout_s)
    try:
        if trigger == "direct":
            return direct.lambda_handler(inputs, context)
        if trigger == "api_gateway":
            return api_gateway.lambda_handler(api_event(json.dumps(inputs)), context)
        if trigger == "eventbridge":
            return eventbridge.lambda_handler(eventbridge_event(inputs), context)
        return sqs.lambda_handler(sqs_event(json.dumps(inputs)), context)
    except (UpdateUnsuccessfulError, ServiceUnavailableError) as raised:
        return raised


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("outcome", OUTCOMES, ids=lambda outcome: outcome.name)
def test_logs_and_traces_carry_no_secret_and_no_personal_data(
    sandbox: IntercomSandbox,
    aws_session: None,
    idempotency_table: str,
    aws_endpoint: str,
    capfd: pytest.CaptureFixture[str],
    outcome: Outcome,
    level: str,
) -> None:
    inputs = outcome.prepare(sandbox)
    capfd.readouterr()

    with lambda_log_level(LEVELS[level]) as logs, recorded_traces() as traces:
        answers = {trigger: invoke(trigger, inputs, outcome.timeout_s) for trigger in TRIGGERS}
    printed = capfd.readouterr()

    everything = {
        "log records": logs.getvalue(),
        "stdout": printed.out,
        "stderr": printed.err,
        "traces": traces.text(),
    }
    assert {where: found_in(text) for where, text in everything.items() if found_in(text)} == {}
    # Not vacuous: the runs logged, traced each Intercom call, and used DynamoDB.
    # ("update finished" is a WARNING when unavailable, INFO otherwise.)
    if level != "WARNING" or outcome.code == "intercom_unavailable":
        assert "update finished" in logs.getvalue() + printed.out
    assert "subsegment ## lambda_handler" in traces.text()
    assert "subsegment ## intercom" in traces.text()
    if level == "DEBUG":
        assert "urllib3.connectionpool DEBUG" in logs.getvalue()
    stored = boto3.client("dynamodb", endpoint_url=aws_endpoint).scan(TableName=idempotency_table)[
        "Items"
    ]
    assert len(stored) == (2 if outcome.code is None else 0)
    # What the contract does carry: the failed EventBridge run raises with its code.
    raised = answers["eventbridge"]
    if outcome.code is None:
        assert raised["outcome"] == "success"
    else:
        assert isinstance(raised, UpdateUnsuccessfulError | ServiceUnavailableError)
        assert f"annotation error_type='{type(raised).__name__}'" in traces.text()
        if isinstance(raised, UpdateUnsuccessfulError):
            assert str(raised).startswith(f"{outcome.code}: ")


def test_the_libraries_that_would_log_secrets_at_debug_are_held_from_import() -> None:
    # Checked without any call made first: a fresh container's first AWS call is DynamoDB's.
    for name in QUIET_LOGGERS:
        assert logging.getLogger(name).getEffectiveLevel() == logging.INFO, name
