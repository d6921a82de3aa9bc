"""Domain errors. Each unsuccessful outcome has one class and one public error code."""

from __future__ import annotations

from typing import Any


class UpdateUserError(Exception):
    """A run that ends "unsuccessful": reported in the output, never retried by this function."""

    code = "intercom_error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        details: list[dict[str, Any]] | None = None,
        intercom_body: str | None = None,
        intercom_request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details
        self.intercom_body = intercom_body
        self.intercom_request_id = intercom_request_id
        # Set once the user is known, so that a failure after the lookup still names them.
        self.contact_id: str | None = None


class InputValidationError(UpdateUserError):
    """The input breaks a rule (``details`` lists every problem with its field), or a value
    does not fit its attribute's type."""

    code = "validation_error"


class ConnectedAccountError(UpdateUserError):
    """The secret is missing, unreadable or malformed."""

    code = "connected_account_error"


class UnauthorizedError(UpdateUserError):
    code = "unauthorized"  # Intercom refused the token


class UserNotFoundError(UpdateUserError):
    """No user matches: leads are not users."""

    code = "user_not_found"


class AmbiguousUserError(UpdateUserError):
    code = "ambiguous_user"  # several users match the email or phone


class AttributeNotFoundError(UpdateUserError):
    """A custom attribute does not exist (and may not be created), or its name belongs to a
    standard attribute, to one not writable via the API, or to a company attribute."""

    code = "attribute_not_found"


class ConflictError(UpdateUserError):
    code = "conflict"  # the new email, phone or user_id belongs to another user


class IntercomRequestError(UpdateUserError):
    """Intercom refused otherwise, or a company could not be attached."""

    code = "intercom_error"


class ServiceUnavailableError(Exception):
    """A dependency stayed unavailable within the time budget: the caller must retry the event.

    Raised (not returned) so that Lambda async retries, SQS redelivery and Step Functions
    ``Retry`` can act. The class name is what Lambda reports as ``errorType``.
    """

    code = "intercom_unavailable"


class IntercomUnavailableError(ServiceUnavailableError):
    """Intercom answered 429/408/5xx, timed out or dropped the connection on every attempt."""

    code = "intercom_unavailable"


class ConnectedAccountUnavailableError(ServiceUnavailableError):
    """Secrets Manager was throttled or unreachable: the secret may be fine, retry later."""

    code = "connected_account_unavailable"


class IdempotencyStoreUnavailableError(ServiceUnavailableError):
    """The idempotency table (DynamoDB) did not answer within its short limits, or failed.

    The event may or may not have been applied (the write after a success can fail): running it
    again is safe, as every step of an update is idempotent.
    """

    code = "idempotency_store_unavailable"


class NotStartedError(ServiceUnavailableError):
    """A batch's record (SQS, backfill) that the invocation had no time left to start.

    It was not attempted at all; it is reported failed so that it runs again.
    """

    code = "not_started"
