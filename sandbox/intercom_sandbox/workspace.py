"""The in-memory Intercom workspace: contacts, companies and data attributes behind one lock.

Methods named ``api_*`` implement the HTTP routes: they take decoded request data, raise
``ApiError`` for Intercom-style failures, and return fresh JSON-ready objects that the server
may serialise after the lock is released. Nested objects of stored records are never mutated in
place (they are replaced), so a shallow copy is a consistent snapshot.

The other public methods are the sandbox's Python API for tests: they bypass the API's
validation where that helps seeding, raise ``KeyError``/``ValueError``/``TypeError``, and
return deep copies.
"""

from __future__ import annotations

import copy
import hashlib
import math
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from intercom_sandbox import search
from intercom_sandbox.errors import (
    ApiError,
    bad_parameter,
    company_not_found,
    parameter_invalid,
    parameter_not_found,
    user_not_found,
)

WORKSPACE_ID = "sbx0ws01"
ADMIN_ID = "991267700"
MAX_STRING_ATTRIBUTE_LENGTH = 255
MAX_COMPANIES_PER_CONTACT = 1000
EMBEDDED_LIST_LIMIT = 10
DEFAULT_COMPANY_PAGE_SIZE = 15
DEFAULT_CONTACT_COMPANY_PAGE_SIZE = 50
MAX_LIST_PAGE_SIZE = 150

ROLES = ("user", "lead")
DATA_TYPES = ("string", "integer", "float", "boolean", "date")
# data_type values POST /data_attributes accepts, and what they are stored as.
_CREATE_DATA_TYPES = {
    "string": "string",
    "integer": "integer",
    "float": "float",
    "boolean": "boolean",
    "date": "date",
    "datetime": "date",
    "options": "string",
}
_MODEL_LABELS = {"contact": "people", "company": "company"}
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
_URL_RE = re.compile(r"^https?://[^\s/]+\S*$", re.IGNORECASE)

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

# POST /companies: the 2.14 create_or_update_company_request fields -> JSON type.
COMPANY_REQUEST_FIELDS: dict[str, str] = {
    "name": "string",
    "company_id": "string",
    "plan": "string",
    "size": "integer",
    "website": "string",
    "industry": "string",
    "custom_attributes": "object",
    "remote_created_at": "integer",
    "monthly_spend": "number",
    "update_last_request_at": "boolean",
}

# Built-in (non-custom) contact attributes: name, label, description, data_type, api_writable.
_BUILTIN_CONTACT_ATTRIBUTES: tuple[tuple[str, str, str, str, bool], ...] = (
    ("id", "ID", "The Intercom defined id representing the contact", "string", False),
    ("external_id", "User ID", "A unique identifier you have defined for the user", "string", True),
    ("role", "Role", "Whether the contact is a user or a lead", "string", True),
    ("name", "Name", "The name of the contact", "string", True),
    ("email", "Email", "The email address of the contact", "string", True),
    ("email_domain", "Email domain", "The domain of the contact's email", "string", False),
    ("phone", "Phone", "The phone number of the contact", "string", True),
    ("owner_id", "Owner", "The teammate who owns the contact", "integer", True),
    ("avatar", "Avatar", "An image URL containing the avatar of the contact", "string", True),
    ("signed_up_at", "Signed up", "When the user signed up", "date", True),
    ("last_seen_at", "Last seen", "When the contact was last seen", "date", True),
    ("created_at", "First seen", "When the contact was added to Intercom", "date", False),
    ("updated_at", "Updated at", "When the contact was last updated", "date", False),
    (
        "unsubscribed_from_emails",
        "Unsubscribed from emails",
        "Whether the contact is unsubscribed from emails",
        "boolean",
        True,
    ),
    (
        "has_hard_bounced",
        "Hard bounced",
        "Whether an email to the contact bounced",
        "boolean",
        False,
    ),
    (
        "marked_email_as_spam",
        "Marked email as spam",
        "Whether the contact marked an email as spam",
        "boolean",
        False,
    ),
    ("last_contacted_at", "Last contacted", "When the contact was last messaged", "date", False),
    ("last_replied_at", "Last heard from", "When the contact last messaged in", "date", False),
    ("last_email_opened_at", "Last opened email", "When an email was last opened", "date", False),
    (
        "last_email_clicked_at",
        "Last clicked on link in email",
        "When a link in an email was last clicked",
        "date",
        False,
    ),
    ("language_override", "Language override", "The contact's chosen language", "string", True),
    ("browser", "Browser", "The browser the contact last used", "string", False),
    ("browser_version", "Browser version", "The version of that browser", "string", False),
    ("browser_language", "Browser language", "The language of that browser", "string", False),
    ("os", "OS", "The operating system the contact last used", "string", False),
    # Read-only marketing fields of every 2.x contact (the GET/PUT response examples).
    ("utm_campaign", "UTM Campaign", "The campaign the contact came from", "string", False),
    ("utm_content", "UTM Content", "The content the contact came from", "string", False),
    ("utm_medium", "UTM Medium", "The medium the contact came from", "string", False),
    ("utm_source", "UTM Source", "The source the contact came from", "string", False),
    ("utm_term", "UTM Term", "The term the contact came from", "string", False),
    ("referrer", "Referral URL", "The page the contact came from", "string", False),
    *(
        (f"{platform}_{part}", f"{label} {part.replace('_', ' ')}", f"{label} data", kind, False)
        for platform, label in (("android", "Android"), ("ios", "iOS"))
        for part, kind in (
            ("app_name", "string"),
            ("app_version", "string"),
            ("device", "string"),
            ("os_version", "string"),
            ("sdk_version", "string"),
            ("last_seen_at", "date"),
        )
    ),
)

# Built-in company attributes, as in the 2.14 GET /data_attributes example.
_BUILTIN_COMPANY_ATTRIBUTES: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("name", "name", "Company name", "The name of a company", "string", True),
    ("company_id", "company_id", "Company ID", "A number identifying a company", "string", False),
    (
        "last_request_at",
        "last_request_at",
        "Company last seen",
        "The last day anyone from a company visited your site or app",
        "date",
        False,
    ),
    (
        "remote_created_at",
        "remote_created_at",
        "Company created at",
        "The day a company was added to Intercom",
        "date",
        True,
    ),
    ("user_count", "user_count", "People", "The number of people in a company", "integer", False),
    (
        "session_count",
        "session_count",
        "Company web sessions",
        "All visits from anyone in a company to your product's site or app",
        "integer",
        False,
    ),
    (
        "name",
        "plan.name",
        "Plan",
        "A specific plan or level within your product that companies have signed up to",
        "string",
        False,
    ),
    (
        "monthly_spend",
        "monthly_spend",
        "Monthly Spend",
        "The monthly revenue you receive from a company",
        "float",
        True,
    ),
    (
        "size",
        "size",
        "Company size",
        "The number of people employed in this company",
        "integer",
        True,
    ),
    (
        "industry",
        "industry",
        "Company industry",
        "The category this company belongs to",
        "string",
        True,
    ),
    (
        "website",
        "website",
        "Company website",
        "The company's primary marketing site",
        "string",
        True,
    ),
    ("id", "id", "ID", "The Intercom defined id representing the company", "string", False),
    ("created_at", "created_at", "Created at", "The time the company was added", "date", False),
    (
        "updated_at",
        "updated_at",
        "Updated at",
        "The last time the company was updated",
        "date",
        False,
    ),
)

# Contact keys a test may set through add_contact(**other_fields).
_SEEDABLE_CONTACT_FIELDS = frozenset(
    {
        "avatar",
        "owner_id",
        "has_hard_bounced",
        "marked_email_as_spam",
        "unsubscribed_from_emails",
        "created_at",
        "updated_at",
        "signed_up_at",
        "last_seen_at",
        "last_replied_at",
        "last_contacted_at",
        "last_email_opened_at",
        "last_email_clicked_at",
        "language_override",
        "browser",
        "browser_version",
        "browser_language",
        "os",
        "location",
        "android_app_name",
        "android_app_version",
        "android_device",
        "android_os_version",
        "android_sdk_version",
        "android_last_seen_at",
        "ios_app_name",
        "ios_app_version",
        "ios_device",
        "ios_os_version",
        "ios_sdk_version",
        "ios_last_seen_at",
        "utm_campaign",
        "utm_content",
        "utm_medium",
        "utm_source",
        "utm_term",
        "referrer",
        "enabled_push_messaging",
    }
)

_COMPANY_SEEDABLE_FIELDS = frozenset(
    {
        "plan",
        "size",
        "website",
        "industry",
        "custom_attributes",
        "remote_created_at",
        "monthly_spend",
        "session_count",
        "user_count",
        "last_request_at",
        "created_at",
        "updated_at",
    }
)


def now() -> int:
    return int(time.time())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _json_type_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return _is_int(value)
    if kind == "number":
        return _is_number(value)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, dict)  # object


_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "an object",
}


def valid_attribute_name(name: str) -> bool:
    """Intercom's rule: letters, digits, underscores, hyphens, spaces and currency symbols."""
    if not name or name != name.strip() or len(name) > 190 or name[0] == "$":
        return False
    return all(ch.isalnum() or ch in "_- " or unicodedata.category(ch) == "Sc" for ch in name)


def _location(**values: Any) -> dict[str, Any]:
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


def _avatar(url: str | None) -> dict[str, Any] | None:
    return None if url is None else {"type": "avatar", "image_url": url}


# Intercom strips these from stored phone numbers ("+1 (555) 192-1922" is kept as
# "+15551921922"; Intercom help article 6311200, "Customer phone numbers").
_PHONE_FORMATTING = str.maketrans("", "", " ()-")


def stored_phone(phone: str | None) -> str | None:
    """A phone number as Intercom stores it."""
    return None if phone is None else phone.translate(_PHONE_FORMATTING)


def _email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].lower()


class _Contact:
    __slots__ = ("archived", "company_ids", "data", "seq")

    def __init__(self, data: dict[str, Any], seq: int, archived: bool) -> None:
        self.data = data
        self.seq = seq
        self.archived = archived
        self.company_ids: list[str] = []


class _Company:
    __slots__ = ("data", "seq")

    def __init__(self, data: dict[str, Any], seq: int) -> None:
        self.data = data
        self.seq = seq


def _new_contact_data(contact_id: str, created: int) -> dict[str, Any]:
    """Every top-level key of the 2.14 contact, in the order of Intercom's GET example."""
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
        "location": _location(),
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


def _one(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _int_query(query: Mapping[str, list[str]], name: str, default: int, maximum: int) -> int:
    values = query.get(name)
    if not values:
        return default
    raw = values[-1]
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise parameter_invalid(f"{name} must be an integer between 1 and {maximum}")
    return int(raw)


class Workspace:
    """One Intercom workspace (app). Thread-safe: every operation holds ``self.lock``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._contacts: dict[str, _Contact] = {}
        self._by_email: dict[str, set[str]] = {}
        self._by_external_id: dict[str, set[str]] = {}
        self._companies: dict[str, _Company] = {}
        self._by_company_id: dict[str, str] = {}
        self._attributes: list[dict[str, Any]] = []
        self._custom: dict[tuple[str, str], dict[str, Any]] = {}
        self._seq = 0
        self._attribute_ids = 0
        # Intercom does not document whether email search ignores case: tests run under both.
        self.exact_email_search = False
        self.reset()

    # ------------------------------------------------------------------ housekeeping

    def reset(self) -> None:
        with self.lock:
            self._contacts.clear()
            self._by_email.clear()
            self._by_external_id.clear()
            self._companies.clear()
            self._by_company_id.clear()
            self._attributes.clear()
            self._custom.clear()
            self._seq = 0
            self._attribute_ids = 0
            self.exact_email_search = False
            self._seed_builtin_attributes()

    def _seed_builtin_attributes(self) -> None:
        for name, label, description, data_type, writable in _BUILTIN_CONTACT_ATTRIBUTES:
            self._attributes.append(
                self._builtin_attribute(
                    "contact", name, name, label, description, data_type, writable
                )
            )
        for name, full_name, label, description, data_type, writable in _BUILTIN_COMPANY_ATTRIBUTES:
            self._attributes.append(
                self._builtin_attribute(
                    "company", name, full_name, label, description, data_type, writable
                )
            )

    @staticmethod
    def _builtin_attribute(
        model: str,
        name: str,
        full_name: str,
        label: str,
        description: str,
        data_type: str,
        api_writable: bool,
    ) -> dict[str, Any]:
        return {
            "type": "data_attribute",
            "name": name,
            "full_name": full_name,
            "label": label,
            "description": description,
            "data_type": data_type,
            "api_writable": api_writable,
            "ui_writable": False,
            "messenger_writable": True,
            "custom": False,
            "archived": False,
            "model": model,
        }

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _new_object_id(self, taken: Mapping[str, object]) -> str:
        """24 hex characters, like Intercom's (a timestamp then random bytes)."""
        while True:
            candidate = f"{now():08x}{secrets.token_hex(8)}"
            if candidate not in taken:
                return candidate

    # ------------------------------------------------------------------ indexes

    def _index(self, record: _Contact) -> None:
        cid = record.data["id"]
        email = record.data["email"]
        if email:
            self._by_email.setdefault(email.lower(), set()).add(cid)
        external_id = record.data["external_id"]
        if external_id is not None:
            self._by_external_id.setdefault(external_id, set()).add(cid)

    def _unindex(self, record: _Contact) -> None:
        cid = record.data["id"]
        email = record.data["email"]
        if email:
            self._by_email.get(email.lower(), set()).discard(cid)
        external_id = record.data["external_id"]
        if external_id is not None:
            self._by_external_id.get(external_id, set()).discard(cid)

    def _records(self, ids: Iterable[str]) -> list[_Contact]:
        return sorted((self._contacts[i] for i in ids if i in self._contacts), key=lambda r: r.seq)

    # ------------------------------------------------------------------ rendering

    def _render_contact(self, record: _Contact) -> dict[str, Any]:
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

    @staticmethod
    def _render_company(record: _Company) -> dict[str, Any]:
        data = {k: v for k, v in record.data.items() if v is not None}
        data["custom_attributes"] = dict(data["custom_attributes"])
        return data

    # ------------------------------------------------------------------ lookups

    def _contact_or_404(self, contact_id: str) -> _Contact:
        record = self._contacts.get(contact_id)
        if record is None:
            raise user_not_found()
        return record

    def _custom_attribute(self, model: str, name: str) -> dict[str, Any] | None:
        """A live (not archived) custom attribute."""
        attribute = self._custom.get((model, name))
        if attribute is None or attribute["archived"]:
            return None
        return attribute

    def _custom_contact_type(self, name: str) -> str | None:
        attribute = self._custom_attribute("contact", name)
        return None if attribute is None else str(attribute["data_type"])

    # ================================================================== Python API

    def add_contact(
        self,
        role: str = "user",
        email: str | None = None,
        external_id: str | None = None,
        phone: str | None = None,
        name: str | None = None,
        custom_attributes: Mapping[str, Any] | None = None,
        **other_fields: Any,
    ) -> dict[str, Any]:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        fields = dict(other_fields)
        contact_id = fields.pop("id", None)
        archived = bool(fields.pop("archived", False))
        unknown = sorted(set(fields) - _SEEDABLE_CONTACT_FIELDS)
        if unknown:
            raise TypeError(f"add_contact() got unknown field(s): {', '.join(unknown)}")
        with self.lock:
            if contact_id is None:
                contact_id = self._new_object_id(self._contacts)
            elif not isinstance(contact_id, str) or not contact_id or contact_id in self._contacts:
                raise ValueError(f"contact id {contact_id!r} is invalid or already used")
            data = _new_contact_data(contact_id, now())
            data.update(
                role=role,
                email=email,
                email_domain=_email_domain(email),
                external_id=external_id,
                phone=stored_phone(phone),
                name=name,
                custom_attributes=dict(custom_attributes or {}),
            )
            for key, value in fields.items():
                if key == "avatar":
                    data["avatar"] = _avatar(value) if not isinstance(value, dict) else dict(value)
                elif key == "location":
                    data["location"] = _location(**value)
                else:
                    data[key] = value
            if "updated_at" not in fields:
                data["updated_at"] = max(data["updated_at"], data["created_at"])
            record = _Contact(data, self._next_seq(), archived)
            self._contacts[contact_id] = record
            self._index(record)
            return copy.deepcopy(self._render_contact(record))

    def contact(self, contact_id: str) -> dict[str, Any]:
        with self.lock:
            record = self._contacts.get(contact_id)
            if record is None:
                raise KeyError(contact_id)
            return copy.deepcopy(self._render_contact(record))

    def contact_companies(self, contact_id: str) -> list[dict[str, Any]]:
        with self.lock:
            record = self._contacts.get(contact_id)
            if record is None:
                raise KeyError(contact_id)
            return copy.deepcopy(
                [self._render_company(self._companies[i]) for i in record.company_ids]
            )

    def attach_company(self, contact_id: str, company_id: str) -> dict[str, Any]:
        """Attach by Intercom company ``id`` (not your ``company_id``)."""
        with self.lock:
            record = self._contacts.get(contact_id)
            if record is None:
                raise KeyError(contact_id)
            if company_id not in self._companies:
                raise KeyError(company_id)
            return copy.deepcopy(self._attach(record, company_id))

    def add_company(
        self, company_id: str, name: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        unknown = sorted(set(fields) - _COMPANY_SEEDABLE_FIELDS)
        if unknown:
            raise TypeError(f"add_company() got unknown field(s): {', '.join(unknown)}")
        if not isinstance(company_id, str) or not company_id:
            raise ValueError("company_id must be a non-empty string")
        with self.lock:
            if company_id in self._by_company_id:
                raise ValueError(f"company_id {company_id!r} already exists")
            record = self._create_company(company_id, name)
            for key, value in fields.items():
                if key == "plan":
                    record.data["plan"] = self._plan(value)
                elif key == "custom_attributes":
                    record.data["custom_attributes"] = dict(value)
                else:
                    record.data[key] = value
            return copy.deepcopy(self._render_company(record))

    def company_by_company_id(self, company_id: str) -> dict[str, Any] | None:
        with self.lock:
            intercom_id = self._by_company_id.get(company_id)
            if intercom_id is None:
                return None
            return copy.deepcopy(self._render_company(self._companies[intercom_id]))

    def add_data_attribute(
        self,
        name: str,
        data_type: str = "string",
        model: str = "contact",
        api_writable: bool = True,
        options: Iterable[Any] | None = None,
        archived: bool = False,
        *,
        description: str | None = None,
        messenger_writable: bool = False,
    ) -> dict[str, Any]:
        """A custom attribute. Skips the API's name-character rule; duplicates are refused."""
        if model not in _MODEL_LABELS:
            raise ValueError("model must be 'contact' or 'company'")
        if data_type not in _CREATE_DATA_TYPES:
            raise ValueError(f"data_type must be one of {tuple(_CREATE_DATA_TYPES)}")
        option_values: list[str] | None = None
        if options is not None:
            option_values = [str(o["value"]) if isinstance(o, Mapping) else str(o) for o in options]
        with self.lock:
            clash = self._name_clash(model, name)
            if clash is not None:
                raise ValueError(clash)
            attribute = self._new_custom_attribute(
                name=name,
                model=model,
                data_type=_CREATE_DATA_TYPES[data_type],
                description=description,
                options=option_values,
                api_writable=api_writable,
                messenger_writable=messenger_writable,
                archived=archived,
            )
            return copy.deepcopy(attribute)

    def data_attributes(self, model: str = "contact") -> list[dict[str, Any]]:
        """Every attribute of the model, built-in and custom, archived included."""
        with self.lock:
            return copy.deepcopy([a for a in self._attributes if a["model"] == model])

    # ================================================================== contacts API

    def api_get_contact(self, contact_id: str) -> dict[str, Any]:
        with self.lock:
            return self._render_contact(self._contact_or_404(contact_id))

    def api_find_by_external_id(self, external_id: str) -> dict[str, Any]:
        with self.lock:
            for record in self._records(self._by_external_id.get(external_id, ())):
                if record.data["role"] == "user" and not record.archived:
                    return self._render_contact(record)
            raise user_not_found()

    def api_search(self, body: Mapping[str, Any]) -> dict[str, Any]:
        for key in body:
            if key not in ("query", "pagination", "sort"):
                raise bad_parameter(key)
        if body.get("query") is None:
            raise parameter_not_found("query parameter not found")
        query = body["query"]
        sort = body.get("sort")
        with self.lock:
            predicate = search.compile_query(
                query, self._custom_contact_type, exact_email=self.exact_email_search
            )
            ordering = None
            if sort is not None:
                if not isinstance(sort, dict):
                    raise parameter_invalid("sort must be an object")
                for key in sort:
                    if key not in ("field", "order"):
                        raise bad_parameter(key)
                ordering = search.sort_key(
                    sort.get("field"), sort.get("order"), self._custom_contact_type
                )
            paging = search.parse_paging(body.get("pagination"), query, sort)
            hint = search.index_hint(query)
            if hint is None:
                candidates: Iterable[_Contact] = self._contacts.values()
            else:
                field, values = hint
                index = {"email": self._by_email, "external_id": self._by_external_id}.get(field)
                ids: set[str] = set()
                for value in values:
                    if index is None:
                        ids.add(value)
                    else:
                        ids.update(index.get(value.lower() if field == "email" else value, ()))
                candidates = self._records(ids)
            matches = [r for r in candidates if not r.archived and predicate(r.data)]
            if ordering is not None:
                getter, descending = ordering
                present = [r for r in matches if getter(r.data) is not None]
                missing = [r for r in matches if getter(r.data) is None]
                try:
                    present.sort(key=lambda r: getter(r.data), reverse=descending)
                except TypeError:  # seeded values of mixed types: fall back to their text
                    present.sort(key=lambda r: str(getter(r.data)), reverse=descending)
                matches = present + missing
            total = len(matches)
            page = matches[paging.offset : paging.offset + paging.per_page]
            pages: dict[str, Any] = {"type": "pages"}
            if paging.offset + paging.per_page < total:
                pages["next"] = {
                    "per_page": paging.per_page,
                    "starting_after": search.encode_cursor(
                        paging.offset + paging.per_page, query, sort
                    ),
                }
            pages.update(
                page=paging.offset // paging.per_page + 1,
                per_page=paging.per_page,
                total_pages=math.ceil(total / paging.per_page),
            )
            return {
                "type": "list",
                "data": [self._render_contact(r) for r in page],
                "total_count": total,
                "pages": pages,
            }

    def api_update_contact(self, contact_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            record = self._contact_or_404(contact_id)
            changes = self._validate_contact_update(record, body)
            self._unindex(record)
            data = dict(record.data)
            data.update(changes)
            data["updated_at"] = max(now(), data["updated_at"])
            record.data = data
            self._index(record)
            return self._render_contact(record)

    def _validate_contact_update(self, record: _Contact, body: Mapping[str, Any]) -> dict[str, Any]:
        """The changes a PUT body asks for, fully validated (nothing is applied on error)."""
        for key in body:
            if key not in UPDATE_CONTACT_FIELDS:
                raise bad_parameter(key)
        for key, value in body.items():
            kind, nullable = UPDATE_CONTACT_FIELDS[key]
            if value is None:
                if not nullable:
                    raise parameter_invalid(f"{key} must be {_TYPE_NAMES[kind]}, not null")
            elif not _json_type_ok(kind, value):
                raise parameter_invalid(f"{key} must be {_TYPE_NAMES[kind]}")
        changes: dict[str, Any] = {}
        for key, value in body.items():
            if key == "role":
                if value not in ROLES:
                    raise parameter_invalid("role must be 'user' or 'lead'")
                changes["role"] = value
            elif key == "email":
                if len(value) > 255 or (value and not _EMAIL_RE.match(value)):
                    raise parameter_invalid("email is not a valid email address")
                changes["email"] = value or None
                changes["email_domain"] = _email_domain(value)
            elif key == "external_id":
                if len(value) > 255:
                    raise parameter_invalid("external_id must be at most 255 characters")
                changes["external_id"] = value or None
            elif key == "avatar":
                if value is not None and not _URL_RE.match(value):
                    raise parameter_invalid("avatar must be an image URL")
                changes["avatar"] = _avatar(value)
            elif key == "phone":
                changes["phone"] = stored_phone(value)
            elif key == "unsubscribed_from_emails":
                changes[key] = bool(value)
            elif key == "custom_attributes":
                if value is not None:
                    changes[key] = self._merged_custom_attributes(record, value)
            else:
                changes[key] = value
        self._check_uniqueness(record, changes)
        return changes

    def _merged_custom_attributes(
        self, record: _Contact, values: Mapping[str, Any]
    ) -> dict[str, Any]:
        merged = dict(record.data["custom_attributes"])
        for name, value in values.items():
            attribute = self._custom_attribute("contact", name)
            if attribute is None or not attribute["api_writable"]:
                raise parameter_invalid(f"Custom attribute '{name}' does not exist")
            if value is None:
                merged.pop(name, None)
                continue
            _check_attribute_value(attribute, value)
            merged[name] = value
        return merged

    def _check_uniqueness(self, record: _Contact, changes: Mapping[str, Any]) -> None:
        """409 when a changed email/external_id belongs to another live user."""
        own_id = record.data["id"]
        new_email = changes.get("email")
        old_email = record.data["email"]
        if new_email and (old_email or "").lower() != new_email.lower():
            self._raise_if_taken(own_id, self._by_email.get(new_email.lower(), ()))
        new_external_id = changes.get("external_id")
        if new_external_id and new_external_id != record.data["external_id"]:
            self._raise_if_taken(own_id, self._by_external_id.get(new_external_id, ()))

    def _raise_if_taken(self, own_id: str, holders: Iterable[str]) -> None:
        for other in self._records(holders):
            if other.data["id"] != own_id and other.data["role"] == "user" and not other.archived:
                raise ApiError(
                    409,
                    "conflict",
                    f"A contact matching those details already exists with id={other.data['id']}",
                )

    # ================================================================== companies API

    def _plan(self, plan: Any) -> dict[str, Any]:
        if plan is None or plan == {}:
            return {}
        if isinstance(plan, Mapping):
            return dict(plan)
        digest = hashlib.sha256(str(plan).encode()).hexdigest()
        return {"type": "plan", "id": str(int(digest[:8], 16) % 1_000_000), "name": str(plan)}

    def _create_company(self, company_id: str, name: str | None) -> _Company:
        intercom_id = self._new_object_id(self._companies)
        created = now()
        data: dict[str, Any] = {
            "type": "company",
            "company_id": company_id,
            "id": intercom_id,
            "app_id": WORKSPACE_ID,
            "name": name,
            "remote_created_at": None,
            "created_at": created,
            "updated_at": created,
            "last_request_at": None,
            "monthly_spend": 0,
            "session_count": 0,
            "user_count": 0,
            "size": None,
            "website": None,
            "industry": None,
            "tags": {"type": "tag.list", "tags": []},
            "segments": {"type": "segment.list", "segments": []},
            "plan": {},
            "custom_attributes": {},
        }
        record = _Company(data, self._next_seq())
        self._companies[intercom_id] = record
        self._by_company_id[company_id] = intercom_id
        return record

    def _attach(self, record: _Contact, company_intercom_id: str) -> dict[str, Any]:
        company = self._companies[company_intercom_id]
        if company_intercom_id not in record.company_ids:
            if len(record.company_ids) >= MAX_COMPANIES_PER_CONTACT:
                raise ApiError(
                    400,
                    "contact_company_limit_exceeded",
                    f"Contact has reached the maximum of {MAX_COMPANIES_PER_CONTACT} "
                    "company associations",
                )
            record.company_ids = [*record.company_ids, company_intercom_id]
            data = dict(company.data)
            data["user_count"] = int(data["user_count"]) + 1
            data["updated_at"] = max(now(), data["updated_at"])
            company.data = data
            contact = dict(record.data)
            contact["updated_at"] = max(now(), contact["updated_at"])
            record.data = contact
        return self._render_company(company)

    def api_attach_company(self, contact_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            record = self._contact_or_404(contact_id)
            for key in body:
                if key != "id":
                    raise bad_parameter(key)
            company_id = body.get("id")
            if company_id is None or company_id == "":
                raise parameter_not_found("company not specified")
            if not isinstance(company_id, str):
                raise parameter_invalid("id must be a string")
            if company_id not in self._companies:
                raise company_not_found()
            return self._attach(record, company_id)

    def api_list_contact_companies(
        self, contact_id: str, query: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        with self.lock:
            record = self._contact_or_404(contact_id)
            per_page = _int_query(
                query, "per_page", DEFAULT_CONTACT_COMPANY_PAGE_SIZE, MAX_LIST_PAGE_SIZE
            )
            page = _int_query(query, "page", 1, 1_000_000)
            total = len(record.company_ids)
            chosen = record.company_ids[(page - 1) * per_page : page * per_page]
            total_pages = math.ceil(total / per_page)
            next_url = (
                f"/contacts/{contact_id}/companies?page={page + 1}&per_page={per_page}"
                if page < total_pages
                else None
            )
            return {
                "type": "list",
                "data": [self._render_company(self._companies[i]) for i in chosen],
                "pages": {
                    "type": "pages",
                    "next": next_url,
                    "page": page,
                    "per_page": per_page,
                    "total_pages": total_pages,
                },
                "total_count": total,
            }

    def api_get_companies(self, query: Mapping[str, list[str]]) -> dict[str, Any]:
        with self.lock:
            company_id = _one(query, "company_id")
            name = _one(query, "name")
            if company_id is not None:
                intercom_id = self._by_company_id.get(company_id)
                if intercom_id is None:
                    raise company_not_found()
                return self._render_company(self._companies[intercom_id])
            if name is not None:
                for company in sorted(self._companies.values(), key=lambda c: c.seq):
                    if company.data["name"] == name:
                        return self._render_company(company)
                raise company_not_found()
            per_page = _int_query(query, "per_page", DEFAULT_COMPANY_PAGE_SIZE, MAX_LIST_PAGE_SIZE)
            page = _int_query(query, "page", 1, 1_000_000)
            companies: list[_Company] = []
            if not query.get("tag_id") and not query.get("segment_id"):  # no tags or segments here
                companies = sorted(self._companies.values(), key=lambda c: c.seq)
            total = len(companies)
            chosen = companies[(page - 1) * per_page : page * per_page]
            return {
                "type": "list",
                "data": [self._render_company(c) for c in chosen],
                "pages": {
                    "type": "pages",
                    "next": None,
                    "page": page,
                    "per_page": per_page,
                    "total_pages": math.ceil(total / per_page),
                },
                "total_count": total,
            }

    def api_upsert_company(self, body: Mapping[str, Any]) -> dict[str, Any]:
        for key in body:
            if key not in COMPANY_REQUEST_FIELDS:
                raise bad_parameter(key)
        given = {k: v for k, v in body.items() if v is not None}
        for key, value in given.items():
            kind = COMPANY_REQUEST_FIELDS[key]
            if not _json_type_ok(kind, value):
                raise parameter_invalid(f"{key} must be {_TYPE_NAMES[kind]}")
        company_id = given.get("company_id") or None
        name = given.get("name") or None
        if company_id is None and name is None:
            raise parameter_not_found("company_id or name not specified")
        for key, value in given.get("custom_attributes", {}).items():
            if isinstance(value, dict | list):
                raise parameter_invalid(f"Custom attribute '{key}' must be a scalar value")
        with self.lock:
            if company_id is None:
                company_id = secrets.token_hex(12)
            intercom_id = self._by_company_id.get(company_id)
            if intercom_id is None:
                record = self._create_company(company_id, name)
            else:
                record = self._companies[intercom_id]
            data = dict(record.data)
            for key, value in given.items():
                if key == "company_id":
                    continue
                if key == "plan":
                    data["plan"] = self._plan(value)
                elif key == "monthly_spend":
                    data["monthly_spend"] = int(value)
                elif key == "custom_attributes":
                    data["custom_attributes"] = {**data["custom_attributes"], **value}
                elif key == "update_last_request_at":
                    if value:
                        data["last_request_at"] = now()
                else:
                    data[key] = value
            if intercom_id is not None:
                data["updated_at"] = max(now(), data["updated_at"])
            record.data = data
            return self._render_company(record)

    # ================================================================== data attributes API

    def _name_clash(self, model: str, name: str) -> str | None:
        """The error message if ``name`` is taken: attribute names are unique across the
        contact and company models, standard attributes included (the createDataAttribute
        "Same name already exists" example refuses people data named like company data)."""
        for attribute in self._attributes:
            if name in (attribute["name"], attribute["full_name"]):
                existing = _MODEL_LABELS[attribute["model"]]
                wanted = _MODEL_LABELS[model]
                return (
                    f"You already have '{name}' in your {existing} data. "
                    f"To save this as new {wanted} data, use a different name."
                )
        return None

    def _new_custom_attribute(
        self,
        *,
        name: str,
        model: str,
        data_type: str,
        description: str | None,
        options: list[str] | None,
        api_writable: bool,
        messenger_writable: bool,
        archived: bool,
    ) -> dict[str, Any]:
        self._attribute_ids += 1
        created = now()
        attribute: dict[str, Any] = {
            "id": self._attribute_ids,
            "type": "data_attribute",
            "name": name,
            "full_name": f"custom_attributes.{name}",
            "label": name,
        }
        if description is not None:
            attribute["description"] = description
        attribute["data_type"] = data_type
        if options is not None:
            attribute["options"] = list(options)
        attribute.update(
            api_writable=api_writable,
            ui_writable=False,
            messenger_writable=messenger_writable,
            custom=True,
            archived=archived,
            admin_id=ADMIN_ID,
            created_at=created,
            updated_at=created,
            model=model,
        )
        self._attributes.append(attribute)
        self._custom[(model, name)] = attribute
        return attribute

    def api_list_data_attributes(self, query: Mapping[str, list[str]]) -> dict[str, Any]:
        model = _one(query, "model")
        if model not in (None, "contact", "company", "conversation"):
            raise parameter_invalid("model must be one of contact, company, conversation")
        include = (_one(query, "include_archived") or "false").lower()
        if include not in ("true", "false"):
            raise parameter_invalid("include_archived must be true or false")
        with self.lock:
            items = [
                dict(a)
                for a in self._attributes
                if (model is None or a["model"] == model)
                and (include == "true" or not a["archived"])
            ]
        return {"type": "list", "data": items}

    def api_create_data_attribute(self, body: Mapping[str, Any]) -> dict[str, Any]:
        allowed = ("name", "model", "data_type", "description", "options", "messenger_writable")
        for key in body:
            if key not in allowed:
                raise bad_parameter(key)
        for key in ("name", "model", "data_type"):
            if body.get(key) is None:
                raise parameter_not_found(f"{key} is a required parameter")
        name, model, data_type = body["name"], body["model"], body["data_type"]
        description = body.get("description")
        options = body.get("options")
        messenger_writable = body.get("messenger_writable", False)
        if not isinstance(name, str):
            raise parameter_invalid("name must be a string")
        if model not in _MODEL_LABELS:
            raise parameter_invalid(
                "The Data Attribute model field must be either contact or company"
            )
        if data_type not in _CREATE_DATA_TYPES:
            raise parameter_invalid("Data Type isn't an option")
        if description is not None and not isinstance(description, str):
            raise parameter_invalid("description must be a string")
        if not isinstance(messenger_writable, bool):
            raise parameter_invalid("messenger_writable must be a boolean")
        if not valid_attribute_name(name):
            raise parameter_invalid(
                "Your name for this attribute must only contain alphanumeric characters, "
                "currency symbols, and hyphens"
            )
        option_values: list[str] | None = None
        if data_type == "options":
            if (
                not isinstance(options, list)
                or len(options) < 2
                or not all(
                    isinstance(o, dict) and isinstance(o.get("value"), str) and o["value"]
                    for o in options
                )
            ):
                raise parameter_invalid(
                    'A list attribute needs at least two options, each {"value": "..."}'
                )
            option_values = [o["value"] for o in options]
        elif options is not None:
            raise parameter_invalid("options are only valid with data_type 'options'")
        with self.lock:
            clash = self._name_clash(model, name)
            if clash is not None:
                raise parameter_invalid(clash)
            attribute = self._new_custom_attribute(
                name=name,
                model=model,
                data_type=_CREATE_DATA_TYPES[data_type],
                description=description,
                options=option_values,
                api_writable=True,
                messenger_writable=messenger_writable,
                archived=False,
            )
            return dict(attribute)


def _check_attribute_value(attribute: Mapping[str, Any], value: Any) -> None:
    name = attribute["name"]
    data_type = attribute["data_type"]
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": _is_int,
        "float": _is_number,
        "boolean": lambda v: isinstance(v, bool),
        "date": _is_int,
    }
    check = checks.get(data_type, lambda v: False)
    if not check(value):
        raise parameter_invalid(f"Custom attribute '{name}' must be of type {data_type}")
    if data_type == "string" and len(value) > MAX_STRING_ATTRIBUTE_LENGTH:
        raise parameter_invalid(
            f"Custom attribute '{name}' must be at most {MAX_STRING_ATTRIBUTE_LENGTH} characters"
        )
    options = attribute.get("options")
    if options is not None and str(value) not in options:
        raise parameter_invalid(f"Custom attribute '{name}' is not one of the options")
