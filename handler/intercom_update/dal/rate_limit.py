"""Pacing from Intercom's rate-limit headers: wait for the next window instead of a 429.

Intercom counts an app's requests in fixed 10-second windows and reports on every authenticated
answer the window's allowance (``X-RateLimit-Limit``), what is left of it
(``X-RateLimit-Remaining``) and when it ends (``X-RateLimit-Reset``, Unix seconds). Every
container of every function sending with the same token sees the same figures, so each one
paces itself from them and no coordination service is needed.

A figure is already old when it arrives: requests sent by anyone since it was counted land
before ours. So a request is only sent while the figure's remaining budget exceeds a reserve for
those: at least this container's own requests in flight, and at least what the other containers
have in flight (Little's law: their consumption rate, measured from the falling ``Remaining``
less this container's own answers, over at least one latency, times the time from a figure's
count to our request's: the latency plus the figure's whole age), times 1.25; plus one spare.
Below that, the request waits for the window's reset. A 429 still gets its retry in the
transport: pacing makes 429s rare, not impossible.

Where the limit binds, a container also spreads its own requests over the window instead of
sending them as soon as the window opens (every container that waited for the reset would
otherwise wake at once, with no figures yet for the new window, and send together into it). Its
share of the app's traffic is what it can see: its own answers in a window against the window's
consumption by everyone (``Limit - Remaining``), from the previous window before the new one's
first answer, else from the current window. It may then send ``share x Limit`` requests per
window at an even rate (token-bucket style, one request allowed at the window's start), the
share taken ``_SHARE_HEADROOM`` times larger so that a container whose peers have slowed down
takes up their room: the reserve above, not the share, stops a window that is spent. The
schedule applies only while the limit binds: the previous window's consumption reached
``_BINDING_SHARE`` of the limit, or the current one is ahead of an even pace.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

# Intercom's window; a reset further ahead than two of them (clock skew included) is not the end
# of a window, and figures that say so are ignored rather than obeyed.
WINDOW_SECONDS: Final = 10
_MAX_RESET_AHEAD_S: Final = 2 * WINDOW_SECONDS
_IN_TRANSIT_FACTOR: Final = 1.25
_SPARE_REQUESTS: Final = 1
_SHARE_HEADROOM: Final = 1.5
_BINDING_SHARE: Final = 0.5
# How much a new latency sample moves the running estimate.
_LATENCY_WEIGHT: Final = 0.2
# ASCII digits only, as the transport reads headers; nine digits are far above any allowance.
_COUNT: Final = re.compile(r"[0-9]{1,9}")
_EPOCH_SECONDS: Final = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,6})?")
# Workspaces one container keeps figures for; more are forgotten oldest first.
MAX_WORKSPACES: Final = 256


@dataclass(frozen=True)
class RateFigures:
    limit: int
    remaining: int
    reset: float  # Unix seconds


@dataclass
class _WindowCount:
    """What this container saw of one window: its own answers, and the lowest Remaining."""

    reset: float
    limit: int
    least_remaining: int
    own: int = 1

    @property
    def consumed(self) -> int:
        return self.limit - self.least_remaining

    def share(self) -> float:
        """This container's part of the window's consumption, with headroom (at most 1)."""
        return min(1.0, _SHARE_HEADROOM * self.own / max(1, self.consumed))


def parse_figures(headers: Mapping[str, str], now: float) -> RateFigures | None:
    """The three figures, or None when any is missing or not what Intercom sends."""
    limit = headers.get("x-ratelimit-limit", "").strip()
    remaining = headers.get("x-ratelimit-remaining", "").strip()
    reset = headers.get("x-ratelimit-reset", "").strip()
    if not (_COUNT.fullmatch(limit) and _COUNT.fullmatch(remaining)):
        return None
    if not _EPOCH_SECONDS.fullmatch(reset):
        return None
    figures = RateFigures(int(limit), int(remaining), float(reset))
    if figures.limit < 1 or figures.remaining > figures.limit:
        return None
    if figures.reset > now + _MAX_RESET_AHEAD_S:
        return None
    return figures


class WorkspaceRateLimit:
    """One workspace's latest figures and this container's requests in flight. Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._figures: RateFigures | None = None
        self._window_first: tuple[float, int] = (0.0, 0)  # (when seen, remaining)
        self._seen_at = 0.0
        self._in_flight = 0
        self._latency_s = 0.0
        self._window: _WindowCount | None = None
        self._previous_share: float | None = None  # the window before ``_window``, if binding
        self._sent: tuple[float, int] = (0.0, 0)  # (window's reset, requests sent in it)

    def reserve(self, now: float) -> float:
        """0 when a request may go now (it then counts as in flight until ``release``), else
        the seconds to wait: until the window resets, or until this container's even pace
        allows its next request."""
        with self._lock:
            figures = self._figures
            if figures is not None and now < figures.reset:
                if figures.remaining <= self._reserve(figures):
                    return min(figures.reset - now, float(WINDOW_SECONDS))
                wait = self._paced_wait(now, figures.reset, self._current_share(figures, now))
            elif figures is not None and now < figures.reset + WINDOW_SECONDS:
                # The new window's figures are not in yet: pace by the one that has ended.
                wait = self._paced_wait(now, figures.reset + WINDOW_SECONDS, self._ended_share())
            else:
                wait = 0.0  # no figures of this window or the previous one: nothing to pace by
            if wait > 0:
                return wait
            self._in_flight += 1
            return 0.0

    def _current_share(self, figures: RateFigures, now: float) -> float | None:
        window = self._window
        if self._previous_share is not None:
            return self._previous_share
        elapsed = WINDOW_SECONDS - (figures.reset - now)
        # Ahead of an even pace, the limit is going to bind within this window.
        if window is not None and window.consumed > figures.limit * elapsed / WINDOW_SECONDS:
            return window.share()
        return None

    def _ended_share(self) -> float | None:
        window = self._window
        if window is None or window.consumed < _BINDING_SHARE * window.limit:
            return None
        return window.share()

    def _paced_wait(self, now: float, reset: float, share: float | None) -> float:
        """0 when this container's even pace in the window ending at ``reset`` allows one more
        request (counted as sent), else the seconds until it does."""
        sent_reset, sent = self._sent
        if sent_reset != reset:
            sent = 0
        if share is not None and self._figures is not None:
            per_second = share * self._figures.limit / WINDOW_SECONDS
            elapsed = now - (reset - WINDOW_SECONDS)
            if sent >= math.floor(per_second * elapsed) + 1:
                return max(0.01, sent / per_second - elapsed)
        self._sent = (reset, sent + 1)
        return 0.0

    def release(self, headers: Mapping[str, str] | None, now: float, latency_s: float) -> None:
        """The request is over; ``headers`` are its answer's, if it had one."""
        figures = parse_figures(headers, now) if headers is not None else None
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            if self._latency_s == 0:
                self._latency_s = latency_s
            self._latency_s += _LATENCY_WEIGHT * (latency_s - self._latency_s)
            if figures is not None:
                self._observe(figures)

    def _observe(self, figures: RateFigures) -> None:
        # Answers arrive out of order: within a window the count only grows, so the lowest
        # remaining is the latest; an answer from an earlier window says nothing new.
        current = self._figures
        seen = self._clock()
        self._count(figures)
        if current is None or figures.reset > current.reset:
            self._figures = figures
            self._window_first = (seen, figures.remaining)
        elif figures.reset == current.reset and figures.remaining < current.remaining:
            self._figures = figures
        else:
            return
        self._seen_at = seen

    def _count(self, figures: RateFigures) -> None:
        window = self._window
        if window is not None and figures.reset == window.reset:
            window.own += 1
            window.least_remaining = min(window.least_remaining, figures.remaining)
        elif window is None or figures.reset > window.reset:
            follows = window is not None and figures.reset == window.reset + WINDOW_SECONDS
            binding = window is not None and window.consumed >= _BINDING_SHARE * window.limit
            self._previous_share = window.share() if window and follows and binding else None
            self._window = _WindowCount(figures.reset, figures.limit, figures.remaining)

    def _reserve(self, figures: RateFigures) -> int:
        """Requests that may land before ours: see the module's docstring."""
        first_seen, first_remaining = self._window_first
        latency = self._latency_s
        # Over less than a latency, a burst of answers would look like an endless rate.
        measured_s = max(self._seen_at - first_seen, latency)
        # Only the others' requests are in transit unseen: this container's own answers are in,
        # and its requests still out are counted as in flight. Counting its own burst of
        # concurrent reads as the app's rate would spend a whole window after any pause.
        window = self._window
        own_since_first = window.own - 1 if window and window.reset == figures.reset else 0
        others = max(0, first_remaining - figures.remaining - own_since_first)
        rate = others / measured_s if measured_s > 0 else 0.0
        # Not capped: a container that sends little holds figures seconds old, and everyone
        # else's requests since then are landing before ours.
        age = self._clock() - self._seen_at
        in_transit = rate * (latency + age) * _IN_TRANSIT_FACTOR
        return max(self._in_flight, math.ceil(in_transit)) + _SPARE_REQUESTS


class RateLimits:
    """The figures of every workspace this container sends to, by the account's cache key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_workspace: dict[str, WorkspaceRateLimit] = {}

    def for_workspace(self, key: str) -> WorkspaceRateLimit:
        with self._lock:
            state = self._by_workspace.get(key)
            if state is None:
                if len(self._by_workspace) >= MAX_WORKSPACES:
                    del self._by_workspace[next(iter(self._by_workspace))]
                state = self._by_workspace[key] = WorkspaceRateLimit()
            return state
