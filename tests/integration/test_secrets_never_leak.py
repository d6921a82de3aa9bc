"""The Intercom token never leaves the function, and the connected-account prefix holds.

Every outcome we can cause (success, each error code, unavailable) runs through each entry point
as Lambda runs it. Then the token is looked for in everything the function produced: its own
log lines at DEBUG, the DEBUG lines of the libraries it calls, stdout and stderr (Powertools'
JSON logs and EMF metrics), the output, and each raised exception with its chain, formatted the
way the Lambda runtime reports it.
"""

from __future__ import annotations

import io
import json
import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import pytest

from intercom_sandbox import Fault, IntercomSandbox
from intercom_update.handlers import api_gateway, direct, eventbridge, sqs
from intercom_update.models.errors import ServiceUnavailableError
from intercom_update.models.failures import UpdateUnsuccessfulError
from tests.support.aws import put_secret
from tests.support.events import Trigger, api_event, eventbridge_event, sqs_event
from tests.support.intercom import SECRET_NAME, TOKEN
from tests.support.lambda_context import ACCOUNT_ID, REGION, FakeLambdaContext
from tests.support.logs import captured_logs
from tests.support.observed import lambda_log_level
from tests.support.stub_aws import StubAwsEndpoint

# A second token, for secrets the sandbox refuses or the function cannot use.
REFUSED_TOKEN: Final = "tok_refused_3c9a71d0e5b8"
TOKENS: Final = (TOKEN, REFUSED_TOKEN)
# Libraries whose DEBUG lines would reach CloudWatch with LogLevel=DEBUG (the runtime sets the
# root logger's level). botocore is checked on its own below.
LIBRARY_LOGGERS: Final = ("aws_lambda_powertools", "urllib3", "boto3")
TRIGGERS: Final[tuple[Trigger, ...]] = ("direct", "api_gateway", "eventbridge", "sqs")


def leaks(text: str) -> list[str]:
    """Each token, or its last 12 characters (a masked or cut form), found in ``text``."""
    return [token for token in TOKENS if token in text or token[-12:] in text]


# -- what the function produced ---------------------------------------------------------------


@dataclass
class Evidence:
    """Everything one or more invocations let out of the function."""

    outputs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add_output(self, value: Any) -> None:
        self.outputs.append(json.dumps(value, default=str))

    def add_error(self, error: BaseException) -> None:
        # As the runtime reports an uncaught exception (errorMessage, errorType, stackTrace),
        # and every exception in the chain, shown or suppressed, by message and repr.
        self.errors.append("".join(traceback.format_exception(error)))
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            self.errors.extend([str(current), repr(current), repr(current.args)])
            current = current.__cause__ or current.__context__


@contextmanager
def library_logs(*names: str) -> Iterator[io.StringIO]:
    """Capture the DEBUG lines of the named libraries' loggers (and their children)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(name) for name in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)


def invoke(trigger: Trigger, inputs: dict[str, Any], evidence: Evidence, timeout_s: float) -> None:
    context = FakeLambdaContext(timeout_s=timeout_s)
    try:
        if trigger == "direct":
            evidence.add_output(direct.lambda_handler(inputs, context))
        elif trigger == "api_gateway":
            evidence.add_output(api_gateway.lambda_handler(api_event(json.dumps(inputs)), context))
        elif trigger == "eventbridge":
            evidence.add_output(eventbridge.lambda_handler(eventbridge_event(inputs), context))
        else:
            evidence.add_output(sqs.lambda_handler(sqs_event(json.dumps(inputs)), context))
            for _, error in sqs.last_batch.exceptions:
                if error is not None:
                    evidence.add_error(error)
    except (UpdateUnsuccessfulError, ServiceUnavailableError) as raised:
        evidence.add_error(raised)


# -- the outcomes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One outcome: ``prepare`` sets the world up and returns the inputs that cause it."""

    name: str
    prepare: Callable[[IntercomSandbox, str], dict[str, Any]]
    timeout_s: float = 30.0
    # Intercom received the token (so that its absence everywhere else proves something).
    sends_token: bool = True


def _ada(sandbox: IntercomSandbox, **inputs: Any) -> dict[str, Any]:
    sandbox.add_contact(role="user", email="ada@example.com", name="Ada")
    return {"connected_account": SECRET_NAME, "value": "ada@example.com", **inputs}


def _with_secret(name: str, value: str | dict[str, Any]) -> Callable[..., dict[str, Any]]:
    def prepare(sandbox: IntercomSandbox, aws_endpoint: str) -> dict[str, Any]:
        put_secret(aws_endpoint, name, value)
        return {**_ada(sandbox, name="X"), "connected_account": name}

    return prepare


def _fault(fault: Fault, **inputs: Any) -> Callable[..., dict[str, Any]]:
    def prepare(sandbox: IntercomSandbox, aws_endpoint: str) -> dict[str, Any]:
        sandbox.add_fault(fault)
        return _ada(sandbox, **inputs)

    return prepare


def _twins(sandbox: IntercomSandbox, aws_endpoint: str) -> dict[str, Any]:
    sandbox.add_contact(role="user", email="twin@example.com")
    sandbox.add_contact(role="user", email="twin@example.com")
    return {"connected_account": SECRET_NAME, "value": "twin@example.com", "name": "X"}


def _taken(sandbox: IntercomSandbox, aws_endpoint: str) -> dict[str, Any]:
    sandbox.add_contact(role="user", email="taken@example.com")
    return _ada(sandbox, email="taken@example.com")


def _typed_attribute(sandbox: IntercomSandbox, aws_endpoint: str) -> dict[str, Any]:
    sandbox.add_data_attribute("seats", "integer")
    return _ada(sandbox, custom_attribute_1_name="seats", custom_attribute_1_value="many")


SCENARIOS: Final = [
    Scenario("success", lambda sandbox, _: _ada(sandbox, name="Ada L.", company_id_1="acme")),
    Scenario(
        "validation_error (input)",
        lambda sandbox, _: _ada(sandbox, value="not-an-email"),
        sends_token=False,
    ),
    Scenario("validation_error (attribute type)", _typed_attribute),
    Scenario(
        "connected_account_error (missing)",
        lambda sandbox, _: {**_ada(sandbox), "connected_account": "intercom/missing"},
        sends_token=False,
    ),
    Scenario(
        "connected_account_error (region)",
        _with_secret("intercom/mars", {"access_token": TOKEN, "region": "mars"}),
        sends_token=False,
    ),
    Scenario(
        "connected_account_error (broken JSON)",
        _with_secret("intercom/broken", '{"access_token": "' + TOKEN + '", '),
        sends_token=False,
    ),
    Scenario(
        "connected_account_error (not a token)",
        _with_secret("intercom/bearer", f"Bearer {TOKEN}"),
        sends_token=False,
    ),
    Scenario("unauthorized", _with_secret("intercom/revoked", REFUSED_TOKEN)),
    Scenario("user_not_found", lambda sandbox, _: _ada(sandbox, value="ghost@example.com")),
    Scenario("ambiguous_user", _twins),
    Scenario(
        "attribute_not_found",
        lambda sandbox, _: _ada(
            sandbox, custom_attribute_1_name="plan", custom_attribute_1_value="x"
        ),
    ),
    Scenario("conflict", _taken),
    Scenario("intercom_error", _fault(Fault(method="PUT", status=400), name="X")),
    Scenario(
        "intercom_error (partial companies)",
        _fault(
            Fault(method="POST", path="/contacts/*/companies", status=404, skip=1),
            company_id_1="acme",
            company_id_2="globex",
        ),
    ),
    Scenario(
        "intercom_unavailable",
        _fault(Fault(action="drop", times=-1), name="X"),
        timeout_s=2.5,
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_the_token_never_leaves_the_function(
    sandbox: IntercomSandbox,
    aws_endpoint: str,
    lambda_env: None,
    account: str,
    capfd: pytest.CaptureFixture[str],
    scenario: Scenario,
) -> None:
    inputs = scenario.prepare(sandbox, aws_endpoint)
    evidence = Evidence()
    capfd.readouterr()

    with captured_logs() as function_logs, library_logs(*LIBRARY_LOGGERS) as libraries:
        for trigger in TRIGGERS:
            invoke(trigger, inputs, evidence, scenario.timeout_s)
    printed = capfd.readouterr()

    everything = {
        "function logs": function_logs.getvalue(),
        "library logs": libraries.getvalue(),
        "stdout (JSON logs, EMF metrics)": printed.out,
        "stderr": printed.err,
        "outputs": "\n".join(evidence.outputs),
        "raised exceptions": "\n".join(evidence.errors),
    }
    assert {where: leaks(text) for where, text in everything.items() if leaks(text)} == {}
    # The search is not vacuous: the function ran, logged at DEBUG and flushed its metrics.
    assert '"update finished"' in function_logs.getvalue()
    assert '"_aws"' in printed.out
    assert len(evidence.outputs) + len(evidence.errors) >= len(TRIGGERS)
    if scenario.sends_token:
        sent = {e.headers.get("authorization") for e in sandbox.exchanges}
        assert sent & {f"Bearer {token}" for token in TOKENS}
        assert "urllib3.connectionpool DEBUG" in libraries.getvalue()


def test_at_log_level_debug_botocore_logs_nothing_that_could_carry_the_secret(
    sandbox: IntercomSandbox, lambda_env: None, account: str
) -> None:
    # LogLevel=DEBUG lowers the root logger; botocore's DEBUG lines hold bodies and headers.
    sandbox.add_contact(role="user", email="ada@example.com")
    inputs = {"connected_account": account, "value": "ada@example.com", "name": "X"}

    with lambda_log_level(logging.DEBUG) as logs:
        invoke("direct", inputs, Evidence(), 30.0)

    lines = logs.getvalue().splitlines()
    assert [line for line in lines if line.startswith("botocore") and " DEBUG " in line] == []
    assert leaks(logs.getvalue()) == []
    assert any(line.startswith("urllib3.connectionpool DEBUG") for line in lines)


# -- the connected-account prefix -------------------------------------------------------------

ARN_HEAD: Final = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:"
ESCAPES: Final = [
    pytest.param("prod/db-password", id="outside-prefix"),
    pytest.param("intercom", id="prefix-without-slash"),
    pytest.param("intercom/", id="prefix-alone"),
    pytest.param("intercomx/acme", id="prefix-lookalike"),
    pytest.param("Intercom/acme", id="prefix-case"),
    pytest.param("\uff49ntercom/acme", id="fullwidth-i"),
    pytest.param("/intercom/acme", id="leading-slash"),
    pytest.param("intercom//acme", id="empty-segment"),
    pytest.param("intercom/./acme", id="dot-segment"),
    pytest.param("intercom/../prod/db", id="dotdot"),
    pytest.param("intercom/acme/..", id="trailing-dotdot"),
    pytest.param("intercom/acme/../../prod", id="climb-out"),
    pytest.param("intercom\\..\\prod", id="backslashes"),
    pytest.param("intercom/%2e%2e/prod", id="encoded-dots"),
    pytest.param("intercom%2F..%2Fprod", id="encoded-slashes"),
    pytest.param("intercom/%252e%252e/prod", id="double-encoded"),
    pytest.param("intercom/acme%00", id="encoded-nul"),
    pytest.param("intercom/acme\x00/../../prod", id="nul"),
    pytest.param("intercom/ac\nme", id="newline"),
    pytest.param("intercom/acme?versionStage=AWSPREVIOUS", id="query"),
    pytest.param("intercom/acme#x", id="fragment"),
    pytest.param("intercom/a b", id="space"),
    pytest.param("intercom/" + "a" * 600, id="too-long"),
    pytest.param(
        f"arn:aws:secretsmanager:{REGION}:999999999999:secret:intercom/acme", id="arn-acct"
    ),
    pytest.param(
        f"arn:aws:secretsmanager:us-east-1:{ACCOUNT_ID}:secret:intercom/acme", id="arn-rgn"
    ),
    pytest.param(f"{ARN_HEAD}prod/db-password", id="arn-outside-prefix"),
    pytest.param(f"{ARN_HEAD}intercom/../prod", id="arn-dotdot"),
    pytest.param(f"{ARN_HEAD}intercom/acme:AWSPREVIOUS", id="arn-version-suffix"),
    pytest.param(f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/intercom/acme", id="arn-ssm"),
    pytest.param(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:intercom/acme", id="arn-no-kind"),
    pytest.param(
        f"arn:aws-cn:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:intercom/acme", id="arn-partition"
    ),
]


@pytest.mark.parametrize("trigger", ["direct", "api_gateway"])
@pytest.mark.parametrize("connected_account", ESCAPES)
def test_the_prefix_cannot_be_escaped_and_nothing_reaches_secrets_manager(
    sandbox: IntercomSandbox,
    counted_aws: StubAwsEndpoint,
    trigger: Trigger,
    connected_account: str,
) -> None:
    evidence = Evidence()
    inputs = {"connected_account": connected_account, "value": "ada@example.com", "name": "X"}

    invoke(trigger, inputs, evidence, 30.0)

    assert counted_aws.targets == []
    assert sandbox.exchanges == []
    (output,) = evidence.outputs
    result = json.loads(output)
    body = json.loads(result["body"]) if trigger == "api_gateway" else result
    assert body["error"]["code"] == "validation_error"
    assert "connected_account" in {detail["field"] for detail in body["error"]["details"]}


def test_a_name_under_the_prefix_does_reach_secrets_manager(
    sandbox: IntercomSandbox, counted_aws: StubAwsEndpoint
) -> None:
    # The control for the test above: the counter does see an allowed name's request.
    evidence = Evidence()

    invoke("direct", {"connected_account": SECRET_NAME, "value": "ada@example.com"}, evidence, 30.0)

    assert counted_aws.targets
    assert set(counted_aws.targets) == {"secretsmanager.GetSecretValue"}
    assert json.loads(evidence.outputs[0])["error"]["code"] == "connected_account_error"
