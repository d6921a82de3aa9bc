"""The action's input (docs/contract.md "Inputs"): parsing, normalisation and every validation rule.

Workflow tools send everything as text, so booleans and integers are accepted as strings too.
Absent, ``null`` and ``""`` mean "leave unchanged"; ``false`` and ``0`` are values. Every problem
is reported at once, each naming its field.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from intercom_update.models.connected_account_name import connected_account_problem
from intercom_update.models.errors import InputValidationError
from intercom_update.models.legacy_attributes import DEFAULT_LEGACY_ATTRIBUTE_NAMES

MAX_TEXT = 255
MAX_URL = 2048
MAX_KEYS = 64
MAX_SESSION_COUNT = 2**31 - 1
CUSTOM_ATTRIBUTE_SLOTS: Final = (1, 2, 3)
COMPANY_SLOTS: Final = (1, 2, 3)
UTM_FIELDS: Final = ("utm_campaign", "utm_content", "utm_medium", "utm_source", "utm_term")
# Inputs that Intercom 2.x cannot write as contact fields: each is stored in a custom attribute
# named by the deployment (Settings.legacy_attribute_names).
ATTRIBUTE_BACKED_FIELDS: Final = ("session_count", *UTM_FIELDS)

UpdateBy = Literal["email", "user_id", "id", "phone"]

_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ().\-]{2,31}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Intercom's data attribute names: no dots (they separate the path in search) and no leading '$'.
_ATTRIBUTE_NAME_FORBIDDEN = re.compile(r"[.\x00-\x1f\x7f\"\\{}\[\]]")


def _parse_bool(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise ValueError('must be true or false (or the text "true" / "false")')
    if isinstance(value, bool):
        return value
    raise ValueError('must be true or false (or the text "true" / "false")')


def _parse_count(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a whole number >= 0, not a boolean")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit():
            raise ValueError("must be a whole number >= 0")
        if len(text) > 10:
            raise ValueError(f"must be at most {MAX_SESSION_COUNT}")
        value = int(text)
    if not isinstance(value, int):
        raise ValueError("must be a whole number >= 0")
    if value < 0:
        raise ValueError("must be >= 0")
    if value > MAX_SESSION_COUNT:
        raise ValueError(f"must be at most {MAX_SESSION_COUNT}")
    return value


def _format_character(text: str) -> str | None:
    """The first Unicode format character (category Cf) in ``text``, as U+XXXX, or None.

    Format characters are invisible: bidi overrides (U+202E) make a stored name read backwards,
    zero-width ones (U+200B, U+2060, U+FEFF) make two equal-looking values differ.
    """
    if text.isascii():  # the common case, checked in C
        return None
    for char in text:
        if not char.isascii() and unicodedata.category(char) == "Cf":
            return f"U+{ord(char):04X}"
    return None


def _check_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (line breaks, tabs, NUL)")
    invisible = _format_character(value)
    if invisible:
        raise ValueError(
            f"must not contain invisible format characters (found {invisible}; bidi controls "
            "and zero-width characters are refused)"
        )
    return value


def _check_email(value: Any) -> Any:
    # Longer text is refused by the length limit; on it the pattern backtracks quadratically.
    if isinstance(value, str) and len(value) <= MAX_TEXT and not _EMAIL.fullmatch(value):
        raise ValueError("must be an email address like jane@example.com")
    return value


def _check_phone(value: Any) -> Any:
    if isinstance(value, str) and (
        not _PHONE.fullmatch(value) or sum(ch.isdigit() for ch in value) < 3
    ):
        raise ValueError("must be a phone number, E.164 recommended (e.g. +14155550100)")
    return value


def _check_https_url(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if _CONTROL.search(value) or " " in value:
        raise ValueError("must be an https URL without spaces or control characters")
    invisible = _format_character(value)
    if invisible:
        raise ValueError(f"must be an https URL without invisible format characters ({invisible})")
    parts = urlsplit(value)
    if parts.scheme.lower() != "https":
        raise ValueError("must be an https URL (http and other schemes are refused)")
    if not parts.hostname:
        raise ValueError("must be an https URL with a host name")
    return value


def _check_attribute_name(value: Any) -> Any:
    if isinstance(value, str) and (_ATTRIBUTE_NAME_FORBIDDEN.search(value) or value[:1] == "$"):
        raise ValueError(
            "must be a data attribute name: no dots, quotes, brackets, braces, backslashes, "
            "control characters or leading '$'"
        )
    return value


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), BeforeValidator(_check_text)]
Email = Annotated[
    str,
    StringConstraints(max_length=MAX_TEXT),
    BeforeValidator(_check_email),
    BeforeValidator(_check_text),
]
Phone = Annotated[str, StringConstraints(max_length=32), BeforeValidator(_check_phone)]
HttpsUrl = Annotated[str, StringConstraints(max_length=MAX_URL), BeforeValidator(_check_https_url)]
AttributeName = Annotated[
    str,
    StringConstraints(max_length=190),
    BeforeValidator(_check_attribute_name),
    BeforeValidator(_check_text),
]
TextBool = Annotated[bool, BeforeValidator(_parse_bool)]
Count = Annotated[int, BeforeValidator(_parse_count)]


class UpdateUserInput(BaseModel):
    """One update request. Field names are public API (docs/contract.md "Inputs")."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        hide_input_in_errors=True,
    )

    connected_account: Annotated[str, StringConstraints(max_length=512)]
    update_by: UpdateBy = "email"
    value: Text
    avatar_image: HttpsUrl | None = None
    company_id_1: Text | None = None
    company_id_2: Text | None = None
    company_id_3: Text | None = None
    email: Email | None = None
    name: Text | None = None
    phone: Phone | None = None
    session_count: Count | None = None
    user_id: Text | None = None
    unsubscribed_from_emails: TextBool | None = None
    update_last_request_at: TextBool | None = None
    utm_campaign: Text | None = None
    utm_content: Text | None = None
    utm_medium: Text | None = None
    utm_source: Text | None = None
    utm_term: Text | None = None
    custom_attribute_1_name: AttributeName | None = None
    custom_attribute_1_value: Text | None = None
    custom_attribute_2_name: AttributeName | None = None
    custom_attribute_2_value: Text | None = None
    custom_attribute_3_name: AttributeName | None = None
    custom_attribute_3_value: Text | None = None
    create_missing_attributes: TextBool = Field(default=False)

    def company_ids(self) -> list[str]:
        """The given company ids, in slot order, without repeats."""
        ids = (self.company_id_1, self.company_id_2, self.company_id_3)
        return list(dict.fromkeys(cid for cid in ids if cid))

    def custom_attribute_texts(
        self, legacy_names: Mapping[str, str] = DEFAULT_LEGACY_ATTRIBUTE_NAMES
    ) -> dict[str, tuple[str, str]]:
        """Attribute name -> (input field that carries the value, value as text).

        Includes ``session_count`` and ``utm_*``, which Intercom 2.x can only store in custom
        attributes: ``legacy_names`` says which. A name given without a value leaves the
        attribute unchanged.
        """
        texts: dict[str, tuple[str, str]] = {}
        for slot in CUSTOM_ATTRIBUTE_SLOTS:
            name = getattr(self, f"custom_attribute_{slot}_name")
            value = getattr(self, f"custom_attribute_{slot}_value")
            if name and value is not None:
                texts[name] = (f"custom_attribute_{slot}_value", value)
        for field in ATTRIBUTE_BACKED_FIELDS:
            value = getattr(self, field)
            if value is not None:
                texts[legacy_names[field]] = (field, str(value))
        return texts


FIELD_NAMES: Final = frozenset(UpdateUserInput.model_fields)

_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known input (check the spelling; docs/contract.md lists them)",
    "literal_error": "must be one of: email, user_id, id, phone",
    "string_type": "must be text",
    "string_too_long": "is too long",
}


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "string_too_long":
        return f"is too long (at most {error.get('ctx', {}).get('max_length')} characters)"
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


# Inputs whose value is a number, not text: they keep their JSON number.
_NUMERIC_FIELDS: Final = frozenset({"session_count"})


def _normalise(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Turn the event into the text the model validates, the way workflow tools send it.

    Numbers become text (so every text rule, the prefix check included, sees them); booleans
    become "true"/"false" for custom attribute values; text is trimmed; null and blank text
    mean "leave unchanged" and are dropped, except for unknown keys, which must be reported.
    """
    data: dict[str, Any] = {}
    for key, raw in payload.items():
        value = raw
        if isinstance(raw, bool):
            if key.startswith("custom_attribute_") and key.endswith("_value"):
                value = "true" if raw else "false"
        elif isinstance(raw, int | float) and key not in _NUMERIC_FIELDS:
            value = str(raw)
        if isinstance(value, str):
            value = value.strip()
        if (value is not None and value != "") or key not in FIELD_NAMES:
            data[key] = value
    return data


def _cross_field_problems(
    data: Mapping[str, Any],
    prefix: str,
    region: str | None,
    account_id: str | None,
    legacy_names: Mapping[str, str],
) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []
    account = data.get("connected_account")
    if isinstance(account, str):
        problem = connected_account_problem(account, prefix, region=region, account_id=account_id)
        if problem:
            problems.append({"field": "connected_account", "message": problem})
    problems.extend(_value_problems(data))
    problems.extend(_attribute_slot_problems(data, legacy_names))
    return problems


def _value_problems(data: Mapping[str, Any]) -> list[dict[str, str]]:
    """``value`` checked as what ``update_by`` says it is."""
    update_by = data.get("update_by", "email")
    value = data.get("value")
    if not isinstance(value, str):
        return []
    # update_by may be anything here (the model refuses what is not a lookup kind).
    check = _check_email if update_by == "email" else _check_phone if update_by == "phone" else None
    if check is not None:
        try:
            check(value)
        except ValueError as exc:
            return [{"field": "value", "message": f"{exc} (update_by is {update_by})"}]
    elif set(value) == {"."}:
        return [{"field": "value", "message": f"is not a valid {update_by}"}]
    return []


def _attribute_slot_problems(
    data: Mapping[str, Any], legacy_names: Mapping[str, str]
) -> list[dict[str, str]]:
    """A value without its name, and two inputs writing the same attribute."""
    problems: list[dict[str, str]] = []
    seen = {legacy_names[field]: field for field in ATTRIBUTE_BACKED_FIELDS if field in data}
    for slot in CUSTOM_ATTRIBUTE_SLOTS:
        name_key, value_key = f"custom_attribute_{slot}_name", f"custom_attribute_{slot}_value"
        name, has_value = data.get(name_key), value_key in data
        if has_value and name is None:
            problems.append({"field": value_key, "message": f"is given without {name_key}"})
        if not isinstance(name, str) or not has_value:
            continue
        if name in seen:
            message = f"'{_field_label(name)}' is already set by {seen[name]}"
            problems.append({"field": name_key, "message": message})
        else:
            seen[name] = name_key
    return problems


def parse_json_body(text: str | None, what: str) -> Any:
    """The JSON in a request or message body; anything unparseable is invalid input."""
    try:
        return json.loads(text or "")
    except (ValueError, RecursionError):  # RecursionError: nesting too deep to parse
        raise InputValidationError(
            f"the {what} must be a JSON object with the inputs", field="(body)"
        ) from None


def parse_update_request(
    payload: Any,
    *,
    connected_account_prefix: str,
    aws_region: str | None = None,
    aws_account_id: str | None = None,
    legacy_attribute_names: Mapping[str, str] = DEFAULT_LEGACY_ATTRIBUTE_NAMES,
) -> UpdateUserInput:
    """Validate one input object; raise InputValidationError listing every problem."""
    if not isinstance(payload, Mapping):
        raise InputValidationError(
            f"the input must be a JSON object, got {type(payload).__name__}",
            field="(input)",
            details=[{"field": "(input)", "message": "must be a JSON object"}],
        )
    if len(payload) > MAX_KEYS:
        raise InputValidationError(
            f"the input has {len(payload)} keys; at most {MAX_KEYS} are accepted",
            field="(input)",
            details=[{"field": "(input)", "message": f"has more than {MAX_KEYS} keys"}],
        )
    data = _normalise(payload)
    problems: list[dict[str, str]] = []
    model: UpdateUserInput | None = None
    try:
        model = UpdateUserInput.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            loc = error["loc"]
            field = str(loc[0]) if loc else "(input)"
            problems.append({"field": _field_label(field), "message": _message(error)})
    problems.extend(
        _cross_field_problems(
            data, connected_account_prefix, aws_region, aws_account_id, legacy_attribute_names
        )
    )
    if problems or model is None:
        raise InputValidationError(
            _summary(problems), field=_single_field(problems), details=problems
        )
    return model


def _field_label(field: str) -> str:
    # Unknown keys come from hostile or mistyped events: show a bounded, printable label.
    shown = field if len(field) <= 64 else field[:61] + "..."
    label = "".join(
        "?" if _CONTROL.match(char) or _format_character(char) else char for char in shown
    )
    return label or '""'


def _single_field(problems: list[dict[str, str]]) -> str | None:
    fields = {problem["field"] for problem in problems}
    return fields.pop() if len(fields) == 1 else None


def _summary(problems: list[dict[str, str]]) -> str:
    listed = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    count = len(problems)
    return f"invalid input ({count} problem{'s' if count != 1 else ''}): {listed}"


def lookup_key(payload: Any, connected_account: str | None = None) -> tuple[str, str, str] | None:
    """Which user a request names: (connected account, update_by, value), or None if unreadable.

    A cheap normal form (trimmed; an email lower-cased) for keeping one user's records of a batch
    in order; it checks nothing. ``connected_account`` stands in for a blank one (a backfill's).
    """
    if not isinstance(payload, Mapping):
        return None

    def text(name: str) -> str:
        value = payload.get(name)
        return value.strip() if isinstance(value, str) else "" if value is None else str(value)

    update_by = text("update_by") or "email"
    value = text("value")
    return (
        text("connected_account") or connected_account or "",
        update_by,
        value.lower() if update_by == "email" else value,
    )
