"""Integration fixtures: the local Intercom sandbox and moto's Secrets Manager, over HTTP.

Every exchange a test causes is checked against Intercom's OpenAPI 2.14 description at teardown:
our requests must be ones Intercom documents, the sandbox's answers ones Intercom would give.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from intercom_sandbox import IntercomSandbox
from intercom_update.dal.connected_account import ConnectedAccounts
from intercom_update.logic.custom_attributes import AttributeCatalog
from intercom_update.logic.update_user import Dependencies, default_dependencies, process_update
from intercom_update.models.output import UpdateUserOutput
from intercom_update.settings import get_settings
from tests.support.aws import IDEMPOTENCY_TTL_SECONDS, local_aws, put_secret
from tests.support.intercom import FAST_RETRIES, SECRET_NAME, TOKEN, Run
from tests.support.openapi import assert_exchanges_conform
from tests.support.stub_aws import CannedAnswer, StubAwsEndpoint


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    with local_aws() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[IntercomSandbox]:
    with IntercomSandbox(tokens=(TOKEN,)) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: IntercomSandbox) -> Iterator[IntercomSandbox]:
    sandbox_server.reset()
    sandbox_server.latency_ms = 0
    sandbox_server.rate_limit = 1000
    yield sandbox_server
    assert_exchanges_conform(sandbox_server.exchanges)


@pytest.fixture
def lambda_env(
    monkeypatch: pytest.MonkeyPatch, sandbox: IntercomSandbox, aws_endpoint: str
) -> Iterator[None]:
    """The environment the template gives the function, pointed at the local services."""
    monkeypatch.setenv("INTERCOM_API_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("CONNECTED_ACCOUNT_PREFIX", "intercom/")
    monkeypatch.setenv("INTERCOM_API_VERSION", "2.14")
    get_settings.cache_clear()
    default_dependencies.cache_clear()
    yield
    get_settings.cache_clear()
    default_dependencies.cache_clear()


@pytest.fixture
def account(aws_endpoint: str) -> str:
    put_secret(aws_endpoint, SECRET_NAME, {"access_token": TOKEN, "region": "us"})
    return SECRET_NAME


@pytest.fixture
def deps(lambda_env: None) -> Dependencies:
    """Fresh caches for each test, so one test's secret or attributes never leak into another."""
    settings = get_settings()
    return Dependencies(
        settings=settings,
        accounts=ConnectedAccounts(settings),
        catalog=AttributeCatalog(settings.attribute_cache_seconds),
        retry_policy=FAST_RETRIES,
    )


@pytest.fixture
def run(deps: Dependencies, account: str) -> Run:
    """Run one update with the given inputs (connected_account defaults to the test account)."""

    def run_update(time_budget_s: float = 20.0, **inputs: Any) -> UpdateUserOutput:
        payload = {"connected_account": account, **inputs}
        return process_update(payload, deps=deps, time_budget_s=time_budget_s)

    return run_update


@pytest.fixture
def counted_aws(monkeypatch: pytest.MonkeyPatch, lambda_env: None) -> Iterator[StubAwsEndpoint]:
    """Secrets Manager replaced by a counter: an invalid event must never reach it."""
    with StubAwsEndpoint(CannedAnswer(400, {"__type": "ResourceNotFoundException"})) as stub:
        monkeypatch.setenv("AWS_ENDPOINT_URL", stub.url)
        yield stub


@pytest.fixture
def idempotency_table(
    aws_endpoint: str, lambda_env: None, account: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A table shaped like the template's (hash key ``id``, TTL on ``expiration``), switched on."""
    name = f"idempotency-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=aws_endpoint)
    client.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"}
    )
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", name)
    monkeypatch.setenv("IDEMPOTENCY_TTL_SECONDS", str(IDEMPOTENCY_TTL_SECONDS))
    get_settings.cache_clear()
    yield name
    get_settings.cache_clear()
    client.delete_table(TableName=name)
