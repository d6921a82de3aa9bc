"""A loopback HTTP server that answers with exact bytes, some of them sent one at a time.

It plays what no well-behaved server does (a proxy that stalls, a peer that sends response
headers or a chunk-size line one byte every 0.4 s, odd header values) so that tests can prove
the client's deadline holds in every phase. Ephemeral port; every loop is bounded: a reply is a
finite list of bytes, a failed write ends the connection, and idle connections time out.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

_IDLE_TIMEOUT_S = 10.0
_MAX_REQUEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Part:
    """Bytes to send; with ``byte_interval_s`` they go one byte at a time, that far apart."""

    data: bytes
    byte_interval_s: float = 0.0


@dataclass(frozen=True)
class Reply:
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    connection: int  # which accepted connection carried it (1, 2, ...)


def head(status: int, headers: Sequence[tuple[str, str]] = ()) -> bytes:
    lines = [f"HTTP/1.1 {status} Whatever", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(status: int, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> Reply:
    """A complete answer, sent at once."""
    framing = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return Reply((Part(head(status, [*framing, *headers]) + body),))


def trickled_head(status: int, body: bytes, interval_s: float) -> Reply:
    """The status line and headers one byte at a time (each byte well inside a read timeout)."""
    framing = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return Reply((Part(head(status, framing), interval_s), Part(body)))


def trickled_chunk_size(body: bytes, interval_s: float, padding: int = 200) -> Reply:
    """A chunked 200 whose first chunk-size line (zero-padded hex) arrives one byte at a time."""
    size_line = f"{len(body):0{padding}x}\r\n".encode()
    return Reply(
        (
            Part(
                head(200, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")])
            ),
            Part(size_line, interval_s),
            Part(body + b"\r\n0\r\n\r\n"),
        )
    )


def trickled_body(body: bytes, interval_s: float) -> Reply:
    framing = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return Reply((Part(head(200, framing)), Part(body, interval_s)))


@dataclass
class TrickleServer:
    """Answers the n-th request with ``replies[n]`` (the last one repeats)."""

    replies: Sequence[Reply]
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _listener: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _open: set[socket.socket] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        assert self._listener is not None
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> TrickleServer:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.2)
        self._listener = listener
        self._start(self._accept_loop)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        with self._lock:
            for conn in self._open:  # wake the threads waiting on idle keep-alive connections
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=_IDLE_TIMEOUT_S + 1)
        if self._listener is not None:
            self._listener.close()

    def _start(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                number = self.connections
                self._open.add(conn)
            self._start(self._serve, conn, number)

    def _serve(self, conn: socket.socket, number: int) -> None:
        conn.settimeout(_IDLE_TIMEOUT_S)
        with conn, contextlib.suppress(OSError):
            for request_head in _requests(conn):
                method, path = request_head.split(b" ", 2)[:2]
                with self._lock:
                    self.received.append(Received(method.decode(), path.decode(), number))
                    reply = self.replies[min(len(self.received), len(self.replies)) - 1]
                if not self._send(conn, reply):
                    break
        with self._lock:
            self._open.discard(conn)

    def _send(self, conn: socket.socket, reply: Reply) -> bool:
        for part in reply.parts:
            if not part.byte_interval_s:
                conn.sendall(part.data)
                continue
            for byte in _bytes(part.data):
                if self._stopping.is_set():
                    return False
                conn.sendall(byte)
                time.sleep(part.byte_interval_s)
        return True


def _bytes(data: bytes) -> Iterator[bytes]:
    for index in range(len(data)):
        yield data[index : index + 1]


def _requests(conn: socket.socket) -> Iterator[bytes]:
    """Each request's head (its body skipped), until the client closes or goes idle."""
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            data = conn.recv(65536)
            if not data or len(buffer) > _MAX_REQUEST_BYTES:
                return
            buffer += data
        request_head, buffer = buffer.split(b"\r\n\r\n", 1)
        length = 0
        for line in request_head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(buffer) < length:
            data = conn.recv(65536)
            if not data:
                return
            buffer += data
        buffer = buffer[length:]
        yield request_head
