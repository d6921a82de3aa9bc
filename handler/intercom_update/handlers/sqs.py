"""SQS entry point for bulk updates: each record's body is one input object.

The batch's records run side by side (``handlers/batches.py``: a few at a time, each within the
invocation's whole remaining time, since a wait for the next rate-limit window is progress). An
unsuccessful or unavailable record, and one that could not start in time (never attempted), is
reported in the partial batch response (Powertools' ``batchItemFailures`` shape), so SQS
redelivers only that record and, after the queue's maxReceiveCount, moves it to the dead-letter
queue. Powertools' ``BatchProcessor`` runs records one after another (its async variant needs
async record handlers), hence the pool here. Records naming the same user (connected account,
``update_by``, ``value``) run one after another in the batch's order; a standard queue gives no
order across batches.

An event that is no SQS batch (no ``Records``, an empty list, records without ``messageId``:
a hand-made or console test event; the event source mapping never sends one) has no record to
report as failed: it raises ``UpdateUnsuccessfulError`` with a ``validation_error`` naming
``Records``, and nothing is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from intercom_update.handlers.batches import run_side_by_side
from intercom_update.handlers.idempotency import once_per_event, prepare
from intercom_update.handlers.lambda_context import account_id, time_budget
from intercom_update.logic.update_user import process_update
from intercom_update.models.errors import InputValidationError
from intercom_update.models.failures import UpdateUnsuccessfulError
from intercom_update.models.input import lookup_key, parse_json_body
from intercom_update.models.output import UpdateUserOutput
from intercom_update.observability import logger, metrics, trace_handler

NOT_A_BATCH: Final = (
    "the event is not an SQS batch: expected Records, a non-empty list of SQS messages with "
    "messageId and body (send the inputs as a message body, or invoke UpdateUserFunction "
    "directly to test them)"
)


@dataclass
class LastBatch:
    """Why the latest batch's failed records failed (message id, exception), as Powertools'
    ``BatchProcessor.exceptions`` kept it: the response itself carries only the ids. A container
    runs one invocation at a time."""

    exceptions: list[tuple[str, Exception]] = field(default_factory=list)


last_batch = LastBatch()


def _is_sqs_batch(records: Any) -> TypeGuard[list[dict[str, Any]]]:
    return (
        isinstance(records, list)
        and bool(records)
        and all(
            isinstance(record, dict) and isinstance(record.get("messageId"), str)
            for record in records
        )
    )


def update_from_record(event: dict[str, Any], context: LambdaContext | None) -> dict[str, Any]:
    try:
        payload = parse_json_body(event.get("body"), "message body")
    except InputValidationError as error:
        raise UpdateUnsuccessfulError(UpdateUserOutput.unsuccessful(error)) from None
    # The budget starts here, after the idempotency table's in-progress write.
    output = process_update(
        payload, time_budget_s=time_budget(context), aws_account_id=account_id(context)
    )
    if output.outcome != "success":
        raise UpdateUnsuccessfulError(output)
    return output.to_dict()


def record_handler(record: dict[str, Any], context: LambdaContext | None) -> dict[str, Any]:
    return once_per_event("messageId", "body", update_from_record, record, context)


def _user_of(record: dict[str, Any]) -> tuple[str, str, str] | None:
    try:
        return lookup_key(parse_json_body(record.get("body"), "message body"))
    except InputValidationError:
        return None


@logger.inject_lambda_context(clear_state=True)
@trace_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records = event.get("Records") if isinstance(event, dict) else None
    if not _is_sqs_batch(records):
        error = InputValidationError(NOT_A_BATCH, field="Records")
        raise UpdateUnsuccessfulError(UpdateUserOutput.unsuccessful(error))
    prepare("messageId", "body", update_from_record)  # once, before the records' threads
    outcomes = run_side_by_side(
        records, lambda record: record_handler(record, context), context, key=_user_of
    )
    failed = [
        (record["messageId"], outcome)
        for record, outcome in zip(records, outcomes, strict=True)
        if isinstance(outcome, Exception)
    ]
    for message_id, problem in failed:
        if not isinstance(problem, UpdateUnsuccessfulError):
            # Unsuccessful outcomes are logged by the use case; these may not have been.
            logger.warning(
                "record failed", extra={"message_id": message_id, "problem": str(problem)}
            )
    last_batch.exceptions = failed
    # A batch whose records all failed is reported like any other (every record listed) instead
    # of raising: SQS then redelivers each record and counts its receives towards the DLQ.
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id, _ in failed]}
