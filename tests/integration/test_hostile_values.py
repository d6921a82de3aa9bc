"""Values that look harmless but would store the wrong thing: refused before any write.

Invisible format characters in text (issue 9, point 10) and dates given as digits alone
(point 7), run end to end against the sandbox: what Intercom receives, and what it stores.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from intercom_sandbox import IntercomSandbox
from tests.support.intercom import Run, api_requests, writes


@pytest.fixture
def ada(sandbox: IntercomSandbox) -> dict[str, Any]:
    contact = sandbox.add_contact(role="user", email="ada@example.com", name="Ada")
    sandbox.clear_exchanges()
    return contact


@pytest.mark.parametrize("invisible", ["\u202e", "\u200b", "\u2066", "\ufeff"])
def test_a_name_with_an_invisible_character_reaches_nobody(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any], invisible: str
) -> None:
    output = run(value="ada@example.com", name=f"Ada{invisible}ecalevoL")

    assert output.outcome == "unsuccessful"
    assert output.error is not None
    assert output.error["code"] == "validation_error"
    assert output.error["field"] == "name"
    assert f"U+{ord(invisible):04X}" in output.error["message"]
    assert sandbox.exchanges == []
    assert sandbox.contact(ada["id"])["name"] == "Ada"


def test_an_iso_basic_date_is_stored_as_that_day(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.add_data_attribute("renewal", data_type="date")

    output = run(
        value="ada@example.com",
        custom_attribute_1_name="renewal",
        custom_attribute_1_value="20270131",
    )

    assert output.outcome == "success", output.error
    stored = sandbox.contact(ada["id"])["custom_attributes"]["renewal"]
    assert datetime.fromtimestamp(stored, UTC) == datetime(2027, 1, 31, tzinfo=UTC)


@pytest.mark.parametrize("digits", ["2027", "0", "202701", "1700000000000"])
def test_a_date_of_ambiguous_digits_is_refused_and_nothing_is_written(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any], digits: str
) -> None:
    sandbox.add_data_attribute("renewal", data_type="date")

    output = run(
        value="ada@example.com",
        name="Ada L.",
        custom_attribute_1_name="renewal",
        custom_attribute_1_value=digits,
    )

    assert output.outcome == "unsuccessful"
    assert output.error is not None
    assert output.error["code"] == "validation_error"
    assert output.error["field"] == "custom_attribute_1_value"
    assert "YYYYMMDD" in output.error["message"]
    assert writes(sandbox) == []
    assert api_requests(sandbox, "PUT") == []
    assert "renewal" not in sandbox.contact(ada["id"]).get("custom_attributes", {})
