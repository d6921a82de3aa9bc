"""Invisible Unicode format characters (category Cf) are refused in every text input, by name."""

from __future__ import annotations

from typing import Any, Final

import pytest

from intercom_update.models.errors import InputValidationError
from intercom_update.models.input import parse_update_request

BASE: Final[dict[str, Any]] = {"connected_account": "intercom/acme", "value": "jane@example.com"}
INVISIBLE: Final = {
    "right-to-left override": "\u202e",
    "left-to-right embedding": "\u202a",
    "right-to-left isolate": "\u2067",
    "zero width space": "\u200b",
    "zero width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "arabic letter mark": "\u061c",
    "tag character": "\U000e0041",
}
TEXT_INPUTS: Final = {
    "name": "Ada{}Lovelace",
    "email": "ada{}@example.com",
    "user_id": "u-{}1",
    "company_id_1": "acme{}",
    "utm_source": "news{}letter",
    "custom_attribute_1_value": "gold{}",
    "custom_attribute_1_name": "pl{}an",
    "avatar_image": "https://example.com/{}a.png",
}


def refusal(payload: dict[str, Any]) -> InputValidationError:
    with pytest.raises(InputValidationError) as info:
        parse_update_request(payload, connected_account_prefix="intercom/")
    return info.value


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
@pytest.mark.parametrize("field", TEXT_INPUTS)
def test_a_format_character_is_refused_naming_the_field_and_the_character(
    field: str, char: str
) -> None:
    payload = {**BASE, field: TEXT_INPUTS[field].format(char)}
    if field == "custom_attribute_1_value":
        payload["custom_attribute_1_name"] = "plan"
    if field == "custom_attribute_1_name":
        payload["custom_attribute_1_value"] = "gold"

    error = refusal(payload)

    assert error.code == "validation_error"
    assert error.details
    assert {detail["field"] for detail in error.details} == {field}
    (detail,) = error.details
    assert f"U+{ord(char):04X}" in detail["message"]
    # The refusal describes the character; it never echoes the invisible character itself.
    assert char not in error.message


@pytest.mark.parametrize("update_by", ["email", "user_id", "id"])
def test_the_lookup_value_refuses_a_bidi_override(update_by: str) -> None:
    value = "jane\u202e@example.com" if update_by == "email" else "u-\u202e1"

    error = refusal({**BASE, "update_by": update_by, "value": value})

    assert "value" in {detail["field"] for detail in error.details or []}
    assert "U+202E" in error.message


def test_an_unknown_key_with_a_format_character_is_named_printably() -> None:
    error = refusal({**BASE, "na\u202eme": "Ada"})

    assert [detail["field"] for detail in error.details or []] == ["na?me"]
    assert "\u202e" not in error.message


@pytest.mark.parametrize(
    "text",
    ["Zoë Ångström", "李小龙", "محمد", "Dvořák 🦄", "O'Brien-Smith", "\u00a0Ada\u00a0"],
)
def test_visible_letters_of_every_script_are_kept(text: str) -> None:
    model = parse_update_request({**BASE, "name": text}, connected_account_prefix="intercom/")

    assert model.name == text.strip()
