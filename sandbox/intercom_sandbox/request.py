"""What a route receives, and the checks every resource applies to query parameters and JSON."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intercom_sandbox.errors import parameter_invalid

TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "an object",
}


@dataclass(frozen=True)
class RouteCall:
    """What a route handler receives: decoded path parameters, the query, the JSON body."""

    params: tuple[str, ...]
    query: Mapping[str, list[str]]
    body: Mapping[str, Any]


def one(query: Mapping[str, list[str]], name: str) -> str | None:
    """The last value of a query parameter (repeated parameters: the last one wins)."""
    values = query.get(name)
    return values[-1] if values else None


def int_query(query: Mapping[str, list[str]], name: str, default: int, maximum: int) -> int:
    values = query.get(name)
    if not values:
        return default
    raw = values[-1]
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise parameter_invalid(f"{name} must be an integer between 1 and {maximum}")
    return int(raw)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def json_type_ok(kind: str, value: Any) -> bool:
    """Whether ``value`` has the JSON type ``kind`` (one of ``TYPE_NAMES``)."""
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return is_int(value)
    if kind == "number":
        return is_number(value)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, dict)  # object
