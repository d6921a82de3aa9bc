"""Custom attribute values arrive as text; Intercom wants its attribute's data type."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime

_INTEGER = re.compile(r"^[+-]?\d{1,18}$", re.ASCII)
_FLOAT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
# Digits alone are a date only where no other reading is plausible: 8 digits are ISO 8601 basic
# (YYYYMMDD); 9 or 10 digits are Unix seconds (1973-03-03 to 2286-11-20). Shorter strings are
# years or typos and longer ones milliseconds: read as seconds they would store a wrong date.
_UNIX_SECONDS = re.compile(r"^\d{9,10}$", re.ASCII)
_BASIC_DATE = re.compile(r"^\d{8}$", re.ASCII)
_DIGITS = re.compile(r"^[+-]?\d+$", re.ASCII)
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
# The types Intercom's data attributes API lists for contact attributes.
DATA_TYPES = frozenset({"string", "integer", "float", "boolean", "date", "datetime"})


class AttributeValueError(ValueError):
    """The text cannot be converted to the attribute's type; the message says what is expected."""


def convert_attribute_value(
    text: str, data_type: str, options: list[str] | None = None
) -> str | int | float | bool:
    """Convert ``text`` to ``data_type``; dates become Unix seconds (UTC when no zone is given).

    A date given as digits alone follows the rule at ``_UNIX_SECONDS``: it never silently
    becomes a day in 1970.
    """
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
    if _UNIX_SECONDS.fullmatch(value):
        return int(value)
    if _DIGITS.fullmatch(value) and not _BASIC_DATE.fullmatch(value):
        milliseconds = len(value.lstrip("+-")) == 13
        raise AttributeValueError(
            "must be a date: digits alone must be Unix seconds (9 or 10 digits, 1973-03-03 to "
            "2286-11-20) or an ISO 8601 basic date YYYYMMDD"
            + (" (13 digits look like milliseconds: divide by 1000)" if milliseconds else "")
            + "; for other dates use ISO 8601 such as 2026-11-27 (the attribute's type is date)"
        )
    try:
        if len(value) in {8, 10}:
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError:
        raise AttributeValueError(
            "must be a date: Unix seconds, or ISO 8601 such as 2026-11-27, 20261127 or "
            "2026-11-27T10:00:00Z (the attribute's type is date)"
        ) from None
    return int(moment.timestamp())
