"""Fault injection: make matching API requests fail the way a gateway or a sick backend would."""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, get_args

FaultAction = Literal["respond", "drop", "malformed", "empty", "delay"]
FAULT_ACTIONS: tuple[str, ...] = get_args(FaultAction)

# The body of a "malformed" answer: a truncated JSON document.
MALFORMED_BODY = b'{"type": "contact", '


@dataclass
class Fault:
    """One fault rule. Rules are tried in the order they were added; the first live match applies.

    - ``method``: HTTP method or ``"*"``.
    - ``path``: fnmatch pattern matched against the percent-decoded request path
      (e.g. ``"/contacts/*/companies"``).
    - ``action``: ``respond`` (answer ``status`` with ``body``/``headers``), ``drop`` (close the
      connection without answering), ``malformed`` (200 with invalid JSON), ``empty`` (200 with an
      empty body), ``delay`` (sleep ``delay_s``, then handle the request normally).
    - ``body``: JSON to send with ``respond``; ``None`` means a proper Intercom ``error.list``.
    - ``delay_s``: sleep before acting (for every action).
    - ``times``: how many matching requests the rule affects; ``-1`` means forever.
    - ``skip``: let the first ``skip`` matching requests through before the rule starts acting.
    """

    method: str = "*"
    path: str = "*"
    action: FaultAction = "respond"
    status: int = 503
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0
    times: int = 1
    skip: int = 0

    def __post_init__(self) -> None:
        if self.action not in FAULT_ACTIONS:
            raise ValueError(
                f"unknown fault action {self.action!r}; expected one of {FAULT_ACTIONS}"
            )
        if not isinstance(self.method, str) or not isinstance(self.path, str):
            raise TypeError("fault method and path must be strings")
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise TypeError("fault status must be an integer")
        if not 100 <= self.status <= 599:
            raise ValueError("fault status must be between 100 and 599")
        if not isinstance(self.headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items()
        ):
            raise TypeError("fault headers must map strings to strings")
        if isinstance(self.delay_s, bool) or not isinstance(self.delay_s, int | float):
            raise TypeError("fault delay_s must be a number")
        if self.delay_s < 0:
            raise ValueError("fault delay_s must be >= 0")
        for name in ("times", "skip"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"fault {name} must be an integer")
        if self.times < -1:
            raise ValueError("fault times must be -1 (forever) or >= 0")
        if self.skip < 0:
            raise ValueError("fault skip must be >= 0")
        self.method = self.method.upper()

    def matches(self, method: str, decoded_path: str) -> bool:
        if self.method not in ("*", method.upper()):
            return False
        return fnmatch.fnmatchcase(decoded_path, self.path)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """Build a fault from JSON (the control API); unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TypeError(f"unknown fault field(s): {', '.join(unknown)}")
        return cls(**data)


class _Rule:
    __slots__ = ("applied", "fault", "seen")

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.seen = 0
        self.applied = 0

    def exhausted(self) -> bool:
        return self.fault.times != -1 and self.applied >= self.fault.times


class FaultBook:
    """The thread-safe, ordered list of fault rules and their counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._rules.append(_Rule(fault))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def pending(self) -> list[Fault]:
        """Rules that can still act."""
        with self._lock:
            return [r.fault for r in self._rules if not r.exhausted()]

    def take(self, method: str, decoded_path: str) -> Fault | None:
        """The fault that applies to this request, if any; consumes one use of it."""
        if not self._rules:  # fast path, no lock needed for an empty list
            return None
        with self._lock:
            for rule in self._rules:
                if rule.exhausted() or not rule.fault.matches(method, decoded_path):
                    continue
                rule.seen += 1
                if rule.seen <= rule.fault.skip:
                    continue
                rule.applied += 1
                return rule.fault
            # Drop exhausted rules so a long run does not scan dead rules forever.
            self._rules = [r for r in self._rules if not r.exhausted()]
        return None
