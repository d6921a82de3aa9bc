"""A small per-container thread pool: independent Intercom calls overlap their round trips."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

T = TypeVar("T")
_LOCK = threading.Lock()
_EXECUTOR: ThreadPoolExecutor | None = None
# Enough for 3 companies plus a few attribute creations; Intercom's limits are per minute anyway.
MAX_WORKERS = 8


def submit(fn: Callable[..., T], *args: Any) -> Future[T]:
    global _EXECUTOR  # noqa: PLW0603 - one pool per container, created on first use
    with _LOCK:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="intercom")
        executor = _EXECUTOR
    return executor.submit(fn, *args)


def settle(futures: list[Future[Any]]) -> None:
    """Wait until every call has ended, so that none is left in flight when the run returns."""
    wait(futures)


def results(futures: list[Future[T]]) -> list[T]:
    """Every result once all have ended; raises the first failure (in submission order)."""
    wait(futures)
    return [future.result() for future in futures]
