"""Direct invocation and Step Functions: the event is the input object.

Success and unsuccessful outcomes are returned (Step Functions branches on ``$.outcome``);
``IntercomUnavailableError`` is raised so that a ``Retry`` or Lambda's async retries can act.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from intercom_update.handlers.lambda_context import function_arn, time_budget
from intercom_update.logic.update_user import process_update
from intercom_update.models.errors import IntercomUnavailableError  # noqa: F401 - public name
from intercom_update.observability import logger, metrics, trace_handler


@logger.inject_lambda_context(clear_state=True)
@trace_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    output = process_update(
        event, time_budget_s=time_budget(context), function_arn=function_arn(context)
    )
    return output.to_dict()
