"""SQS entry point for bulk updates: each record's body is one input object.

Records are processed one by one with Powertools' batch utility; an unsuccessful or unavailable
record is reported in the partial batch response, so SQS redelivers only that record and, after
the queue's maxReceiveCount, moves it to the dead-letter queue.

An event that is no SQS batch (no ``Records``, an empty list, records without ``messageId``:
a hand-made or console test event; the event source mapping never sends one) has no record to
report as failed: it raises ``UpdateUnsuccessfulError`` with a ``validation_error`` naming
``Records``, and nothing is called.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Final, TypeGuard

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from intercom_update.handlers.idempotency import once_per_event
from intercom_update.handlers.lambda_context import FairShare, function_arn
from intercom_update.logic.update_user import process_update
from intercom_update.models.errors import InputValidationError
from intercom_update.models.failures import UpdateUnsuccessfulError
from intercom_update.models.input import parse_json_body
from intercom_update.models.output import UpdateUserOutput
from intercom_update.observability import logger, metrics, trace_handler

# A batch whose records all failed is reported like any other (every record listed as failed)
# instead of raising: SQS then redelivers each record and counts its receives towards the DLQ.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


NOT_A_BATCH: Final = (
    "the event is not an SQS batch: expected Records, a non-empty list of SQS messages with "
    "messageId and body (send the inputs as a message body, or invoke UpdateUserFunction "
    "directly to test them)"
)


def _is_sqs_batch(records: Any) -> TypeGuard[list[dict[str, Any]]]:
    return (
        isinstance(records, list)
        and bool(records)
        and all(
            isinstance(record, dict) and isinstance(record.get("messageId"), str)
            for record in records
        )
    )


def update_from_record(
    event: dict[str, Any], context: LambdaContext | None, budget_s: float | None = None
) -> dict[str, Any]:
    try:
        payload = parse_json_body(event.get("body"), "message body")
    except InputValidationError as error:
        raise UpdateUnsuccessfulError(UpdateUserOutput.unsuccessful(error)) from None
    output = process_update(payload, time_budget_s=budget_s, function_arn=function_arn(context))
    if output.outcome != "success":
        raise UpdateUnsuccessfulError(output)
    return output.to_dict()


def record_handler(
    record: SQSRecord, lambda_context: LambdaContext | None = None, *, share: FairShare
) -> dict[str, Any]:
    return once_per_event(
        "messageId",
        "body",
        update_from_record,
        record.raw_event,
        lambda_context,
        budget_s=share.next_budget(),
    )


@logger.inject_lambda_context(clear_state=True)
@trace_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records = event.get("Records") if isinstance(event, dict) else None
    if not _is_sqs_batch(records):
        error = InputValidationError(NOT_A_BATCH, field="Records")
        raise UpdateUnsuccessfulError(UpdateUserOutput.unsuccessful(error))
    share = FairShare(context, len(records))
    return process_partial_response(
        event=event,
        record_handler=partial(record_handler, share=share),
        processor=processor,
        context=context,
    )
