"""The HTTP server: request pipeline (latency, faults, auth, rate limit, headers, routing) and
the ``IntercomSandbox`` object tests drive."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from intercom_sandbox import api, control
from intercom_sandbox.errors import (
    ApiError,
    default_code,
    default_message,
    error_body,
    parameter_invalid,
)
from intercom_sandbox.exchange import Exchange, ExchangeLog
from intercom_sandbox.faults import MALFORMED_BODY, Fault, FaultBook
from intercom_sandbox.ratelimit import WINDOW_SECONDS, RateDecision, RateLimiter
from intercom_sandbox.request import RouteCall
from intercom_sandbox.seeding import Seeding
from intercom_sandbox.workspace import Workspace

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
CONTROL_PREFIX = "/__sandbox"
MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_EXCHANGES = 20_000


def dump_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def load_json(data: bytes) -> Any:
    """Strict JSON: NaN and Infinity are refused."""
    return json.loads(data, parse_constant=_reject_constant)


def merge_headers(base: Mapping[str, str], override: Mapping[str, str]) -> dict[str, str]:
    """``base`` updated with ``override``, header names compared case-insensitively."""
    lowered = {name.lower() for name in override}
    merged = {name: value for name, value in base.items() if name.lower() not in lowered}
    merged.update(override)
    return merged


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


@dataclass
class _Outcome:
    response: Response
    route: str | None = None
    fault: str | None = None


def _accepts_json(accept: str | None) -> bool:
    if not accept:
        return False
    for part in accept.split(","):
        media = part.split(";", 1)[0].strip().lower()
        if media in ("application/json", "*/*", "application/*"):
            return True
    return False


def _is_json_content_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class IntercomSandbox(Seeding):
    """A local, in-memory Intercom REST API (2.x contacts, companies, data attributes).

    Serves in a daemon thread after ``start()`` (or inside ``with``). Every setting can be
    changed while it runs.
    """

    def __init__(
        self,
        tokens: Iterable[str] = ("tok_test",),
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0,
        rate_limit: int = 1000,
        default_version: str = "2.14",
        *,
        max_exchanges: int | None = DEFAULT_MAX_EXCHANGES,
    ) -> None:
        self.tokens: frozenset[str] = frozenset(tokens)
        if not self.tokens:
            raise ValueError("at least one token is needed")
        if default_version not in api.KNOWN_VERSIONS:
            raise ValueError(f"unknown Intercom version {default_version!r}")
        self.host = host
        self._requested_port = port
        self.default_version = default_version
        self._latency_ms: float = 0
        self._rate_limit = 0
        self.latency_ms = latency_ms
        self.rate_limit = rate_limit
        self.workspace = Workspace()
        self._faults = FaultBook()
        self._exchanges = ExchangeLog(max_exchanges)
        self._limiter = RateLimiter()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ settings

    @property
    def latency_ms(self) -> float:
        return self._latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError("latency_ms must be a number >= 0")
        self._latency_ms = value

    @property
    def rate_limit(self) -> int:
        return self._rate_limit

    @rate_limit.setter
    def rate_limit(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("rate_limit must be an integer >= 0")
        self._rate_limit = value

    @property
    def exact_email_search(self) -> bool:
        """Whether search compares ``email`` case-sensitively (default: no). Reset restores it."""
        return self.workspace.exact_email_search

    @exact_email_search.setter
    def exact_email_search(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise ValueError("exact_email_search must be true or false")
        self.workspace.exact_email_search = value

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> IntercomSandbox:
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")
        server = _Server((self.host, self._requested_port), _Handler, self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"intercom-sandbox-{server.server_address[1]}",
            daemon=True,
        )
        self._server = server
        self._thread = thread
        thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = None
        self._thread = None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> IntercomSandbox:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def reset(self) -> None:
        """Empty workspace (built-in attributes re-seeded), no faults, no exchanges, fresh
        rate-limit windows. Settings (tokens, latency, rate limit) are kept."""
        self.workspace.reset()
        self._faults.clear()
        self._exchanges.clear()
        self._limiter.reset()

    # ------------------------------------------------------------------ test API
    # (seeding and inspecting the workspace come from ``Seeding``)

    @property
    def exchanges(self) -> list[Exchange]:
        return self._exchanges.snapshot()

    def clear_exchanges(self) -> None:
        self._exchanges.clear()

    def add_fault(self, fault: Fault) -> None:
        self._faults.add(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    def pending_faults(self) -> list[Fault]:
        return self._faults.pending()

    # ------------------------------------------------------------------ pipeline

    def _error(
        self, request_id: str, status: int, code: str, message: str, headers: dict[str, str]
    ) -> Response:
        return Response(status, dump_json(error_body(request_id, code, message)), headers)

    def _fault_response(self, fault: Fault, request_id: str) -> Response:
        if fault.action == "drop":
            return Response(0, b"", drop=True)
        if fault.action == "malformed":
            return Response(200, MALFORMED_BODY, {})
        if fault.action == "empty":
            return Response(200, b"", {})
        headers: dict[str, str] = {}
        if fault.status == 429:
            headers.update(
                {
                    "X-RateLimit-Limit": str(self.rate_limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(int(time.time()) + 2),
                }
            )
        headers = merge_headers(headers, fault.headers)
        if fault.body is None:
            if fault.status == 429:
                message = f"Exceeded rate limit of {self.rate_limit} in {WINDOW_SECONDS}_seconds"
            else:
                message = default_message(fault.status)
            body = dump_json(error_body(request_id, default_code(fault.status), message))
        else:
            body = dump_json(fault.body)
        return Response(fault.status, body, headers)

    def _api(
        self,
        method: str,
        raw_path: str,
        query: dict[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
        request_id: str,
    ) -> _Outcome:
        segments = api.split_path(raw_path)
        resolved = api.resolve(method, segments)
        template = resolved[0].template if resolved else None

        if self._latency_ms:
            time.sleep(self._latency_ms / 1000)

        fault = self._faults.take(method, unquote(raw_path))
        if fault is not None:
            if fault.delay_s:
                time.sleep(fault.delay_s)
            if fault.action != "delay":
                return _Outcome(self._fault_response(fault, request_id), template, fault.action)

        response = self._serve(method, resolved, query, headers, body, request_id)
        return _Outcome(response, template, None if fault is None else fault.action)

    def _serve(
        self,
        method: str,
        resolved: tuple[api.Route, tuple[str, ...]] | None,
        query: dict[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
        request_id: str,
    ) -> Response:
        # Authentication: no rate-limit headers on a refused token.
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or token not in self.tokens:
            return self._error(request_id, 401, "unauthorized", "Access Token Invalid", {})

        decision: RateDecision = self._limiter.hit(token, self._rate_limit, time.time())
        limit_headers = decision.headers()
        if not decision.allowed:
            return self._error(
                request_id,
                429,
                "rate_limit_exceeded",
                f"Exceeded rate limit of {decision.limit} in {WINDOW_SECONDS}_seconds",
                limit_headers,
            )
        try:
            if not _accepts_json(headers.get("accept")):
                raise ApiError(
                    406,
                    "media_type_not_acceptable",
                    "The Accept header must allow application/json",
                )
            version = headers.get("intercom-version")
            if version is not None and version.strip() not in api.KNOWN_VERSIONS:
                raise ApiError(
                    400,
                    "intercom_version_invalid",
                    f"The requested version '{version}' is not valid",
                )
            if resolved is None:
                raise ApiError(404, "not_found", "Resource Not Found")
            route, params = resolved
            payload: Mapping[str, Any] = {}
            if method in ("POST", "PUT"):
                payload = self._json_body(headers, body)
            result = route.handler(self.workspace, RouteCall(params, query, payload))
            return Response(200, dump_json(result), limit_headers)
        except ApiError as error:
            return self._error(
                request_id,
                error.status,
                error.code,
                error.message,
                {**limit_headers, **error.headers},
            )
        except Exception:  # a sandbox bug: answer like Intercom would, and say so on stderr
            traceback.print_exc(file=sys.stderr)
            return self._error(
                request_id, 500, "server_error", "Internal Server Error", limit_headers
            )

    @staticmethod
    def _json_body(headers: Mapping[str, str], body: bytes) -> Mapping[str, Any]:
        if body and not _is_json_content_type(headers.get("content-type")):
            raise ApiError(
                415, "unsupported_media_type", "The Content-Type header must be application/json"
            )
        try:
            payload = load_json(body)
        except ValueError:
            raise parameter_invalid("Invalid JSON") from None
        if not isinstance(payload, dict):
            raise parameter_invalid("Invalid JSON")
        return payload

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Response:
        """Answer one request (used by the HTTP handler; also callable directly)."""
        split = urlsplit(target)
        raw_path = split.path or "/"
        query = parse_qs(split.query, keep_blank_values=True)
        if raw_path == CONTROL_PREFIX or raw_path.startswith(CONTROL_PREFIX + "/"):
            status, value = control.handle(self, method, raw_path, query, body)
            return Response(status, dump_json(value), {"Content-Type": JSON_CONTENT_TYPE})

        ticket = self._exchanges.begin()
        request_id = str(uuid.uuid4())
        outcome = self._api(method, raw_path, query, headers, body, request_id)
        response = outcome.response
        if not response.drop:
            response.headers = merge_headers(
                {"Content-Type": JSON_CONTENT_TYPE, "X-Request-Id": request_id}, response.headers
            )
        body_json: Any = None
        if body:
            try:
                body_json = load_json(body)
            except ValueError:
                body_json = None
        self._exchanges.complete(
            ticket,
            Exchange(
                method=method,
                path=raw_path,
                query=query,
                headers=dict(headers),
                body_text=body.decode("utf-8", errors="replace") if body else None,
                body_json=body_json,
                status=response.status,
                response_headers={
                    **{k.lower(): v for k, v in response.headers.items()},
                    **({} if response.drop else {"content-length": str(len(response.body))}),
                },
                response_text=response.body.decode("utf-8", errors="replace"),
                route=outcome.route,
                fault=outcome.fault,
            ),
        )
        return response


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        sandbox: IntercomSandbox,
    ) -> None:
        self.sandbox = sandbox
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about clients that vanish; loud about anything else (a sandbox bug)."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return
        traceback.print_exc(file=sys.stderr)

    def close_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive connections so they end."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "IntercomSandbox/1.0"
    sys_version = ""
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no request logging."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes | None:
        """The request body, or ``None`` after answering a malformed framing with 400."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                line = self.rfile.readline(65_537)
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    return None
                if size == 0:
                    while self.rfile.readline(65_537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        sandbox = cast(_Server, self.server).sandbox
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._write(
                Response(
                    400,
                    dump_json(error_body(None, "bad_request", "Malformed request body framing")),
                    {"Content-Type": JSON_CONTENT_TYPE},
                )
            )
            return
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        response = sandbox.handle(self.command, self.path, headers, body)
        if response.drop:
            self.close_connection = True
            return
        self._write(response)

    def _write(self, response: Response) -> None:
        reason = self.responses.get(response.status, ("",))[0]
        lines = [
            f"HTTP/1.1 {response.status} {reason}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
        ]
        lines.extend(f"{name}: {value}" for name, value in response.headers.items())
        lines.append(f"Content-Length: {len(response.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")
        try:
            self.wfile.write(head + response.body)
        except OSError:
            self.close_connection = True
