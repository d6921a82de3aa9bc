"""Custom attribute values arrive as text; Intercom wants its attribute's data type."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime

_INTEGER = re.compile(r"^[+-]?\d{1,18}$", re.ASCII)
_FLOAT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
# The types Intercom's data attributes API lists for contact attributes.
DATA_TYPES = frozenset({"string", "integer", "float", "boolean", "date", "datetime"})


class AttributeValueError(ValueError):
    """The text cannot be converted to the attribute's type; the message says what is expected."""


def convert_attribute_value(
    text: str, data_type: str, options: list[str] | None = None
) -> str | int | float | bool:
    """Convert ``text`` to ``data_type``; dates become Unix seconds (UTC when no zone is given)."""
    value = text.strip()
    if data_type == "string":
        if options and value not in options:
            shown = ", ".join(options[:10]) + (" ..." if len(options) > 10 else "")
            raise AttributeValueError(f"must be one of the attribute's options: {shown}")
        return value
    if data_type == "integer":
        if not _INTEGER.fullmatch(value):
            raise AttributeValueError("must be a whole number (the attribute's type is integer)")
        return int(value)
    if data_type == "float":
        if not _FLOAT.fullmatch(value):
            raise AttributeValueError("must be a number (the attribute's type is float)")
        number = float(value)
        if not math.isfinite(number):
            raise AttributeValueError("must be a finite number")
        return number
    if data_type == "boolean":
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise AttributeValueError("must be true or false (the attribute's type is boolean)")
    if data_type in {"date", "datetime"}:
        return _unix_seconds(value)
    raise AttributeValueError(f"has a data type this action cannot write ({data_type})")


def _unix_seconds(value: str) -> int:
    if _INTEGER.fullmatch(value):
        return int(value)
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError:
        raise AttributeValueError(
            "must be a date: Unix seconds, or ISO 8601 such as 2026-11-27 or "
            "2026-11-27T10:00:00Z (the attribute's type is date)"
        ) from None
    return int(moment.timestamp())
