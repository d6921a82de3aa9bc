"""The record of every API request the sandbox received and what it answered."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Exchange:
    """One API request and the sandbox's answer.

    ``path`` is the raw path (no query string), still percent-encoded as received. ``headers``
    and ``response_headers`` have lower-cased names. ``status`` is 0 when the connection was
    dropped. ``route`` is the OpenAPI path template the request matched (``None`` if none);
    ``fault`` is the fault action that applied, if any.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body_text: str | None
    body_json: Any
    status: int
    response_headers: dict[str, str]
    response_text: str
    route: str | None
    fault: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ExchangeLog:
    """Thread-safe and bounded (oldest dropped first).

    A request takes a ticket when it arrives (``begin``) and fills it in when its answer is
    decided (``complete``), so the log is in arrival order even when a slow request finishes
    after a later one. Requests still in progress are not listed.
    """

    def __init__(self, max_size: int | None = None) -> None:
        self._lock = threading.Lock()
        self._max_size = max_size
        self._next_ticket = 0
        self._items: OrderedDict[int, Exchange | None] = OrderedDict()

    def begin(self) -> int:
        with self._lock:
            ticket = self._next_ticket
            self._next_ticket += 1
            self._items[ticket] = None
            if self._max_size is not None:
                while len(self._items) > self._max_size:
                    self._items.popitem(last=False)
            return ticket

    def complete(self, ticket: int, exchange: Exchange) -> None:
        with self._lock:
            if ticket in self._items:
                self._items[ticket] = exchange

    def snapshot(self) -> list[Exchange]:
        with self._lock:
            return [e for e in self._items.values() if e is not None]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
