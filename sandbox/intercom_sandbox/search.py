"""The ``POST /contacts/search`` query language: validation, compilation and pagination.

A query compiles once into a predicate over a contact's stored JSON, so a search costs one
function call per candidate contact.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from intercom_sandbox.errors import ApiError, bad_parameter, parameter_invalid

Contact = Mapping[str, Any]
Predicate = Callable[[Contact], bool]
Getter = Callable[[Contact], Any]
CustomTypeLookup = Callable[[str], str | None]

MAX_NESTING = 2
MAX_FILTERS_PER_GROUP = 15
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 150
SECONDS_PER_DAY = 86_400

# Searchable contact fields and their search types (the "Accepted Fields" table of the
# 2.14 search description). "tag" is tag_id/segment_id: only = and !=.
FIELD_TYPES: dict[str, str] = {
    "id": "string",
    "role": "string",
    "name": "string",
    "avatar": "string",
    "owner_id": "integer",
    "email": "string",
    "email_domain": "string",
    "phone": "string",
    "formatted_phone": "string",
    "external_id": "string",
    "created_at": "date",
    "signed_up_at": "date",
    "updated_at": "date",
    "last_seen_at": "date",
    "last_contacted_at": "date",
    "last_replied_at": "date",
    "last_email_opened_at": "date",
    "last_email_clicked_at": "date",
    "language_override": "string",
    "browser": "string",
    "browser_version": "string",
    "browser_language": "string",
    "os": "string",
    "location.country": "string",
    "location.region": "string",
    "location.city": "string",
    "unsubscribed_from_emails": "boolean",
    "marked_email_as_spam": "boolean",
    "has_hard_bounced": "boolean",
    "ios_last_seen_at": "date",
    "ios_app_version": "string",
    "ios_device": "string",
    "ios_app_device": "string",
    "ios_os_version": "string",
    "ios_app_name": "string",
    "ios_sdk_version": "string",
    "android_last_seen_at": "date",
    "android_app_version": "string",
    "android_device": "string",
    "android_app_name": "string",
    "android_sdk_version": "string",
    "andoid_sdk_version": "string",  # sic: Intercom's own field table spells it this way
    "segment_id": "tag",
    "tag_id": "tag",
}

# Custom attribute data types -> search types.
_CUSTOM_TYPES = {
    "string": "string",
    "integer": "integer",
    "float": "float",
    "boolean": "boolean",
    "date": "date",
}

# Fields compared case-insensitively (unless the workspace is set to match emails exactly:
# Intercom does not document the case rule, so tests can run under both).
CASE_INSENSITIVE_FIELDS = frozenset({"email", "email_domain"})

OPERATORS: dict[str, frozenset[str]] = {
    "string": frozenset({"=", "!=", "IN", "NIN", "~", "!~", "^", "$"}),
    "boolean": frozenset({"=", "!=", "IN", "NIN"}),
    "integer": frozenset({"=", "!=", "IN", "NIN", "<", ">", "<=", ">="}),
    "float": frozenset({"=", "!=", "IN", "NIN", "<", ">", "<=", ">="}),
    "date": frozenset({"=", "<", ">"}),
    "tag": frozenset({"=", "!="}),
}
ALL_OPERATORS = frozenset().union(*OPERATORS.values())
_NEGATIVE_OPERATORS = frozenset({"!=", "NIN", "!~"})


def query_invalid(message: str) -> ApiError:
    return ApiError(400, "query_invalid", message)


def invalid_field(field: str) -> ApiError:
    return ApiError(400, "invalid_field", f"'{field}' is not a valid search field")


# --------------------------------------------------------------------------- fields


def _field_type(field: Any, custom_type: CustomTypeLookup) -> str:
    if not isinstance(field, str) or not field:
        raise query_invalid("Each filter needs a 'field' string")
    if field.startswith("custom_attributes."):
        data_type = custom_type(field.removeprefix("custom_attributes."))
        if data_type is None or data_type not in _CUSTOM_TYPES:
            raise invalid_field(field)
        return _CUSTOM_TYPES[data_type]
    kind = FIELD_TYPES.get(field)
    if kind is None:
        raise invalid_field(field)
    return kind


def _getter(field: str) -> Getter:
    if field.startswith("custom_attributes."):
        name = field.removeprefix("custom_attributes.")
        return lambda c: c["custom_attributes"].get(name)
    if field.startswith("location."):
        part = field.removeprefix("location.")
        return lambda c: c["location"].get(part)
    if field == "avatar":
        return lambda c: c["avatar"]["image_url"] if c["avatar"] else None
    if field == "formatted_phone":
        return lambda c: c["phone"]
    if field in ("tag_id", "segment_id", "ios_app_device", "andoid_sdk_version"):
        if field == "andoid_sdk_version":
            return lambda c: c.get("android_sdk_version")
        return lambda c: None  # the sandbox has no tags, segments or that device field
    return lambda c: c.get(field)


# --------------------------------------------------------------------------- values


def _coerce(field: str, kind: str, value: Any) -> Any:
    """One scalar filter value, converted to the field's type (``None`` stays ``None``)."""
    if value is None:
        return None
    if kind in ("string", "tag"):
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise query_invalid(f"The value for '{field}' must be a string")
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise query_invalid(f"The value for '{field}' must be a boolean")
    if kind in ("integer", "date"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise query_invalid(f"The value for '{field}' must be an integer")
    # float
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    raise query_invalid(f"The value for '{field}' must be a number")


def _string_predicate(get: Getter, op: str, value: Any, fold: bool) -> Predicate:
    def norm(raw: Any) -> str | None:
        if raw is None or raw == "":
            return None
        text = raw if isinstance(raw, str) else str(raw)
        return text.lower() if fold else text

    if op in ("IN", "NIN"):
        wanted = {norm(v) for v in value}
        if op == "IN":
            return lambda c: norm(get(c)) in wanted
        return lambda c: norm(get(c)) not in wanted
    target = norm(value)
    if op == "=":
        return lambda c: norm(get(c)) == target
    if op == "!=":
        return lambda c: norm(get(c)) != target
    if target is None:
        raise query_invalid(f"Operator '{op}' needs a value")
    tests: dict[str, Callable[[str], bool]] = {
        "~": lambda s: target in s,
        "!~": lambda s: target not in s,
        "^": lambda s: s.startswith(target),
        "$": lambda s: s.endswith(target),
    }
    test = tests[op]
    negative = op in _NEGATIVE_OPERATORS

    def predicate(c: Contact) -> bool:
        stored = norm(get(c))
        return negative if stored is None else test(stored)

    return predicate


def _date_predicate(get: Getter, op: str, value: Any) -> Predicate:
    # Intercom matches timestamps by calendar day (the sandbox workspace's timezone is UTC).
    if value is None:
        if op != "=":
            raise query_invalid(f"Operator '{op}' needs a value")
        return lambda c: get(c) is None
    day_start = (value // SECONDS_PER_DAY) * SECONDS_PER_DAY
    next_day = day_start + SECONDS_PER_DAY

    def predicate(c: Contact) -> bool:
        stored = get(c)
        if stored is None:
            return False
        if op == "=":
            return bool(day_start <= stored < next_day)
        if op == ">":
            return bool(stored >= next_day)
        return bool(stored < day_start)  # "<"

    return predicate


def _ordered_predicate(get: Getter, op: str, value: Any) -> Predicate:
    """Numbers and booleans: equality, sets and (numbers) comparisons."""
    if op == "IN":
        wanted = list(value)
        return lambda c: get(c) in wanted
    if op == "NIN":
        unwanted = list(value)
        return lambda c: get(c) not in unwanted
    if op == "=":
        return lambda c: get(c) == value
    if op == "!=":
        return lambda c: get(c) != value
    if value is None:
        raise query_invalid(f"Operator '{op}' needs a value")
    compare: dict[str, Callable[[Any], bool]] = {
        "<": lambda v: bool(v < value),
        ">": lambda v: bool(v > value),
        "<=": lambda v: bool(v <= value),
        ">=": lambda v: bool(v >= value),
    }
    test = compare[op]

    def predicate(c: Contact) -> bool:
        stored = get(c)
        if stored is None or isinstance(stored, bool) or not isinstance(stored, int | float):
            return False
        return test(stored)

    return predicate


# --------------------------------------------------------------------------- compile


def _compile_single(
    node: Mapping[str, Any], custom_type: CustomTypeLookup, folded: frozenset[str]
) -> Predicate:
    field = node.get("field")
    kind = _field_type(field, custom_type)
    assert isinstance(field, str)  # noqa: S101 - checked by _field_type
    op = node.get("operator")
    if not isinstance(op, str) or op not in ALL_OPERATORS:
        raise query_invalid(f"'{op}' is not a valid operator")
    if op not in OPERATORS[kind]:
        raise query_invalid(f"Operator '{op}' is not supported for field '{field}'")
    if "value" not in node:
        raise query_invalid(f"The filter on '{field}' needs a 'value'")
    raw = node["value"]
    value: Any
    if op in ("IN", "NIN"):
        if not isinstance(raw, list) or not raw:
            raise query_invalid(f"Operator '{op}' needs a non-empty array value")
        value = [_coerce(field, kind, item) for item in raw]
    else:
        if isinstance(raw, list | dict):
            raise query_invalid(f"Operator '{op}' needs a single value")
        value = _coerce(field, kind, raw)
    get = _getter(field)
    if kind in ("string", "tag"):
        return _string_predicate(get, op, value, field in folded)
    if kind == "date":
        return _date_predicate(get, op, value)
    return _ordered_predicate(get, op, value)


def _compile(
    node: Any, depth: int, custom_type: CustomTypeLookup, folded: frozenset[str]
) -> Predicate:
    if not isinstance(node, dict):
        raise query_invalid("Each filter must be an object")
    if "field" in node:
        return _compile_single(node, custom_type, folded)
    op = node.get("operator")
    if op not in ("AND", "OR"):
        raise query_invalid(
            "A filter needs 'field', 'operator' and 'value', "
            "or 'operator' AND/OR with a 'value' array of filters"
        )
    if depth >= MAX_NESTING:
        raise query_invalid(f"A query can nest at most {MAX_NESTING} levels of AND/OR groups")
    items = node.get("value")
    if not isinstance(items, list) or not items:
        raise query_invalid(f"An {op} group needs a non-empty 'value' array")
    if len(items) > MAX_FILTERS_PER_GROUP:
        raise query_invalid(f"An {op} group can hold at most {MAX_FILTERS_PER_GROUP} filters")
    children = [_compile(item, depth + 1, custom_type, folded) for item in items]
    if op == "AND":
        return lambda c: all(p(c) for p in children)
    return lambda c: any(p(c) for p in children)


def compile_query(
    query: Any, custom_type: CustomTypeLookup, *, exact_email: bool = False
) -> Predicate:
    """Validate a search ``query`` and turn it into a predicate over stored contact JSON.

    ``exact_email`` compares ``email`` case-sensitively (``email_domain`` stays folded).
    """
    folded = CASE_INSENSITIVE_FIELDS - {"email"} if exact_email else CASE_INSENSITIVE_FIELDS
    return _compile(query, 0, custom_type, folded)


_INDEXED_FIELDS = ("id", "email", "external_id")


def _equality(node: Any) -> tuple[str, str] | None:
    if not isinstance(node, dict) or node.get("field") not in _INDEXED_FIELDS:
        return None
    value = node.get("value")
    if node.get("operator") == "=" and isinstance(value, str) and value:
        return node["field"], value
    return None


def index_hint(query: Any) -> tuple[str, list[str]] | None:
    """An indexed field and the values every match must hold one of, if the query says so.

    Lets the workspace narrow the candidates through an index instead of scanning every contact:
    an ``=`` filter on id, email or external_id; an AND group with such a member; an OR group
    whose every member has a hint on the same field. Call only after ``compile_query``
    accepted the query.
    """
    single = _equality(query)
    if single is not None:
        return single[0], [single[1]]
    if not isinstance(query, dict) or not isinstance(query.get("value"), list):
        return None
    hints = [index_hint(item) for item in query["value"]]
    if query.get("operator") == "AND":
        return next((hint for hint in hints if hint is not None), None)
    if query.get("operator") != "OR" or None in hints:
        return None
    fields = {hint[0] for hint in hints if hint is not None}
    if len(fields) != 1:
        return None
    return fields.pop(), [value for hint in hints if hint is not None for value in hint[1]]


# --------------------------------------------------------------------------- sort & pages


@dataclass(frozen=True)
class Paging:
    per_page: int
    offset: int


def sort_key(field: Any, order: Any, custom_type: CustomTypeLookup) -> tuple[Getter, bool]:
    """(getter, descending) for a ``sort`` object; validates both parts."""
    _field_type(field, custom_type)
    assert isinstance(field, str)  # noqa: S101 - checked by _field_type
    if order is None:
        order = "ascending"
    if order not in ("ascending", "descending"):
        raise ApiError(400, "invalid_sort_order", "Sort order must be 'ascending' or 'descending'")
    getter = _getter(field)
    if field in CASE_INSENSITIVE_FIELDS:
        base = getter

        def getter(c: Contact) -> Any:
            value = base(c)
            return value.lower() if isinstance(value, str) else value

    return getter, order == "descending"


def _fingerprint(query: Any, sort: Any) -> str:
    text = json.dumps([query, sort], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def encode_cursor(offset: int, query: Any, sort: Any) -> str:
    raw = json.dumps({"o": offset, "q": _fingerprint(query, sort)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, query: Any, sort: Any) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = data["o"]
        fingerprint = data["q"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise parameter_invalid("starting_after is not a valid cursor") from None
    if not isinstance(offset, int) or offset < 0 or fingerprint != _fingerprint(query, sort):
        raise parameter_invalid("starting_after does not belong to this query")
    return offset


def parse_paging(pagination: Any, query: Any, sort: Any) -> Paging:
    if pagination is None:
        return Paging(DEFAULT_PER_PAGE, 0)
    if not isinstance(pagination, dict):
        raise parameter_invalid("pagination must be an object")
    for key in pagination:
        if key not in ("per_page", "starting_after"):
            raise bad_parameter(key)
    per_page: Any = pagination.get("per_page", DEFAULT_PER_PAGE)
    if isinstance(per_page, str) and per_page.isdigit():
        per_page = int(per_page)
    if per_page is None:
        per_page = DEFAULT_PER_PAGE
    if isinstance(per_page, bool) or not isinstance(per_page, int):
        raise parameter_invalid("per_page must be an integer")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise parameter_invalid(f"per_page must be between 1 and {MAX_PER_PAGE}")
    cursor = pagination.get("starting_after")
    if cursor is None or cursor == "":
        return Paging(per_page, 0)
    if not isinstance(cursor, str):
        raise parameter_invalid("starting_after must be a string")
    return Paging(per_page, _decode_cursor(cursor, query, sort))
