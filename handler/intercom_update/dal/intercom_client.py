"""Intercom REST API 2.x client: the calls this action makes, in the action's terms.

Each endpoint method builds one request and hands it to the transport (``dal/transport.py``),
which retries transient failures (429, 408, 5xx, connection errors, unreadable 2xx bodies)
inside the invocation's deadline and raises ``IntercomUnavailableError`` when that cannot
succeed. What comes back is a typed result, and a final 4xx a typed refusal
(``dal/intercom_answers.py``): callers never see a status code or Intercom's JSON.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

import urllib3

from intercom_update.dal import intercom_answers as answers
from intercom_update.dal.intercom_answers import Company, Contact, DataAttribute, SearchPage
from intercom_update.dal.rate_limit import WorkspaceRateLimit
from intercom_update.dal.transport import (
    AnswerHook,
    Deadline,
    IntercomApiError,
    IntercomResponse,
    Request,
    RetryPolicy,
    Transport,
    Waiting,
    shared_pool,
)

# Re-exported: callers and tests import these from the client.
__all__ = [
    "USER_AGENT",
    "Deadline",
    "IntercomClient",
    "RetryPolicy",
    "_segment",
]

USER_AGENT: Final = "intercom-update-user-lambda/0.1 (+urllib3)"
Expect = Callable[[Any], bool]


class IntercomClient:
    """The Intercom calls of this action. Thread-safe; one instance per invocation."""

    def __init__(  # noqa: PLR0913 - keyword-only options with defaults; tests and the pacer set them
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

    def get_contact(self, contact_id: str) -> Contact:
        path = f"/contacts/{_segment(contact_id)}"
        request = self._request("GET", "/contacts/{contact_id}", path)
        return answers.contact_of(self._send(request, answers.is_object_with_id))

    def find_contact_by_external_id(self, external_id: str) -> Contact:
        path = f"/contacts/find_by_external_id/{_segment(external_id)}"
        request = self._request("GET", "/contacts/find_by_external_id/{external_id}", path)
        return answers.contact_of(self._send(request, answers.is_object_with_id))

    def search_users(self, field_name: str, values: Sequence[str], *, per_page: int) -> SearchPage:
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
        request = self._request("POST", "/contacts/search", "/contacts/search", body)
        return answers.search_page_of(self._send(request, answers.is_listing), field_name)

    def update_contact(self, contact_id: str, changes: Mapping[str, Any]) -> Contact:
        path = f"/contacts/{_segment(contact_id)}"
        request = self._request("PUT", "/contacts/{contact_id}", path, dict(changes))
        return answers.contact_of(self._send(request, answers.is_object_with_id))

    # -- companies ------------------------------------------------------------------------

    def find_company(self, company_id: str) -> Company | None:
        """The company with your ``company_id``, or None if the answer lists none usable."""
        path = f"/companies?company_id={quote(company_id, safe='')}"
        request = self._request("GET", "/companies", path)
        response = self._send(request, answers.is_company_or_listing)
        return answers.company_matching(response, company_id)

    def upsert_company(self, company_id: str) -> Company:
        """Create the company if it is missing (as the legacy API did); return it either way."""
        request = self._request("POST", "/companies", "/companies", {"company_id": company_id})
        return answers.company_of(self._send(request, answers.is_object_with_id))

    def attach_company(self, contact_id: str, company_intercom_id: str) -> None:
        path = f"/contacts/{_segment(contact_id)}/companies"
        body = {"id": company_intercom_id}
        request = self._request("POST", "/contacts/{contact_id}/companies", path, body)
        self._send(request, answers.is_object_with_id)

    # -- data attributes ------------------------------------------------------------------

    def list_contact_attributes(self) -> list[DataAttribute]:
        """The workspace's live contact attributes, custom and standard."""
        request = self._request("GET", "/data_attributes", "/data_attributes?model=contact")
        return answers.contact_attributes_of(self._send(request, answers.is_listing))

    def create_contact_attribute(self, name: str, data_type: str) -> None:
        """Raises ``IntercomAttributeNotCreated`` when the refusal may mean it exists already."""
        body = {"name": name, "model": "contact", "data_type": data_type}
        request = self._request("POST", "/data_attributes", "/data_attributes", body)
        try:
            self._transport.send(request, answers.is_named_object)
        except IntercomApiError as answer:
            raise answers.attribute_refusal_of(answer, name) from None

    def _request(
        self, method: str, route: str, path: str, body: Mapping[str, Any] | None = None
    ) -> Request:
        headers = dict(self._headers)
        payload: bytes | None = None
        if body is not None:
            payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        return Request(method, route, self._base_url + path, headers, payload)

    def _send(self, request: Request, expect: Expect) -> IntercomResponse:
        """The answer that satisfies ``expect``; a final refusal is raised as its kind."""
        try:
            return self._transport.send(request, expect)
        except IntercomApiError as answer:
            raise answers.refusal_of(answer, request.method) from None


def _segment(value: str) -> str:
    """One path segment: every reserved character is escaped, so a value never changes the path.

    Dots are escaped too: a segment of only dots would otherwise be a relative path step.
    """
    if not value:
        raise ValueError("an empty path segment would change the request path")
    return quote(value, safe="").replace(".", "%2E")
