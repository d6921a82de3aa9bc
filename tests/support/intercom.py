"""Shared names and helpers for tests that talk to the local Intercom sandbox."""

from __future__ import annotations

from collections.abc import Callable

from intercom_sandbox import Exchange, IntercomSandbox
from intercom_update.dal.intercom_client import RetryPolicy
from intercom_update.models.output import UpdateUserOutput

TOKEN = "tok_integration_5f2b9c0e7d41"
SECRET_NAME = "intercom/acme"

Run = Callable[..., UpdateUserOutput]

# Short waits so that retry tests take milliseconds; the production policy is tested in unit tests.
FAST_RETRIES = RetryPolicy(
    max_attempts=4,
    base_delay_s=0.01,
    max_delay_s=0.05,
    max_rate_limit_wait_s=3.0,
    connect_timeout_s=1.0,
    read_timeout_s=1.0,
)


def api_requests(sandbox: IntercomSandbox, method: str | None = None) -> list[Exchange]:
    """The API requests the sandbox received (optionally of one method), in order."""
    return [e for e in sandbox.exchanges if method is None or e.method == method]


def writes(sandbox: IntercomSandbox) -> list[Exchange]:
    """Requests that change state in Intercom (search is a POST that does not)."""
    return [
        e
        for e in sandbox.exchanges
        if e.method in {"POST", "PUT", "DELETE"} and e.route != "/contacts/search"
    ]


def created_attributes(sandbox: IntercomSandbox) -> dict[str, str]:
    """The data attributes the function created: name -> data type."""
    return {
        e.body_json["name"]: e.body_json["data_type"]
        for e in api_requests(sandbox, "POST")
        if e.route == "/data_attributes"
    }
