"""Dates given as digits alone never silently become a day in 1970 (contract: Inputs, dates)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intercom_update.logic.attribute_values import AttributeValueError, convert_attribute_value


def unix(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp())


@pytest.mark.parametrize("data_type", ["date", "datetime"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20270131", unix(2027, 1, 31)),
        ("19690720", unix(1969, 7, 20)),
        ("20240229", unix(2024, 2, 29)),
        ("20270131T100000Z", unix(2027, 1, 31, 10)),
        ("631152000", unix(1990, 1, 1)),
        ("100000000", 100000000),
        ("1700000000", 1700000000),
        ("9999999999", 9999999999),
    ],
)
def test_iso_basic_dates_and_plausible_unix_seconds_are_read(
    data_type: str, text: str, expected: int
) -> None:
    assert convert_attribute_value(text, data_type) == expected


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "1",
        "2027",
        "202701",
        "2027013",
        "99999999",  # 8 digits are YYYYMMDD: month 99 is no date, not 1973-03-03 in seconds
        "20271301",
        "20230229",
        "-1",
        "+1700000000",
        "-631152000",
        "17000000000",
        "1700000000000",
    ],
)
def test_ambiguous_or_implausible_digits_are_refused(text: str) -> None:
    with pytest.raises(AttributeValueError, match="must be a date"):
        convert_attribute_value(text, "date")


def test_the_refusal_says_what_digits_mean() -> None:
    with pytest.raises(AttributeValueError) as info:
        convert_attribute_value("2027", "date")

    message = str(info.value)
    assert "Unix seconds (9 or 10 digits" in message
    assert "YYYYMMDD" in message
    assert "2026-11-27" in message


def test_milliseconds_get_a_hint() -> None:
    with pytest.raises(AttributeValueError, match="milliseconds"):
        convert_attribute_value("1700000000000", "date")


def test_no_accepted_digit_string_lands_in_1970() -> None:
    for digits in range(1, 12):
        text = "1" + "0" * (digits - 1)
        try:
            seconds = convert_attribute_value(text, "date")
        except AttributeValueError:
            continue
        assert isinstance(seconds, int)
        assert datetime.fromtimestamp(seconds, UTC).year != 1970, text
