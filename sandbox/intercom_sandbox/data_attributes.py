"""Data attributes: ``GET /data_attributes`` and ``POST /data_attributes``, the name rules, and
the check of a custom attribute's value."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intercom_sandbox.errors import bad_parameter, parameter_invalid, parameter_not_found
from intercom_sandbox.request import RouteCall, is_int, is_number, one
from intercom_sandbox.workspace import Workspace, now

ADMIN_ID = "991267700"
MAX_STRING_ATTRIBUTE_LENGTH = 255
# data_type values POST /data_attributes accepts, and what they are stored as.
CREATE_DATA_TYPES = {
    "string": "string",
    "integer": "integer",
    "float": "float",
    "boolean": "boolean",
    "date": "date",
    "datetime": "date",
    "options": "string",
}
MODEL_LABELS = {"contact": "people", "company": "company"}
_CREATE_FIELDS = ("name", "model", "data_type", "description", "options", "messenger_writable")


@dataclass(frozen=True)
class CustomAttribute:
    """A custom attribute to create (``data_type`` as given: ``datetime`` and ``options`` too)."""

    name: str
    model: str
    data_type: str
    description: str | None = None
    options: list[str] | None = None
    api_writable: bool = True
    messenger_writable: bool = False
    archived: bool = False


def valid_attribute_name(name: str) -> bool:
    """Intercom's rule: letters, digits, underscores, hyphens, spaces and currency symbols."""
    if not name or name != name.strip() or len(name) > 190 or name[0] == "$":
        return False
    return all(ch.isalnum() or ch in "_- " or unicodedata.category(ch) == "Sc" for ch in name)


def name_clash(ws: Workspace, model: str, name: str) -> str | None:
    """The error message if ``name`` is taken: attribute names are unique across the contact and
    company models, standard attributes included (the createDataAttribute "Same name already
    exists" example refuses people data named like company data)."""
    for attribute in ws.attributes:
        if name in (attribute["name"], attribute["full_name"]):
            existing = MODEL_LABELS[attribute["model"]]
            wanted = MODEL_LABELS[model]
            return (
                f"You already have '{name}' in your {existing} data. "
                f"To save this as new {wanted} data, use a different name."
            )
    return None


def create(ws: Workspace, spec: CustomAttribute) -> dict[str, Any]:
    """Store a custom attribute; the caller holds the lock and has checked ``name_clash``."""
    ws.attribute_ids += 1
    created = now()
    attribute: dict[str, Any] = {
        "id": ws.attribute_ids,
        "type": "data_attribute",
        "name": spec.name,
        "full_name": f"custom_attributes.{spec.name}",
        "label": spec.name,
    }
    if spec.description is not None:
        attribute["description"] = spec.description
    attribute["data_type"] = CREATE_DATA_TYPES[spec.data_type]
    if spec.options is not None:
        attribute["options"] = list(spec.options)
    attribute.update(
        api_writable=spec.api_writable,
        ui_writable=False,
        messenger_writable=spec.messenger_writable,
        custom=True,
        archived=spec.archived,
        admin_id=ADMIN_ID,
        created_at=created,
        updated_at=created,
        model=spec.model,
    )
    ws.attributes.append(attribute)
    ws.custom_attributes[(spec.model, spec.name)] = attribute
    return attribute


def live_custom_attribute(ws: Workspace, model: str, name: str) -> dict[str, Any] | None:
    """A custom attribute that is not archived."""
    attribute = ws.custom_attributes.get((model, name))
    if attribute is None or attribute["archived"]:
        return None
    return attribute


def contact_attribute_type(ws: Workspace, name: str) -> str | None:
    """The data type of a live custom contact attribute (what search checks values against)."""
    attribute = live_custom_attribute(ws, "contact", name)
    return None if attribute is None else str(attribute["data_type"])


def check_value(attribute: Mapping[str, Any], value: Any) -> None:
    """Refuse a value the custom attribute's type, length or options do not allow."""
    name = attribute["name"]
    data_type = attribute["data_type"]
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": is_int,
        "float": is_number,
        "boolean": lambda v: isinstance(v, bool),
        "date": is_int,
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


def list_attributes(ws: Workspace, call: RouteCall) -> dict[str, Any]:
    """``GET /data_attributes``."""
    model = one(call.query, "model")
    if model not in (None, "contact", "company", "conversation"):
        raise parameter_invalid("model must be one of contact, company, conversation")
    include = (one(call.query, "include_archived") or "false").lower()
    if include not in ("true", "false"):
        raise parameter_invalid("include_archived must be true or false")
    with ws.lock:
        items = [
            dict(a)
            for a in ws.attributes
            if (model is None or a["model"] == model) and (include == "true" or not a["archived"])
        ]
    return {"type": "list", "data": items}


def create_attribute(ws: Workspace, call: RouteCall) -> dict[str, Any]:
    """``POST /data_attributes``."""
    spec = _requested_attribute(call.body)
    with ws.lock:
        clash = name_clash(ws, spec.model, spec.name)
        if clash is not None:
            raise parameter_invalid(clash)
        return dict(create(ws, spec))


def _requested_attribute(body: Mapping[str, Any]) -> CustomAttribute:
    for key in body:
        if key not in _CREATE_FIELDS:
            raise bad_parameter(key)
    for key in ("name", "model", "data_type"):
        if body.get(key) is None:
            raise parameter_not_found(f"{key} is a required parameter")
    name, model, data_type = body["name"], body["model"], body["data_type"]
    description = body.get("description")
    messenger_writable = body.get("messenger_writable", False)
    if not isinstance(name, str):
        raise parameter_invalid("name must be a string")
    if model not in MODEL_LABELS:
        raise parameter_invalid("The Data Attribute model field must be either contact or company")
    if data_type not in CREATE_DATA_TYPES:
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
    return CustomAttribute(
        name=name,
        model=model,
        data_type=data_type,
        description=description,
        options=_requested_options(data_type, body.get("options")),
        messenger_writable=messenger_writable,
    )


def _requested_options(data_type: str, options: Any) -> list[str] | None:
    if data_type != "options":
        if options is not None:
            raise parameter_invalid("options are only valid with data_type 'options'")
        return None
    if (
        not isinstance(options, list)
        or len(options) < 2
        or not all(
            isinstance(o, dict) and isinstance(o.get("value"), str) and o["value"] for o in options
        )
    ):
        raise parameter_invalid(
            'A list attribute needs at least two options, each {"value": "..."}'
        )
    return [o["value"] for o in options]
