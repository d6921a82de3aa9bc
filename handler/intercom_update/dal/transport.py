"""One HTTP exchange with Intercom, retried inside the invocation's deadline.

``Transport.send`` is a short loop: ``_attempt`` makes one exchange, ``_classify`` turns what it
brought back into a final answer (a response, or a raised refusal) or a retry, and
``_sleep_time_seconds`` says how long to wait before the next attempt. Jitter, the clocks and
``sleep`` are injectable so that tests can pin them.

Per-read socket timeouts do not bound an exchange: a server can send one byte just before each
read times out, for ever. So every attempt has a watchdog that shuts the attempt's socket down
when the deadline is reached, whatever phase it is in (TLS handshake, request, response headers,
chunk-size lines, body). The connection classes of the pool keep a duplicate of their socket for
that purpose, and register with the watchdog of the attempt that runs on the current thread.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Final

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from intercom_update.dal.rate_limit import WorkspaceRateLimit
from intercom_update.models.errors import IntercomUnavailableError
from intercom_update.observability import logger, tracer

# A contact with 10 embedded companies is a few KB; anything near this is not an answer to us.
MAX_RESPONSE_BYTES: Final = 5 * 1024 * 1024
_READ_CHUNK: Final = 64 * 1024
# What one attempt can raise when the network or the server misbehaves (urllib3 wraps most of
# http.client's errors, but not all of them on every path).
_EXCHANGE_ERRORS: Final = (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)
# ASCII digits only: str.isdigit() also accepts "²", which float() refuses.
_DIGITS: Final = re.compile(r"[0-9]+")
_EPOCH_SECONDS: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")

Jitter = Callable[[float, float], float]
AnswerHook = Callable[[int, Mapping[str, str]], None]
"""Called with the status and headers of every answer Intercom gives, before it is classified
(for instance to keep a workspace's latest ``X-RateLimit-*`` values)."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay_s: float = 0.25
    max_delay_s: float = 4.0
    # The longest rate-limit wait taken; Intercom asking for more ends the call at once.
    max_rate_limit_wait_s: float = 12.0
    connect_timeout_s: float = 3.0
    # Bounds each wait for bytes; the whole exchange is bounded by the deadline.
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
class Waiting:
    """How the transport waits and draws jitter; tests swap these for deterministic ones."""

    sleep: Callable[[float], None] = time.sleep
    # Jitter, not cryptography: the standard generator is the right tool.
    jitter: Jitter = random.uniform  # nosec B311
    wall_clock: Callable[[], float] = time.time


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


@dataclass
class CallStats:
    calls: int = 0
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, *, retry: bool) -> None:
        with self._lock:
            self.calls += 1
            self.retries += int(retry)


@dataclass(frozen=True)
class Request:
    method: str
    route: str  # the path template: what logs and traces show, never ids or emails
    url: str
    headers: Mapping[str, str]
    body: bytes | None = None

    def describe(self) -> str:
        return f"Intercom {self.method} {self.route}"


@dataclass(frozen=True)
class Answer:
    """A status line, headers and (up to the size bound) the body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    complete: bool  # False when the body was cut at MAX_RESPONSE_BYTES


@dataclass(frozen=True)
class Failure:
    """No answer: the connection failed, or the deadline cut the exchange."""

    problem: str
    out_of_time: bool


@dataclass(frozen=True)
class Retry:
    problem: str
    # The answer's headers when Intercom rate-limited us: they say how long to wait.
    rate_limit_headers: Mapping[str, str] | None = None


# -- the loop -------------------------------------------------------------------------------


class Transport:
    """Sends requests to Intercom: retries what is transient, inside the deadline."""

    def __init__(
        self,
        pool: urllib3.PoolManager,
        deadline: Deadline,
        policy: RetryPolicy,
        waiting: Waiting | None = None,
        on_answer: AnswerHook | None = None,
        rate_limit: WorkspaceRateLimit | None = None,
    ) -> None:
        self._pool = watched(pool)
        self._deadline = deadline
        self._policy = policy
        self._waiting = waiting or Waiting()
        self._on_answer = on_answer
        self._rate_limit = rate_limit
        self.stats = CallStats()

    def send(self, request: Request, expect: Callable[[Any], bool]) -> IntercomResponse:
        """The parsed answer that satisfies ``expect``.

        Raises ``IntercomApiError`` for a final refusal and ``IntercomUnavailableError`` when
        the attempts, the deadline or the rate limit leave no room for a usable answer.
        """
        attempt = 0
        while True:
            attempt += 1
            if self._deadline.remaining() < self._policy.min_attempt_s:
                raise IntercomUnavailableError(
                    f"{request.describe()}: out of time after {attempt - 1} attempt(s)"
                )
            verdict = self._classify(request, self._paced_attempt(request, attempt), expect)
            if isinstance(verdict, IntercomResponse):
                return verdict
            wait = self._sleep_time_seconds(attempt, verdict)
            self._ensure_retry_fits(request, attempt, verdict, wait)
            logger.warning(
                "retrying Intercom call",
                extra={
                    "method": request.method,
                    "route": request.route,
                    "attempt": attempt,
                    "problem": verdict.problem,
                    "wait_s": round(wait, 3),
                },
            )
            self._waiting.sleep(wait)

    def _paced_attempt(self, request: Request, attempt: int) -> Answer | Failure:
        """One attempt, once the workspace's rate-limit window has room for it."""
        if self._rate_limit is None:
            self.stats.count(retry=attempt > 1)
            return self._attempt(request, attempt)
        self._wait_for_room(request, self._rate_limit)
        self.stats.count(retry=attempt > 1)
        started = time.monotonic()
        headers: Mapping[str, str] | None = None
        try:
            outcome = self._attempt(request, attempt)
            headers = outcome.headers if isinstance(outcome, Answer) else None
            return outcome
        finally:
            elapsed = time.monotonic() - started
            self._rate_limit.release(headers, self._waiting.wall_clock(), elapsed)

    def _wait_for_room(self, request: Request, rate_limit: WorkspaceRateLimit) -> None:
        """Wait for the window's reset while its budget is spent; raise at once when that wait
        cannot end in time (the rule of every wait, ``_ensure_retry_fits``)."""
        while (wait := rate_limit.reserve(self._waiting.wall_clock())) > 0:
            # Waiting containers do not all wake at once; a short wait for this container's own
            # pace (rate_limit.py) is not stretched far beyond itself.
            wait += self._waiting.jitter(0.05, max(0.05, min(0.5, wait)))
            room = self._deadline.remaining() - self._policy.min_attempt_s
            if wait > min(room, self._policy.max_rate_limit_wait_s):
                raise IntercomUnavailableError(
                    f"{request.describe()}: the rate limit's window is spent and its reset, "
                    f"{wait:.1f} s away, does not fit the time left"
                )
            logger.info(
                "waiting for Intercom's rate-limit window",
                extra={"method": request.method, "route": request.route, "wait_s": round(wait, 3)},
            )
            self._waiting.sleep(wait)

    def _attempt(self, request: Request, attempt: int) -> Answer | Failure:
        """One exchange, cut by the watchdog at the deadline; never leaves a half-read
        connection in the pool."""
        remaining = self._deadline.remaining()
        timeout = urllib3.Timeout(
            connect=min(self._policy.connect_timeout_s, remaining),
            read=min(self._policy.read_timeout_s, remaining),
        )
        started = time.monotonic()
        response: urllib3.BaseHTTPResponse | None = None
        with (
            tracer.provider.in_subsegment(f"## intercom {request.method} {request.route}") as seg,
            _Watchdog(remaining) as watchdog,
        ):
            try:
                response = self._pool.request(
                    request.method,
                    request.url,
                    body=request.body,
                    headers=dict(request.headers),
                    timeout=timeout,
                    retries=False,
                    redirect=False,
                    preload_content=False,
                )
                seg.put_annotation("intercom_status", str(response.status))
                answer = _read_answer(response)
            except _EXCHANGE_ERRORS as exc:
                if response is not None:
                    _discard(response)
                elapsed = time.monotonic() - started
                return Failure(f"{type(exc).__name__} after {elapsed:.2f}s", watchdog.fired)
        if watchdog.fired:
            # A cut read can end as if the body were over: nothing read is trusted.
            _discard(response)
            return Failure(f"cut at the deadline after {time.monotonic() - started:.2f}s", True)
        if answer.complete:
            response.release_conn()
        else:
            _discard(response)  # the rest of the body is unread
        logger.debug(
            "intercom call",
            extra={
                "method": request.method,
                "route": request.route,
                "status": answer.status,
                "attempt": attempt,
                "ms": round((time.monotonic() - started) * 1000),
            },
        )
        if self._on_answer is not None:
            self._on_answer(answer.status, answer.headers)
        return answer

    def _classify(
        self, request: Request, outcome: Answer | Failure, expect: Callable[[Any], bool]
    ) -> IntercomResponse | Retry:
        """A final answer (returned or raised), or a retry; never anything undocumented."""
        if isinstance(outcome, Failure):
            if outcome.out_of_time:
                raise IntercomUnavailableError(
                    f"{request.describe()}: no complete answer within the time budget "
                    f"({outcome.problem})"
                )
            return Retry(outcome.problem)
        status = outcome.status
        if 200 <= status < 300:
            parsed = _parse_json(outcome.body) if outcome.complete else _INVALID
            if parsed is not _INVALID and expect(parsed):
                text = outcome.body.decode()  # _parse_json proved it is UTF-8
                return IntercomResponse(status, text, parsed, _request_id(parsed, outcome.headers))
            return Retry(f"unreadable {status} response ({len(outcome.body)} bytes)")
        text = outcome.body.decode("utf-8", errors="replace")
        if status == 429:
            return Retry("429 rate limited", outcome.headers)
        if status == 408 or status >= 500:
            return Retry(f"{status} {_first_error(text)[0]}")
        request_id = _request_id(_parse_json(outcome.body), outcome.headers)
        raise IntercomApiError(status, text, request_id)

    def _sleep_time_seconds(self, attempt: int, retry: Retry) -> float:
        if retry.rate_limit_headers is not None:
            return rate_limit_wait_s(retry.rate_limit_headers, attempt, self._policy, self._waiting)
        return backoff_s(attempt, self._policy, self._waiting.jitter)

    def _ensure_retry_fits(self, request: Request, attempt: int, retry: Retry, wait: float) -> None:
        """Raise unless the wait and one more attempt fit: a wait that cannot end in time, or
        that Intercom asks to be longer than the policy allows, is never begun."""
        problem = f"{request.describe()}: {retry.problem}"
        if attempt >= self._policy.max_attempts:
            raise IntercomUnavailableError(f"{problem}; gave up after {attempt} attempts")
        if wait > self._deadline.remaining() - self._policy.min_attempt_s:
            raise IntercomUnavailableError(
                f"{problem}; not enough time left to retry after {attempt} attempt(s)"
            )
        if retry.rate_limit_headers is not None and wait > self._policy.max_rate_limit_wait_s:
            raise IntercomUnavailableError(
                f"{problem}; Intercom asks for a wait longer than "
                f"{self._policy.max_rate_limit_wait_s:g} s"
            )


# -- sleep times ----------------------------------------------------------------------------


def backoff_s(attempt: int, policy: RetryPolicy, jitter: Jitter) -> float:
    """Equal jitter: between half the ceiling and the ceiling, which doubles up to the cap."""
    ceiling = min(policy.max_delay_s, policy.base_delay_s * 2.0 ** min(attempt - 1, 16))
    return ceiling / 2 + jitter(0, ceiling / 2)


def rate_limit_wait_s(
    headers: Mapping[str, str], attempt: int, policy: RetryPolicy, waiting: Waiting
) -> float:
    """The least wait before a resend after a 429 (uncapped: the caller decides if it fits).

    ``Retry-After`` (seconds or an HTTP date) wins, then ``X-RateLimit-Reset`` (Unix seconds)
    plus a little jitter so that many waiting invocations do not hit the new window at once,
    else at least a second of backoff. Values that are not what these headers may carry are
    ignored; an absurdly large one is an infinite wait.
    """
    now = waiting.wall_clock()
    retry_after = _retry_after_s(headers.get("retry-after"), now)
    if retry_after is not None:
        return retry_after
    reset = headers.get("x-ratelimit-reset", "").strip()
    if _EPOCH_SECONDS.fullmatch(reset):
        return max(0.0, float(reset) - now) + waiting.jitter(0.05, 0.5)
    return max(1.0, backoff_s(attempt, policy, waiting.jitter))


def _retry_after_s(value: str | None, now: float) -> float | None:
    if value is None:
        return None
    value = value.strip()
    if _DIGITS.fullmatch(value):
        return float(value)  # never raises on digits; inf when absurdly long
    try:
        when = parsedate_to_datetime(value)
        seconds = when.timestamp() - now
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # A date already past says nothing a clock difference could not explain.
    return seconds if math.isfinite(seconds) and seconds > 0 else None


# -- reading answers ------------------------------------------------------------------------


def _read_answer(response: urllib3.BaseHTTPResponse) -> Answer:
    """The status, headers and body, read up to the size bound."""
    declared = response.headers.get("content-length", "").strip()
    if _DIGITS.fullmatch(declared) and len(declared) < 20 and int(declared) > MAX_RESPONSE_BYTES:
        return Answer(response.status, response.headers, b"", complete=False)
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(_READ_CHUNK):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            chunks.append(chunk[: len(chunk) - (size - MAX_RESPONSE_BYTES)])
            return Answer(response.status, response.headers, b"".join(chunks), complete=False)
        chunks.append(chunk)
    return Answer(response.status, response.headers, b"".join(chunks), complete=True)


def _discard(response: urllib3.BaseHTTPResponse) -> None:
    """Close the connection (never reuse a half-read one) and give its pool slot back."""
    response.close()
    response.release_conn()


_INVALID: Final = object()


def _parse_json(body: bytes) -> Any:
    """The JSON value of a UTF-8 body, or ``_INVALID`` (including nesting past the parser's
    recursion limit)."""
    try:
        return json.loads(body.decode())
    except (ValueError, RecursionError):
        return _INVALID


def _first_error(text: str) -> tuple[str, str]:
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return "unknown", text[:200]
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return _scalar(errors[0].get("code")) or "unknown", _scalar(errors[0].get("message"))
    return "unknown", text[:200]


def _scalar(value: Any) -> str:
    """A code or message as text; nested values are not one (and may be too deep to print)."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _request_id(body: Any, headers: Mapping[str, str]) -> str | None:
    """Intercom's request id: from a parsed body's ``request_id``, else the header."""
    if isinstance(body, dict) and isinstance(body.get("request_id"), str):
        return str(body["request_id"])
    return headers.get("x-request-id")


# -- the watchdog ---------------------------------------------------------------------------

_CURRENT = threading.local()
# Guards each connection's duplicate socket: a shutdown never races a close (the fd number
# could otherwise be reused by another socket in between).
_HANDLE_LOCK = threading.Lock()


class _Watchdog:
    """Shuts down the sockets of the attempt running on this thread when its time is up."""

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._watched: list[_Interruptible] = []
        self._fired = False
        self._over = False
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True

    @property
    def fired(self) -> bool:
        with self._lock:
            return self._fired

    def watch(self, connection: _Interruptible) -> None:
        # Cutting under the lock: once the attempt is over, no cut can reach a connection
        # that went back to the pool and may serve another attempt.
        with self._lock:
            if self._over:
                return
            if connection not in self._watched:
                self._watched.append(connection)
            if self._fired:
                connection.cut()

    def _fire(self) -> None:
        with self._lock:
            if self._over:
                return
            self._fired = True
            for connection in self._watched:
                connection.cut()

    def __enter__(self) -> _Watchdog:
        _CURRENT.watchdog = self
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        with self._lock:
            self._over = True
        _CURRENT.watchdog = None


def _watch(connection: _Interruptible) -> None:
    watchdog: _Watchdog | None = getattr(_CURRENT, "watchdog", None)
    if watchdog is not None:
        watchdog.watch(connection)


class _Interruptible(HTTPConnection):
    """A connection the attempt's watchdog can cut in any phase.

    It keeps a duplicate of its socket: during a TLS handshake the socket urllib3 holds is
    already detached from its file descriptor, but a shutdown through the duplicate still ends
    every blocked read and write of the connection.
    """

    _cut_handle: socket.socket | None = None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        with _HANDLE_LOCK:
            self._drop_handle()
            self._cut_handle = sock.dup()
        _watch(self)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)  # a connection reused from the pool is not connected again
        super().request(*args, **kwargs)

    def close(self) -> None:
        try:
            super().close()
        finally:
            with _HANDLE_LOCK:
                self._drop_handle()

    def cut(self) -> None:
        with _HANDLE_LOCK:
            if self._cut_handle is not None:
                # OSError: not connected (any more), nothing left to cut.
                with contextlib.suppress(OSError):
                    self._cut_handle.shutdown(socket.SHUT_RDWR)

    def _drop_handle(self) -> None:
        if self._cut_handle is not None:
            self._cut_handle.close()
            self._cut_handle = None


class _InterruptibleHTTPS(_Interruptible, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _Interruptible


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _InterruptibleHTTPS


_WATCHED_POOL_CLASSES: Final[dict[str, type[HTTPConnectionPool]]] = {
    "http": _WatchedHTTPPool,
    "https": _WatchedHTTPSPool,
}
_POOL_LOCK = threading.Lock()
_POOL: urllib3.PoolManager | None = None


def watched(pool: urllib3.PoolManager) -> urllib3.PoolManager:
    """``pool``, making its connections ones the watchdog can cut (idle ones are dropped)."""
    with _POOL_LOCK:
        if pool.pool_classes_by_scheme is not _WATCHED_POOL_CLASSES:
            pool.clear()
            pool.pool_classes_by_scheme = _WATCHED_POOL_CLASSES
    return pool


def shared_pool() -> urllib3.PoolManager:
    """The container's connection pool (created on first use)."""
    global _POOL  # noqa: PLW0603 - one pool per container is the point
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = urllib3.PoolManager(num_pools=4, maxsize=10, block=False, retries=False)
    return watched(_POOL)
