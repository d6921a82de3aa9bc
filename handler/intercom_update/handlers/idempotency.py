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

The table's calls are bounded (``TABLE_CALL_LIMITS``: one attempt, short timeouts) and counted
in the invocation's time: the in-progress write runs before the update computes its budget, and
the write after it (success, or the delete after a failure) fits inside the ``SAFETY_MARGIN_S``
kept back from that budget. A table that cannot be read or written is
``IdempotencyStoreUnavailableError``: retryable, like an Intercom outage.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Final, NamedTuple

from aws_lambda_powertools.utilities.typing import LambdaContext

from intercom_update.models.errors import IdempotencyStoreUnavailableError, InputValidationError
from intercom_update.models.failures import UpdateUnsuccessfulError
from intercom_update.models.output import UpdateUserOutput
from intercom_update.observability import logger
from intercom_update.settings import get_settings

# update(event, context, **options) -> output
Update = Callable[..., dict[str, Any]]


class TableCallLimits(NamedTuple):
    connect_timeout_s: float
    read_timeout_s: float
    attempts: int

    @property
    def worst_case_s(self) -> float:
        return self.attempts * (self.connect_timeout_s + self.read_timeout_s)


# DynamoDB answers in milliseconds; a table that does not is treated as down (the event is
# retried) rather than waited for: botocore's defaults (60 s timeouts, retries) would outlive
# the function. The write after the update must fit in the safety margin (SAFETY_MARGIN_S) with
# time left to report: at most half of it.
TABLE_CALL_LIMITS: Final = TableCallLimits(connect_timeout_s=0.3, read_timeout_s=0.5, attempts=1)

_build_lock = threading.Lock()
_built: dict[tuple[Any, ...], tuple[Any, Any]] = {}


def prepare(event_key: str, input_key: str, update: Update) -> None:
    """Build the wrapper for ``update`` now (before a batch fans out), if the table is set."""
    settings = get_settings()
    if settings.idempotency_table_name:
        _idempotent(
            settings.idempotency_table_name,
            settings.idempotency_ttl_seconds,
            event_key,
            input_key,
            update,
        )


def _idempotent(
    table_name: str, ttl_seconds: int, event_key: str, input_key: str, update: Update
) -> tuple[Any, Any]:
    """The wrapper and its config, built and configured once under a lock.

    Powertools marks its store configured before it sets the event key and the payload check:
    a record thread arriving meanwhile would hash the whole record unchecked, hence the lock
    and the configuration here rather than on the first call.
    """
    identity = (table_name, ttl_seconds, event_key, input_key, update)
    with _build_lock:
        if identity not in _built:
            _built[identity] = _build(table_name, ttl_seconds, event_key, input_key, update)
        return _built[identity]


def _build(
    table_name: str, ttl_seconds: int, event_key: str, input_key: str, update: Update
) -> tuple[Any, Any]:
    # Imported here: deployments without the table never load boto3's DynamoDB model.
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from botocore.config import Config

    config = IdempotencyConfig(
        event_key_jmespath=event_key,
        payload_validation_jmespath=input_key,
        expires_after_seconds=ttl_seconds,
        raise_on_no_idempotency_key=True,
    )
    limits = TABLE_CALL_LIMITS
    boto_config = Config(
        connect_timeout=limits.connect_timeout_s,
        read_timeout=limits.read_timeout_s,
        retries={"total_max_attempts": limits.attempts, "mode": "standard"},
    )
    store = DynamoDBPersistenceLayer(table_name=table_name, boto_config=boto_config)
    # The name Powertools configures the store with on every call (module and qualified name).
    store.configure(config, function_name=f"{update.__module__}.{update.__qualname__}")
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
        IdempotencyInconsistentStateError,
        IdempotencyPersistenceLayerError,
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
    except (IdempotencyPersistenceLayerError, IdempotencyInconsistentStateError) as error:
        # Powertools' message names the step ("Failed to save in progress record ..."); the
        # cause may quote the table's answer, never the event.
        raise IdempotencyStoreUnavailableError(
            f"the idempotency table could not be used: {error.message}"
        ) from error
    return result


def _changed_input(event_key: str, input_key: str) -> InputValidationError:
    return InputValidationError(
        f"this {event_key} was already processed with a different {input_key}; the change was "
        f"not applied: send it as a new event (with a new {event_key})",
        field=event_key,
    )
