"""How Intercom's refusals become this action's error codes."""

from __future__ import annotations

import re

from intercom_update.dal.intercom_client import IntercomApiError
from intercom_update.models.errors import (
    AttributeNotFoundError,
    ConflictError,
    IntercomRequestError,
    UnauthorizedError,
    UpdateUserError,
)

_MISSING_ATTRIBUTE = re.compile(r"Custom attribute '(?P<name>[^']*)' does not exist")


def translate(error: IntercomApiError, step: str) -> UpdateUserError:
    """The domain error for a non-retryable Intercom answer during ``step`` (for the message)."""
    if error.status in {401, 403}:
        return UnauthorizedError(
            f"Intercom refused the connected account's access token while {step} "
            f"({error.status} {error.code}: {error.message}); check the token in the secret "
            "and the app's permissions",
            field="connected_account",
            intercom_body=error.text,
            intercom_request_id=error.request_id,
        )
    if error.status == 409 or error.code == "conflict":
        return ConflictError(
            f"Intercom reported a conflict while {step}: {error.message} "
            "(another contact already has this email or user_id)",
            intercom_body=error.text,
            intercom_request_id=error.request_id,
        )
    missing = _MISSING_ATTRIBUTE.search(error.message)
    if missing:
        return AttributeNotFoundError(
            f"Intercom has no custom attribute '{missing['name']}' ({step}); create it in "
            "Intercom or set create_missing_attributes to true",
            intercom_body=error.text,
            intercom_request_id=error.request_id,
        )
    return IntercomRequestError(
        f"Intercom answered {error.status} {error.code} while {step}: {error.message}",
        intercom_body=error.text,
        intercom_request_id=error.request_id,
    )
