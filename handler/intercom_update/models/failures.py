"""Exceptions that entry points raise so that the trigger retries or dead-letters an event."""

from __future__ import annotations

from intercom_update.models.output import UpdateUserOutput


class UpdateUnsuccessfulError(Exception):
    """Raised by the EventBridge and SQS entry points for an unsuccessful outcome.

    The message carries the error code and message of the output (never a token), so that the
    event that lands in the dead-letter queue says why.
    """

    def __init__(self, output: UpdateUserOutput) -> None:
        error = output.error or {}
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.output = output


class BackfillItemsUnavailableError(Exception):
    """Raised by the backfill function when some rows of a batch could not be run for now.

    Intercom or Secrets Manager stayed unavailable for those rows: the Step Functions task
    retries the whole batch (every step of an update is idempotent, so rows that already
    succeeded are applied again harmlessly), and a batch that still fails is listed in the
    Map Run's FAILED results with its rows, for a rerun. The message names only the unavailable
    rows' numbers and error codes: no key, no message, nothing personal (never a token).
    """
