"""The one place where Intercom's refusals become this action's error codes."""

from __future__ import annotations

from intercom_update.dal.intercom_answers import (
    IntercomAttributeNotCreated,
    IntercomConflict,
    IntercomNotFound,
    IntercomRefusal,
    IntercomUnauthorized,
    IntercomUnknownAttribute,
    IntercomUnwritableAttribute,
)
from intercom_update.models.errors import (
    AttributeNotFoundError,
    ConflictError,
    IntercomRequestError,
    UnauthorizedError,
    UpdateUserError,
    UserNotFoundError,
)
from intercom_update.settings import LEGACY_ATTRIBUTES_ENV


def translate(
    refusal: IntercomRefusal, step: str, *, user_not_found: str | None = None
) -> UpdateUserError:
    """The domain error for Intercom's final refusal during ``step`` (for the message).

    ``user_not_found``: the message when "not found" means the user to update does not exist.
    """
    if isinstance(refusal, IntercomAttributeNotCreated):
        return translate(refusal.reason, step)
    kind, message, field = _meaning(refusal, step)
    if isinstance(refusal, IntercomNotFound) and user_not_found is not None:
        kind, message, field = UserNotFoundError, user_not_found, "value"
    return kind(
        message, field=field, intercom_body=refusal.body, intercom_request_id=refusal.request_id
    )


def _meaning(refusal: IntercomRefusal, step: str) -> tuple[type[UpdateUserError], str, str | None]:
    """(error class, message, field) of a refusal."""
    if isinstance(refusal, IntercomUnauthorized):
        message = (
            f"Intercom refused the connected account's access token while {step} "
            f"({refusal.reply}: {refusal.message}); check the token in the secret "
            "and the app's permissions"
        )
        return UnauthorizedError, message, "connected_account"
    if isinstance(refusal, IntercomConflict):
        message = (
            f"Intercom reported a conflict while {step}: {refusal.message} "
            "(another contact already has this email or user_id)"
        )
        return ConflictError, message, None
    if isinstance(refusal, IntercomUnknownAttribute):
        message = (
            f"Intercom has no custom attribute '{refusal.attribute}' ({step}); create it in "
            "Intercom or set create_missing_attributes to true"
        )
        return AttributeNotFoundError, message, None
    if isinstance(refusal, IntercomUnwritableAttribute):
        message = (
            f"Intercom refused to create custom attribute '{refusal.attribute}': "
            f"{refusal.message}; use another attribute name (for session_count and utm_* "
            f"inputs, the deployment setting {LEGACY_ATTRIBUTES_ENV} chooses it)"
        )
        return AttributeNotFoundError, message, None
    message = f"Intercom answered {refusal.reply} while {step}: {refusal.message}"
    return IntercomRequestError, message, None
