"""What Intercom's answers mean to this action: typed results and typed refusals.

The client (``dal/intercom_client.py``) reads every 2xx answer into one of the small results
below, after checking its shape: an answer without what the result needs (a contact without a
string id, a listing without ``data``) is unreadable, and the transport retries it like any
other unreadable answer. A final 4xx becomes one refusal class; its ``body`` and ``request_id``
are what the action's output carries (docs/contract.md "Output"). Nothing above the data layer
sees a status code or Intercom's raw JSON; ``logic/intercom_errors.py`` turns refusals into the
contract's error codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from intercom_update.dal.transport import IntercomApiError, IntercomResponse

# How Intercom names a custom attribute that the workspace does not have (PUT /contacts).
_MISSING_ATTRIBUTE: Final = re.compile(r"Custom attribute '(?P<name>[^']*)' does not exist")
# A create refused with one of these may mean the attribute exists already: 400 is Intercom's
# documented answer for a taken or invalid name; 409 and 422 are not documented, but plausible.
_CREATE_REFUSED_BY_NAME: Final = frozenset({400, 409, 422})


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    id: str
    role: str
    # The contact as Intercom returned it: the output's json_output.
    json_text: str


@dataclass(frozen=True)
class SearchHit:
    id: str
    role: str | None
    # The stored value of the field that was searched (email or phone), when it is text.
    value: str | None


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    # How many entries the page listed (readable or not), and how many contacts match:
    # Intercom's total_count, or the page's own length when it gives none.
    listed: int
    total_count: int

    @property
    def incomplete(self) -> bool:
        """More matches than this page lists: some were not seen."""
        return self.total_count > self.listed


@dataclass(frozen=True)
class Company:
    id: str  # Intercom's id, what an attach needs
    company_id: str | None  # yours


@dataclass(frozen=True)
class DataAttribute:
    """One live (not archived) contact attribute of the workspace, custom or standard."""

    name: str
    full_name: str
    custom: bool
    data_type: str
    options: list[str] | None
    api_writable: bool


# -- shapes of the answers ------------------------------------------------------------------


def is_object_with_id(data: Any) -> bool:
    """An object with a non-empty text id (Intercom's ids are strings)."""
    return isinstance(data, dict) and isinstance(data.get("id"), str) and bool(data["id"])


def is_named_object(data: Any) -> bool:
    return isinstance(data, dict) and "name" in data


def is_listing(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("data"), list)


def is_company_or_listing(data: Any) -> bool:
    """``GET /companies?company_id=`` answers one company, or a list of them."""
    return is_listing(data) or (isinstance(data, dict) and "id" in data)


# -- reading them ---------------------------------------------------------------------------


def contact_of(response: IntercomResponse) -> Contact:
    """The contact of an answer that ``is_object_with_id``."""
    data = response.data
    return Contact(id=data["id"], role=str(data.get("role", "user")), json_text=response.text)


def search_page_of(response: IntercomResponse, field_name: str) -> SearchPage:
    """The hits of a listing; entries without a usable id are left out (never matched)."""
    items: list[Any] = response.data["data"]
    hits = [
        SearchHit(item["id"], _text_or_none(item.get("role")), _text_or_none(item.get(field_name)))
        for item in items
        if is_object_with_id(item)
    ]
    total = response.data.get("total_count")
    return SearchPage(hits, len(items), total if isinstance(total, int) else len(items))


def company_of(response: IntercomResponse) -> Company:
    """The company of an answer that ``is_object_with_id``."""
    return Company(response.data["id"], _text_or_none(response.data.get("company_id")))


def company_matching(response: IntercomResponse, company_id: str) -> Company | None:
    """The company with your ``company_id`` in an answer that ``is_company_or_listing``.

    An entry without an id cannot be attached: it is not taken for the company.
    """
    data = response.data
    candidates = data["data"] if is_listing(data) else [data]
    for company in candidates:
        if is_object_with_id(company) and company.get("company_id") == company_id:
            return Company(company["id"], company_id)
    return None


def contact_attributes_of(response: IntercomResponse) -> list[DataAttribute]:
    """The live contact attributes of a listing; entries that are not one are left out."""
    attributes: list[DataAttribute] = []
    for item in response.data["data"]:
        if not isinstance(item, dict) or item.get("archived"):
            continue
        if item.get("model", "contact") != "contact" or not isinstance(item.get("name"), str):
            continue
        raw_options = item.get("options")
        options = (
            [str(o.get("value", o) if isinstance(o, dict) else o) for o in raw_options]
            if isinstance(raw_options, list) and raw_options
            else None
        )
        attributes.append(
            DataAttribute(
                name=item["name"],
                full_name=str(item.get("full_name") or item["name"]),
                custom=item.get("custom") is True,
                data_type=str(item.get("data_type", "string")),
                options=options,
                api_writable=item.get("api_writable", True) is not False,
            )
        )
    return attributes


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# -- refusals -------------------------------------------------------------------------------


class IntercomRefusal(Exception):
    """Intercom refused the request for good: running it again changes nothing."""

    def __init__(self, answer: IntercomApiError) -> None:
        super().__init__(str(answer))
        self.body = answer.text
        self.request_id = answer.request_id
        self.message = answer.message
        # What Intercom answered, for messages: the status and its error code ("404 not_found").
        self.reply = f"{answer.status} {answer.code}"


class IntercomUnauthorized(IntercomRefusal):
    """The access token was refused (revoked, wrong workspace, missing permissions)."""


class IntercomNotFound(IntercomRefusal):
    """What was asked for does not exist."""


class IntercomConflict(IntercomRefusal):
    """Another contact already holds the email or external id."""


class IntercomUnknownAttribute(IntercomRefusal):
    """The workspace has no custom attribute ``attribute``."""

    def __init__(self, answer: IntercomApiError, attribute: str) -> None:
        super().__init__(answer)
        self.attribute = attribute


class IntercomUnwritableAttribute(IntercomRefusal):
    """Intercom refused to create the custom attribute ``attribute`` (its name is taken, by
    another model's attribute for instance, or not allowed)."""

    def __init__(self, answer: IntercomApiError, attribute: str) -> None:
        super().__init__(answer)
        self.attribute = attribute


class IntercomRefused(IntercomRefusal):
    """Any other final refusal."""


class IntercomAttributeNotCreated(IntercomRefusal):
    """Creating an attribute was refused in a way that may mean it exists already (someone
    created it first); ``reason`` is the refusal to report if it does not."""

    def __init__(self, answer: IntercomApiError, reason: IntercomRefusal) -> None:
        super().__init__(answer)
        self.reason = reason


def refusal_of(answer: IntercomApiError, method: str) -> IntercomRefusal:
    """The refusal a final 4xx answer is.

    A 404 to a GET is "not found" whatever its body says: a read cannot conflict or name a
    missing attribute. To a write, the body's error code and message say more than the status.
    """
    if answer.status in {401, 403}:
        return IntercomUnauthorized(answer)
    if answer.status == 404 and method == "GET":
        return IntercomNotFound(answer)
    if answer.status == 409 or answer.code == "conflict":
        return IntercomConflict(answer)
    missing = _MISSING_ATTRIBUTE.search(answer.message)
    if missing:
        return IntercomUnknownAttribute(answer, missing["name"])
    if answer.status == 404:
        return IntercomNotFound(answer)
    return IntercomRefused(answer)


def attribute_refusal_of(answer: IntercomApiError, name: str) -> IntercomRefusal:
    """The refusal a final 4xx answer to creating the contact attribute ``name`` is."""
    reason = refusal_of(answer, "POST")
    if answer.status not in _CREATE_REFUSED_BY_NAME:
        return reason
    if answer.status == 400:
        reason = IntercomUnwritableAttribute(answer, name)
    return IntercomAttributeNotCreated(answer, reason)
