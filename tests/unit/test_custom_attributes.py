"""plan_attributes and _parse_catalog: custom attributes are checked before anything is written."""

from __future__ import annotations

from typing import Any

import pytest

from intercom_update.logic.custom_attributes import (
    AttributeSpec,
    _parse_catalog,
    plan_attributes,
)
from intercom_update.models.errors import AttributeNotFoundError, InputValidationError

CATALOG: dict[str, AttributeSpec] = {
    "plan": AttributeSpec("plan", "string", ["free", "pro"], True),
    "nickname": AttributeSpec("nickname", "string", None, True),
    "seats": AttributeSpec("seats", "integer", None, True),
    "score": AttributeSpec("score", "float", None, True),
    "trial": AttributeSpec("trial", "boolean", None, True),
    "renews_at": AttributeSpec("renews_at", "date", None, True),
    "session_count": AttributeSpec("session_count", "integer", None, True),
    "utm_source": AttributeSpec("utm_source", "string", None, True),
    "locked": AttributeSpec("locked", "string", None, False),
}


def texts(**values: str) -> dict[str, tuple[str, str]]:
    """Attribute name -> (input field, text), custom slots in order for non-backed names."""
    result: dict[str, tuple[str, str]] = {}
    slot = 0
    for name, text in values.items():
        if name == "session_count" or name.startswith("utm_"):
            result[name] = (name, text)
        else:
            slot += 1
            result[name] = (f"custom_attribute_{slot}_value", text)
    return result


# -- plan_attributes ------------------------------------------------------------------------


@pytest.mark.parametrize("create_missing", [False, True])
def test_existing_attributes_are_typed(create_missing: bool) -> None:
    plan = plan_attributes(
        texts(seats="12", trial="yes", score="4.5"), CATALOG, create_missing=create_missing
    )
    assert plan.values == {"seats": 12, "trial": True, "score": 4.5}
    assert plan.to_create == {}


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("plan", "pro", "pro"),
        ("nickname", "anything at all", "anything at all"),
        ("seats", "12", 12),
        ("score", "4.5", 4.5),
        ("trial", "false", False),
        ("renews_at", "2026-11-27", 1795737600),
        ("session_count", "0", 0),
        ("utm_source", "newsletter", "newsletter"),
    ],
)
def test_each_type_is_converted(name: str, text: str, expected: object) -> None:
    plan = plan_attributes({name: ("field", text)}, CATALOG, create_missing=False)
    assert plan.values == {name: expected}
    assert type(plan.values[name]) is type(expected)


def test_nothing_to_plan() -> None:
    plan = plan_attributes({}, {}, create_missing=False)
    assert plan.values == {}
    assert plan.to_create == {}


def test_one_missing_attribute_names_its_field() -> None:
    with pytest.raises(AttributeNotFoundError) as info:
        plan_attributes(texts(tier="gold"), CATALOG, create_missing=False)
    error = info.value
    assert error.code == "attribute_not_found"
    assert error.field == "custom_attribute_1_value"
    assert error.details == [{"field": "custom_attribute_1_value", "attribute": "tier"}]
    assert "'tier'" in error.message
    assert "create_missing_attributes" in error.message


def test_all_missing_attributes_are_listed_with_their_fields() -> None:
    with pytest.raises(AttributeNotFoundError) as info:
        plan_attributes(
            texts(tier="gold", region="emea", seats="3", session_count="5", utm_term="x"),
            CATALOG,
            create_missing=False,
        )
    error = info.value
    assert error.field is None
    assert error.details == [
        {"field": "custom_attribute_1_value", "attribute": "tier"},
        {"field": "custom_attribute_2_value", "attribute": "region"},
        {"field": "utm_term", "attribute": "utm_term"},
    ]
    for name in ("'tier'", "'region'", "'utm_term'"):
        assert name in error.message
    assert "seats" not in error.message


def test_missing_backed_field_is_reported_under_its_own_input() -> None:
    with pytest.raises(AttributeNotFoundError) as info:
        plan_attributes(texts(session_count="5"), {}, create_missing=False)
    assert info.value.field == "session_count"
    assert info.value.details == [{"field": "session_count", "attribute": "session_count"}]


def test_create_missing_plans_session_count_as_integer_and_the_rest_as_string() -> None:
    plan = plan_attributes(
        texts(tier="gold", seats="3", session_count="5", utm_campaign="spring", utm_term="7"),
        {name: spec for name, spec in CATALOG.items() if name != "session_count"},
        create_missing=True,
    )
    assert plan.to_create == {
        "tier": "string",
        "session_count": "integer",
        "utm_campaign": "string",
        "utm_term": "string",
    }
    assert plan.values == {
        "tier": "gold",
        "seats": 3,
        "session_count": 5,
        "utm_campaign": "spring",
        "utm_term": "7",
    }
    assert type(plan.values["utm_term"]) is str


def test_create_missing_does_not_recreate_existing_session_count() -> None:
    catalog = {"session_count": AttributeSpec("session_count", "string", None, True)}
    plan = plan_attributes(texts(session_count="5"), catalog, create_missing=True)
    assert plan.to_create == {}
    assert plan.values == {"session_count": "5"}


@pytest.mark.parametrize("create_missing", [False, True])
def test_attribute_not_writable_through_the_api_is_refused(create_missing: bool) -> None:
    with pytest.raises(AttributeNotFoundError) as info:
        plan_attributes(texts(locked="x"), CATALOG, create_missing=create_missing)
    error = info.value
    assert error.code == "attribute_not_found"
    assert error.field == "custom_attribute_1_value"
    assert error.details == [
        {
            "field": "custom_attribute_1_value",
            "attribute": "locked",
            "reason": "not writable via API",
        }
    ]


def test_missing_and_not_writable_are_reported_together() -> None:
    with pytest.raises(AttributeNotFoundError) as info:
        plan_attributes(texts(locked="x", tier="y"), CATALOG, create_missing=False)
    assert [d["attribute"] for d in info.value.details or []] == ["locked", "tier"]
    assert info.value.field is None


def test_conversion_problem_names_the_input_field() -> None:
    with pytest.raises(InputValidationError) as info:
        plan_attributes(texts(nickname="ok", seats="many"), CATALOG, create_missing=False)
    error = info.value
    assert error.code == "validation_error"
    assert error.field == "custom_attribute_2_value"
    assert error.details is not None
    [detail] = error.details
    assert detail["field"] == "custom_attribute_2_value"
    assert "whole number" in detail["message"]
    assert "'seats'" in detail["message"]
    assert error.message.startswith("custom_attribute_2_value: ")


def test_every_conversion_problem_is_reported_at_once() -> None:
    with pytest.raises(InputValidationError) as info:
        plan_attributes(
            texts(plan="gold", seats="many", trial="maybe", session_count="x"),
            CATALOG,
            create_missing=False,
        )
    error = info.value
    assert error.field is None
    assert [d["field"] for d in error.details or []] == [
        "custom_attribute_1_value",
        "custom_attribute_2_value",
        "custom_attribute_3_value",
        "session_count",
    ]
    assert "options: free, pro" in (error.details or [])[0]["message"]


def test_conversion_to_a_created_integer_attribute_is_checked() -> None:
    # session_count arrives validated as digits, but the plan still converts what it is given.
    with pytest.raises(InputValidationError) as info:
        plan_attributes({"session_count": ("session_count", "x")}, {}, create_missing=True)
    assert info.value.field == "session_count"


def test_unknown_data_type_is_a_validation_problem() -> None:
    catalog = {"tags": AttributeSpec("tags", "list", None, True)}
    with pytest.raises(InputValidationError, match=r"cannot write \(list\)"):
        plan_attributes(texts(tags="a"), catalog, create_missing=False)


# -- _parse_catalog -------------------------------------------------------------------------


def entry(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "data_attribute",
        "name": name,
        "full_name": f"custom_attributes.{name}",
        "model": "contact",
        "data_type": "string",
        "custom": True,
        "archived": False,
        "api_writable": True,
        **fields,
    }


def test_parse_catalog_reads_custom_contact_attributes() -> None:
    specs = _parse_catalog(
        [
            entry("plan", options=[{"value": "free"}, {"value": "pro"}]),
            entry("seats", data_type="integer"),
            entry("locked", api_writable=False),
        ]
    )
    assert specs == {
        "plan": AttributeSpec("plan", "string", ["free", "pro"], True),
        "seats": AttributeSpec("seats", "integer", None, True),
        "locked": AttributeSpec("locked", "string", None, False),
    }


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(entry("old", archived=True), id="archived"),
        pytest.param(entry("industry", model="company"), id="company-model"),
        pytest.param(entry("x", model="conversation"), id="conversation-model"),
        pytest.param({**entry("x"), "name": None}, id="no-name"),
        pytest.param({**entry("x"), "name": 42}, id="numeric-name"),
        pytest.param("plan", id="not-an-object"),
        pytest.param(None, id="null"),
    ],
)
def test_parse_catalog_skips_what_cannot_be_written(item: Any) -> None:
    assert _parse_catalog([item, entry("kept")]) == {
        "kept": AttributeSpec("kept", "string", None, True)
    }


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([{"value": "a"}, {"value": "b"}], ["a", "b"]),
        (["a", "b"], ["a", "b"]),
        ([1, 2], ["1", "2"]),
        ([], None),
        (None, None),
        ("a,b", None),
    ],
)
def test_parse_catalog_reads_options(options: Any, expected: list[str] | None) -> None:
    specs = _parse_catalog([entry("plan", options=options)])
    assert specs["plan"].options == expected


@pytest.mark.parametrize(
    ("fields", "data_type", "writable"),
    [
        ({}, "string", True),
        ({"data_type": "date"}, "date", True),
        ({"api_writable": None}, "string", True),
        ({"api_writable": False}, "string", False),
    ],
)
def test_parse_catalog_defaults(fields: dict[str, Any], data_type: str, writable: bool) -> None:
    item = {"name": "x", "custom": True, **fields}
    assert _parse_catalog([item]) == {"x": AttributeSpec("x", data_type, None, writable)}


def test_parsed_catalog_drives_the_plan() -> None:
    catalog = _parse_catalog(
        [
            entry("plan", options=[{"value": "free"}, {"value": "pro"}]),
            entry("old", archived=True),
        ]
    )
    assert plan_attributes(texts(plan="pro"), catalog, create_missing=False).values == {
        "plan": "pro"
    }
    with pytest.raises(AttributeNotFoundError):
        plan_attributes(texts(old="x"), catalog, create_missing=False)
    with pytest.raises(InputValidationError):
        plan_attributes(texts(plan="gold"), catalog, create_missing=False)
