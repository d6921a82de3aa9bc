"""Finding the one user to update: by email, phone, external id (user_id) or Intercom id.

Lookups follow how Intercom stores data, not how an event spells it: an email is searched as
given and in lower case, a phone as given and without the formatting Intercom strips. A search
hit counts only once it is re-checked (a user, really holding the value), so a lead or a near
miss is never updated. When the request changes the very field it is looked up by, the new value
is looked up too: a retry after a PUT that landed (its answer lost) then finds the user again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from intercom_update.dal.intercom_client import IntercomApiError, IntercomClient
from intercom_update.logic.intercom_errors import translate
from intercom_update.models.errors import AmbiguousUserError, ConflictError, UserNotFoundError
from intercom_update.models.input import UpdateBy, UpdateUserInput

# Enough to list the candidates of an ambiguous email without fetching a long page.
SEARCH_PAGE_SIZE: Final = 10
# Intercom strips these from stored phone numbers (help article 6311200, "Customer phone numbers").
_PHONE_FORMATTING: Final = str.maketrans("", "", " ()-")


@dataclass(frozen=True)
class FoundContact:
    id: str
    # The contact JSON as Intercom returned it, when the lookup returned exactly that object.
    json_text: str | None


def normalised_phone(phone: str) -> str:
    """A phone number the way Intercom stores it."""
    return phone.translate(_PHONE_FORMATTING)


def new_key_value(request: UpdateUserInput) -> str | None:
    """The new value of the field the user is looked up by, when the request changes it."""
    new = {"email": request.email, "phone": request.phone, "user_id": request.user_id}.get(
        request.update_by
    )
    if new is None or _matches(request.update_by, new, request.value):
        return None
    return new


def find_contact(
    client: IntercomClient, update_by: UpdateBy, value: str, new_value: str | None = None
) -> FoundContact:
    """The user identified by ``value`` (or, once the change landed, by ``new_value``).

    Leads are never matched: this action updates users.
    """
    try:
        if update_by in {"email", "phone"}:
            return _search_one(client, update_by, value, new_value)
        if update_by == "user_id":
            response = _find_by_external_id(client, value, new_value)
        else:
            response = client.get_contact(value)
    except IntercomApiError as error:
        if error.status == 404:
            raise UserNotFoundError(
                f"no Intercom user has {_label(update_by)} {_either(value, new_value)}",
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


def _find_by_external_id(client: IntercomClient, value: str, new_value: str | None) -> Any:
    try:
        return client.find_contact_by_external_id(value)
    except IntercomApiError as error:
        if error.status != 404 or new_value is None:
            raise
    # The old id is gone: a PUT of this same request may have landed already.
    return client.find_contact_by_external_id(new_value)


def _search_one(
    client: IntercomClient, update_by: UpdateBy, value: str, new_value: str | None
) -> FoundContact:
    wanted = [value] if new_value is None else [value, new_value]
    forms = [form for text in wanted for form in _search_forms(update_by, text)]
    response = client.search_users(update_by, forms, per_page=SEARCH_PAGE_SIZE)
    returned = response.data["data"]
    hits = _verified_users(returned, update_by)
    total = response.data.get("total_count")
    if isinstance(total, int) and total > len(returned):
        # More hits than one page: some were not seen, so none can be called the only one.
        raise _ambiguous(update_by, value, [cid for cid, _ in hits], total)
    old = [cid for cid, stored in hits if _matches(update_by, stored, value)]
    new = [cid for cid, stored in hits if new_value and _matches(update_by, stored, new_value)]
    if len(old) > 1:
        raise _ambiguous(update_by, value, old, len(old))
    if old and [cid for cid in new if cid != old[0]]:
        raise ConflictError(
            f"the user with {_label(update_by)} {value!r} is {old[0]}, but user {new[0]} already "
            f"has the new {_label(update_by)} {new_value!r}",
            field=_CHANGED_FIELD[update_by],
            details=[{"contact_id": old[0]}, {"contact_id": new[0]}],
        )
    if old or len(new) == 1:
        return FoundContact(id=(old or new)[0], json_text=None)
    if new:
        raise _ambiguous(update_by, str(new_value), new, len(new))
    raise UserNotFoundError(
        f"no Intercom user has {_label(update_by)} {_either(value, new_value)} (leads are not "
        "considered; a user created moments ago can take a few minutes to become searchable)",
        field="value",
    )


def _search_forms(update_by: UpdateBy, text: str) -> list[str]:
    """The spellings to search for: as given, and as Intercom may have stored it."""
    stored = text.lower() if update_by == "email" else normalised_phone(text)
    return list(dict.fromkeys((text, stored)))


def _verified_users(items: Any, update_by: UpdateBy) -> list[tuple[str, str]]:
    """(id, stored value) of each distinct hit that is a user holding a value of the field."""
    users: dict[str, str] = {}
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict) or item.get("role") != "user":
            continue
        contact_id, stored = item.get("id"), item.get(update_by)
        if isinstance(contact_id, str) and contact_id and isinstance(stored, str) and stored:
            users.setdefault(contact_id, stored)
    return list(users.items())


def _matches(update_by: UpdateBy, stored: str, wanted: str) -> bool:
    if update_by == "email":
        return stored.lower() == wanted.lower()
    if update_by == "phone":
        return normalised_phone(stored) == normalised_phone(wanted)
    return stored == wanted


def _ambiguous(update_by: UpdateBy, value: str, ids: list[str], count: int) -> AmbiguousUserError:
    more = f" and {count - len(ids)} more" if count > len(ids) else ""
    return AmbiguousUserError(
        f"{count} Intercom users have {_label(update_by)} {value!r}: {', '.join(ids)}{more}; "
        "update by user_id or id instead",
        field="value",
        details=[{"contact_id": cid} for cid in ids],
    )


def _either(value: str, new_value: str | None) -> str:
    return repr(value) if new_value is None else f"{value!r} (nor the new {new_value!r})"


_CHANGED_FIELD: Final = {"email": "email", "phone": "phone", "user_id": "user_id", "id": "value"}


def _label(update_by: UpdateBy) -> str:
    return {"email": "email", "phone": "phone", "user_id": "user_id (external_id)", "id": "id"}[
        update_by
    ]
