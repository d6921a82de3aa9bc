"""A stand-in for an AWS endpoint (``AWS_ENDPOINT_URL``): canned answers, counted requests."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class CannedAnswer:
    """What the stand-in answers to every request (AWS JSON 1.1 protocol)."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


class StubAwsEndpoint:
    """A local HTTP server for ``AWS_ENDPOINT_URL``: answers every request alike and counts them.

    Used to throttle or slow Secrets Manager down, and to prove that no call reaches it at all.
    """

    def __init__(self, answer: CannedAnswer) -> None:
        self.answer = answer
        self._lock = threading.Lock()
        self._targets: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.record(self.headers.get("X-Amz-Target", ""))
                answer = stub.answer
                if answer.delay_s:
                    time.sleep(answer.delay_s)
                body = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                headers = {"Content-Type": "application/x-amz-json-1.1", **answer.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def targets(self) -> list[str]:
        """The ``X-Amz-Target`` of each request (e.g. ``secretsmanager.GetSecretValue``)."""
        with self._lock:
            return list(self._targets)

    def record(self, target: str) -> None:
        with self._lock:
            self._targets.append(target)

    def __enter__(self) -> StubAwsEndpoint:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
