"""The records of one invocation (an SQS batch, a backfill batch) run side by side.

Intercom's rate limit, not the clock, is what bounds a batch: a record waiting for the next
rate-limit window is making progress, so every record may use the invocation's whole remaining
time (minus ``SAFETY_MARGIN_S`` for reporting), not a share of it. Up to ``RECORD_CONCURRENCY``
records run at once, so a container keeps several requests in flight instead of idling on the
network. A record that cannot start with at least ``MIN_START_S`` of that time left is not
started at all: it is reported failed, never half done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar

from intercom_update.handlers.lambda_context import time_budget
from intercom_update.models.errors import NotStartedError

# Records in flight per container. Each may run a few Intercom calls at once (the per-container
# pool of logic/concurrency.py), so a container has up to about 2-3x this many requests open;
# the rate-limit pacing keeps the whole app inside its window whatever the concurrency.
RECORD_CONCURRENCY: Final = 5
# Enough for a lookup and a PUT at a normal latency; with less, a record is not begun.
MIN_START_S: Final = 2.0

Item = TypeVar("Item")
Result = TypeVar("Result")


def run_side_by_side(
    items: Sequence[Item],
    run: Callable[[Item, float | None], Result],
    context: Any,
) -> list[Result | Exception]:
    """Each item's result, or the exception it raised, in the items' order.

    ``run`` gets the item and its time budget (None outside Lambda: the settings' default).
    """
    if not items:
        return []
    with ThreadPoolExecutor(
        max_workers=min(RECORD_CONCURRENCY, len(items)), thread_name_prefix="record"
    ) as pool:
        futures = [pool.submit(_start, run, item, context) for item in items]
    results: list[Result | Exception] = []
    for future in futures:
        error = future.exception()
        # Anything but an Exception (KeyboardInterrupt, SystemExit) is raised again here.
        results.append(error if isinstance(error, Exception) else future.result())
    return results


def _start(run: Callable[[Item, float | None], Result], item: Item, context: Any) -> Result:
    budget = time_budget(context)
    if budget is not None and budget < MIN_START_S:
        raise NotStartedError(
            f"not started: {budget:.1f} s of the invocation left, {MIN_START_S:g} s needed"
        )
    return run(item, budget)
