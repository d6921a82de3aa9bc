"""Intercom REST API 2.x client: the calls this action makes.

Each endpoint method builds one request and hands it to the transport (``dal/transport.py``),
which retries transient failures (429, 408, 5xx, connection errors, unreadable 2xx bodies)
inside the invocation's deadline and raises ``IntercomUnavailableError`` when that cannot
succeed; other 4xx are raised as ``IntercomApiError``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

import urllib3

from intercom_update.dal.rate_limit import WorkspaceRateLimit
from intercom_update.dal.transport import (
    MAX_RESPONSE_BYTES,
    AnswerHook,
    CallStats,
    Deadline,
    IntercomApiError,
    IntercomResponse,
    Request,
    RetryPolicy,
    Transport,
    Waiting,
    _first_error,
    shared_pool,
)

# Re-exported: callers and tests import these from the client.
__all__ = [
    "MAX_RESPONSE_BYTES",
    "USER_AGENT",
    "CallStats",
    "Deadline",
    "IntercomApiError",
    "IntercomClient",
    "IntercomResponse",
    "RetryPolicy",
    "_first_error",
    "_segment",
    "shared_pool",
]

USER_AGENT: Final = "intercom-update-user-lambda/0.1 (+urllib3)"


def _is_object_with(*keys: str) -> Callable[[Any], bool]:
    def check(data: Any) -> bool:
        return isinstance(data, dict) and all(key in data for key in keys)

    return check


def _is_list_response(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("data"), list)


def _is_company_or_list(data: Any) -> bool:
    return _is_list_response(data) or (isinstance(data, dict) and "id" in data)


class IntercomClient:
    """The Intercom calls of this action. Thread-safe; one instance per invocation."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        api_version: str,
        deadline: Deadline,
        policy: RetryPolicy | None = None,
        pool: urllib3.PoolManager | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_answer: AnswerHook | None = None,
        rate_limit: WorkspaceRateLimit | None = None,
    ) -> None:
        """``on_answer`` sees the status and headers of every answer; with ``rate_limit`` (the
        workspace's figures, shared by the container's clients) requests are paced to it."""
        self._base_url = base_url.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Intercom-Version": api_version,
            "User-Agent": USER_AGENT,
        }
        self._transport = Transport(
            pool or shared_pool(),
            deadline,
            policy or RetryPolicy(),
            Waiting(sleep=sleep),
            on_answer,
            rate_limit,
        )
        self.stats = self._transport.stats

    def __repr__(self) -> str:  # never show the token
        return f"IntercomClient(base_url={self._base_url!r})"

    # -- contacts -------------------------------------------------------------------------

    def get_contact(self, contact_id: str) -> IntercomResponse:
        return self._call(
            "GET",
            "/contacts/{contact_id}",
            f"/contacts/{_segment(contact_id)}",
            expect=_is_object_with("id"),
        )

    def find_contact_by_external_id(self, external_id: str) -> IntercomResponse:
        return self._call(
            "GET",
            "/contacts/find_by_external_id/{external_id}",
            f"/contacts/find_by_external_id/{_segment(external_id)}",
            expect=_is_object_with("id"),
        )

    def search_users(
        self, field_name: str, values: Sequence[str], *, per_page: int
    ) -> IntercomResponse:
        """Contacts with role ``user`` whose ``field_name`` equals one of ``values``.

        Several values become an OR of (field AND role) groups: the 2.14 description lets a
        group hold filters or groups, never both, and at most two levels deep.
        """
        role = {"field": "role", "operator": "=", "value": "user"}
        groups = [
            {"operator": "AND", "value": [{"field": field_name, "operator": "=", "value": v}, role]}
            for v in dict.fromkeys(values)
        ]
        if not groups:
            raise ValueError("search_users needs at least one value")
        query = groups[0] if len(groups) == 1 else {"operator": "OR", "value": groups}
        body = {"query": query, "pagination": {"per_page": per_page}}
        return self._call(
            "POST", "/contacts/search", "/contacts/search", body=body, expect=_is_list_response
        )

    def update_contact(self, contact_id: str, changes: Mapping[str, Any]) -> IntercomResponse:
        return self._call(
            "PUT",
            "/contacts/{contact_id}",
            f"/contacts/{_segment(contact_id)}",
            body=dict(changes),
            expect=_is_object_with("id"),
        )

    # -- companies ------------------------------------------------------------------------

    def find_company(self, company_id: str) -> IntercomResponse:
        """The company with your ``company_id`` (Intercom answers one company, or a list)."""
        return self._call(
            "GET",
            "/companies",
            f"/companies?company_id={quote(company_id, safe='')}",
            expect=_is_company_or_list,
        )

    def upsert_company(self, company_id: str) -> IntercomResponse:
        """Create the company if it is missing (as the legacy API did); return it either way."""
        return self._call(
            "POST",
            "/companies",
            "/companies",
            body={"company_id": company_id},
            expect=_is_object_with("id"),
        )

    def attach_company(self, contact_id: str, company_intercom_id: str) -> IntercomResponse:
        return self._call(
            "POST",
            "/contacts/{contact_id}/companies",
            f"/contacts/{_segment(contact_id)}/companies",
            body={"id": company_intercom_id},
            expect=_is_object_with("id"),
        )

    # -- data attributes ------------------------------------------------------------------

    def list_contact_attributes(self) -> IntercomResponse:
        return self._call(
            "GET", "/data_attributes", "/data_attributes?model=contact", expect=_is_list_response
        )

    def create_contact_attribute(self, name: str, data_type: str) -> IntercomResponse:
        body = {"name": name, "model": "contact", "data_type": data_type}
        return self._call(
            "POST",
            "/data_attributes",
            "/data_attributes",
            body=body,
            expect=_is_object_with("name"),
        )

    def _call(
        self,
        method: str,
        route: str,
        path: str,
        *,
        expect: Callable[[Any], bool],
        body: Mapping[str, Any] | None = None,
    ) -> IntercomResponse:
        headers = dict(self._headers)
        payload: bytes | None = None
        if body is not None:
            payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        request = Request(method, route, self._base_url + path, headers, payload)
        return self._transport.send(request, expect)


def _segment(value: str) -> str:
    """One path segment: every reserved character is escaped, so a value never changes the path.

    Dots are escaped too: a segment of only dots would otherwise be a relative path step.
    """
    if not value:
        raise ValueError("an empty path segment would change the request path")
    return quote(value, safe="").replace(".", "%2E")
