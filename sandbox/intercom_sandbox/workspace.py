"""The in-memory Intercom workspace: the stored contacts, companies and data attributes.

This module only stores and indexes; each resource's module (``contacts``, ``companies``,
``data_attributes``) holds its routes, validation and rendering, and ``seeding`` the Python API
tests use. Every read or write holds ``Workspace.lock``. Nested objects of stored records are
never mutated in place (they are replaced), so a shallow copy is a consistent snapshot that the
server may serialise after the lock is released.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from intercom_sandbox.errors import user_not_found
from intercom_sandbox.standard_attributes import standard_attributes

WORKSPACE_ID = "sbx0ws01"


def now() -> int:
    return int(time.time())


class ContactRecord:
    """A stored contact: its JSON fields (``data``), creation order, and what is not in JSON."""

    __slots__ = ("archived", "company_ids", "data", "seq")

    def __init__(self, data: dict[str, Any], seq: int, archived: bool) -> None:
        self.data = data
        self.seq = seq
        self.archived = archived
        self.company_ids: list[str] = []


class CompanyRecord:
    __slots__ = ("data", "seq")

    def __init__(self, data: dict[str, Any], seq: int) -> None:
        self.data = data
        self.seq = seq


class Workspace:
    """One Intercom workspace (app)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.contacts: dict[str, ContactRecord] = {}
        self.by_email: dict[str, set[str]] = {}  # lower-cased email -> contact ids
        self.by_external_id: dict[str, set[str]] = {}
        self.companies: dict[str, CompanyRecord] = {}  # by Intercom id
        self.by_company_id: dict[str, str] = {}  # your company_id -> Intercom id
        self.attributes: list[dict[str, Any]] = []  # standard and custom, in creation order
        self.custom_attributes: dict[tuple[str, str], dict[str, Any]] = {}  # (model, name)
        self.attribute_ids = 0
        self._seq = 0
        # Intercom does not document whether email search ignores case: tests run under both.
        self.exact_email_search = False
        self.reset()

    def reset(self) -> None:
        """Empty, with the standard data attributes; ``exact_email_search`` back to false."""
        with self.lock:
            self.contacts.clear()
            self.by_email.clear()
            self.by_external_id.clear()
            self.companies.clear()
            self.by_company_id.clear()
            self.attributes[:] = standard_attributes()
            self.custom_attributes.clear()
            self.attribute_ids = 0
            self._seq = 0
            self.exact_email_search = False

    def next_seq(self) -> int:
        """The next creation-order number (contacts and companies share one counter)."""
        self._seq += 1
        return self._seq

    @staticmethod
    def new_object_id(taken: Mapping[str, object]) -> str:
        """24 hex characters, like Intercom's (a timestamp then random bytes)."""
        while True:
            candidate = f"{now():08x}{secrets.token_hex(8)}"
            if candidate not in taken:
                return candidate

    def index(self, record: ContactRecord) -> None:
        """Make the contact findable by its email and external_id (call after each change)."""
        for index, key in self._index_entries(record):
            index.setdefault(key, set()).add(record.data["id"])

    def unindex(self, record: ContactRecord) -> None:
        """Forget the contact's email and external_id (call before each change)."""
        for index, key in self._index_entries(record):
            index.get(key, set()).discard(record.data["id"])

    def _index_entries(self, record: ContactRecord) -> list[tuple[dict[str, set[str]], str]]:
        entries = []
        if record.data["email"]:
            entries.append((self.by_email, record.data["email"].lower()))
        if record.data["external_id"] is not None:
            entries.append((self.by_external_id, record.data["external_id"]))
        return entries

    def records(self, ids: Iterable[str]) -> list[ContactRecord]:
        """The contacts with these ids, in creation order (unknown ids are skipped)."""
        return sorted((self.contacts[i] for i in ids if i in self.contacts), key=lambda r: r.seq)

    def contact_or_404(self, contact_id: str) -> ContactRecord:
        record = self.contacts.get(contact_id)
        if record is None:
            raise user_not_found()
        return record
