"""convert_attribute_value: text from the input to the custom attribute's Intercom data type."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intercom_update.logic.attribute_values import (
    DATA_TYPES,
    AttributeValueError,
    convert_attribute_value,
)


def unix(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp())


# -- string ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["pro", "  pro  ", "12", "true", "2026-11-27", "é 日本"])
def test_string_is_kept_as_trimmed_text(text: str) -> None:
    assert convert_attribute_value(text, "string") == text.strip()


@pytest.mark.parametrize("options", [None, []])
def test_string_without_options_accepts_anything(options: list[str] | None) -> None:
    assert convert_attribute_value("anything", "string", options) == "anything"


@pytest.mark.parametrize("text", ["free", " pro ", "enterprise"])
def test_string_with_options_accepts_an_option(text: str) -> None:
    assert convert_attribute_value(text, "string", ["free", "pro", "enterprise"]) == text.strip()


@pytest.mark.parametrize("text", ["Pro", "gold", "pro!", ""])
def test_string_with_options_refuses_anything_else(text: str) -> None:
    with pytest.raises(AttributeValueError, match="options: free, pro"):
        convert_attribute_value(text, "string", ["free", "pro"])


def test_long_option_lists_are_shortened_in_the_message() -> None:
    options = [f"o{i}" for i in range(25)]
    with pytest.raises(AttributeValueError) as info:
        convert_attribute_value("nope", "string", options)
    assert "o9 ..." in str(info.value)
    assert "o10" not in str(info.value)


# -- integer --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        (" 42 ", 42),
        ("+7", 7),
        ("-7", -7),
        ("007", 7),
        ("9" * 18, int("9" * 18)),
        # re's \d is Unicode-aware and int() reads any decimal digits: accepted as 3.
    ],
)
def test_integer(text: str, expected: int) -> None:
    result = convert_attribute_value(text, "integer")
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    "text",
    ["", "4.2", "4.0", "1e3", "abc", "0x10", "1_000", "9" * 19, "- 1", "true", "\u0663"],
)
def test_integer_refuses_non_integers(text: str) -> None:
    with pytest.raises(AttributeValueError, match="whole number"):
        convert_attribute_value(text, "integer")


# -- float ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0.0),
        ("4.2", 4.2),
        (" -4.2 ", -4.2),
        ("+1.5", 1.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e3", 1000.0),
        ("1.5E-2", 0.015),
        ("42", 42.0),
    ],
)
def test_float(text: str, expected: float) -> None:
    result = convert_attribute_value(text, "float")
    assert result == pytest.approx(expected)
    assert type(result) is float


@pytest.mark.parametrize(
    "text", ["nan", "NaN", "inf", "-inf", "Infinity", "", "abc", "1,5", "1.2.3", "e3", "."]
)
def test_float_refuses_non_numbers(text: str) -> None:
    with pytest.raises(AttributeValueError, match="number"):
        convert_attribute_value(text, "float")


@pytest.mark.parametrize("text", ["1e999", "-1e999"])
def test_float_refuses_overflow_to_infinity(text: str) -> None:
    with pytest.raises(AttributeValueError, match="finite"):
        convert_attribute_value(text, "float")


# -- boolean --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["true", "TRUE", " True ", "yes", "YES", "1"])
def test_boolean_true(text: str) -> None:
    assert convert_attribute_value(text, "boolean") is True


@pytest.mark.parametrize("text", ["false", "FALSE", " False ", "no", "No", "0"])
def test_boolean_false(text: str) -> None:
    assert convert_attribute_value(text, "boolean") is False


@pytest.mark.parametrize("text", ["", "on", "off", "t", "f", "2", "-1", "truthy"])
def test_boolean_refuses_anything_else(text: str) -> None:
    with pytest.raises(AttributeValueError, match="true or false"):
        convert_attribute_value(text, "boolean")


# -- date -----------------------------------------------------------------------------------


@pytest.mark.parametrize("data_type", ["date", "datetime"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1700000000", 1700000000),
        (" 1700000000 ", 1700000000),
        ("2026-11-27", unix(2026, 11, 27)),
        ("2024-02-29", unix(2024, 2, 29)),
        ("2026-11-27T10:00:00Z", unix(2026, 11, 27, 10)),
        ("2026-11-27T10:00:00.9Z", unix(2026, 11, 27, 10)),
        ("2026-11-27T10:00:00+00:00", unix(2026, 11, 27, 10)),
        ("2026-11-27T10:00:00+02:00", unix(2026, 11, 27, 8)),
        ("2026-11-27T10:00:00-05:30", unix(2026, 11, 27, 15, 30)),
        ("2026-11-27T10:00:00", unix(2026, 11, 27, 10)),
        ("2026-11-27 10:00:00", unix(2026, 11, 27, 10)),
        ("2026-11-27T10:00", unix(2026, 11, 27, 10)),
    ],
)
def test_date_becomes_unix_seconds(data_type: str, text: str, expected: int) -> None:
    result = convert_attribute_value(text, data_type)
    assert result == expected
    assert type(result) is int


def test_iso_date_is_midnight_utc() -> None:
    result = convert_attribute_value("2026-11-27", "date")
    assert isinstance(result, int)
    assert datetime.fromtimestamp(result, UTC) == datetime(2026, 11, 27, tzinfo=UTC)


def test_naive_datetime_is_read_as_utc_whatever_the_local_zone() -> None:
    aware = convert_attribute_value("2026-06-01T12:34:56Z", "date")
    naive = convert_attribute_value("2026-06-01T12:34:56", "date")
    assert aware == naive == unix(2026, 6, 1, 12, 34, 56)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "2026-13-01",
        "2026-02-30",
        "2023-02-29",
        "2026/11/27",
        "27/11/2026",
        "2026-11-27T25:00:00Z",
        "1.5",
        "tomorrow",
        "2026-11-27Tnope",
    ],
)
def test_date_refuses_garbage(text: str) -> None:
    with pytest.raises(AttributeValueError, match="must be a date"):
        convert_attribute_value(text, "date")


# -- unknown types --------------------------------------------------------------------------


@pytest.mark.parametrize("data_type", ["list", "object", "relationship", "", "String"])
def test_unknown_type_is_refused_naming_it(data_type: str) -> None:
    with pytest.raises(AttributeValueError, match="cannot write") as info:
        convert_attribute_value("x", data_type)
    assert f"({data_type})" in str(info.value)


def test_every_listed_data_type_is_convertible() -> None:
    samples = {
        "string": "x",
        "integer": "1",
        "float": "1.5",
        "boolean": "true",
        "date": "2026-01-01",
        "datetime": "2026-01-01",
    }
    assert set(samples) == DATA_TYPES
    for data_type, text in samples.items():
        convert_attribute_value(text, data_type)


def test_attribute_value_error_is_a_value_error() -> None:
    assert issubclass(AttributeValueError, ValueError)
