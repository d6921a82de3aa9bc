"""Intercom's rate limit: an allowance per token per fixed 10-second window."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

WINDOW_SECONDS = 10


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # Unix seconds (integer) when the window ends

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateLimiter:
    """A window opens with a token's first request and lasts ``WINDOW_SECONDS``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, list[float]] = {}  # token -> [window start, count]

    def hit(self, token: str, limit: int, now: float) -> RateDecision:
        with self._lock:
            window = self._windows.get(token)
            if window is None or now >= window[0] + WINDOW_SECONDS:
                window = [now, 0]
                self._windows[token] = window
            window[1] += 1
            count = int(window[1])
            reset = math.ceil(window[0] + WINDOW_SECONDS)
        return RateDecision(count <= limit, limit, max(0, limit - count), reset)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
