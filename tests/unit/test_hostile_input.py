"""Hostile input, generated: parse_update_request either returns a model that obeys every rule or
raises InputValidationError naming each problem's field. Nothing else, whatever the event.

The examples are generated deterministically (``derandomize=True``) so that CI sees the same
thousands of events on every run; tests/unit/test_input_model.py pins the rules one by one.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

from intercom_update.dal.connected_account import connected_account_problem
from intercom_update.models.errors import InputValidationError
from intercom_update.models.input import (
    ATTRIBUTE_BACKED_FIELDS,
    COMPANY_SLOTS,
    CUSTOM_ATTRIBUTE_SLOTS,
    FIELD_NAMES,
    MAX_KEYS,
    MAX_SESSION_COUNT,
    MAX_TEXT,
    MAX_URL,
    UTM_FIELDS,
    UpdateUserInput,
    parse_update_request,
)

PREFIX: Final = "intercom/"
REGION: Final = "eu-west-1"
ACCOUNT: Final = "123456789012"
ARN: Final = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"

TEXT_FIELDS: Final = (
    *(f"company_id_{slot}" for slot in COMPANY_SLOTS),
    "name",
    "user_id",
    *UTM_FIELDS,
    *(f"custom_attribute_{slot}_value" for slot in CUSTOM_ATTRIBUTE_SLOTS),
)
ATTRIBUTE_NAME_FIELDS: Final = tuple(
    f"custom_attribute_{slot}_name" for slot in CUSTOM_ATTRIBUTE_SLOTS
)
BOOLEAN_FIELDS: Final = (
    "unsubscribed_from_emails",
    "update_last_request_at",
    "create_missing_attributes",
)
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SECRET_NAME: Final = re.compile(r"^[A-Za-z0-9/_+=.@-]+$")


def refused_characters(text: str) -> bool:
    """Control characters, line/paragraph separators and invisible format characters (Cf)."""
    return bool(_CONTROL.search(text)) or any(unicodedata.category(ch) == "Cf" for ch in text)


# What an attacker puts in a value meant for a URL path, a query, a header or a log line.
INJECTIONS: Final = (
    "../",
    "..",
    ".",
    "/",
    "//",
    "\\",
    "?",
    "?role=lead&per_page=150",
    "#",
    "#fragment",
    "&",
    "=",
    ";",
    "%",
    "%2e",
    "%2E%2e",
    "%2f",
    "%2F..%2F",
    "%252e%252e",
    "%00",
    "%0d%0a",
    "\r\n",
    "\r",
    "\n",
    "\x00",
    "\t",
    "\x1b[31m",
    "\x7f",
    " ",
    "\u00a0",
    "\u2028",
    "\u202e",
    "\ufeff",
    "\x85",
    "\ud800",
    "@",
    ":",
    "+",
    "'",
    '"',
    "<script>",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "\uff41",  # fullwidth a
    "é",
    "🦄",
    "中",
)

# -- strategies -------------------------------------------------------------------------------

# Any code point JSON can carry, lone surrogates included ("\ud800" is valid JSON text).
any_character = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
any_text = st.text(any_character, max_size=40)
injection_text = st.lists(st.sampled_from(INJECTIONS) | any_text, min_size=1, max_size=6).map(
    "".join
)
# Long strings are built, not drawn character by character: cheap to generate at any size.
huge_text = st.builds(
    lambda unit, count: unit * count,
    st.sampled_from(["a", "a.", "@", "a@", " ", "\x00", "é", "%2e", "../", "+1 "]),
    st.integers(min_value=100, max_value=70_000),
)
hostile_text = st.one_of(any_text, injection_text, huge_text)
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=5,
)


def _email(local: str, domain: str) -> str:
    return f"{local}@{domain}.example"


plain_word = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-_"), min_size=1, max_size=12
)
valid_email = st.builds(_email, plain_word, plain_word)
valid_phone = st.sampled_from(["+14155550100", "+1 (415) 555-0100", "+44 20 7946 0958", "555.0100"])
valid_https = st.builds(
    lambda host, path: f"https://{host}.example/{path}",
    plain_word,
    st.text(st.sampled_from("abc/._-?=&#%"), max_size=20),
)
# Trimmed, 1..255 characters, no control characters, not only dots: what a text field accepts.
printable_character = st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))
printable_injection = st.sampled_from(
    [i for i in INJECTIONS if not refused_characters(i) and "\ud800" not in i]
)
valid_text = (
    st.lists(
        printable_injection | st.text(printable_character, max_size=30), min_size=1, max_size=6
    )
    .map(lambda parts: "".join(parts).strip()[:MAX_TEXT].strip())
    .filter(lambda text: bool(text) and set(text) != {"."})
)
valid_attribute_name = plain_word.map(lambda word: f"attr_{word}")
text_bool = st.sampled_from([True, False, "true", "false", " TRUE ", "False"])
bad_bool = st.sampled_from(["yes", "no", 1, 0, "1", "", " ", "truee", None]) | json_value

connected_account_parts = st.lists(
    st.sampled_from(
        [
            "intercom",
            "Intercom",
            "intercom%2f",
            "\uff49ntercom",  # fullwidth i
            "intercom\\",
            "acme",
            "prod",
            "..",
            ".",
            "",
            "%2e%2e",
            "%2E",
            "x..y",
            "a b",
            "é",
            "\x00",
            "?",
            "#",
        ]
    ),
    min_size=1,
    max_size=4,
).map("/".join)
connected_account_names = st.one_of(
    st.just("intercom/acme"),
    connected_account_parts,
    st.builds(lambda tail: PREFIX + tail, connected_account_parts),
    st.builds(
        lambda partition, region, account, name: (
            f"arn:{partition}:secretsmanager:{region}:{account}:secret:{name}"
        ),
        st.sampled_from(["aws", "aws-cn", "aws-us-gov", "AWS", ""]),
        st.sampled_from([REGION, "us-east-1", "EU-WEST-1", ""]),
        st.sampled_from([ACCOUNT, "999999999999", "12345678901", ""]),
        st.one_of(st.just("intercom/acme-AbCdEf"), connected_account_parts),
    ),
    injection_text,
)


def valid_value_for(update_by: str) -> st.SearchStrategy[str]:
    if update_by == "email":
        return valid_email
    if update_by == "phone":
        return valid_phone
    return valid_text


@st.composite
def valid_events(draw: st.DrawFn) -> dict[str, Any]:
    """Events every rule accepts, with injection characters wherever free text is allowed."""
    update_by = draw(st.sampled_from(["email", "user_id", "id", "phone"]))
    event: dict[str, Any] = {
        "connected_account": draw(st.sampled_from(["intercom/acme", f"{ARN}intercom/a-AbCdEf"])),
        "value": draw(valid_value_for(update_by)),
    }
    if update_by != "email" or draw(st.booleans()):
        event["update_by"] = update_by
    optional: dict[str, st.SearchStrategy[Any]] = {
        "avatar_image": valid_https,
        "email": valid_email,
        "phone": valid_phone,
        "session_count": st.integers(0, MAX_SESSION_COUNT) | st.integers(0, 10**6).map(str),
        **dict.fromkeys(BOOLEAN_FIELDS, text_bool),
        **dict.fromkeys(
            (*(f"company_id_{s}" for s in COMPANY_SLOTS), "name", "user_id"), valid_text
        ),
        **dict.fromkeys(UTM_FIELDS, valid_text),
    }
    for field in draw(st.sets(st.sampled_from(sorted(optional)), max_size=6)):
        event[field] = draw(optional[field])
    for slot in draw(st.sets(st.sampled_from(CUSTOM_ATTRIBUTE_SLOTS))):
        event[f"custom_attribute_{slot}_name"] = f"attr_{slot}_{draw(plain_word)}"
        event[f"custom_attribute_{slot}_value"] = draw(valid_text)
    return event


def _value_strategy(field: str) -> st.SearchStrategy[Any]:
    """Mostly what the field expects, often something hostile."""
    plausible: st.SearchStrategy[Any]
    if field == "connected_account":
        plausible = connected_account_names
    elif field == "update_by":
        plausible = st.sampled_from(["email", "user_id", "id", "phone", "EMAIL", "external_id"])
    elif field == "value":
        plausible = valid_email | valid_phone | valid_text | injection_text
    elif field == "avatar_image":
        plausible = valid_https | st.sampled_from(
            ["http://x.example/a", "javascript:alert(1)", "https://", "//x.example", "https:x"]
        )
    elif field == "email":
        plausible = valid_email | injection_text.map(lambda text: f"{text}@x.example")
    elif field == "phone":
        plausible = valid_phone | injection_text
    elif field == "session_count":
        plausible = st.integers(-5, 2**40) | st.sampled_from(["12", " 7 ", "-1", "1e3", "٣"])
    elif field in BOOLEAN_FIELDS:
        plausible = text_bool | bad_bool
    elif field in ATTRIBUTE_NAME_FIELDS:
        plausible = valid_attribute_name | st.sampled_from(
            ["a.b", "$x", 'a"b', "a\\b", "{x}", "[0]", *ATTRIBUTE_BACKED_FIELDS]
        )
    else:
        plausible = valid_text
    return st.one_of(plausible, plausible, json_value)


mixed_objects = st.fixed_dictionaries(
    {
        "connected_account": _value_strategy("connected_account"),
        "value": _value_strategy("value"),
    },
    optional={
        field: _value_strategy(field)
        for field in sorted(FIELD_NAMES - {"connected_account", "value"})
    },
)
any_subset = st.fixed_dictionaries(
    {}, optional={field: _value_strategy(field) for field in sorted(FIELD_NAMES)}
)
unknown_keys = st.dictionaries(
    any_text | st.sampled_from(["Name", "email ", "user-id"]), json_value, min_size=1, max_size=3
)
objects_with_unknown_keys = st.builds(
    lambda known, unknown: {**known, **unknown}, mixed_objects, unknown_keys
)
too_many_keys = st.builds(
    lambda count: {f"k{i}": i for i in range(count)}, st.integers(MAX_KEYS + 1, 5 * MAX_KEYS)
)
any_event = st.one_of(
    valid_events(),
    mixed_objects,
    mixed_objects,
    any_subset,
    objects_with_unknown_keys,
    too_many_keys,
    json_value,
)

# -- checks -----------------------------------------------------------------------------------


def parse(payload: Any) -> UpdateUserInput:
    return parse_update_request(
        payload, connected_account_prefix=PREFIX, aws_region=REGION, aws_account_id=ACCOUNT
    )


def outcome(payload: Any) -> UpdateUserInput | InputValidationError:
    """The model or the validation error; any other exception fails the test."""
    try:
        return parse(payload)
    except InputValidationError as error:
        return error


def secret_name(account: str) -> str:
    """The secret's name, from a name or an ARN."""
    if account.startswith("arn:"):
        return account.split(":", 6)[6]
    return account


def assert_same_region_and_account(account: str) -> None:
    if account.startswith("arn:"):
        _, partition, service, region, account_id, kind, _ = account.split(":", 6)
        assert (partition, service, region, account_id, kind) == (
            "aws",
            "secretsmanager",
            REGION,
            ACCOUNT,
            "secret",
        )


def assert_valid_refusal(payload: Any, error: InputValidationError) -> None:
    assert error.code == "validation_error"
    assert error.details, "a refusal lists its problems"
    given_keys = set(payload) if isinstance(payload, Mapping) else set()
    for detail in error.details:
        field = detail["field"]
        assert isinstance(field, str)
        assert field
        assert isinstance(detail["message"], str)
        assert detail["message"]
        # A known input, the whole input, or an unknown key shown bounded and printable.
        if field not in FIELD_NAMES and field != "(input)":
            assert given_keys - FIELD_NAMES, f"{field!r} names no input"
            assert len(field) <= 64
            assert not refused_characters(field)
        assert field in error.message or field == "(input)"
        # Problems describe the input; they never echo a hostile value back at length.
        assert len(detail["message"]) <= 400, detail
    fields = {detail["field"] for detail in error.details}
    assert error.field == (next(iter(fields)) if len(fields) == 1 else None)


def assert_text(value: Any, max_length: int = MAX_TEXT) -> None:
    assert isinstance(value, str)
    assert 0 < len(value) <= max_length
    assert value == value.strip()
    assert not refused_characters(value)


def assert_obeys_the_rules(payload: Mapping[str, Any], model: UpdateUserInput) -> None:
    account = model.connected_account
    assert connected_account_problem(account, PREFIX, region=REGION, account_id=ACCOUNT) is None
    name = secret_name(account)
    assert name.startswith(PREFIX)
    assert _SECRET_NAME.match(name)
    assert all(part not in {"", ".", ".."} for part in name[len(PREFIX) :].split("/"))
    assert_same_region_and_account(account)

    assert model.update_by in {"email", "user_id", "id", "phone"}
    assert_text(model.value)
    if model.update_by == "email":
        assert model.value.count("@") == 1
    elif model.update_by == "phone":
        assert sum(ch.isdigit() for ch in model.value) >= 3
    else:
        assert set(model.value) != {"."}

    for field in (*TEXT_FIELDS, "email"):
        if getattr(model, field) is not None:
            assert_text(getattr(model, field))
    for field in ATTRIBUTE_NAME_FIELDS:
        name_value = getattr(model, field)
        if name_value is not None:
            assert_text(name_value, 190)
            assert "." not in name_value
            assert not name_value.startswith("$")
    if model.avatar_image is not None:
        assert_text(model.avatar_image, MAX_URL)
        url = urlsplit(model.avatar_image)
        assert url.scheme.lower() == "https"
        assert url.hostname
        assert " " not in model.avatar_image
    if model.phone is not None:
        assert_text(model.phone, 32)
        assert sum(ch.isdigit() for ch in model.phone) >= 3
    if model.session_count is not None:
        assert type(model.session_count) is int
        assert 0 <= model.session_count <= MAX_SESSION_COUNT
    for field in BOOLEAN_FIELDS:
        assert getattr(model, field) in (None, True, False)

    # A value always has its name, and no two inputs write the same custom attribute.
    texts = model.custom_attribute_texts()
    for slot in CUSTOM_ATTRIBUTE_SLOTS:
        attribute = getattr(model, f"custom_attribute_{slot}_name")
        attribute_value = getattr(model, f"custom_attribute_{slot}_value")
        if attribute_value is not None:
            assert attribute is not None
            assert texts[attribute] == (f"custom_attribute_{slot}_value", attribute_value)

    # Nothing is dropped silently: every input given a value has it in the model.
    for key, raw in payload.items():
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        assert getattr(model, key) is not None, key


EXAMPLES_ANY_EVENT: Final = 2000
EXAMPLES_VALID: Final = 1000
EXAMPLES_FOCUSED: Final = 1000
HEALTH: Final = [HealthCheck.too_slow, HealthCheck.filter_too_much]


@settings(
    max_examples=EXAMPLES_ANY_EVENT, deadline=None, derandomize=True, suppress_health_check=HEALTH
)
@given(any_event)
@example({"connected_account": "intercom/a", "value": "x" * 70_000 + "@y", "update_by": "email"})
@example(
    {
        "connected_account": "intercom/a",
        "value": "jane@example.com",
        "custom_attribute_1_name": "n" * 5000,
        "custom_attribute_1_value": "x",
        "custom_attribute_2_name": "n" * 5000,
        "custom_attribute_2_value": "y",
    }
)
@example({"connected_account": "intercom/a", "value": "a\ud800b", "update_by": "id"})
@example({"connected_account": "intercom/a", "value": 10**30, "update_by": "user_id"})
@example({"connected_account": "intercom/a", "value": float("nan"), "update_by": "id"})
def test_any_event_is_a_valid_model_or_a_validation_error(event: Any) -> None:
    result = outcome(event)

    if isinstance(result, InputValidationError):
        hypothesis_event("refused")
        assert_valid_refusal(event, result)
    else:
        hypothesis_event("accepted")
        assert isinstance(event, Mapping)
        assert_obeys_the_rules(event, result)


@settings(
    max_examples=EXAMPLES_VALID, deadline=None, derandomize=True, suppress_health_check=HEALTH
)
@given(valid_events())
def test_valid_events_are_accepted_verbatim(event: dict[str, Any]) -> None:
    model = parse(event)

    assert_obeys_the_rules(event, model)
    assert model.value == event["value"]
    for field in (*TEXT_FIELDS, "email", "avatar_image", "phone", "connected_account"):
        if field in event:
            assert getattr(model, field) == event[field], field


@settings(
    max_examples=EXAMPLES_FOCUSED, deadline=None, derandomize=True, suppress_health_check=HEALTH
)
@given(st.sampled_from(["user_id", "id"]), st.one_of(injection_text, any_text, huge_text))
def test_a_value_is_kept_exactly_or_refused_for_a_reason(update_by: str, raw: str) -> None:
    result = outcome({"connected_account": "intercom/acme", "update_by": update_by, "value": raw})

    text = raw.strip()
    acceptable = (
        0 < len(text) <= MAX_TEXT
        and not refused_characters(text)
        and set(text) != {"."}
        and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)
    )
    if acceptable:
        assert isinstance(result, UpdateUserInput), result
        # Never decoded, normalised or cut: the client escapes it as one path segment.
        assert result.value == text
    else:
        assert isinstance(result, InputValidationError)
        assert {detail["field"] for detail in result.details or []} == {"value"}


@settings(
    max_examples=EXAMPLES_FOCUSED, deadline=None, derandomize=True, suppress_health_check=HEALTH
)
@given(connected_account_names)
def test_the_connected_account_prefix_cannot_be_escaped(account: str) -> None:
    result = outcome({"connected_account": account, "value": "jane@example.com"})

    if isinstance(result, InputValidationError):
        assert {detail["field"] for detail in result.details or []} == {"connected_account"}
        return
    name = secret_name(result.connected_account)
    assert name.startswith(PREFIX)
    assert _SECRET_NAME.match(name)
    assert all(part not in {"", ".", ".."} for part in name[len(PREFIX) :].split("/"))
    assert_same_region_and_account(result.connected_account)


def test_an_arn_of_another_partition_is_refused() -> None:
    error = outcome({"connected_account": f"arn:aws-cn{ARN[7:]}intercom/acme", "value": "j@x.io"})
    assert isinstance(error, InputValidationError)


# -- bounded work -----------------------------------------------------------------------------

# Shapes that make a backtracking regular expression work hard, at a size an event may have.
ADVERSARIAL: Final = {
    "dots-after-at": "a@" + "a." * 100_000 + "@",
    "at-signs": "@" * 200_000,
    "spaces": "a" + " " * 200_000 + "a",
    "digits": "+" + "1 " * 100_000 + "x",
}


@pytest.mark.parametrize("shape", sorted(ADVERSARIAL))
@pytest.mark.parametrize(
    ("field", "update_by"),
    [
        ("value", "email"),
        ("value", "phone"),
        ("value", "id"),
        ("email", "email"),
        ("phone", "email"),
        ("name", "email"),
        ("avatar_image", "email"),
        ("custom_attribute_1_name", "email"),
        ("connected_account", "email"),
    ],
)
def test_a_huge_input_is_refused_in_bounded_time(field: str, update_by: str, shape: str) -> None:
    event: dict[str, Any] = {
        "connected_account": "intercom/acme",
        "update_by": update_by,
        "value": {"email": "jane@example.com", "phone": "+14155550100"}.get(update_by, "u-1"),
        "custom_attribute_1_value": "x",
        field: ADVERSARIAL[shape],
    }

    started = time.perf_counter()
    error = outcome(event)
    elapsed = time.perf_counter() - started

    assert isinstance(error, InputValidationError)
    assert field in {detail["field"] for detail in error.details or []}
    assert elapsed < 0.25, f"{elapsed:.2f}s to refuse a {len(ADVERSARIAL[shape])}-character {field}"
