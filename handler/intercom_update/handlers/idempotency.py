"""Duplicate deliveries of at-least-once triggers are answered once (Powertools idempotency).

EventBridge and SQS may deliver the same event twice. When ``IDEMPOTENCY_TABLE_NAME`` is set, a
successful update is recorded in DynamoDB under the event's own identity (EventBridge ``id``,
SQS ``messageId``) for ``IDEMPOTENCY_TTL_SECONDS``; a duplicate within that window gets the
recorded output without calling Intercom again. Failures are not recorded, so retries of an
unsuccessful or unavailable event run again. Without the variable, nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from intercom_update.settings import get_settings

# update(event, context, **options) -> output
Update = Callable[..., dict[str, Any]]


@cache
def _idempotent(table_name: str, ttl_seconds: int, event_key: str, update: Update) -> Any:
    # Imported here: deployments without the table never load boto3's DynamoDB model.
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    config = IdempotencyConfig(
        event_key_jmespath=event_key,
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
    update: Update,
    event: dict[str, Any],
    context: LambdaContext | None,
    **options: Any,
) -> dict[str, Any]:
    """Run ``update(event, context)``, or return the recorded output of its first success.

    ``update`` must be a module-level function: the idempotent wrapper is built once per function.
    """
    settings = get_settings()
    if not settings.idempotency_table_name:
        return update(event, context, **options)
    wrapped, config = _idempotent(
        settings.idempotency_table_name, settings.idempotency_ttl_seconds, event_key, update
    )
    if context is not None:
        config.register_lambda_context(context)
    result: dict[str, Any] = wrapped(event=event, context=context, **options)
    return result
