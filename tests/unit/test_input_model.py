"""parse_update_request: every row of docs/contract.md "Inputs" and of "Rules for every input"."""

from __future__ import annotations

from typing import Any

import pytest

from intercom_update.models.errors import InputValidationError
from intercom_update.models.input import (
    ATTRIBUTE_BACKED_FIELDS,
    MAX_KEYS,
    UTM_FIELDS,
    UpdateUserInput,
    parse_update_request,
)
from intercom_update.models.legacy_attributes import DEFAULT_LEGACY_ATTRIBUTE_NAMES

PREFIX = "intercom/"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
BASE: dict[str, Any] = {"connected_account": "intercom/acme", "value": "jane@example.com"}
ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"

# Every optional input (not connected_account, value, update_by, create_missing_attributes).
OPTIONAL_FIELDS = (
    "avatar_image",
    "company_id_1",
    "company_id_2",
    "company_id_3",
    "email",
    "name",
    "phone",
    "session_count",
    "user_id",
    "unsubscribed_from_emails",
    "update_last_request_at",
    *UTM_FIELDS,
    "custom_attribute_1_name",
    "custom_attribute_1_value",
    "custom_attribute_2_name",
    "custom_attribute_2_value",
    "custom_attribute_3_name",
    "custom_attribute_3_value",
)
# Free-text inputs bounded to 255 characters.
TEXT_FIELDS = (
    "company_id_1",
    "company_id_2",
    "company_id_3",
    "name",
    "user_id",
    *UTM_FIELDS,
)
BOOLEAN_FIELDS = ("unsubscribed_from_emails", "update_last_request_at", "create_missing_attributes")
CONTROL_CHARACTERS = ("\r", "\n", "\r\n", "\x00", "\t", "\x1b", "\x7f")


def parse(payload: Any, **kwargs: Any) -> UpdateUserInput:
    options: dict[str, Any] = {
        "connected_account_prefix": PREFIX,
        "aws_region": REGION,
        "aws_account_id": ACCOUNT,
        **kwargs,
    }
    return parse_update_request(payload, **options)


def parse_with(extra: dict[str, Any]) -> UpdateUserInput:
    return parse({**BASE, **extra})


def refusal(payload: Any, **kwargs: Any) -> InputValidationError:
    with pytest.raises(InputValidationError) as info:
        parse(payload, **kwargs)
    error = info.value
    assert error.code == "validation_error"
    assert error.details, "every refusal lists its problems"
    for detail in error.details:
        assert set(detail) == {"field", "message"}
        assert detail["message"]
    return error


def refusal_with(extra: dict[str, Any]) -> InputValidationError:
    return refusal({**BASE, **extra})


def fields(error: InputValidationError) -> list[str]:
    return [detail["field"] for detail in error.details or []]


def assert_only_field(error: InputValidationError, field: str) -> None:
    """The refusal names ``field`` and nothing else, and error.field says so."""
    assert set(fields(error)) == {field}, error.details
    assert error.field == field
    assert field in error.message


# -- the minimal input and defaults ---------------------------------------------------------


def test_minimal_input_takes_the_defaults() -> None:
    request = parse(dict(BASE))
    assert request.connected_account == "intercom/acme"
    assert request.update_by == "email"
    assert request.value == "jane@example.com"
    assert request.create_missing_attributes is False
    for field in OPTIONAL_FIELDS:
        assert getattr(request, field) is None, field
    assert request.company_ids() == []
    assert request.custom_attribute_texts() == {}


@pytest.mark.parametrize("missing", ["connected_account", "value"])
@pytest.mark.parametrize("how", ["absent", None, "", "   "])
def test_required_inputs(missing: str, how: object) -> None:
    payload = dict(BASE)
    if how == "absent":
        del payload[missing]
    else:
        payload[missing] = how
    error = refusal(payload)
    assert_only_field(error, missing)
    assert error.details == [{"field": missing, "message": "is required"}]


def test_empty_object_reports_both_required_inputs() -> None:
    error = refusal({})
    assert sorted(fields(error)) == ["connected_account", "value"]
    assert error.field is None


# -- update_by and value --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("update_by", "value"),
    [
        ("email", "jane@example.com"),
        ("user_id", "u-42"),
        ("user_id", "jane@example.com"),
        ("user_id", "a.b"),
        ("id", "6571a0b2c3d4e5f6a7b8c9d0"),
        ("phone", "+14155550100"),
        ("phone", "+1 (415) 555-0100"),
    ],
)
def test_update_by_accepts_each_lookup(update_by: str, value: str) -> None:
    request = parse_with({"update_by": update_by, "value": value})
    assert request.update_by == update_by
    assert request.value == value


@pytest.mark.parametrize("update_by", ["absent", None, "", "  "])
def test_update_by_defaults_to_email(update_by: object) -> None:
    payload = dict(BASE)
    if update_by != "absent":
        payload["update_by"] = update_by
    assert parse(payload).update_by == "email"


@pytest.mark.parametrize("update_by", ["bogus", "EMAIL", "Email", "external_id", "userId", 1, True])
def test_update_by_outside_the_enum_is_refused(update_by: object) -> None:
    error = refusal_with({"update_by": update_by, "value": "u-42"})
    assert "update_by" in fields(error)


@pytest.mark.parametrize(
    "value", ["jane", "jane@", "@example.com", "jane@example", "ja ne@example.com", "a@b@c.com"]
)
def test_value_must_be_an_email_when_updating_by_email(value: str) -> None:
    error = refusal_with({"update_by": "email", "value": value})
    assert_only_field(error, "value")
    assert "update_by is email" in error.message


@pytest.mark.parametrize("value", ["abc", "12", "+", "+1-800-FLOWERS", "jane@example.com"])
def test_value_must_be_a_phone_number_when_updating_by_phone(value: str) -> None:
    error = refusal_with({"update_by": "phone", "value": value})
    assert_only_field(error, "value")
    assert "update_by is phone" in error.message


@pytest.mark.parametrize("update_by", ["id", "user_id"])
@pytest.mark.parametrize("value", [".", "..", "...", " .. "])
def test_value_of_only_dots_is_refused_for_ids(update_by: str, value: str) -> None:
    # A path step such as ".." must never reach the request path.
    error = refusal_with({"update_by": update_by, "value": value})
    assert_only_field(error, "value")


@pytest.mark.parametrize(("update_by", "value"), [("id", 12345), ("user_id", 7), ("id", 1.5)])
def test_value_accepts_numbers_as_text(update_by: str, value: object) -> None:
    assert parse_with({"update_by": update_by, "value": value}).value == str(value)


@pytest.mark.parametrize("update_by", ["id", "user_id"])
def test_value_is_bounded_to_255_characters(update_by: str) -> None:
    assert parse_with({"update_by": update_by, "value": "v" * 255}).value == "v" * 255
    error = refusal_with({"update_by": update_by, "value": "v" * 256})
    assert_only_field(error, "value")
    assert "255" in error.message


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(12345, id="email-int"),
        pytest.param(1.5, id="email-float"),
    ],
)
def test_numeric_value_is_still_checked_against_update_by_email(value: object) -> None:
    refusal_with({"update_by": "email", "value": value})


def test_numeric_value_is_still_checked_against_update_by_phone() -> None:
    refusal_with({"update_by": "phone", "value": 12})


# -- avatar_image ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a.png",
        "HTTPS://example.com/a.png",
        "https://cdn.example.com:8443/path/a.png?size=64#x",
        "  https://example.com/padded.png  ",
    ],
)
def test_avatar_image_accepts_https(url: str) -> None:
    assert parse_with({"avatar_image": url}).avatar_image == url.strip()


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/a.png",
        "ftp://example.com/a.png",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "file:///etc/passwd",
        "https:///a.png",
        "https://",
        "https:a.png",
        "//example.com/a.png",
        "example.com/a.png",
        "https://example.com/a b.png",
        "https://example.com/a\nb.png",
        "https://example.com/" + "a" * 2048,
    ],
)
def test_avatar_image_refuses_anything_but_https_with_a_host(url: str) -> None:
    assert_only_field(refusal_with({"avatar_image": url}), "avatar_image")


# -- company ids ----------------------------------------------------------------------------


def test_company_ids_are_trimmed_deduplicated_and_in_slot_order() -> None:
    request = parse_with({"company_id_1": " c-2 ", "company_id_2": "c-1", "company_id_3": "c-2"})
    assert (request.company_id_1, request.company_id_2, request.company_id_3) == (
        "c-2",
        "c-1",
        "c-2",
    )
    assert request.company_ids() == ["c-2", "c-1"]


@pytest.mark.parametrize("slot", [1, 2, 3])
def test_each_company_slot_is_used_alone(slot: int) -> None:
    request = parse_with({f"company_id_{slot}": "acme"})
    assert request.company_ids() == ["acme"]


def test_company_id_accepts_numbers_as_text() -> None:
    assert parse_with({"company_id_1": 42}).company_ids() == ["42"]


# -- email ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    ["jane@example.com", "jane.doe+tag@sub.example.co.uk", "  padded@example.com  ", "a@b.co"],
)
def test_email_accepts_addresses(email: str) -> None:
    assert parse_with({"email": email}).email == email.strip()


@pytest.mark.parametrize(
    "email",
    [
        "jane",
        "jane@",
        "@example.com",
        "jane@example",
        "ja ne@example.com",
        "a@b@example.com",
        "jane@exa\nmple.com",
        "jane@exa\x00mple.com",
        "a" * 65 + "@example.com",
    ],
)
def test_email_refuses_non_addresses(email: str) -> None:
    assert_only_field(refusal_with({"email": email}), "email")


def test_email_is_bounded_to_255_characters() -> None:
    def address(length: int) -> str:
        local = "a" * 64
        domain = "b" * (length - len(local) - len("@.com"))
        return f"{local}@{domain}.com"

    assert parse_with({"email": address(255)}).email == address(255)
    error = refusal_with({"email": address(256)})
    assert_only_field(error, "email")
    assert "255" in error.message


# -- phone ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+14155550100", "+14155550100"),
        ("+1 (415) 555-0100", "+1 (415) 555-0100"),
        ("020 7946 0958", "020 7946 0958"),
        (" +447700900123 ", "+447700900123"),
        (14155550100, "14155550100"),
    ],
)
def test_phone_accepts_phone_numbers(phone: object, expected: str) -> None:
    assert parse_with({"phone": phone}).phone == expected


@pytest.mark.parametrize(
    "phone", ["abc", "12", "+", "+1-800-FLOWERS", "+1 415\n555 0100", "+" + "1" * 32]
)
def test_phone_refuses_non_numbers(phone: str) -> None:
    assert_only_field(refusal_with({"phone": phone}), "phone")


# -- session_count --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (42, 42),
        ("42", 42),
        (0, 0),
        ("0", 0),
        (" 7 ", 7),
        ("007", 7),
        (4.0, 4),
        (2**31 - 1, 2**31 - 1),
        (str(2**31 - 1), 2**31 - 1),
    ],
)
def test_session_count_accepts_whole_numbers(count: object, expected: int) -> None:
    request = parse_with({"session_count": count})
    assert request.session_count == expected
    assert type(request.session_count) is int


@pytest.mark.parametrize(
    "count",
    [
        -1,
        "-1",
        "4.2",
        4.2,
        True,
        False,
        "true",
        "abc",
        "+5",
        "1e3",
        "\u0663",  # ARABIC-INDIC DIGIT THREE: isdigit() but not ASCII
        "4 2",
        10**20,
        2**31,
        str(2**31),
        "99999999999",
        float("nan"),
        float("inf"),
        [],
        {},
    ],
)
def test_session_count_refuses_anything_else(count: object) -> None:
    assert_only_field(refusal_with({"session_count": count}), "session_count")


def test_session_count_is_stored_in_the_configured_custom_attribute() -> None:
    request = parse_with({"session_count": "0"})
    assert request.custom_attribute_texts() == {"legacy_session_count": ("session_count", "0")}
    custom = {**DEFAULT_LEGACY_ATTRIBUTE_NAMES, "session_count": "Web visits"}
    assert request.custom_attribute_texts(custom) == {"Web visits": ("session_count", "0")}


# -- user_id --------------------------------------------------------------------------------


@pytest.mark.parametrize(("user_id", "expected"), [("u-42", "u-42"), (" u 42 ", "u 42"), (7, "7")])
def test_user_id_is_text(user_id: object, expected: str) -> None:
    assert parse_with({"user_id": user_id}).user_id == expected


# -- booleans -------------------------------------------------------------------------------


@pytest.mark.parametrize("field", BOOLEAN_FIELDS)
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        ("true", True),
        ("TRUE", True),
        (" True ", True),
        (False, False),
        ("false", False),
        ("FALSE", False),
        ("False", False),
    ],
)
def test_booleans_accept_json_and_text(field: str, raw: object, expected: bool) -> None:
    request = parse_with({field: raw})
    assert getattr(request, field) is expected


@pytest.mark.parametrize("field", ["unsubscribed_from_emails", "update_last_request_at"])
@pytest.mark.parametrize("raw", [False, "false", "FALSE"])
def test_false_is_a_value_never_dropped(field: str, raw: object) -> None:
    request = parse_with({field: raw})
    assert getattr(request, field) is False
    assert field in request.model_fields_set


@pytest.mark.parametrize("field", BOOLEAN_FIELDS)
@pytest.mark.parametrize("raw", ["yes", "no", "1", "0", 1, 0, "on", "t", [], {}])
def test_booleans_refuse_anything_else(field: str, raw: object) -> None:
    assert_only_field(refusal_with({field: raw}), field)


@pytest.mark.parametrize("raw", ["absent", None, "", "  "])
def test_create_missing_attributes_defaults_to_false(raw: object) -> None:
    payload = dict(BASE)
    if raw != "absent":
        payload["create_missing_attributes"] = raw
    assert parse(payload).create_missing_attributes is False


# -- utm_* ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", UTM_FIELDS)
def test_utm_fields_are_text_stored_as_custom_attributes(field: str) -> None:
    request = parse_with({field: " https://example.com/?a=b "})
    assert getattr(request, field) == "https://example.com/?a=b"
    assert request.custom_attribute_texts() == {
        f"legacy_{field}": (field, "https://example.com/?a=b")
    }


# -- custom attributes ----------------------------------------------------------------------


@pytest.mark.parametrize("slot", [1, 2, 3])
def test_custom_attribute_name_and_value(slot: int) -> None:
    request = parse_with(
        {f"custom_attribute_{slot}_name": " plan ", f"custom_attribute_{slot}_value": " pro "}
    )
    assert request.custom_attribute_texts() == {"plan": (f"custom_attribute_{slot}_value", "pro")}


def test_all_custom_attributes_and_backed_fields_together() -> None:
    request = parse_with(
        {
            "custom_attribute_1_name": "plan",
            "custom_attribute_1_value": "pro",
            "custom_attribute_2_name": "seats",
            "custom_attribute_2_value": 12,
            "custom_attribute_3_name": "trial",
            "custom_attribute_3_value": "false",
            "session_count": 3,
            "utm_source": "newsletter",
        }
    )
    assert request.custom_attribute_texts() == {
        "plan": ("custom_attribute_1_value", "pro"),
        "seats": ("custom_attribute_2_value", "12"),
        "trial": ("custom_attribute_3_value", "false"),
        "legacy_session_count": ("session_count", "3"),
        "legacy_utm_source": ("utm_source", "newsletter"),
    }


@pytest.mark.parametrize("slot", [1, 2, 3])
def test_custom_attribute_value_without_name_is_invalid(slot: int) -> None:
    error = refusal_with({f"custom_attribute_{slot}_value": "pro"})
    assert_only_field(error, f"custom_attribute_{slot}_value")
    assert f"custom_attribute_{slot}_name" in error.message


@pytest.mark.parametrize("slot", [1, 2, 3])
@pytest.mark.parametrize("value", ["absent", None, "", "   "])
def test_custom_attribute_name_without_value_leaves_it_unchanged(slot: int, value: object) -> None:
    payload = {**BASE, f"custom_attribute_{slot}_name": "plan"}
    if value != "absent":
        payload[f"custom_attribute_{slot}_value"] = value
    request = parse(payload)
    assert getattr(request, f"custom_attribute_{slot}_name") == "plan"
    assert request.custom_attribute_texts() == {}


@pytest.mark.parametrize(("first", "second"), [(1, 2), (1, 3), (2, 3)])
def test_duplicate_custom_attribute_names_are_refused(first: int, second: int) -> None:
    error = refusal_with(
        {
            f"custom_attribute_{first}_name": "plan",
            f"custom_attribute_{first}_value": "a",
            f"custom_attribute_{second}_name": "plan",
            f"custom_attribute_{second}_value": "b",
        }
    )
    assert_only_field(error, f"custom_attribute_{second}_name")
    assert f"custom_attribute_{first}_name" in error.message


def test_duplicate_name_without_second_value_is_not_a_clash() -> None:
    request = parse_with(
        {
            "custom_attribute_1_name": "plan",
            "custom_attribute_1_value": "a",
            "custom_attribute_2_name": "plan",
        }
    )
    assert request.custom_attribute_texts() == {"plan": ("custom_attribute_1_value", "a")}


@pytest.mark.parametrize("field", ATTRIBUTE_BACKED_FIELDS)
def test_custom_attribute_clashing_with_a_backed_field_is_refused(field: str) -> None:
    error = refusal_with(
        {field: "3", "custom_attribute_2_name": f"legacy_{field}", "custom_attribute_2_value": "4"}
    )
    assert_only_field(error, "custom_attribute_2_name")
    assert error.details is not None
    assert field in error.details[0]["message"]


@pytest.mark.parametrize("field", ATTRIBUTE_BACKED_FIELDS)
def test_custom_attribute_named_like_an_unused_backed_field_is_fine(field: str) -> None:
    request = parse_with({"custom_attribute_1_name": field, "custom_attribute_1_value": "4"})
    assert request.custom_attribute_texts() == {field: ("custom_attribute_1_value", "4")}


@pytest.mark.parametrize("name", ["a.b", "$plan", 'a"b', "a\\b", "a{b}", "a[0]", "a\nb", "x" * 191])
def test_custom_attribute_names_refused(name: str) -> None:
    error = refusal_with({"custom_attribute_1_name": name, "custom_attribute_1_value": "v"})
    assert_only_field(error, "custom_attribute_1_name")


@pytest.mark.parametrize(
    "name", ["plan", "Plan Tier", "plan_tier-2", "x" * 190, "prix €", "a$b", "a@b"]
)
def test_custom_attribute_names_accepted(name: str) -> None:
    request = parse_with({"custom_attribute_1_name": name, "custom_attribute_1_value": "v"})
    assert request.custom_attribute_texts() == {name: ("custom_attribute_1_value", "v")}


def test_numeric_duplicate_custom_attribute_names_are_refused() -> None:
    refusal_with(
        {
            "custom_attribute_1_name": 5,
            "custom_attribute_1_value": "a",
            "custom_attribute_2_name": "5",
            "custom_attribute_2_value": "b",
        }
    )


# -- absent, null and "" mean unchanged; trimming ------------------------------------------


@pytest.mark.parametrize("field", OPTIONAL_FIELDS)
@pytest.mark.parametrize("blank", ["absent", None, "", "   ", " \t\r\n "])
def test_blank_optional_inputs_mean_unchanged(field: str, blank: object) -> None:
    payload = dict(BASE)
    if blank != "absent":
        payload[field] = blank
    request = parse(payload)
    assert getattr(request, field) is None
    assert field not in request.model_fields_set
    assert request.custom_attribute_texts() == {}


@pytest.mark.parametrize(
    "field",
    [*TEXT_FIELDS, "custom_attribute_1_name"],
)
def test_text_is_trimmed(field: str) -> None:
    request = parse_with({field: "  padded  "})
    assert getattr(request, field) == "padded"


def test_required_inputs_are_trimmed() -> None:
    request = parse({"connected_account": " intercom/acme\n", "value": "\tjane@example.com "})
    assert request.connected_account == "intercom/acme"
    assert request.value == "jane@example.com"


def test_custom_attribute_value_is_trimmed() -> None:
    request = parse_with({"custom_attribute_1_name": "plan", "custom_attribute_1_value": "  a b  "})
    assert request.custom_attribute_texts() == {"plan": ("custom_attribute_1_value", "a b")}


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("number", [12345, 0, 1.5])
def test_numbers_are_accepted_for_text_fields(field: str, number: object) -> None:
    assert getattr(parse_with({field: number}), field) == str(number)


NON_TEXT_CASES = [
    (field, raw)
    for field in [*TEXT_FIELDS, "custom_attribute_1_value", "email", "value"]
    for raw in [True, ["a"], {"a": 1}]
    # Booleans are accepted as custom attribute values: see the test below.
    if not (field == "custom_attribute_1_value" and raw is True)
]


@pytest.mark.parametrize(("field", "raw"), NON_TEXT_CASES)
def test_text_fields_refuse_non_text(field: str, raw: object) -> None:
    payload = {**BASE, field: raw}
    if field == "custom_attribute_1_value":
        payload["custom_attribute_1_name"] = "plan"
    assert_only_field(refusal(payload), field)


@pytest.mark.parametrize(("raw", "text"), [(True, "true"), (False, "false")])
def test_boolean_custom_attribute_values_become_text(raw: bool, text: str) -> None:
    request = parse_with({"custom_attribute_1_name": "vip", "custom_attribute_1_value": raw})
    assert request.custom_attribute_texts() == {"vip": ("custom_attribute_1_value", text)}


# -- sizes and control characters -----------------------------------------------------------


@pytest.mark.parametrize("field", [*TEXT_FIELDS, "custom_attribute_1_value"])
def test_text_is_bounded_to_255_characters(field: str) -> None:
    extra = {"custom_attribute_1_name": "plan"} if field.startswith("custom_") else {}
    assert getattr(parse_with({**extra, field: "x" * 255}), field) == "x" * 255
    error = refusal_with({**extra, field: "x" * 256})
    assert_only_field(error, field)
    assert "at most 255 characters" in error.message


def test_connected_account_is_bounded() -> None:
    error = refusal_with({"connected_account": "intercom/" + "a" * 600})
    assert_only_field(error, "connected_account")


@pytest.mark.parametrize(
    "field", [*TEXT_FIELDS, "custom_attribute_1_value", "custom_attribute_1_name", "email"]
)
@pytest.mark.parametrize("char", CONTROL_CHARACTERS)
def test_control_characters_inside_text_are_refused(field: str, char: str) -> None:
    extra = {"custom_attribute_1_name": "plan"} if field == "custom_attribute_1_value" else {}
    if field == "custom_attribute_1_name":
        extra = {"custom_attribute_1_value": "v"}
    text = f"jane{char}doe@example.com" if field == "email" else f"a{char}b"
    error = refusal_with({**extra, field: text})
    assert_only_field(error, field)


@pytest.mark.parametrize("update_by", ["id", "user_id"])
@pytest.mark.parametrize("char", CONTROL_CHARACTERS)
def test_control_characters_inside_value_are_refused(update_by: str, char: str) -> None:
    error = refusal_with({"update_by": update_by, "value": f"u{char}42"})
    assert_only_field(error, "value")


@pytest.mark.parametrize("char", ["\r\n", "\n", "\t", "\x00"])
def test_control_characters_around_text_are_trimmed_away(char: str) -> None:
    # str.strip() removes CR/LF/TAB but not NUL: NUL stays and is refused.
    payload = {**BASE, "name": f"{char}Jane{char}"}
    if char == "\x00":
        assert_only_field(refusal(payload), "name")
    else:
        assert parse(payload).name == "Jane"


# -- unknown keys and the shape of the payload ----------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["Email", "userId", "custom_attribute_4_name", "custom_attribute_0_value", "session", "value "],
)
def test_unknown_keys_are_refused_naming_the_key(key: str) -> None:
    error = refusal_with({key: "x"})
    assert_only_field(error, key)
    assert "not a known input" in error.message
    assert "docs/contract.md" in error.message  # the list of inputs; a test checks it exists


def test_unknown_keys_are_reported_even_when_empty() -> None:
    # A typo must never pass silently, not even with an empty value.
    error = refusal_with({"Email": None, "typo": ""})
    assert fields(error) == ["Email", "typo"]


def test_hostile_unknown_key_is_shown_bounded_and_printable() -> None:
    key = "bad\r\nkey\x00" * 20
    error = refusal_with({key: 1})
    [field] = fields(error)
    assert len(field) <= 64
    assert not any(ch in field for ch in "\r\n\x00")
    assert field.endswith("...")


@pytest.mark.parametrize(
    "payload", [[], [dict(BASE)], "x", '{"value": "a"}', None, 3, 1.5, True, b"{}"]
)
def test_non_object_payloads_are_refused(payload: object) -> None:
    error = refusal(payload)
    assert fields(error) == ["(input)"]
    assert "JSON object" in error.message


def test_more_than_64_keys_are_refused_before_anything_else() -> None:
    payload = {**BASE, **{f"extra_{i}": "x" for i in range(MAX_KEYS - 1)}}
    assert len(payload) == MAX_KEYS + 1
    error = refusal(payload)
    assert fields(error) == ["(input)"]
    assert str(MAX_KEYS) in error.message


def test_64_keys_are_counted_but_not_refused_for_their_number() -> None:
    payload = {**BASE, **{f"extra_{i}": "x" for i in range(MAX_KEYS - 2)}}
    assert len(payload) == MAX_KEYS
    error = refusal(payload)
    assert "(input)" not in fields(error)
    assert len(fields(error)) == MAX_KEYS - 2


# -- every problem at once ------------------------------------------------------------------


def test_every_problem_is_reported_at_once() -> None:
    error = refusal(
        {
            "connected_account": "other/acme",
            "value": "not-an-email",
            "email": "also-not-an-email",
            "session_count": -1,
        }
    )
    assert sorted(fields(error)) == ["connected_account", "email", "session_count", "value"]
    assert error.field is None
    assert error.message.startswith("invalid input (4 problems)")
    for field in ("connected_account", "email", "session_count", "value"):
        assert field in error.message


def test_many_problems_of_many_kinds() -> None:
    error = refusal(
        {
            "connected_account": "intercom/../x",
            "update_by": "nope",
            "value": "u-1",
            "avatar_image": "http://example.com/a.png",
            "phone": "abc",
            "unsubscribed_from_emails": "yes",
            "custom_attribute_2_value": "orphan",
            "typo": "x",
        }
    )
    assert sorted(fields(error)) == sorted(
        [
            "connected_account",
            "update_by",
            "avatar_image",
            "phone",
            "unsubscribed_from_emails",
            "custom_attribute_2_value",
            "typo",
        ]
    )
    assert error.field is None


def test_field_is_set_when_one_field_has_several_problems() -> None:
    error = refusal_with({"value": "jane@exa\nmple.com"})
    assert fields(error) == ["value", "value"]
    assert error.field == "value"


def test_input_values_are_not_echoed_in_messages() -> None:
    error = refusal_with({"name": "x" * 300, "session_count": "secret-ish"})
    assert "secret-ish" not in error.message
    assert "x" * 300 not in error.message


# -- connected_account ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "account",
    [
        "intercom/acme",
        "intercom/team/acme",
        "intercom/a_b+c=d.e@f-g",
        "intercom/x..y",
        f"{ARN}intercom/acme-AbCdEf",
        f"{ARN}intercom/team/acme-AbCdEf",
    ],
)
def test_connected_account_accepted(account: str) -> None:
    assert parse_with({"connected_account": account}).connected_account == account


@pytest.mark.parametrize(
    "account",
    [
        pytest.param("other/acme", id="outside-prefix"),
        pytest.param("acme", id="no-prefix"),
        pytest.param("intercom", id="prefix-without-slash"),
        pytest.param("Intercom/acme", id="prefix-case"),
        pytest.param("intercomx/acme", id="prefix-lookalike"),
        pytest.param("intercom/", id="prefix-only"),
        pytest.param("intercom//x", id="empty-segment"),
        pytest.param("intercom/../x", id="dotdot"),
        pytest.param("intercom/./x", id="dot"),
        pytest.param("intercom/x/..", id="trailing-dotdot"),
        pytest.param("intercom/x/", id="trailing-slash"),
        pytest.param("intercom/a b", id="space"),
        pytest.param("intercom/x?y", id="question-mark"),
        pytest.param("intercom/x#y", id="hash"),
        pytest.param("intercom/x\ny", id="newline"),
        pytest.param("intercom/é", id="non-ascii"),
        pytest.param(f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:intercom/a", id="region"),
        pytest.param(f"arn:aws:secretsmanager:{REGION}:999999999999:secret:intercom/a", id="acct"),
        pytest.param(f"arn:aws:secretsmanager:{REGION}:123:secret:intercom/a", id="short-acct"),
        pytest.param(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:", id="arn-no-name"),
        pytest.param(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:intercom/a", id="arn-no-secret"),
        pytest.param(f"arn:aws:ssm:{REGION}:{ACCOUNT}:secret:intercom/a", id="arn-other-service"),
        pytest.param("arn:", id="arn-stub"),
        pytest.param("arn:aws:s3:::intercom/a", id="arn-s3"),
        pytest.param(f"{ARN}other/acme", id="arn-outside-prefix"),
        pytest.param(f"{ARN}intercom/", id="arn-prefix-only"),
        pytest.param(f"{ARN}intercom/../x", id="arn-dotdot"),
        pytest.param(f"{ARN}intercom//x", id="arn-empty-segment"),
    ],
)
def test_connected_account_refused(account: str) -> None:
    error = refusal_with({"connected_account": account})
    assert_only_field(error, "connected_account")


def test_connected_account_prefix_is_named_in_the_message() -> None:
    error = refusal_with({"connected_account": "other/acme"})
    assert "'intercom/'" in error.message


def test_connected_account_uses_the_configured_prefix() -> None:
    payload = {**BASE, "connected_account": "team-a/intercom"}
    assert parse(payload, connected_account_prefix="team-a/").connected_account == "team-a/intercom"
    refusal({**BASE, "connected_account": "intercom/acme"}, connected_account_prefix="team-a/")


def test_arn_from_any_region_or_account_when_the_function_does_not_know_its_own() -> None:
    account = "arn:aws:secretsmanager:ap-south-1:999999999999:secret:intercom/acme-AbCdEf"
    request = parse({**BASE, "connected_account": account}, aws_region=None, aws_account_id=None)
    assert request.connected_account == account


def test_arn_in_another_region_names_the_expected_region() -> None:
    error = refusal_with(
        {"connected_account": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:intercom/a"}
    )
    assert REGION in error.message


@pytest.mark.parametrize("account", [123456, 1.5])
def test_numeric_connected_account_is_checked_against_the_prefix(account: object) -> None:
    refusal_with({"connected_account": account})


@pytest.mark.parametrize(
    ("field", "raw"),
    [("email", 123), ("phone", 12), ("avatar_image", 1.5), ("avatar_image", 42)],
)
def test_numbers_in_formatted_fields_are_still_checked(field: str, raw: object) -> None:
    refusal_with({field: raw})
