"""The example state machine (statemachine/update_user.asl.json), unchanged, executed by moto's
Step Functions interpreter against UpdateUserFunction running under the Lambda runtime emulator.

moto runs the ASL (its interpreter mode, ``execute_state_machine``); its ``lambda:invoke`` task
calls Lambda's Invoke API, which here is ``LambdaService`` in front of the emulated function.
So the Choice on ``$.outcome``, the Retry on ``IntercomUnavailableError`` and the Catch after it
act on what the real runtime reports. The waits are the definition's own (full jitter), so the
Catch case takes up to half a minute.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from intercom_sandbox import Fault
from scripts.local_lambda import (
    ACCOUNT_ID,
    EVENTS_DIR,
    REGION,
    EmulatedFunction,
    LambdaService,
    LocalServices,
    local_services,
)
from tests.e2e.runtime import ROOT, host_functions

pytestmark = pytest.mark.e2e

FUNCTION = "UpdateUserFunction"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{FUNCTION}"
# The function's own attempts at one request before it raises IntercomUnavailableError.
FUNCTION_ATTEMPTS = 5


class World:
    def __init__(self, services: LocalServices, lambda_service: LambdaService) -> None:
        self.services = services
        self.lambda_service = lambda_service
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        definition = (ROOT / "statemachine" / "update_user.asl.json").read_text()
        self.arn = self.sfn.create_state_machine(
            name="update-user",
            definition=definition.replace("${UpdateUserFunctionArn}", FUNCTION_ARN),
            roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/update-user-state-machine",
        )["stateMachineArn"]

    def execute(self, execution_input: dict[str, Any]) -> dict[str, Any]:
        self.lambda_service.invocations.clear()
        started = self.sfn.start_execution(
            stateMachineArn=self.arn, name=str(uuid.uuid4()), input=json.dumps(execution_input)
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            execution = self.sfn.describe_execution(executionArn=started["executionArn"])
            if execution["status"] != "RUNNING":
                return dict(execution)
            time.sleep(0.2)
        pytest.fail("the execution did not end within 120 s")


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL_LAMBDA", "AWS_DEFAULT_REGION")}
    config: Any = {
        "stepfunctions": {"execute_state_machine": True},
        # The interpreter's Lambda calls leave moto, for LambdaService (set below).
        "core": {"passthrough": {"services": ["lambda"]}},
    }
    with mock_aws(config=config), local_services() as services, LambdaService({}) as lambdas:
        os.environ["AWS_ENDPOINT_URL_LAMBDA"] = lambdas.endpoint
        os.environ["AWS_DEFAULT_REGION"] = REGION
        try:
            yield World(services, lambdas)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(autouse=True)
def cold_function(world: World) -> Iterator[None]:
    """A new container per test: each test resets the workspace, which outlives no warm cache."""
    function = host_functions()[FUNCTION]
    services = world.services
    with EmulatedFunction(function, services.function_overrides(), services.aws_endpoint) as fn:
        world.lambda_service.functions[FUNCTION] = fn
        yield


def _sample() -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((EVENTS_DIR / "direct-email.json").read_text())
    return sample


def _error_types(world: World) -> list[str | None]:
    return [answer.get("errorType") for _, answer in world.lambda_service.invocations]


def test_success_takes_the_choice_to_succeed(world: World) -> None:
    ada = world.services.reset_workspace()

    execution = world.execute(_sample())

    assert execution["status"] == "SUCCEEDED", execution
    output = json.loads(execution["output"])
    assert output["outcome"] == "success"
    assert output["contact_id"] == ada["id"]
    assert _error_types(world) == [None]


def test_an_unsuccessful_update_takes_the_choice_to_fail_with_its_error_code(world: World) -> None:
    world.services.reset_workspace()

    execution = world.execute({**_sample(), "value": "nobody@example.com"})

    assert execution["status"] == "FAILED", execution
    assert execution["error"] == "user_not_found"
    assert execution["cause"]
    assert _error_types(world) == [None]  # returned, not raised: no Retry


def test_intercom_unavailable_once_is_retried_by_the_state_machine(world: World) -> None:
    ada = world.services.reset_workspace()
    # The user lookup fails on every one of the first invocation's attempts, then recovers.
    world.services.sandbox.add_fault(
        Fault(method="POST", path="/contacts/search", status=503, times=FUNCTION_ATTEMPTS)
    )

    execution = world.execute(_sample())

    assert execution["status"] == "SUCCEEDED", execution
    assert json.loads(execution["output"])["contact_id"] == ada["id"]
    assert _error_types(world) == ["IntercomUnavailableError", None]


def test_intercom_unavailable_throughout_is_caught_after_the_retries(world: World) -> None:
    world.services.reset_workspace()
    world.services.sandbox.add_fault(Fault(status=503, times=-1))

    execution = world.execute(_sample())

    assert execution["status"] == "FAILED", execution
    assert execution["error"] == "IntercomUnavailableError"
    # The first attempt and the Retry's MaxAttempts (4), then the Catch.
    assert _error_types(world) == ["IntercomUnavailableError"] * 5
    assert all(e.status == 503 for e in world.services.sandbox.exchanges)
