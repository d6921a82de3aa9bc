"""LEGACY_ATTRIBUTE_NAMES: which custom attributes store session_count and utm_*.

The defaults must collide with no attribute Intercom already has (standard ones of either model:
names are unique across models), and a bad setting stops the function with an error that names
the variable, before anything reaches Intercom.
"""

from __future__ import annotations

import pytest

from intercom_sandbox import IntercomSandbox
from intercom_update.models.input import ATTRIBUTE_BACKED_FIELDS
from intercom_update.settings import (
    DEFAULT_LEGACY_ATTRIBUTE_NAMES,
    LEGACY_ATTRIBUTES_ENV,
    STANDARD_ATTRIBUTE_NAMES,
    get_settings,
    parse_legacy_attribute_names,
)

OPENAPI_CONTACT_FIELDS = ("utm_campaign", "utm_content", "utm_medium", "utm_source", "utm_term")


def test_every_legacy_input_has_a_default() -> None:
    assert set(DEFAULT_LEGACY_ATTRIBUTE_NAMES) == set(ATTRIBUTE_BACKED_FIELDS)
    assert len(set(DEFAULT_LEGACY_ATTRIBUTE_NAMES.values())) == len(ATTRIBUTE_BACKED_FIELDS)


def test_defaults_collide_with_no_standard_attribute() -> None:
    for name in DEFAULT_LEGACY_ATTRIBUTE_NAMES.values():
        assert name not in STANDARD_ATTRIBUTE_NAMES
        assert name not in DEFAULT_LEGACY_ATTRIBUTE_NAMES  # never the old same-name mapping
    # The standard names the issue is about are known to be taken.
    assert {"session_count", *OPENAPI_CONTACT_FIELDS} <= STANDARD_ATTRIBUTE_NAMES


def test_defaults_collide_with_nothing_the_sandbox_workspace_lists() -> None:
    sandbox = IntercomSandbox()
    taken = {
        name
        for model in ("contact", "company")
        for attribute in sandbox.data_attributes(model)
        for name in (attribute["name"], attribute["full_name"])
    }
    assert not taken & set(DEFAULT_LEGACY_ATTRIBUTE_NAMES.values())
    # ...and our static list knows every standard name the sandbox reserves.
    assert taken <= STANDARD_ATTRIBUTE_NAMES | {"plan.name", "plan.id"}


@pytest.mark.parametrize("raw", ["", "  ", ",", " , "])
def test_empty_means_the_defaults(raw: str) -> None:
    assert dict(parse_legacy_attribute_names(raw)) == dict(DEFAULT_LEGACY_ATTRIBUTE_NAMES)


def test_pairs_override_their_input_only() -> None:
    names = parse_legacy_attribute_names(" utm_source = signup source ,session_count=Web visits")
    assert names == {
        **DEFAULT_LEGACY_ATTRIBUTE_NAMES,
        "utm_source": "signup source",
        "session_count": "Web visits",
    }


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("utm_source", "is not input=attribute"),
        ("utm_sauce=x", "names no legacy input"),
        ("name=x", "names no legacy input"),
        ("utm_source=a,utm_source=b", "repeats an input"),
        ("utm_source=", "must be 1 to 190 characters"),
        ("utm_source=$x", "not starting with '$'"),
        ("utm_source=a.b", "may hold only letters"),
        ("utm_source=" + "x" * 191, "must be 1 to 190 characters"),
        ("utm_source=utm_source", "is a standard Intercom attribute"),
        ("utm_term=session_count", "is a standard Intercom attribute"),
        ("utm_term=email", "is a standard Intercom attribute"),
        ("utm_term=legacy_utm_source", "would share the attribute 'legacy_utm_source'"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(raw: str, problem: str) -> None:
    with pytest.raises(ValueError, match=f"^environment variable {LEGACY_ATTRIBUTES_ENV}: ") as e:
        parse_legacy_attribute_names(raw)
    assert problem in str(e.value)


def test_get_settings_reads_and_validates_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    try:
        monkeypatch.setenv(LEGACY_ATTRIBUTES_ENV, "utm_medium=channel")
        assert get_settings().legacy_attribute_names["utm_medium"] == "channel"
        get_settings.cache_clear()
        monkeypatch.setenv(LEGACY_ATTRIBUTES_ENV, "utm_medium=utm_medium")
        with pytest.raises(ValueError, match=LEGACY_ATTRIBUTES_ENV):
            get_settings()
    finally:
        get_settings.cache_clear()
