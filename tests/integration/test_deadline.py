"""One deadline for the whole exchange: a server that trickles bytes cannot hold a call past it.

Each byte below arrives well inside the read timeout (1 s in the tests' policy), so no socket
read ever times out: only the client's own deadline can end these calls. The bound asserted is
the budget plus MARGIN_S, the margin docs/reliability (README "Retry policy") documents: the
watchdog shuts the socket down at the deadline, and closing it and raising take milliseconds;
the rest of the margin absorbs a loaded test machine. Before the watchdog, these calls ran for
tens of seconds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from intercom_update.dal.connected_account import ConnectedAccounts
from intercom_update.dal.intercom_client import Deadline, IntercomClient
from intercom_update.logic.custom_attributes import AttributeCatalog
from intercom_update.logic.update_user import Dependencies, process_update
from intercom_update.models.errors import IntercomUnavailableError
from intercom_update.settings import get_settings
from tests.support.intercom import FAST_RETRIES
from tests.support.trickle import (
    Reply,
    TrickleServer,
    answer,
    trickled_body,
    trickled_chunk_size,
    trickled_head,
)

MARGIN_S = 1.5
BUDGET_S = 2.0
SEARCH_ANSWER = json.dumps({"type": "list", "data": [], "total_count": 0}).encode()

TRICKLES = {
    "response headers, one byte every 0.4 s": trickled_head(200, SEARCH_ANSWER, 0.4),
    "chunk-size line, one byte every 0.4 s": trickled_chunk_size(SEARCH_ANSWER, 0.4),
    "body, one byte every 0.2 s": trickled_body(SEARCH_ANSWER + b" " * 200, 0.2),
}


def client_of(server: TrickleServer, budget_s: float, pool: urllib3.PoolManager) -> IntercomClient:
    return IntercomClient(
        base_url=server.base_url,
        token="tok_trickle_0123456789",
        api_version="2.14",
        deadline=Deadline(budget_s),
        policy=FAST_RETRIES,
        pool=pool,
    )


@pytest.mark.parametrize("reply", TRICKLES.values(), ids=TRICKLES.keys())
def test_a_trickling_answer_ends_in_unavailable_within_the_budget(reply: Reply) -> None:
    with TrickleServer([reply]) as server:
        client = client_of(server, BUDGET_S, urllib3.PoolManager())
        started = time.monotonic()
        with pytest.raises(IntercomUnavailableError, match="within the time budget"):
            client.search_users("email", "ada@example.com", per_page=10)
        elapsed = time.monotonic() - started

    assert elapsed < BUDGET_S + MARGIN_S
    assert [r.path for r in server.received] == ["/contacts/search"]  # one attempt, cut


def test_the_connection_of_a_cut_exchange_is_never_reused() -> None:
    replies = [trickled_head(200, SEARCH_ANSWER, 0.4), answer(200, SEARCH_ANSWER)]
    pool = urllib3.PoolManager()
    with TrickleServer(replies) as server:
        with pytest.raises(IntercomUnavailableError):
            client_of(server, 1.0, pool).search_users("email", "a@example.com", per_page=10)
        response = client_of(server, 5.0, pool).search_users("email", "a@example.com", per_page=10)

    assert response.data["total_count"] == 0
    assert [r.connection for r in server.received] == [1, 2]


def test_a_connection_whose_answer_was_read_whole_is_reused() -> None:
    # The counterpart of the test above: keep-alive works, so "a new connection" means something.
    replies = [answer(503, b'{"type": "error.list", "errors": []}'), answer(200, SEARCH_ANSWER)]
    with TrickleServer(replies) as server:
        client = client_of(server, 5.0, urllib3.PoolManager())
        client.search_users("email", "a@example.com", per_page=10)

    assert [r.connection for r in server.received] == [1, 1]


def test_a_body_over_the_size_bound_is_retried_on_a_new_connection() -> None:
    oversized = b'{"type": "list", "data": [], "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    replies = [answer(200, oversized), answer(200, SEARCH_ANSWER)]
    with TrickleServer(replies) as server:
        client = client_of(server, 10.0, urllib3.PoolManager())
        response = client.search_users("email", "a@example.com", per_page=10)

    assert response.data["total_count"] == 0
    assert [r.connection for r in server.received] == [1, 2]


@pytest.fixture
def trickling_intercom(
    lambda_env: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TrickleServer, Dependencies]]:
    """The function's own dependencies, with Intercom's answers trickling in."""
    with TrickleServer([trickled_head(200, SEARCH_ANSWER, 0.4)]) as server:
        monkeypatch.setenv("INTERCOM_API_BASE_URL", server.base_url)
        get_settings.cache_clear()
        settings = get_settings()
        yield (
            server,
            Dependencies(
                settings=settings,
                accounts=ConnectedAccounts(settings),
                catalog=AttributeCatalog(settings.attribute_cache_seconds),
                retry_policy=FAST_RETRIES,
            ),
        )
    get_settings.cache_clear()


def test_an_update_against_a_trickling_intercom_raises_unavailable_in_time_and_writes_nothing(
    trickling_intercom: tuple[TrickleServer, Dependencies], account: str
) -> None:
    server, deps = trickling_intercom
    payload: dict[str, Any] = {
        "connected_account": account,
        "value": "ada@example.com",
        "name": "Ada Lovelace",
        "company_id_1": "acme",
        "custom_attribute_1_name": "plan",
        "custom_attribute_1_value": "pro",
    }

    started = time.monotonic()
    with pytest.raises(IntercomUnavailableError, match="within the time budget"):
        process_update(payload, deps=deps, time_budget_s=BUDGET_S)
    elapsed = time.monotonic() - started

    assert elapsed < BUDGET_S + MARGIN_S
    reads = {
        ("POST", "/contacts/search"),
        ("GET", "/data_attributes?model=contact"),
        ("GET", "/companies?company_id=acme"),
    }
    assert ("POST", "/contacts/search") in {(r.method, r.path) for r in server.received}
    assert {(r.method, r.path) for r in server.received} <= reads
