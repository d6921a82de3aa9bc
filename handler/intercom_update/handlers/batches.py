"""The records of one invocation (an SQS batch, a backfill batch) run side by side.

Intercom's rate limit, not the clock, is what bounds a batch: a record waiting for the next
rate-limit window is making progress, so every record may use the invocation's whole remaining
time (minus ``SAFETY_MARGIN_S`` for reporting), not a share of it. Up to ``RECORD_CONCURRENCY``
records run at once, so a container keeps several requests in flight instead of idling on the
network. A record that cannot start with at least ``MIN_START_S`` of that time left is not
started at all: it is reported failed, never half done.

Records that name the same user (the same lookup key) run one after another in the batch's
order, so that "plan=pro" then "plan=team" for one user ends as team; only records for different
users run side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
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
    run: Callable[[Item], Result],
    context: Any,
    key: Callable[[Item], Hashable | None],
) -> list[Result | Exception]:
    """Each item's result, or the exception it raised, in the items' order.

    ``run`` computes its own time budget when it starts (``time_budget(context)``), so that
    whatever ran before it (an idempotency write) is counted. Items with the same ``key`` run in
    order, one after another; a None key shares its lane with no other item.
    """
    lanes: dict[Hashable, list[int]] = {}
    for position, item in enumerate(items):
        item_key = key(item)
        lanes.setdefault(position if item_key is None else ("key", item_key), []).append(position)
    results: list[Result | Exception] = [NotStartedError("not run")] * len(items)
    if not items:
        return results

    def run_lane(positions: list[int]) -> None:
        for position in positions:
            try:
                results[position] = _start(run, items[position], context)
            except Exception as error:  # reported per record; BaseException is raised
                results[position] = error

    with ThreadPoolExecutor(
        max_workers=min(RECORD_CONCURRENCY, len(lanes)), thread_name_prefix="record"
    ) as pool:
        futures = [pool.submit(run_lane, positions) for positions in lanes.values()]
    for future in futures:
        future.result()  # only a BaseException (KeyboardInterrupt, SystemExit) is raised here
    return results


def _start(run: Callable[[Item], Result], item: Item, context: Any) -> Result:
    budget = time_budget(context)
    if budget is not None and budget < MIN_START_S:
        raise NotStartedError(
            f"not started: {budget:.1f} s of the invocation left, {MIN_START_S:g} s needed"
        )
    return run(item)
