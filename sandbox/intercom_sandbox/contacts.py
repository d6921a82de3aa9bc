"""Contacts: ``GET /contacts/{id}``, ``GET /contacts/find_by_external_id/{id}``,
``POST /contacts/search`` and ``PUT /contacts/{id}``, with how a contact is stored and rendered."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from intercom_sandbox import data_attributes, search
from intercom_sandbox.errors import (
    ApiError,
    bad_parameter,
    parameter_invalid,
    parameter_not_found,
    user_not_found,
)
from intercom_sandbox.request import TYPE_NAMES, RouteCall, json_type_ok
from intercom_sandbox.workspace import WORKSPACE_ID, ContactRecord, Workspace, now

ROLES = ("user", "lead")
EMBEDDED_LIST_LIMIT = 10
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
_URL_RE = re.compile(r"^https?://[^\s/]+\S*$", re.IGNORECASE)
_SEARCH_FIELDS = ("query", "pagination", "sort")

# PUT /contacts/{id}: the 2.14 update_contact_request fields -> (JSON type, nullable).
UPDATE_CONTACT_FIELDS: dict[str, tuple[str, bool]] = {
    "role": ("string", False),
    "external_id": ("string", False),
    "email": ("string", False),
    "phone": ("string", True),
    "name": ("string", True),
    "avatar": ("string", True),
    "signed_up_at": ("integer", True),
    "last_seen_at": ("integer", True),
    "owner_id": ("integer", True),
    "unsubscribed_from_emails": ("boolean", True),
    "custom_attributes": ("object", True),
}

# Intercom strips these from stored phone numbers ("+1 (555) 192-1922" is kept as
# "+15551921922"; Intercom help article 6311200, "Customer phone numbers").
_PHONE_FORMATTING = str.maketrans("", "", " ()-")


def stored_phone(phone: str | None) -> str | None:
    """A phone number as Intercom stores it."""
    return None if phone is None else phone.translate(_PHONE_FORMATTING)


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].lower()


def location(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "location",
        "country": None,
        "region": None,
        "city": None,
        "country_code": None,
        "continent_code": None,
    }
    base.update(values)
    return base


def avatar(url: str | None) -> dict[str, Any] | None:
    return None if url is None else {"type": "avatar", "image_url": url}


def new_contact_data(contact_id: str, created: int) -> dict[str, Any]:
    """Every top-level key of the 2.14 contact, in the order of Intercom's GET example.

    One literal, longer than a function should be, so that it reads against that example."""
    return {
        "type": "contact",
        "id": contact_id,
        "workspace_id": WORKSPACE_ID,
        "external_id": None,
        "role": "user",
        "email": None,
        "email_domain": None,
        "phone": None,
        "name": None,
        "avatar": None,
        "owner_id": None,
        "social_profiles": {"type": "list", "data": []},
        "has_hard_bounced": False,
        "marked_email_as_spam": False,
        "unsubscribed_from_emails": False,
        "created_at": created,
        "updated_at": created,
        "signed_up_at": None,
        "last_seen_at": None,
        "last_replied_at": None,
        "last_contacted_at": None,
        "last_email_opened_at": None,
        "last_email_clicked_at": None,
        "language_override": None,
        "browser": None,
        "browser_version": None,
        "browser_language": None,
        "os": None,
        "location": location(),
        "android_app_name": None,
        "android_app_version": None,
        "android_device": None,
        "android_os_version": None,
        "android_sdk_version": None,
        "android_last_seen_at": None,
        "ios_app_name": None,
        "ios_app_version": None,
        "ios_device": None,
        "ios_os_version": None,
        "ios_sdk_version": None,
        "ios_last_seen_at": None,
        "custom_attributes": {},
        "tags": None,
        "notes": None,
        "companies": None,
        "opted_out_subscription_types": None,
        "opted_in_subscription_types": None,
        "utm_campaign": None,
        "utm_content": None,
        "utm_medium": None,
        "utm_source": None,
        "utm_term": None,
        "referrer": None,
        "enabled_push_messaging": None,
    }


def _list_object(data: list[Any], url: str, total: int) -> dict[str, Any]:
    return {
        "type": "list",
        "data": data,
        "url": url,
        "total_count": total,
        "has_more": total > len(data),
    }


def render(record: ContactRecord) -> dict[str, Any]:
    """A contact as the API returns it, with its embedded lists."""
    data = dict(record.data)
    cid = data["id"]
    if data["email"] is None:  # the 2.14 schema types email/email_domain as non-null strings
        data["email"] = ""
    if data["email_domain"] is None:
        data["email_domain"] = ""
    data["custom_attributes"] = dict(data["custom_attributes"])
    company_refs = [
        {"type": "company", "id": company_id, "url": f"/companies/{company_id}"}
        for company_id in record.company_ids[:EMBEDDED_LIST_LIMIT]
    ]
    data["tags"] = _list_object([], f"/contacts/{cid}/tags", 0)
    data["notes"] = _list_object([], f"/contacts/{cid}/notes", 0)
    data["companies"] = _list_object(
        company_refs, f"/contacts/{cid}/companies", len(record.company_ids)
    )
    subscriptions = f"/contacts/{cid}/subscriptions"
    data["opted_out_subscription_types"] = _list_object([], subscriptions, 0)
    data["opted_in_subscription_types"] = _list_object([], subscriptions, 0)
    return data


# ------------------------------------------------------------------ GET


def get_contact(ws: Workspace, call: RouteCall) -> dict[str, Any]:
    """``GET /contacts/{contact_id}``."""
    with ws.lock:
        return render(ws.contact_or_404(call.params[0]))


def find_by_external_id(ws: Workspace, call: RouteCall) -> dict[str, Any]:
    """``GET /contacts/find_by_external_id/{external_id}``: live users only."""
    with ws.lock:
        for record in ws.records(ws.by_external_id.get(call.params[0], ())):
            if record.data["role"] == "user" and not record.archived:
                return render(record)
        raise user_not_found()


# ------------------------------------------------------------------ search

SortOrder = tuple[search.Getter, bool]


def search_contacts(ws: Workspace, call: RouteCall) -> dict[str, Any]:
    """``POST /contacts/search``."""
    body = call.body
    for key in body:
        if key not in _SEARCH_FIELDS:
            raise bad_parameter(key)
    if body.get("query") is None:
        raise parameter_not_found("query parameter not found")
    query = body["query"]
    sort = body.get("sort")
    with ws.lock:
        attribute_type = partial(data_attributes.contact_attribute_type, ws)
        predicate = search.compile_query(query, attribute_type, exact_email=ws.exact_email_search)
        ordering = None if sort is None else _sort_order(sort, attribute_type)
        paging = search.parse_paging(body.get("pagination"), query, sort)
        matches = [r for r in _candidates(ws, query) if not r.archived and predicate(r.data)]
        if ordering is not None:
            matches = _sorted(matches, ordering)
        page = matches[paging.offset : paging.offset + paging.per_page]
        return {
            "type": "list",
            "data": [render(r) for r in page],
            "total_count": len(matches),
            "pages": _search_pages(paging, len(matches), query, sort),
        }


def _sort_order(sort: Any, attribute_type: Callable[[str], str | None]) -> SortOrder:
    if not isinstance(sort, dict):
        raise parameter_invalid("sort must be an object")
    for key in sort:
        if key not in ("field", "order"):
            raise bad_parameter(key)
    return search.sort_key(sort.get("field"), sort.get("order"), attribute_type)


def _candidates(ws: Workspace, query: Any) -> Iterable[ContactRecord]:
    """Every contact, or only those an index says can match (same result, less scanning)."""
    hint = search.index_hint(query)
    if hint is None:
        return ws.contacts.values()
    field, values = hint
    index = {"email": ws.by_email, "external_id": ws.by_external_id}.get(field)
    ids: set[str] = set()
    for value in values:
        if index is None:
            ids.add(value)
        else:
            ids.update(index.get(value.lower() if field == "email" else value, ()))
    return ws.records(ids)


def _sorted(matches: list[ContactRecord], ordering: SortOrder) -> list[ContactRecord]:
    """Sorted by the field; contacts without a value come last, in creation order."""
    getter, descending = ordering
    present = [r for r in matches if getter(r.data) is not None]
    missing = [r for r in matches if getter(r.data) is None]
    try:
        present.sort(key=lambda r: getter(r.data), reverse=descending)
    except TypeError:  # seeded values of mixed types: fall back to their text
        present.sort(key=lambda r: str(getter(r.data)), reverse=descending)
    return present + missing


def _search_pages(paging: search.Paging, total: int, query: Any, sort: Any) -> dict[str, Any]:
    pages: dict[str, Any] = {"type": "pages"}
    if paging.offset + paging.per_page < total:
        pages["next"] = {
            "per_page": paging.per_page,
            "starting_after": search.encode_cursor(paging.offset + paging.per_page, query, sort),
        }
    pages.update(
        page=paging.offset // paging.per_page + 1,
        per_page=paging.per_page,
        total_pages=math.ceil(total / paging.per_page),
    )
    return pages


# ------------------------------------------------------------------ PUT


def update_contact(ws: Workspace, call: RouteCall) -> dict[str, Any]:
    """``PUT /contacts/{contact_id}``: validated in full before anything changes."""
    with ws.lock:
        record = ws.contact_or_404(call.params[0])
        changes = _requested_changes(ws, record, call.body)
        _check_uniqueness(ws, record, changes)
        ws.unindex(record)
        data = dict(record.data)
        data.update(changes)
        data["updated_at"] = max(now(), data["updated_at"])
        record.data = data
        ws.index(record)
        return render(record)


def _requested_changes(
    ws: Workspace, record: ContactRecord, body: Mapping[str, Any]
) -> dict[str, Any]:
    for key in body:
        if key not in UPDATE_CONTACT_FIELDS:
            raise bad_parameter(key)
    for key, value in body.items():
        kind, nullable = UPDATE_CONTACT_FIELDS[key]
        if value is None:
            if not nullable:
                raise parameter_invalid(f"{key} must be {TYPE_NAMES[kind]}, not null")
        elif not json_type_ok(kind, value):
            raise parameter_invalid(f"{key} must be {TYPE_NAMES[kind]}")
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key == "custom_attributes":
            if value is not None:
                changes[key] = _merged_custom_attributes(ws, record, value)
        else:
            changes.update(_field_change(key, value))
    return changes


def _field_change(key: str, value: Any) -> dict[str, Any]:
    """The stored fields one (type-checked) PUT field sets."""
    if key == "role":
        if value not in ROLES:
            raise parameter_invalid("role must be 'user' or 'lead'")
    elif key == "email":
        if len(value) > 255 or (value and not _EMAIL_RE.match(value)):
            raise parameter_invalid("email is not a valid email address")
        return {"email": value or None, "email_domain": email_domain(value)}
    elif key == "external_id":
        if len(value) > 255:
            raise parameter_invalid("external_id must be at most 255 characters")
        return {"external_id": value or None}
    elif key == "avatar":
        if value is not None and not _URL_RE.match(value):
            raise parameter_invalid("avatar must be an image URL")
        return {"avatar": avatar(value)}
    elif key == "phone":
        return {"phone": stored_phone(value)}
    elif key == "unsubscribed_from_emails":
        return {key: bool(value)}
    return {key: value}


def _merged_custom_attributes(
    ws: Workspace, record: ContactRecord, values: Mapping[str, Any]
) -> dict[str, Any]:
    merged = dict(record.data["custom_attributes"])
    for name, value in values.items():
        attribute = data_attributes.live_custom_attribute(ws, "contact", name)
        if attribute is None or not attribute["api_writable"]:
            raise parameter_invalid(f"Custom attribute '{name}' does not exist")
        if value is None:
            merged.pop(name, None)
            continue
        data_attributes.check_value(attribute, value)
        merged[name] = value
    return merged


def _check_uniqueness(ws: Workspace, record: ContactRecord, changes: Mapping[str, Any]) -> None:
    """409 when a changed email/external_id belongs to another live user."""
    own_id = record.data["id"]
    new_email = changes.get("email")
    old_email = record.data["email"]
    if new_email and (old_email or "").lower() != new_email.lower():
        _raise_if_taken(ws, own_id, ws.by_email.get(new_email.lower(), ()))
    new_external_id = changes.get("external_id")
    if new_external_id and new_external_id != record.data["external_id"]:
        _raise_if_taken(ws, own_id, ws.by_external_id.get(new_external_id, ()))


def _raise_if_taken(ws: Workspace, own_id: str, holders: Iterable[str]) -> None:
    for other in ws.records(holders):
        if other.data["id"] != own_id and other.data["role"] == "user" and not other.archived:
            raise ApiError(
                409,
                "conflict",
                f"A contact matching those details already exists with id={other.data['id']}",
            )
