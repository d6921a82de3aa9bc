"""Backfill from S3 (Step Functions Distributed Map): one invocation per batch of rows.

The state machine (``statemachine/backfill.asl.json``) reads a CSV or JSON Lines object, turns
each row into ``{"index": <0-based position>, "row": {<input keys>}}`` and hands batches as
``{"BatchInput": {"connected_account": ...}, "Items": [...]}``. Each row runs through the same
use case as every trigger; the function returns every row's outcome, which the Map Run's
ResultWriter stores in S3. Rows that are unavailable (Intercom or Secrets Manager) make the
invocation raise ``BackfillItemsUnavailableError`` once every row has run, so the task's Retry
runs the batch again and, if it keeps failing, the batch lands in the FAILED results. The
error's message names only the rows and their error codes: the rows themselves (emails, phone
numbers) stay in the Map Run's results, out of CloudWatch Logs and the execution history.

Rows naming the same user (connected account, ``update_by``, ``value``) run one after another in
file order; rows for different users run side by side.

An event without ``Items`` (a list: the Map's ItemBatcher always sends one) is no batch: it raises
``UpdateUnsuccessfulError`` with a ``validation_error`` naming ``Items``, and nothing is called.
"""

from __future__ import annotations

from typing import Any, Final

from aws_lambda_powertools.utilities.typing import LambdaContext

from intercom_update.handlers.batches import run_side_by_side
from intercom_update.handlers.lambda_context import account_id, time_budget
from intercom_update.logic.backfill import ItemOutcome, row_key, run_item
from intercom_update.models.errors import InputValidationError, NotStartedError
from intercom_update.models.failures import BackfillItemsUnavailableError, UpdateUnsuccessfulError
from intercom_update.models.input import lookup_key
from intercom_update.models.output import UpdateUserOutput
from intercom_update.observability import logger, metrics, trace_handler

# Step Functions keeps at most 32,768 characters of an error's cause.
MAX_CAUSE_CHARS: Final = 30_000
NOT_A_BATCH: Final = (
    "the event is not a backfill batch: expected Items, a list of rows (the Distributed Map's "
    'ItemBatcher sends {"BatchInput": {...}, "Items": [...]}; invoke UpdateUserFunction '
    "directly to test one input)"
)


def run_batch(event: Any, context: Any) -> list[ItemOutcome]:
    """Every row's outcome; rows run side by side (``handlers/batches.py``), and a row that
    could not start in time is ``unavailable`` (``not_started``) without being attempted."""
    batch_input = event.get("BatchInput") if isinstance(event, dict) else None
    items = event.get("Items") if isinstance(event, dict) else None
    if not isinstance(items, list):
        error = InputValidationError(NOT_A_BATCH, field="Items")
        raise UpdateUnsuccessfulError(UpdateUserOutput.unsuccessful(error))
    account = batch_input.get("connected_account") if isinstance(batch_input, dict) else None
    account = account if isinstance(account, str) else None
    # Items from the state machine carry their position in the file; plain rows are allowed.
    rows = [_framed(position, item) for position, item in enumerate(items)]

    def run(row: tuple[int, Any]) -> ItemOutcome:
        return run_item(
            row[0],
            row[1],
            connected_account=account,
            time_budget_s=time_budget(context),
            aws_account_id=account_id(context),
        )

    outcomes = run_side_by_side(rows, run, context, key=lambda row: lookup_key(row[1], account))
    return [
        ItemOutcome(row, row_key(fields), "unavailable", None, outcome.code, str(outcome))
        if isinstance(outcome, NotStartedError)
        else _raised(outcome)
        for (row, fields), outcome in zip(rows, outcomes, strict=True)
    ]


def _framed(position: int, item: Any) -> tuple[int, Any]:
    """The row's 1-based number and its fields."""
    if isinstance(item, dict) and "row" in item and isinstance(item.get("index"), int):
        return item["index"] + 1, item["row"]
    return position + 1, item


def _raised(outcome: ItemOutcome | Exception) -> ItemOutcome:
    # run_item never raises for a row's problems: anything else is a bug, raised as it was.
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@logger.inject_lambda_context(clear_state=True)
@trace_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes = run_batch(event, context)
    results = [outcome.to_dict() for outcome in outcomes]
    unavailable = [outcome for outcome in outcomes if outcome.outcome == "unavailable"]
    if unavailable:
        # Row numbers and error codes only: a row's key and message may quote personal data.
        rows = ", ".join(f"row {outcome.row} ({outcome.error_code})" for outcome in unavailable)
        summary = f"{len(unavailable)} of {len(outcomes)} rows unavailable: {rows}"
        raise BackfillItemsUnavailableError(summary[:MAX_CAUSE_CHARS])
    return {
        "succeeded": sum(outcome.succeeded for outcome in outcomes),
        "unsuccessful": sum(not outcome.succeeded for outcome in outcomes),
        "items": results,
    }
