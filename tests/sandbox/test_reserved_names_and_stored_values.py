"""The sandbox reserves what Intercom reserves; it stores phones and matches emails like Intercom.

Standard attribute names (the contact examples' utm_* fields, the company list example's
session_count, ...) can never become custom attributes; phone numbers lose the formatting
Intercom strips; email search can be switched to case-sensitive, since Intercom does not say.
"""

from __future__ import annotations

from typing import Any

import pytest

from intercom_sandbox import IntercomSandbox
from tests.support.sandbox_api import Api

UTM_FIELDS = ("utm_campaign", "utm_content", "utm_medium", "utm_source", "utm_term")


def _by_name(api: Api, model: str) -> dict[str, dict[str, Any]]:
    reply = api.get(f"/data_attributes?model={model}")
    assert reply.status == 200
    return {a["full_name"]: a for a in reply.json["data"]}


def test_contact_attributes_list_the_standard_read_only_utm_fields(api: Api) -> None:
    contact = _by_name(api, "contact")
    for name in (*UTM_FIELDS, "referrer"):
        assert contact[name]["custom"] is False
        assert contact[name]["api_writable"] is False
        assert contact[name]["data_type"] == "string"
        assert contact[name]["model"] == "contact"
    assert contact["email"]["api_writable"] is True
    assert contact["email"]["custom"] is False


def test_company_attributes_list_session_count_as_in_intercoms_example(api: Api) -> None:
    company = _by_name(api, "company")
    assert company["session_count"] == {
        "type": "data_attribute",
        "name": "session_count",
        "full_name": "session_count",
        "label": "Company web sessions",
        "description": "All visits from anyone in a company to your product's site or app",
        "data_type": "integer",
        "api_writable": False,
        "ui_writable": False,
        "messenger_writable": True,
        "custom": False,
        "archived": False,
        "model": "company",
    }


@pytest.mark.parametrize("name", UTM_FIELDS)
def test_creating_a_utm_contact_attribute_the_old_way_is_refused(api: Api, name: str) -> None:
    reply = api.post("/data_attributes", {"name": name, "model": "contact", "data_type": "string"})

    assert reply.status == 400
    assert reply.json["type"] == "error.list"
    assert reply.error_code == "parameter_invalid"
    assert reply.error_message == (
        f"You already have '{name}' in your people data. "
        "To save this as new people data, use a different name."
    )


def test_a_contact_attribute_named_like_a_standard_company_one_is_refused(api: Api) -> None:
    reply = api.post(
        "/data_attributes", {"name": "session_count", "model": "contact", "data_type": "integer"}
    )

    assert reply.status == 400
    assert reply.error_code == "parameter_invalid"
    # The wording of the createDataAttribute "Same name already exists" example.
    assert reply.error_message == (
        "You already have 'session_count' in your company data. "
        "To save this as new people data, use a different name."
    )


def test_seeding_a_reserved_name_is_refused_too(sb: IntercomSandbox) -> None:
    with pytest.raises(ValueError, match="already have 'utm_source' in your people data"):
        sb.add_data_attribute("utm_source")
    with pytest.raises(ValueError, match="already have 'website' in your company data"):
        sb.add_data_attribute("website", model="contact")


@pytest.mark.parametrize("name", ["utm_campaign", "session_count", "email", "referrer"])
def test_put_with_a_standard_attribute_under_custom_attributes_is_refused(
    api: Api, sb: IntercomSandbox, name: str
) -> None:
    contact = sb.add_contact(email="jane@example.com")

    reply = api.put(f"/contacts/{contact['id']}", {"custom_attributes": {name: "x"}})

    assert reply.status == 400
    assert reply.error_code == "parameter_invalid"
    assert reply.error_message == f"Custom attribute '{name}' does not exist"
    assert sb.contact(contact["id"])["custom_attributes"] == {}


def test_names_that_collide_with_nothing_can_be_created(api: Api) -> None:
    reply = api.post(
        "/data_attributes",
        {"name": "legacy_utm_campaign", "model": "contact", "data_type": "string"},
    )
    assert reply.status == 200
    assert reply.json["custom"] is True


# ------------------------------------------------------------------------------ phones


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("+1 (415) 555-0100", "+14155550100"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+14155550100", "+14155550100"),
        ("+1.415.555.0100", "+1.415.555.0100"),  # dots are not among the characters stripped
    ],
)
def test_phones_are_stored_without_spaces_parentheses_and_dashes(
    api: Api, sb: IntercomSandbox, given: str, stored: str
) -> None:
    seeded = sb.add_contact(email="a@example.com", phone=given)
    assert seeded["phone"] == stored

    other = sb.add_contact(email="b@example.com")
    reply = api.put(f"/contacts/{other['id']}", {"phone": given})
    assert reply.status == 200
    assert reply.json["phone"] == stored


def test_phone_search_compares_the_stored_number_exactly(api: Api, sb: IntercomSandbox) -> None:
    contact = sb.add_contact(email="a@example.com", phone="+1 (415) 555-0100")

    def found(value: str) -> list[str]:
        query = {"field": "phone", "operator": "=", "value": value}
        return [c["id"] for c in api.post("/contacts/search", {"query": query}).json["data"]]

    assert found("+14155550100") == [contact["id"]]
    assert found("+1 (415) 555-0100") == []


# ------------------------------------------------------------------------------ emails


def _email_search(api: Api, value: str) -> list[str]:
    query = {"field": "email", "operator": "=", "value": value}
    reply = api.post("/contacts/search", {"query": query})
    assert reply.status == 200
    return [c["id"] for c in reply.json["data"]]


def test_email_search_ignores_case_by_default(api: Api, sb: IntercomSandbox) -> None:
    contact = sb.add_contact(email="Jane@Example.com")
    assert sb.exact_email_search is False
    assert _email_search(api, "jane@example.com") == [contact["id"]]


def test_exact_email_search_compares_case_and_reset_restores_the_default(
    api: Api, sb: IntercomSandbox
) -> None:
    contact = sb.add_contact(email="Jane@Example.com")
    sb.exact_email_search = True

    assert _email_search(api, "jane@example.com") == []
    assert _email_search(api, "Jane@Example.com") == [contact["id"]]
    domain = {"field": "email_domain", "operator": "=", "value": "EXAMPLE.com"}
    assert api.post("/contacts/search", {"query": domain}).json["total_count"] == 1

    sb.reset()
    assert sb.exact_email_search is False
    with pytest.raises(ValueError, match="true or false"):
        sb.exact_email_search = "yes"  # type: ignore[assignment]


def test_an_or_of_and_groups_finds_each_spelling_once(api: Api, sb: IntercomSandbox) -> None:
    lower = sb.add_contact(email="jane@example.com")
    sb.add_contact(email="jane@example.com", role="lead")
    sb.exact_email_search = True

    role = {"field": "role", "operator": "=", "value": "user"}
    query = {
        "operator": "OR",
        "value": [
            {"operator": "AND", "value": [{"field": "email", "operator": "=", "value": v}, role]}
            for v in ("Jane@Example.com", "jane@example.com")
        ],
    }
    reply = api.post("/contacts/search", {"query": query})

    assert reply.status == 200
    assert [c["id"] for c in reply.json["data"]] == [lower["id"]]
    assert reply.json["total_count"] == 1
