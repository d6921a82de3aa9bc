"""Custom attributes: check they exist and accept the values before anything is written.

Intercom 2.x refuses custom attributes that do not exist in the workspace. The list of the
workspace's contact attributes is cached per container (and per workspace) with a TTL; a name
missing from a cached list triggers one fresh fetch before it is declared missing. Standard
attributes are kept in the list too: a name Intercom already uses for one can never be written
(or created) as a custom attribute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from intercom_update.dal.intercom_client import IntercomApiError, IntercomClient
from intercom_update.logic.attribute_values import AttributeValueError, convert_attribute_value
from intercom_update.logic.intercom_errors import translate
from intercom_update.models.errors import AttributeNotFoundError, InputValidationError
from intercom_update.models.input import ATTRIBUTE_BACKED_FIELDS
from intercom_update.observability import logger
from intercom_update.settings import LEGACY_ATTRIBUTES_ENV

# What create_missing_attributes creates: the inputs are text, except session_count.
INTEGER_INPUTS: Final = frozenset({"session_count"})


@dataclass(frozen=True)
class AttributeSpec:
    name: str
    data_type: str
    options: list[str] | None
    api_writable: bool
    # False for Intercom's standard attributes (utm_*, email, ...): never a custom attribute.
    custom: bool = True


@dataclass(frozen=True)
class AttributePlan:
    values: dict[str, Any]
    to_create: dict[str, str]  # name -> data type


class AttributeCatalog:
    """Per-container cache of each workspace's contact attributes, custom and standard."""

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dict[str, AttributeSpec]]] = {}

    def get(
        self, workspace_key: str, client: IntercomClient, *, refresh: bool = False
    ) -> tuple[dict[str, AttributeSpec], bool]:
        """(attributes by name, whether they were fetched just now)."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(workspace_key)
        if entry and not refresh and now - entry[0] < self._ttl:
            return entry[1], False
        try:
            response = client.list_contact_attributes()
        except IntercomApiError as error:
            raise translate(error, "listing the workspace's custom attributes") from None
        specs = _parse_catalog(response.data["data"])
        with self._lock:
            self._entries[workspace_key] = (time.monotonic(), specs)
        return specs, True

    def remember(self, workspace_key: str, spec: AttributeSpec) -> None:
        with self._lock:
            entry = self._entries.get(workspace_key)
            if entry:
                # A new mapping, not an edit: other runs may be reading the one they were given.
                self._entries[workspace_key] = (entry[0], {**entry[1], spec.name: spec})

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _parse_catalog(items: list[Any]) -> dict[str, AttributeSpec]:
    specs: dict[str, AttributeSpec] = {}
    for item in items:
        if not isinstance(item, dict) or item.get("archived"):
            continue
        if item.get("model", "contact") != "contact" or not isinstance(item.get("name"), str):
            continue
        if item.get("custom") is not True:
            # A standard attribute blocks its name (and its full name, for nested ones).
            for name in {item["name"], str(item.get("full_name") or item["name"])}:
                specs.setdefault(name, AttributeSpec(name, "string", None, False, custom=False))
            continue
        raw_options = item.get("options")
        options = (
            [str(o.get("value", o) if isinstance(o, dict) else o) for o in raw_options]
            if isinstance(raw_options, list) and raw_options
            else None
        )
        specs[item["name"]] = AttributeSpec(
            name=item["name"],
            data_type=str(item.get("data_type", "string")),
            options=options,
            api_writable=item.get("api_writable", True) is not False,
        )
    return specs


def plan_attributes(
    texts: Mapping[str, tuple[str, str]],
    catalog: Mapping[str, AttributeSpec],
    *,
    create_missing: bool,
) -> AttributePlan:
    """Typed values for the PUT, or the reasons it cannot be written (all of them at once)."""
    values: dict[str, Any] = {}
    to_create: dict[str, str] = {}
    missing: list[dict[str, str]] = []
    invalid: list[dict[str, str]] = []
    for name, (field, text) in texts.items():
        spec = catalog.get(name)
        if spec is None:
            if create_missing:
                data_type = "integer" if field in INTEGER_INPUTS else "string"
                spec = AttributeSpec(name, data_type, None, True)
                to_create[name] = data_type
            else:
                missing.append({"field": field, "attribute": name})
                continue
        if not spec.custom:
            reason = "a standard Intercom attribute, not a custom one"
            missing.append({"field": field, "attribute": name, "reason": reason})
            continue
        if not spec.api_writable:
            missing.append({"field": field, "attribute": name, "reason": "not writable via API"})
            continue
        try:
            values[name] = convert_attribute_value(text, spec.data_type, spec.options)
        except AttributeValueError as exc:
            invalid.append({"field": field, "message": f"{exc} (attribute '{name}')"})
    if missing:
        raise AttributeNotFoundError(
            _missing_message(missing, len(invalid)),
            field=missing[0]["field"] if len(missing) == 1 and not invalid else None,
            details=[*missing, *invalid],
        )
    if invalid:
        raise InputValidationError(
            "; ".join(f"{p['field']}: {p['message']}" for p in invalid),
            field=invalid[0]["field"] if len(invalid) == 1 else None,
            details=invalid,
        )
    return AttributePlan(values=values, to_create=to_create)


def _missing_message(missing: list[dict[str, str]], invalid_count: int) -> str:
    names = ", ".join(f"'{m['attribute']}'" for m in missing)
    message = f"the Intercom workspace has no writable custom attribute {names}"
    fixes: list[str] = []
    if any("reason" not in m for m in missing):
        fixes.append(
            "create it in Intercom (Settings > Data > People) or set create_missing_attributes "
            "to true"
        )
    taken = [m for m in missing if "reason" in m]
    if taken:
        listed = ", ".join(f"'{m['attribute']}' is {m['reason']}" for m in taken)
        fixes.append(f"{listed}: use another attribute name")
    legacy = sorted({m["field"] for m in missing if m["field"] in ATTRIBUTE_BACKED_FIELDS})
    if legacy:
        fixes.append(
            f"the attribute for {', '.join(legacy)} is chosen by the deployment setting "
            f"{LEGACY_ATTRIBUTES_ENV} (template parameter LegacyAttributeNames)"
        )
    also = f"; also {invalid_count} value(s) of the wrong type" if invalid_count else ""
    return f"{message}; {'; '.join(fixes)}{also}"


def create_attribute(
    client: IntercomClient, catalog: AttributeCatalog, workspace_key: str, name: str, data_type: str
) -> None:
    """Create one missing attribute; someone else creating it first is fine."""
    try:
        client.create_contact_attribute(name, data_type)
    except IntercomApiError as error:
        if error.status not in {400, 409, 422}:
            raise translate(error, f"creating custom attribute '{name}'") from None
        fresh, _ = catalog.get(workspace_key, client, refresh=True)
        existing = fresh.get(name)
        if (existing is None or not existing.custom) and error.status == 400:
            # Names are unique across models: a company attribute can hold this one.
            raise AttributeNotFoundError(
                f"Intercom refused to create custom attribute '{name}': {error.message}; use "
                f"another attribute name (for session_count and utm_* inputs, the deployment "
                f"setting {LEGACY_ATTRIBUTES_ENV} chooses it)",
                intercom_body=error.text,
                intercom_request_id=error.request_id,
            ) from None
        if existing is None or not existing.custom:
            raise translate(error, f"creating custom attribute '{name}'") from None
        logger.info("custom attribute already existed", extra={"attribute": name})
        return
    catalog.remember(workspace_key, AttributeSpec(name, data_type, None, True))
    logger.info("created custom attribute", extra={"attribute": name, "data_type": data_type})
