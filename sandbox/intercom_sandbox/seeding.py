"""Seeding and inspecting the workspace from Python: the sandbox's test API.

It skips the REST API's validation where that helps a test set a scene (duplicates, archived
contacts, any stored field), raises ``KeyError``/``ValueError``/``TypeError``, and returns deep
copies. ``IntercomSandbox`` inherits it; the control API and the ``--seed`` file call it too.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from intercom_sandbox import companies, contacts, data_attributes
from intercom_sandbox.workspace import ContactRecord, Workspace, now

# Contact keys a test may set through add_contact(**other_fields): every stored field but the
# named parameters, the identity and the embedded lists.
_CONTACT_SEEDABLE_FIELDS = frozenset(contacts.new_contact_data("", 0)) - {
    # the named parameters
    "role",
    "email",
    "email_domain",
    "external_id",
    "phone",
    "name",
    "custom_attributes",
    # identity
    "type",
    "id",
    "workspace_id",
    # embedded lists, rendered from the workspace
    "social_profiles",
    "tags",
    "notes",
    "companies",
    "opted_out_subscription_types",
    "opted_in_subscription_types",
}

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


class Seeding:
    """The seeding half of ``IntercomSandbox``; ``workspace`` is the one it seeds."""

    workspace: Workspace

    # The signatures below are the documented Python API (sandbox/README.md): keyword
    # arguments a test names, so add_contact and add_data_attribute keep their 7 and 8.

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
        """Create a contact (no uniqueness or attribute checks); returns it as GET would.

        ``other_fields``: any other stored contact field, plus ``id`` and ``archived=True``."""
        if role not in contacts.ROLES:
            raise ValueError(f"role must be one of {contacts.ROLES}")
        fields = dict(other_fields)
        contact_id = fields.pop("id", None)
        archived = bool(fields.pop("archived", False))
        unknown = sorted(set(fields) - _CONTACT_SEEDABLE_FIELDS)
        if unknown:
            raise TypeError(f"add_contact() got unknown field(s): {', '.join(unknown)}")
        ws = self.workspace
        with ws.lock:
            if contact_id is None:
                contact_id = ws.new_object_id(ws.contacts)
            elif not isinstance(contact_id, str) or not contact_id or contact_id in ws.contacts:
                raise ValueError(f"contact id {contact_id!r} is invalid or already used")
            data = contacts.new_contact_data(contact_id, now())
            data.update(
                role=role,
                email=email,
                email_domain=contacts.email_domain(email),
                external_id=external_id,
                phone=contacts.stored_phone(phone),
                name=name,
                custom_attributes=dict(custom_attributes or {}),
            )
            data.update(_seeded_contact_fields(fields))
            if "updated_at" not in fields:
                data["updated_at"] = max(data["updated_at"], data["created_at"])
            record = ContactRecord(data, ws.next_seq(), archived)
            ws.contacts[contact_id] = record
            ws.index(record)
            return copy.deepcopy(contacts.render(record))

    def contact(self, contact_id: str) -> dict[str, Any]:
        with self.workspace.lock:
            return copy.deepcopy(contacts.render(self._contact(contact_id)))

    def contact_companies(self, contact_id: str) -> list[dict[str, Any]]:
        with self.workspace.lock:
            record = self._contact(contact_id)
            return copy.deepcopy(
                [companies.render(self.workspace.companies[i]) for i in record.company_ids]
            )

    def attach_company(self, contact_id: str, company_id: str) -> dict[str, Any]:
        """Attach a company (by its Intercom ``id``, not your ``company_id``) to a contact."""
        with self.workspace.lock:
            record = self._contact(contact_id)
            if company_id not in self.workspace.companies:
                raise KeyError(company_id)
            return copy.deepcopy(companies.attach(self.workspace, record, company_id))

    def add_company(
        self, company_id: str, name: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        unknown = sorted(set(fields) - _COMPANY_SEEDABLE_FIELDS)
        if unknown:
            raise TypeError(f"add_company() got unknown field(s): {', '.join(unknown)}")
        if not isinstance(company_id, str) or not company_id:
            raise ValueError("company_id must be a non-empty string")
        with self.workspace.lock:
            if company_id in self.workspace.by_company_id:
                raise ValueError(f"company_id {company_id!r} already exists")
            record = companies.create(self.workspace, company_id, name)
            for key, value in fields.items():
                if key == "plan":
                    record.data["plan"] = companies.plan(value)
                elif key == "custom_attributes":
                    record.data["custom_attributes"] = dict(value)
                else:
                    record.data[key] = value
            return copy.deepcopy(companies.render(record))

    def company_by_company_id(self, company_id: str) -> dict[str, Any] | None:
        with self.workspace.lock:
            intercom_id = self.workspace.by_company_id.get(company_id)
            if intercom_id is None:
                return None
            return copy.deepcopy(companies.render(self.workspace.companies[intercom_id]))

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
        if model not in data_attributes.MODEL_LABELS:
            raise ValueError("model must be 'contact' or 'company'")
        if data_type not in data_attributes.CREATE_DATA_TYPES:
            raise ValueError(f"data_type must be one of {tuple(data_attributes.CREATE_DATA_TYPES)}")
        spec = data_attributes.CustomAttribute(
            name=name,
            model=model,
            data_type=data_type,
            description=description,
            options=None if options is None else [_option_value(o) for o in options],
            api_writable=api_writable,
            messenger_writable=messenger_writable,
            archived=archived,
        )
        with self.workspace.lock:
            clash = data_attributes.name_clash(self.workspace, model, name)
            if clash is not None:
                raise ValueError(clash)
            return copy.deepcopy(data_attributes.create(self.workspace, spec))

    def data_attributes(self, model: str = "contact") -> list[dict[str, Any]]:
        """Every attribute of the model, built-in and custom, archived included."""
        with self.workspace.lock:
            return copy.deepcopy([a for a in self.workspace.attributes if a["model"] == model])

    def _contact(self, contact_id: str) -> ContactRecord:
        record = self.workspace.contacts.get(contact_id)
        if record is None:
            raise KeyError(contact_id)
        return record


def _seeded_contact_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Seeded fields as stored: ``avatar`` may be a URL, ``location`` a partial dict."""
    stored = dict(fields)
    if "avatar" in fields:
        value = fields["avatar"]
        stored["avatar"] = contacts.avatar(value) if not isinstance(value, dict) else dict(value)
    if "location" in fields:
        stored["location"] = contacts.location(**fields["location"])
    return stored


def _option_value(option: Any) -> str:
    return str(option["value"]) if isinstance(option, Mapping) else str(option)
