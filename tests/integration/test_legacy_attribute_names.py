"""session_count and utm_* land in custom attributes that cannot clash with Intercom's own.

Against the sandbox, which reserves what Intercom reserves: the old same-name mapping is refused
there, the documented defaults work, and a setting that points at a taken name fails before any
write with an error saying which setting to change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from intercom_sandbox import IntercomSandbox
from intercom_update.logic.update_user import Dependencies, process_update
from intercom_update.models.legacy_attributes import DEFAULT_LEGACY_ATTRIBUTE_NAMES
from intercom_update.models.output import UpdateUserOutput
from intercom_update.settings import get_settings
from tests.support.intercom import Run, api_requests, created_attributes, writes

LEGACY_INPUTS = {
    "session_count": "12",
    "utm_campaign": "spring",
    "utm_content": "hero-banner",
    "utm_medium": "email",
    "utm_source": "newsletter",
    "utm_term": "crm",
}


@pytest.fixture
def ada(sandbox: IntercomSandbox) -> dict[str, Any]:
    return sandbox.add_contact(role="user", email="ada@example.com", name="Ada")


@pytest.fixture
def run_with_setting(
    deps: Dependencies, monkeypatch: pytest.MonkeyPatch, account: str
) -> Callable[..., UpdateUserOutput]:
    """Run one update with ``LEGACY_ATTRIBUTE_NAMES`` set to the given text."""

    def run_update(raw: str, **inputs: Any) -> UpdateUserOutput:
        monkeypatch.setenv("LEGACY_ATTRIBUTE_NAMES", raw)
        get_settings.cache_clear()
        custom = Dependencies(
            settings=get_settings(),
            accounts=deps.accounts,
            catalog=deps.catalog,
            retry_policy=deps.retry_policy,
        )
        return process_update({"connected_account": account, **inputs}, deps=custom)

    return run_update


def test_every_legacy_input_succeeds_with_the_defaults_and_is_readable(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    output = run(value="ada@example.com", create_missing_attributes="true", **LEGACY_INPUTS)

    assert output.outcome == "success", output.error
    created = created_attributes(sandbox)
    assert created == {
        "legacy_session_count": "integer",
        **{f"legacy_{name}": "string" for name in LEGACY_INPUTS if name != "session_count"},
    }
    stored = sandbox.contact(ada["id"])["custom_attributes"]
    assert stored == {
        DEFAULT_LEGACY_ATTRIBUTE_NAMES[name]: (int(text) if name == "session_count" else text)
        for name, text in LEGACY_INPUTS.items()
    }
    # Intercom's own read-only fields are left alone.
    assert all(sandbox.contact(ada["id"])[name] is None for name in LEGACY_INPUTS if "utm" in name)


def test_the_old_same_name_attributes_are_refused_by_the_sandbox(sandbox: IntercomSandbox) -> None:
    for name in LEGACY_INPUTS:
        with pytest.raises(ValueError, match="already have"):
            sandbox.add_data_attribute(name)


def test_a_slot_naming_a_standard_attribute_fails_before_any_write(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    output = run(
        value="ada@example.com",
        name="Changed",
        create_missing_attributes="true",
        custom_attribute_1_name="utm_campaign",
        custom_attribute_1_value="spring",
    )

    assert output.error is not None
    assert output.error["code"] == "attribute_not_found"
    assert "'utm_campaign' is a standard Intercom attribute" in output.error["message"]
    assert output.error["details"][0]["attribute"] == "utm_campaign"
    assert writes(sandbox) == []
    assert sandbox.contact(ada["id"])["name"] == "Ada"


def test_a_setting_pointing_at_a_read_only_attribute_names_the_setting(
    run: Run,
    sandbox: IntercomSandbox,
    ada: dict[str, Any],
    run_with_setting: Callable[..., UpdateUserOutput],
) -> None:
    sandbox.add_data_attribute("signup channel", api_writable=False)

    output = run_with_setting(
        "utm_medium=signup channel", value="ada@example.com", utm_medium="email"
    )

    assert output.error is not None
    assert output.error["code"] == "attribute_not_found"
    assert "'signup channel'" in output.error["message"]
    assert "LEGACY_ATTRIBUTE_NAMES" in output.error["message"]
    assert output.error["field"] == "utm_medium"
    assert writes(sandbox) == []


def test_a_setting_pointing_at_a_company_attribute_is_refused_on_creation(
    sandbox: IntercomSandbox,
    ada: dict[str, Any],
    run_with_setting: Callable[..., UpdateUserOutput],
) -> None:
    sandbox.add_data_attribute("signup source", model="company")

    output = run_with_setting(
        "utm_source=signup source",
        value="ada@example.com",
        name="Changed",
        utm_source="ads",
        create_missing_attributes=True,
    )

    assert output.error is not None
    assert output.error["code"] == "attribute_not_found"
    assert "in your company data" in output.error["message"]
    assert "LEGACY_ATTRIBUTE_NAMES" in output.error["message"]
    assert [e.route for e in api_requests(sandbox, "PUT")] == []
    assert sandbox.contact(ada["id"])["name"] == "Ada"


def test_a_custom_setting_stores_the_input_under_the_chosen_name(
    sandbox: IntercomSandbox,
    ada: dict[str, Any],
    run_with_setting: Callable[..., UpdateUserOutput],
) -> None:
    sandbox.add_data_attribute("Web visits", data_type="integer")

    output = run_with_setting("session_count=Web visits", value="ada@example.com", session_count=4)

    assert output.outcome == "success", output.error
    assert sandbox.contact(ada["id"])["custom_attributes"] == {"Web visits": 4}
