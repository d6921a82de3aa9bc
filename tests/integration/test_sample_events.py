"""Every file in events/ runs through its trigger's handler against the demo workspace.

The files are what users pass to ``sam local invoke -e`` and what ``make demo`` runs, so none may
rot: each must be accepted by its handler and succeed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from intercom_sandbox import IntercomSandbox
from intercom_update.handlers import api_gateway, backfill, direct, eventbridge, sqs
from scripts.demo import DEMO_SECRET, seed_demo_workspace
from tests.support.aws import put_secret
from tests.support.intercom import TOKEN
from tests.support.lambda_context import FakeLambdaContext

EVENTS = sorted((Path(__file__).resolve().parents[2] / "events").glob("*.json"))


def test_there_is_a_sample_for_every_trigger_and_lookup_kind() -> None:
    names = {path.stem for path in EVENTS}
    assert {"api-gateway", "api-gateway-http-api", "eventbridge", "sqs", "backfill"} <= names
    assert {f"direct-{kind}" for kind in ("email", "phone", "user-id", "id")} <= names


def invoke(name: str, event: dict[str, Any]) -> None:
    context = FakeLambdaContext()
    if name.startswith("direct-"):
        assert direct.lambda_handler(event, context)["outcome"] == "success"
    elif name in {"api-gateway", "api-gateway-http-api"}:
        response = api_gateway.lambda_handler(event, context)
        assert response["statusCode"] == 200, response["body"]
    elif name == "eventbridge":
        assert eventbridge.lambda_handler(event, context)["outcome"] == "success"
    elif name == "sqs":
        assert sqs.lambda_handler(event, context) == {"batchItemFailures": []}
    elif name == "backfill":
        result = backfill.lambda_handler(event, context)
        assert result["unsuccessful"] == 0, result["items"]
    else:
        pytest.fail(f"no handler is known for events/{name}.json")


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_sample_event_succeeds_through_its_handler(
    path: Path, sandbox: IntercomSandbox, lambda_env: None, aws_endpoint: str
) -> None:
    put_secret(aws_endpoint, DEMO_SECRET, {"access_token": TOKEN, "region": "us"})
    ada = seed_demo_workspace(sandbox)

    invoke(path.stem, json.loads(path.read_text()))

    puts = [e for e in sandbox.exchanges if e.method == "PUT"]
    assert puts
    assert {e.path for e in puts} == {f"/contacts/{ada['id']}"}
    assert {e.status for e in puts} == {200}
