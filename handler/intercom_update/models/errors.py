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
    code = "validation_error"


class ConnectedAccountError(UpdateUserError):
    code = "connected_account_error"


class UnauthorizedError(UpdateUserError):
    code = "unauthorized"


class UserNotFoundError(UpdateUserError):
    code = "user_not_found"


class AmbiguousUserError(UpdateUserError):
    code = "ambiguous_user"


class AttributeNotFoundError(UpdateUserError):
    code = "attribute_not_found"


class ConflictError(UpdateUserError):
    code = "conflict"


class IntercomRequestError(UpdateUserError):
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
