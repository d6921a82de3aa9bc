"""Intercom REST API 2.x client: the calls this action makes, with retries inside a deadline.

One urllib3 PoolManager per container keeps connections to Intercom alive across warm
invocations. Transient failures (429, 408, 5xx, connection errors, timeouts, unreadable 2xx
bodies) are retried with backoff that honours ``X-RateLimit-Reset``; other 4xx never are. When
the attempts or the time run out, ``IntercomUnavailableError`` is raised.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

import urllib3

from intercom_update.models.errors import IntercomUnavailableError
from intercom_update.observability import logger, tracer

USER_AGENT: Final = "intercom-update-user-lambda/0.1 (+urllib3)"
# A contact with 10 embedded companies is a few KB; anything near this is not an answer to us.
MAX_RESPONSE_BYTES: Final = 5 * 1024 * 1024
_READ_CHUNK: Final = 64 * 1024
_POOL_LOCK = threading.Lock()
_POOL: urllib3.PoolManager | None = None


def shared_pool() -> urllib3.PoolManager:
    """The container's connection pool (created on first use)."""
    global _POOL  # noqa: PLW0603 - one pool per container is the point
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = urllib3.PoolManager(num_pools=4, maxsize=10, block=False, retries=False)
        return _POOL


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay_s: float = 0.25
    max_delay_s: float = 4.0
    max_rate_limit_wait_s: float = 12.0
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    # An attempt with less time than this left is not started.
    min_attempt_s: float = 0.2


class Deadline:
    """The time by which every call must be over (the Lambda's remaining time minus a margin)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return self._end - self._clock()


@dataclass(frozen=True)
class IntercomResponse:
    status: int
    text: str
    data: Any
    request_id: str | None


class IntercomApiError(Exception):
    """Intercom refused the request with a non-retryable status (4xx other than 408/429)."""

    def __init__(self, status: int, text: str, request_id: str | None) -> None:
        self.status = status
        self.text = text
        self.request_id = request_id
        self.code, self.message = _first_error(text)
        super().__init__(f"Intercom answered {status} {self.code}: {self.message}")


def _first_error(text: str) -> tuple[str, str]:
    try:
        body = json.loads(text)
    except ValueError:
        return "unknown", text[:200]
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("code") or "unknown"), str(errors[0].get("message") or "")
    return "unknown", text[:200]


def _request_id(body: Any, headers: Mapping[str, str]) -> str | None:
    """Intercom's request id: from a parsed body's ``request_id``, else the header."""
    if isinstance(body, dict) and isinstance(body.get("request_id"), str):
        return str(body["request_id"])
    return headers.get("x-request-id")


def _is_object_with(*keys: str) -> Callable[[Any], bool]:
    def check(data: Any) -> bool:
        return isinstance(data, dict) and all(key in data for key in keys)

    return check


def _is_list_response(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("data"), list)


def _is_company_or_list(data: Any) -> bool:
    return _is_list_response(data) or (isinstance(data, dict) and "id" in data)


@dataclass
class CallStats:
    calls: int = 0
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, *, retry: bool) -> None:
        with self._lock:
            self.calls += 1
            self.retries += int(retry)


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
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Intercom-Version": api_version,
            "User-Agent": USER_AGENT,
        }
        self._deadline = deadline
        self._policy = policy or RetryPolicy()
        self._pool = pool or shared_pool()
        self._sleep = sleep
        self.stats = CallStats()

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

    # -- transport ------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        route: str,
        path: str,
        *,
        expect: Callable[[Any], bool],
        body: Mapping[str, Any] | None = None,
    ) -> IntercomResponse:
        policy = self._policy
        headers = dict(self._headers)
        payload: bytes | None = None
        if body is not None:
            payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        url = self._base_url + path
        attempt = 0
        while True:
            attempt += 1
            remaining = self._deadline.remaining()
            if remaining < policy.min_attempt_s:
                raise IntercomUnavailableError(
                    f"Intercom {method} {route}: out of time after {attempt - 1} attempt(s)"
                )
            # total bounds connecting plus waiting for the headers; the body is read against the
            # deadline below, since a read timeout only bounds each single read.
            timeout = urllib3.Timeout(
                connect=min(policy.connect_timeout_s, remaining),
                read=min(policy.read_timeout_s, remaining),
                total=remaining,
            )
            self.stats.count(retry=attempt > 1)
            started = time.monotonic()
            try:
                with tracer.provider.in_subsegment(f"## intercom {method} {route}") as segment:
                    response = self._pool.request(
                        method,
                        url,
                        body=payload,
                        headers=headers,
                        timeout=timeout,
                        retries=False,
                        redirect=False,
                        preload_content=False,
                    )
                    segment.put_annotation("intercom_status", str(response.status))
                    data = self._read_body(response, url)
            except urllib3.exceptions.HTTPError as exc:
                problem = f"{type(exc).__name__} after {time.monotonic() - started:.2f}s"
                wait = self._backoff(attempt)
            else:
                status = response.status
                text = data.decode("utf-8", errors="replace")
                logger.debug(
                    "intercom call",
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "attempt": attempt,
                        "ms": round((time.monotonic() - started) * 1000),
                    },
                )
                if 200 <= status < 300:
                    parsed = _parse_json(text)
                    if parsed is not _INVALID and expect(parsed):
                        return IntercomResponse(
                            status, text, parsed, _request_id(parsed, response.headers)
                        )
                    problem = f"unreadable {status} response ({len(text)} bytes)"
                    wait = self._backoff(attempt)
                elif status == 429:
                    problem = "429 rate limited"
                    wait = self._rate_limit_wait(response.headers, attempt)
                elif status == 408 or status >= 500:
                    problem = f"{status} {_first_error(text)[0]}"
                    wait = self._backoff(attempt)
                else:
                    raise IntercomApiError(
                        status, text, _request_id(_parse_json(text), response.headers)
                    )
            if attempt >= policy.max_attempts:
                raise IntercomUnavailableError(
                    f"Intercom {method} {route}: {problem}; gave up after {attempt} attempts"
                )
            if wait > self._deadline.remaining() - policy.min_attempt_s:
                raise IntercomUnavailableError(
                    f"Intercom {method} {route}: {problem}; not enough time left to retry "
                    f"after {attempt} attempt(s)"
                )
            logger.warning(
                "retrying Intercom call",
                extra={
                    "method": method,
                    "route": route,
                    "attempt": attempt,
                    "problem": problem,
                    "wait_s": round(wait, 3),
                },
            )
            self._sleep(wait)

    def _read_body(self, response: urllib3.BaseHTTPResponse, url: str) -> bytes:
        """The whole body, within the deadline and a size bound; else the connection is dropped."""
        chunks: list[bytes] = []
        size = 0
        sock = getattr(getattr(response, "connection", None), "sock", None)
        try:
            while True:
                remaining = self._deadline.remaining()
                if remaining <= 0:
                    raise urllib3.exceptions.ReadTimeoutError(
                        None,  # type: ignore[arg-type]  # no pool to name: urllib3 allows it
                        url,
                        "the response body did not arrive within the time budget",
                    )
                if sock is not None:  # each wait for the next bytes ends at the deadline
                    sock.settimeout(min(self._policy.read_timeout_s, remaining))
                chunk = response.read1(_READ_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise urllib3.exceptions.ProtocolError(
                        f"response larger than {MAX_RESPONSE_BYTES} bytes"
                    )
                chunks.append(chunk)
        except BaseException:
            response.close()  # half-read: never hand this connection to the next request
            raise
        response.release_conn()
        return b"".join(chunks)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(
            self._policy.max_delay_s, self._policy.base_delay_s * 2.0 ** min(attempt - 1, 16)
        )
        # Jitter, not cryptography: the standard generator is the right tool.
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 # nosec B311

    def _rate_limit_wait(self, headers: Mapping[str, str], attempt: int) -> float:
        cap = self._policy.max_rate_limit_wait_s
        retry_after = headers.get("retry-after", "")
        if retry_after.strip().isdigit():
            return min(cap, float(retry_after.strip()))
        reset = headers.get("x-ratelimit-reset", "")
        try:
            until_reset = float(reset) - time.time()
        except ValueError:
            return max(1.0, self._backoff(attempt))
        # A little jitter so that many waiting invocations do not hit the new window at once.
        return min(cap, max(0.0, until_reset) + random.uniform(0.05, 0.5))  # noqa: S311 # nosec B311


_INVALID: Final = object()


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return _INVALID


def _segment(value: str) -> str:
    """One path segment: every reserved character is escaped, so a value never changes the path.

    Dots are escaped too: a segment of only dots would otherwise be a relative path step.
    """
    if not value:
        raise ValueError("an empty path segment would change the request path")
    return quote(value, safe="").replace(".", "%2E")
