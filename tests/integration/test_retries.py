"""Transient failures are retried within the budget; final answers never are."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import urllib3

from intercom_sandbox import Fault, IntercomSandbox
from intercom_update.dal.intercom_client import Deadline, IntercomClient
from intercom_update.handlers.lambda_context import SAFETY_MARGIN_S
from intercom_update.logic.update_user import Dependencies, process_update
from intercom_update.models.errors import IntercomUnavailableError
from tests.support.intercom import FAST_RETRIES, Run, api_requests


@pytest.fixture
def ada(sandbox: IntercomSandbox) -> dict[str, Any]:
    return sandbox.add_contact(role="user", email="ada@example.com", name="Ada")


@pytest.mark.parametrize(
    "fault",
    [
        Fault(method="PUT", status=503, times=2),
        Fault(method="PUT", status=500),
        Fault(method="PUT", status=502),
        Fault(method="PUT", status=504),
        Fault(method="PUT", status=408),
        Fault(method="PUT", action="drop", times=2),
        Fault(method="POST", path="/contacts/search", status=503),
        Fault(method="POST", path="/contacts/search", action="drop"),
        Fault(method="PUT", action="malformed"),
        Fault(method="PUT", action="empty"),
    ],
    ids=lambda f: f"{f.method}-{f.path}-{f.action}-{f.status}-x{f.times}",
)
def test_transient_failures_are_retried_until_the_update_lands(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any], fault: Fault
) -> None:
    sandbox.add_fault(fault)

    output = run(value="ada@example.com", name="Ada Lovelace")

    assert output.outcome == "success", output.error
    assert sandbox.contact(ada["id"])["name"] == "Ada Lovelace"
    faulted = [e for e in sandbox.exchanges if e.fault]
    assert len(faulted) == fault.times
    assert len(sandbox.exchanges) == 2 + fault.times


def test_429_waits_for_the_rate_limit_reset(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    reset = int(time.time()) + 2
    sandbox.add_fault(
        Fault(
            method="PUT",
            status=429,
            headers={
                "X-RateLimit-Limit": "167",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(reset),
            },
        )
    )

    output = run(value="ada@example.com", name="Ada Lovelace")

    assert output.outcome == "success", output.error
    puts = api_requests(sandbox, "PUT")
    assert len(puts) == 2
    assert time.time() >= reset - 1  # the retry did not come before the window reset


def test_429_without_reset_header_backs_off_and_retries(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.add_fault(Fault(method="PUT", status=429, headers={"X-RateLimit-Reset": ""}))

    output = run(value="ada@example.com", name="Ada Lovelace")

    assert output.outcome == "success", output.error
    # The timed-out PUT is recorded when the sandbox finishes it, after the retry succeeded.
    deadline = time.monotonic() + 3
    while len(api_requests(sandbox, "PUT")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(api_requests(sandbox, "PUT")) == 2


def test_a_spent_window_is_waited_out_instead_of_sent_into_a_429(
    deps: Dependencies, account: str, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.rate_limit = 1  # the lookup uses the 10-second window's only request
    patient = replace(deps, retry_policy=replace(FAST_RETRIES, max_rate_limit_wait_s=12.0))

    output = process_update(
        {"connected_account": account, "value": "ada@example.com", "name": "Ada Lovelace"},
        deps=patient,
        time_budget_s=15.0,
    )

    assert output.outcome == "success", output.error
    search, put = sandbox.exchanges
    assert (search.method, search.status) == ("POST", 200)
    assert search.response_headers["x-ratelimit-remaining"] == "0"
    # The PUT waited for the reset: it went in the next window, and Intercom never said 429.
    assert (put.method, put.status) == ("PUT", 200)
    assert int(put.response_headers["x-ratelimit-reset"]) > int(
        search.response_headers["x-ratelimit-reset"]
    )


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 410, 422])
def test_final_answers_are_never_retried(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any], status: int
) -> None:
    sandbox.add_fault(Fault(method="PUT", status=status))

    output = run(value="ada@example.com", name="Ada Lovelace")

    assert output.outcome == "unsuccessful"
    assert len(api_requests(sandbox, "PUT")) == 1


def test_a_persistent_outage_raises_within_the_time_budget(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.add_fault(Fault(method="PUT", status=503, delay_s=0.6, times=-1))

    started = time.monotonic()
    with pytest.raises(IntercomUnavailableError):
        run(value="ada@example.com", name="Ada Lovelace", time_budget_s=1.5)

    assert time.monotonic() - started <= 1.5 + SAFETY_MARGIN_S
    assert sandbox.contact(ada["id"])["name"] == "Ada"


def test_a_read_timeout_is_retried(run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]) -> None:
    # The test retry policy reads for at most 1 s: the first PUT times out, the second lands.
    sandbox.add_fault(Fault(method="PUT", action="delay", delay_s=1.5))

    output = run(value="ada@example.com", name="Ada Lovelace")

    assert output.outcome == "success", output.error
    # The timed-out PUT is recorded when the sandbox finishes it, after the retry succeeded.
    deadline = time.monotonic() + 3
    while len(api_requests(sandbox, "PUT")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(api_requests(sandbox, "PUT")) == 2


class _Drip(BaseHTTPRequestHandler):
    """Sends the headers at once, then one byte of the body every 0.2 s (a stalling proxy)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"type": "list", "data": [], "total_count": 0}' + b" " * 200
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the client gave up: that is the point


def test_a_body_that_trickles_in_is_cut_at_the_deadline() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        client = IntercomClient(
            base_url=f"http://{host!s}:{port}",
            token="tok_drip_0123456789",
            api_version="2.14",
            deadline=Deadline(1.5),
            policy=FAST_RETRIES,
            pool=urllib3.PoolManager(retries=False),
        )
        started = time.monotonic()
        with pytest.raises(IntercomUnavailableError):
            client.search_users("email", "ada@example.com", per_page=10)
        elapsed = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
    # Each byte comes quickly, so no single read times out: only the deadline ends it.
    assert elapsed < 1.5 + 0.5
