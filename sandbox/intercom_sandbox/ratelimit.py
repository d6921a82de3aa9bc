"""Intercom's rate limit: an allowance per token per fixed 10-second window.

Intercom's documentation (REST API "Rate Limiting", every version from 1.x to 2.17) shows the
allowance per 10-second window in ``X-RateLimit-Limit``, what is left of it in
``X-RateLimit-Remaining`` and the window's end in ``X-RateLimit-Reset``, Unix seconds that step by
10 from one window to the next (1487332510, then 1487332520): windows are fixed slices of the
clock, the same for every client of the app, not opened by a client's first request.
"""

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
    """Counts each token's requests in the window of the clock they fall in: windows start at
    whole multiples of ``WINDOW_SECONDS`` of Unix time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}  # token -> (window start, count)

    def hit(self, token: str, limit: int, now: float) -> RateDecision:
        start = math.floor(now / WINDOW_SECONDS) * WINDOW_SECONDS
        with self._lock:
            window_start, count = self._windows.get(token, (start, 0))
            count = count + 1 if window_start == start else 1
            self._windows[token] = (start, count)
        return RateDecision(count <= limit, limit, max(0, limit - count), start + WINDOW_SECONDS)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
