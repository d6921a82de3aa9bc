"""Duplicate deliveries of at-least-once triggers are answered once (Powertools idempotency).

EventBridge and SQS may deliver the same event twice. When ``IDEMPOTENCY_TABLE_NAME`` is set, a
successful update is recorded in DynamoDB under the event's own identity (EventBridge ``id``,
SQS ``messageId``) for ``IDEMPOTENCY_TTL_SECONDS``; a duplicate within that window gets the
recorded output without calling Intercom again. Failures are not recorded, so retries of an
unsuccessful or unavailable event run again. Without the variable, nothing changes.

The record also keeps a hash of the event's input (EventBridge ``detail``, SQS ``body``). A
delivery under a known identity with a different input is a new change sent under an old id:
it is refused loudly, as ``UpdateUnsuccessfulError`` with a ``validation_error`` naming the
identity's field (EventBridge: the raised error sends the event to the dead-letter queue; SQS:
a failed record), never answered with the first run's output.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from intercom_update.models.errors import InputValidationError
from intercom_update.models.failures import UpdateUnsuccessfulError
from intercom_update.models.output import UpdateUserOutput
from intercom_update.observability import logger
from intercom_update.settings import get_settings

# update(event, context, **options) -> output
Update = Callable[..., dict[str, Any]]


@cache
def _idempotent(
    table_name: str, ttl_seconds: int, event_key: str, input_key: str, update: Update
) -> Any:
    # Imported here: deployments without the table never load boto3's DynamoDB model.
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    config = IdempotencyConfig(
        event_key_jmespath=event_key,
        payload_validation_jmespath=input_key,
        expires_after_seconds=ttl_seconds,
        raise_on_no_idempotency_key=True,
    )
    store = DynamoDBPersistenceLayer(table_name=table_name)
    wrapped = idempotent_function(
        update, data_keyword_argument="event", persistence_store=store, config=config
    )
    return wrapped, config


def once_per_event(
    event_key: str,
    input_key: str,
    update: Update,
    event: dict[str, Any],
    context: LambdaContext | None,
    **options: Any,
) -> dict[str, Any]:
    """Run ``update(event, context)``, or return the recorded output of its first success.

    ``event_key`` names the event's identity, ``input_key`` the part that must not change under
    it. ``update`` must be a module-level function: the wrapper is built once per function.
    """
    settings = get_settings()
    if not settings.idempotency_table_name:
        return update(event, context, **options)
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyValidationError,
    )

    wrapped, config = _idempotent(
        settings.idempotency_table_name,
        settings.idempotency_ttl_seconds,
        event_key,
        input_key,
        update,
    )
    if context is not None:
        config.register_lambda_context(context)
    try:
        result: dict[str, Any] = wrapped(event=event, context=context, **options)
    except IdempotencyValidationError:
        refusal = _changed_input(event_key, input_key)
        logger.warning(refusal.message, extra={"error_code": refusal.code})
        raise UpdateUnsuccessfulError(UpdateUserOutput.unsuccessful(refusal)) from None
    return result


def _changed_input(event_key: str, input_key: str) -> InputValidationError:
    return InputValidationError(
        f"this {event_key} was already processed with a different {input_key}; the change was "
        f"not applied: send it as a new event (with a new {event_key})",
        field=event_key,
    )
