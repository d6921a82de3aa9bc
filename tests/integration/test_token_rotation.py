"""A rotated token works at once (issue 9, point 4).

The operator updates the secret with a new token and revokes the old one in Intercom while warm
containers still cache the old secret. The run that gets ``unauthorized`` drops the cached
secret, reads it again and, since the token changed, runs once more with the new one. A token
that is refused and unchanged is reported ``unauthorized`` after one fresh read, with no second
run. Against the sandbox (which is told which tokens it accepts) and moto's Secrets Manager.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

import pytest

from intercom_sandbox import IntercomSandbox
from intercom_update.handlers import eventbridge
from intercom_update.logic.update_user import default_dependencies
from tests.support.aws import put_secret
from tests.support.events import eventbridge_event
from tests.support.intercom import SECRET_NAME, TOKEN, Run, api_requests
from tests.support.lambda_context import FakeLambdaContext
from tests.support.logs import captured_logs

NEW_TOKEN: Final = "tok_rotated_8d1e4a27c903"


@pytest.fixture
def accepted_tokens(sandbox_server: IntercomSandbox) -> Iterator[None]:
    """The session's sandbox accepts TOKEN again after each test, whatever the test revoked."""
    yield
    sandbox_server.tokens = frozenset({TOKEN})


@pytest.fixture
def ada(sandbox: IntercomSandbox) -> dict[str, Any]:
    return sandbox.add_contact(role="user", email="ada@example.com", name="Ada")


def rotate(sandbox: IntercomSandbox, aws_endpoint: str, new_token: str) -> None:
    """Put the new token in the secret, then revoke every other token in Intercom."""
    put_secret(aws_endpoint, SECRET_NAME, {"access_token": new_token, "region": "us"})
    sandbox.tokens = frozenset({new_token})


def bearers(sandbox: IntercomSandbox) -> list[tuple[str, int]]:
    return [(e.headers.get("authorization", ""), e.status) for e in api_requests(sandbox)]


def test_a_rotated_token_is_used_by_the_run_that_finds_the_old_one_refused(
    run: Run,
    sandbox: IntercomSandbox,
    aws_endpoint: str,
    accepted_tokens: None,
    ada: dict[str, Any],
) -> None:
    assert run(value="ada@example.com", name="Ada (before)").outcome == "success"
    rotate(sandbox, aws_endpoint, NEW_TOKEN)
    sandbox.clear_exchanges()

    with captured_logs() as logs:
        output = run(value="ada@example.com", name="Ada (after)")

    assert output.outcome == "success", output.error
    sent = bearers(sandbox)
    # One refused lookup with the cached token, then the whole run with the new one.
    assert sent[0] == (f"Bearer {TOKEN}", 401)
    assert {bearer for bearer, _ in sent[1:]} == {f"Bearer {NEW_TOKEN}"}
    assert all(status == 200 for _, status in sent[1:])
    assert sandbox.contact(ada["id"])["name"] == "Ada (after)"
    assert "token changed since it was cached" in logs.getvalue()
    assert TOKEN not in logs.getvalue()
    assert NEW_TOKEN not in logs.getvalue()
    # The cache now holds the new token: the next run sends no refused request.
    sandbox.clear_exchanges()
    assert run(value="ada@example.com", name="Ada (later)").outcome == "success"
    assert {bearer for bearer, _ in bearers(sandbox)} == {f"Bearer {NEW_TOKEN}"}


def test_a_revoked_token_that_was_not_replaced_is_unauthorized_after_one_fresh_read(
    run: Run,
    sandbox: IntercomSandbox,
    accepted_tokens: None,
    ada: dict[str, Any],
) -> None:
    assert run(value="ada@example.com", name="Ada (before)").outcome == "success"
    sandbox.tokens = frozenset({NEW_TOKEN})  # revoked in Intercom, secret left as it was
    sandbox.clear_exchanges()

    output = run(value="ada@example.com", name="Ada (after)")

    assert output.outcome == "unsuccessful"
    assert output.error is not None
    assert output.error["code"] == "unauthorized"
    assert output.error["field"] == "connected_account"
    # The same token is not tried twice: one refused request, nothing written.
    assert bearers(sandbox) == [(f"Bearer {TOKEN}", 401)]
    assert sandbox.contact(ada["id"])["name"] == "Ada (before)"


def test_an_eventbridge_retry_is_not_needed_after_a_rotation(
    sandbox: IntercomSandbox,
    aws_endpoint: str,
    lambda_env: None,
    account: str,
    accepted_tokens: None,
    ada: dict[str, Any],
) -> None:
    # A warm container: its default dependencies cached the old token on the first event.
    default_dependencies.cache_clear()
    first = {"connected_account": account, "value": "ada@example.com", "name": "Ada (1)"}
    assert eventbridge.lambda_handler(eventbridge_event(first), FakeLambdaContext())["outcome"] == (
        "success"
    )
    rotate(sandbox, aws_endpoint, NEW_TOKEN)

    second = eventbridge_event({**first, "name": "Ada (2)"}) | {"id": "second-event"}
    result = eventbridge.lambda_handler(second, FakeLambdaContext())

    assert result["outcome"] == "success"
    assert json.loads(result["json_output"])["name"] == "Ada (2)"
    assert sandbox.contact(ada["id"])["name"] == "Ada (2)"
