"""EventBridge entry point: the input object is the event's ``detail``.

EventBridge invokes Lambda asynchronously, so an unsuccessful outcome is raised: Lambda retries
the event and then sends it to the on-failure destination (a dead-letter queue). Nothing is
dropped silently.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from intercom_update.handlers.idempotency import once_per_event
from intercom_update.handlers.lambda_context import function_arn, time_budget
from intercom_update.logic.update_user import process_update
from intercom_update.models.failures import UpdateUnsuccessfulError
from intercom_update.observability import logger, metrics, trace_handler


def update_from_event(event: dict[str, Any], context: LambdaContext | None) -> dict[str, Any]:
    detail = event.get("detail") if isinstance(event, dict) else None
    output = process_update(
        detail, time_budget_s=time_budget(context), function_arn=function_arn(context)
    )
    if output.outcome != "success":
        raise UpdateUnsuccessfulError(output)
    return output.to_dict()


@logger.inject_lambda_context(correlation_id_path="id", clear_state=True)
@trace_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        # Not an EventBridge event: nothing to deduplicate on, and nothing to update.
        return update_from_event({}, context)
    return once_per_event("id", "detail", update_from_event, event, context)
