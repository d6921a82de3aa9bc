"""Finding the one user to update: by email, phone, external id (user_id) or Intercom id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intercom_update.dal.intercom_client import IntercomApiError, IntercomClient
from intercom_update.logic.intercom_errors import translate
from intercom_update.models.errors import AmbiguousUserError, UserNotFoundError
from intercom_update.models.input import UpdateBy

# Enough to list the candidates of an ambiguous email without fetching a long page.
SEARCH_PAGE_SIZE = 10


@dataclass(frozen=True)
class FoundContact:
    id: str
    # The contact JSON as Intercom returned it, when the lookup returned exactly that object.
    json_text: str | None


def find_contact(client: IntercomClient, update_by: UpdateBy, value: str) -> FoundContact:
    """The user identified by ``value``; leads are never matched (this action updates users)."""
    try:
        if update_by in {"email", "phone"}:
            return _search_one(client, update_by, value)
        if update_by == "user_id":
            response = client.find_contact_by_external_id(value)
        else:
            response = client.get_contact(value)
    except IntercomApiError as error:
        if error.status == 404:
            raise UserNotFoundError(
                f"no Intercom user has {_label(update_by)} {value!r}",
                field="value",
                intercom_body=error.text,
                intercom_request_id=error.request_id,
            ) from None
        raise translate(error, "looking the user up") from None
    contact: dict[str, Any] = response.data
    if contact.get("role", "user") != "user":
        raise UserNotFoundError(
            f"Intercom contact {value!r} is a {contact.get('role')}, not a user; "
            "this action updates users only",
            field="value",
        )
    return FoundContact(id=str(contact["id"]), json_text=response.text)


def _search_one(client: IntercomClient, update_by: UpdateBy, value: str) -> FoundContact:
    response = client.search_users(update_by, value, per_page=SEARCH_PAGE_SIZE)
    matches = [c for c in response.data["data"] if isinstance(c, dict) and "id" in c]
    total = response.data.get("total_count")
    valid_total = isinstance(total, int) and total >= len(matches) and bool(matches)
    count = total if valid_total and isinstance(total, int) else len(matches)
    if count == 0:
        raise UserNotFoundError(
            f"no Intercom user has {_label(update_by)} {value!r} (leads are not considered; "
            "a user created moments ago can take a few minutes to become searchable)",
            field="value",
        )
    if count > 1:
        ids = [str(c["id"]) for c in matches]
        more = f" and {count - len(ids)} more" if count > len(ids) else ""
        raise AmbiguousUserError(
            f"{count} Intercom users have {_label(update_by)} {value!r}: {', '.join(ids)}{more}; "
            "update by user_id or id instead",
            field="value",
            details=[{"contact_id": cid} for cid in ids],
        )
    return FoundContact(id=str(matches[0]["id"]), json_text=None)


def _label(update_by: UpdateBy) -> str:
    return {"email": "email", "phone": "phone", "user_id": "user_id (external_id)", "id": "id"}[
        update_by
    ]
