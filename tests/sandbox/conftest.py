"""Fixtures: one sandbox for the whole run, reset before every test, and a small client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from intercom_sandbox import IntercomSandbox
from tests.support.sandbox_api import OTHER_TOKEN, TOKEN, Api


@pytest.fixture(scope="session")
def running_sandbox() -> Iterator[IntercomSandbox]:
    with IntercomSandbox(tokens=(TOKEN, OTHER_TOKEN)) as sandbox:
        yield sandbox


@pytest.fixture
def sb(running_sandbox: IntercomSandbox) -> Iterator[IntercomSandbox]:
    running_sandbox.reset()
    running_sandbox.latency_ms = 0
    running_sandbox.rate_limit = 1000
    yield running_sandbox
    running_sandbox.latency_ms = 0


@pytest.fixture
def api(sb: IntercomSandbox) -> Iterator[Api]:
    client = Api(sb.base_url)
    yield client
    client.pool.close()
