"""Every function of template.yaml, built for this machine, runs under Lambda's own runtime
pieces (the runtime interface emulator and awslambdaric) and answers every one of its sample
events through the Lambda invoke HTTP API; with Intercom down, each reports it the way its
trigger retries on: the ``errorType`` the runtime reports, a 503, or a batch item failure.

The functions are discovered from the template and their samples from events/ (named after the
handler module: ``direct-*.json`` for ``handlers.direct``), so a function added later is covered,
and fails here until it has a sample.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from intercom_sandbox import Fault
from scripts.demo import DEMO_CONTACT_ID
from scripts.local_lambda import (
    EVENTS_DIR,
    BuiltFunction,
    EmulatedFunction,
    LocalServices,
    is_runtime_error,
    local_services,
)
from tests.e2e.runtime import host_functions, sample_events, template_handlers

pytestmark = pytest.mark.e2e

HANDLERS = template_handlers()
CASES = [
    pytest.param(name, path, id=f"{name}-{path.stem if path else 'NO-SAMPLE'}")
    for name, handler in HANDLERS.items()
    for path in (list[Path | None](sample_events(handler)) or [None])
]


@pytest.fixture(scope="module")
def functions() -> dict[str, BuiltFunction]:
    return host_functions()


@pytest.fixture(scope="module")
def services() -> Iterator[LocalServices]:
    with local_services() as running:
        yield running


@pytest.fixture
def emulated(
    functions: dict[str, BuiltFunction], services: LocalServices
) -> Iterator[dict[str, EmulatedFunction]]:
    """A new emulator (a cold container) per test and function, started on first use.

    Not one warm container for the module: each test resets the sandbox's workspace, which a
    real workspace never does, and a warm container's attribute cache would outlive that.
    """
    started: dict[str, EmulatedFunction] = {}

    class Started(dict[str, EmulatedFunction]):
        def __missing__(self, name: str) -> EmulatedFunction:
            running = EmulatedFunction(
                functions[name], services.function_overrides(), services.aws_endpoint
            ).start()
            started[name] = self[name] = running
            return running

    yield Started()
    for running in started.values():
        running.stop()


def _body(answer: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(answer["body"])
    return body


def _header(answer: dict[str, Any], name: str) -> str | None:
    """A response header as API Gateway (REST) reads it from a proxy integration's answer."""
    values = answer.get("multiValueHeaders") or {}
    single = answer.get("headers") or {}
    found = values.get(name) or ([single[name]] if name in single else [])
    return ",".join(found) if found else None


def _assert_success(module: str, answer: Any, logs: str) -> None:
    assert not is_runtime_error(answer), f"{answer}\n{logs}"
    if module in ("direct", "eventbridge"):
        assert answer["outcome"] == "success", answer
        assert answer["contact_id"] == DEMO_CONTACT_ID
        assert answer["error"] is None
    elif module == "api_gateway":
        assert answer["statusCode"] == 200, answer
        assert _body(answer)["outcome"] == "success"
        assert _header(answer, "Content-Type") == "application/json"
    elif module == "sqs":
        assert answer == {"batchItemFailures": []}
    elif module == "backfill":
        assert answer["unsuccessful"] == 0, answer
        assert answer["succeeded"] == len(answer["items"]) > 0
        assert {item["outcome"] for item in answer["items"]} == {"success"}
    else:  # a function this test does not know yet: no failure may be reported
        assert answer.get("outcome", "success") == "success", answer
        assert answer.get("statusCode", 200) == 200, answer
        assert not answer.get("batchItemFailures"), answer


def _fresh_delivery(event: dict[str, Any]) -> dict[str, Any]:
    """The same event delivered anew: new ids, so idempotency does not answer it from the table."""
    copy: dict[str, Any] = json.loads(json.dumps(event))
    if "id" in copy:
        copy["id"] = str(uuid.uuid4())
    for record in copy.get("Records", []):
        record["messageId"] = str(uuid.uuid4())
    return copy


def test_every_sample_event_belongs_to_exactly_one_function() -> None:
    for path in EVENTS_DIR.glob("*.json"):
        owners = [name for name, handler in HANDLERS.items() if path in sample_events(handler)]
        assert len(owners) == 1, f"events/{path.name} is a sample of {owners or 'no function'}"


@pytest.mark.parametrize(("name", "event_path"), CASES)
def test_sample_event_succeeds_under_the_lambda_runtime(
    name: str,
    event_path: Path | None,
    emulated: dict[str, EmulatedFunction],
    services: LocalServices,
) -> None:
    if event_path is None:
        pytest.fail(
            f"{name} ({HANDLERS[name]}) has no sample event: add events/"
            f"{HANDLERS[name].rsplit('.', 2)[-2].replace('_', '-')}-<case>.json"
        )
    ada = services.reset_workspace()
    function = emulated[name]

    answer = function.invoke(_fresh_delivery(json.loads(event_path.read_text())))

    _assert_success(function.function.handler_module, answer, function.logs())
    puts = [e for e in services.sandbox.exchanges if e.method == "PUT"]
    assert puts, "Intercom received no update"
    assert {(e.path, e.status) for e in puts} == {(f"/contacts/{ada['id']}", 200)}


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_unavailable_intercom_is_reported_as_its_trigger_retries_on(
    name: str, emulated: dict[str, EmulatedFunction], services: LocalServices
) -> None:
    samples = sample_events(HANDLERS[name])
    if not samples:
        pytest.fail(f"{name} has no sample event")
    services.reset_workspace()
    services.sandbox.add_fault(Fault(status=503, times=-1))
    function = emulated[name]
    event = _fresh_delivery(json.loads(samples[0].read_text()))

    answer = function.invoke(event)

    module = function.function.handler_module
    if module in ("direct", "eventbridge"):
        # Lambda reports the exception's class; Step Functions' Retry/Catch and Lambda's async
        # retries act on exactly this.
        assert is_runtime_error(answer), answer
        assert answer["errorType"] == "IntercomUnavailableError", answer
        assert "token" not in answer["errorMessage"].lower()
    elif module == "api_gateway":
        assert answer["statusCode"] == 503, answer
        assert _header(answer, "Retry-After") == "30"
        assert _body(answer)["error"]["code"] == "intercom_unavailable"
    elif module == "sqs":
        ids = [{"itemIdentifier": record["messageId"]} for record in event["Records"]]
        assert answer == {"batchItemFailures": ids}
    elif module == "backfill":  # the Distributed Map task's Retry matches this errorType
        assert is_runtime_error(answer), answer
        assert answer["errorType"] == "BackfillItemsUnavailableError", answer
    else:  # a new function: it must report the outage in one of the ways a trigger retries on
        reported = (
            (is_runtime_error(answer) and answer["errorType"].endswith("UnavailableError"))
            or answer.get("statusCode") == 503
            or bool(answer.get("batchItemFailures"))
        )
        assert reported, answer
    assert services.sandbox.exchanges, "Intercom was never tried"
    assert all(e.status == 503 for e in services.sandbox.exchanges)


def test_a_duplicate_delivery_is_answered_from_the_idempotency_table(
    emulated: dict[str, EmulatedFunction], services: LocalServices
) -> None:
    (name,) = [n for n, h in HANDLERS.items() if h.endswith(".eventbridge.lambda_handler")]
    services.reset_workspace()
    event = _fresh_delivery(json.loads((EVENTS_DIR / "eventbridge.json").read_text()))
    first = emulated[name].invoke(event)
    calls = len(services.sandbox.exchanges)

    second = emulated[name].invoke(event)

    assert first["outcome"] == "success"
    assert second == first
    assert len(services.sandbox.exchanges) == calls, "the duplicate reached Intercom"
