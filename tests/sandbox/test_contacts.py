"""GET /contacts/{id}, GET /contacts/find_by_external_id/{id}, PUT /contacts/{id}."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from intercom_sandbox import IntercomSandbox
from tests.support.sandbox_api import Api

CONTACT_KEYS = {
    "type", "id", "workspace_id", "external_id", "role", "email", "email_domain", "phone",
    "name", "avatar", "owner_id", "social_profiles", "has_hard_bounced", "marked_email_as_spam",
    "unsubscribed_from_emails", "created_at", "updated_at", "signed_up_at", "last_seen_at",
    "last_replied_at", "last_contacted_at", "last_email_opened_at", "last_email_clicked_at",
    "language_override", "browser", "browser_version", "browser_language", "os", "location",
    "android_app_name", "android_app_version", "android_device", "android_os_version",
    "android_sdk_version", "android_last_seen_at", "ios_app_name", "ios_app_version",
    "ios_device", "ios_os_version", "ios_sdk_version", "ios_last_seen_at", "custom_attributes",
    "tags", "notes", "companies", "opted_out_subscription_types", "opted_in_subscription_types",
    "utm_campaign", "utm_content", "utm_medium", "utm_source", "utm_term", "referrer",
    "enabled_push_messaging",
}  # fmt: skip


def test_add_contact_returns_the_full_contact(sb: IntercomSandbox) -> None:
    contact = sb.add_contact(
        email="Jane@Example.com", external_id="u1", name="Jane", utm_campaign="spring"
    )
    assert set(contact) == CONTACT_KEYS
    assert re.fullmatch(r"[0-9a-f]{24}", contact["id"])
    assert contact["type"] == "contact"
    assert contact["role"] == "user"
    assert contact["email_domain"] == "example.com"
    assert contact["utm_campaign"] == "spring"
    assert contact["companies"] == {
        "type": "list",
        "data": [],
        "url": f"/contacts/{contact['id']}/companies",
        "total_count": 0,
        "has_more": False,
    }
    assert contact["location"]["type"] == "location"
    assert sb.contact(contact["id"]) == contact


def test_add_contact_rejects_unknown_fields_and_roles(sb: IntercomSandbox) -> None:
    with pytest.raises(TypeError):
        sb.add_contact(email="a@example.com", session_count=3)
    with pytest.raises(ValueError, match="role"):
        sb.add_contact(role="admin")
    with pytest.raises(KeyError):
        sb.contact("0" * 24)


def test_python_api_returns_copies(sb: IntercomSandbox) -> None:
    contact = sb.add_contact(email="a@example.com", custom_attributes={"x": 1})
    contact["custom_attributes"]["x"] = 2
    assert sb.contact(contact["id"])["custom_attributes"] == {"x": 1}


def test_get_contact(api: Api, sb: IntercomSandbox) -> None:
    contact = sb.add_contact(role="lead", email="lead@example.com")
    reply = api.get(f"/contacts/{contact['id']}")
    assert reply.status == 200
    assert reply.json == contact


def test_get_unknown_contact_is_404(api: Api) -> None:
    reply = api.get("/contacts/5ba682d23d7cf92bef87bfd4")
    assert reply.status == 404
    assert reply.error_code == "not_found"
    assert reply.error_message == "User Not Found"


def test_find_by_external_id_returns_users_only(api: Api, sb: IntercomSandbox) -> None:
    user = sb.add_contact(email="u@example.com", external_id="ext/1 é")
    sb.add_contact(role="lead", external_id="lead-1")
    reply = api.get("/contacts/find_by_external_id/ext%2F1%20%C3%A9")
    assert reply.status == 200
    assert reply.json["id"] == user["id"]
    for missing in ("lead-1", "nobody", "ext"):
        reply = api.get(f"/contacts/find_by_external_id/{missing}")
        assert reply.status == 404
        assert reply.error_code == "not_found"
        assert reply.error_message == "User Not Found"


def test_find_by_external_id_skips_archived_users(api: Api, sb: IntercomSandbox) -> None:
    sb.add_contact(external_id="gone", archived=True)
    assert api.get("/contacts/find_by_external_id/gone").status == 404


# ------------------------------------------------------------------------------------ PUT


@pytest.fixture
def jane(sb: IntercomSandbox) -> dict[str, Any]:
    sb.add_data_attribute("plan")
    sb.add_data_attribute("logins", data_type="integer")
    sb.add_data_attribute("score", data_type="float")
    sb.add_data_attribute("vip", data_type="boolean")
    sb.add_data_attribute("renewal", data_type="date")
    sb.add_data_attribute("tier", options=["gold", "silver"])
    sb.add_data_attribute("locked", api_writable=False)
    sb.add_data_attribute("old", archived=True)
    return sb.add_contact(
        email="jane@example.com",
        external_id="jane",
        name="Jane",
        phone="+15550001",
        custom_attributes={"plan": "free", "vip": False},
        updated_at=1_000,
        created_at=1_000,
    )


def test_put_updates_fields_and_returns_the_full_contact(
    api: Api, sb: IntercomSandbox, jane: dict[str, Any]
) -> None:
    body = {
        "email": "jane.doe@Example.org",
        "external_id": "jane-2",
        "name": "Jane Doe",
        "phone": "+15550002",
        "avatar": "https://example.com/a.png",
        "signed_up_at": 1_600_000_000,
        "last_seen_at": 1_700_000_000,
        "owner_id": 42,
        "unsubscribed_from_emails": True,
        "role": "user",
    }
    reply = api.put(f"/contacts/{jane['id']}", body)
    assert reply.status == 200
    got = reply.json
    assert set(got) == CONTACT_KEYS
    assert got["email"] == "jane.doe@Example.org"
    assert got["email_domain"] == "example.org"
    assert got["external_id"] == "jane-2"
    assert got["avatar"] == {"type": "avatar", "image_url": "https://example.com/a.png"}
    assert got["last_seen_at"] == 1_700_000_000
    assert got["owner_id"] == 42
    assert got["unsubscribed_from_emails"] is True
    assert got["updated_at"] >= int(time.time()) - 1
    assert got["created_at"] == 1_000
    assert sb.contact(jane["id"]) == got


def test_put_null_clears_nullable_fields(api: Api, jane: dict[str, Any]) -> None:
    api.put(f"/contacts/{jane['id']}", {"avatar": "https://example.com/a.png"})
    reply = api.put(f"/contacts/{jane['id']}", {"name": None, "phone": None, "avatar": None})
    assert reply.status == 200
    assert reply.json["name"] is None
    assert reply.json["phone"] is None
    assert reply.json["avatar"] is None
    assert reply.json["email"] == "jane@example.com"


def test_put_merges_custom_attributes_and_null_removes_one(api: Api, jane: dict[str, Any]) -> None:
    reply = api.put(
        f"/contacts/{jane['id']}",
        {
            "custom_attributes": {
                "logins": 3,
                "score": 1,
                "renewal": 1_700_000_000,
                "tier": "gold",
                "vip": None,
            }
        },
    )
    assert reply.status == 200
    assert reply.json["custom_attributes"] == {
        "plan": "free",
        "logins": 3,
        "score": 1,
        "renewal": 1_700_000_000,
        "tier": "gold",
    }
    reply = api.put(f"/contacts/{jane['id']}", {"custom_attributes": {"score": 2.5}})
    assert reply.json["custom_attributes"]["score"] == 2.5
    assert reply.json["custom_attributes"]["logins"] == 3


def test_put_empty_body_is_a_no_op_that_returns_the_contact(api: Api, jane: dict[str, Any]) -> None:
    reply = api.put(f"/contacts/{jane['id']}", {})
    assert reply.status == 200
    assert reply.json["name"] == "Jane"


@pytest.mark.parametrize(
    "key", ["session_count", "utm_campaign", "update_last_request_at", "companies", "id"]
)
def test_put_unknown_key_is_bad_request(api: Api, jane: dict[str, Any], key: str) -> None:
    reply = api.put(f"/contacts/{jane['id']}", {"name": "x", key: 1})
    assert reply.status == 400
    assert reply.error_code == "bad_request"
    assert reply.error_message == f"bad '{key}' parameter"


@pytest.mark.parametrize(
    "body",
    [
        {"name": 5},
        {"email": None},
        {"external_id": 7},
        {"last_seen_at": "1700000000"},
        {"last_seen_at": True},
        {"unsubscribed_from_emails": "true"},
        {"custom_attributes": ["plan"]},
        {"owner_id": "42"},
        {"role": "admin"},
        {"email": "not-an-email"},
        {"avatar": "not a url"},
    ],
)
def test_put_wrong_type_names_the_field(
    api: Api, jane: dict[str, Any], body: dict[str, Any]
) -> None:
    reply = api.put(f"/contacts/{jane['id']}", body)
    assert reply.status == 400
    assert reply.error_code == "parameter_invalid"
    assert next(iter(body)) in reply.error_message


@pytest.mark.parametrize("name", ["nope", "locked", "old", "name"])
def test_put_unknown_custom_attribute(api: Api, jane: dict[str, Any], name: str) -> None:
    reply = api.put(f"/contacts/{jane['id']}", {"custom_attributes": {name: "x"}})
    assert reply.status == 400
    assert reply.error_code == "parameter_invalid"
    assert reply.error_message == f"Custom attribute '{name}' does not exist"


@pytest.mark.parametrize(
    ("name", "value", "data_type"),
    [
        ("logins", "3", "integer"),
        ("logins", 3.5, "integer"),
        ("logins", True, "integer"),
        ("score", "1.5", "float"),
        ("score", False, "float"),
        ("vip", "true", "boolean"),
        ("vip", 1, "boolean"),
        ("renewal", "2024-01-01", "date"),
        ("plan", 5, "string"),
    ],
)
def test_put_custom_attribute_type_mismatch(
    api: Api, jane: dict[str, Any], name: str, value: Any, data_type: str
) -> None:
    reply = api.put(f"/contacts/{jane['id']}", {"custom_attributes": {name: value}})
    assert reply.status == 400
    assert reply.error_code == "parameter_invalid"
    assert reply.error_message == f"Custom attribute '{name}' must be of type {data_type}"


def test_put_custom_attribute_limits(api: Api, jane: dict[str, Any]) -> None:
    reply = api.put(f"/contacts/{jane['id']}", {"custom_attributes": {"plan": "x" * 256}})
    assert reply.status == 400
    assert "255" in reply.error_message
    assert (
        api.put(f"/contacts/{jane['id']}", {"custom_attributes": {"plan": "x" * 255}}).status == 200
    )
    reply = api.put(f"/contacts/{jane['id']}", {"custom_attributes": {"tier": "bronze"}})
    assert reply.status == 400
    assert reply.error_message == "Custom attribute 'tier' is not one of the options"


def test_put_failure_changes_nothing(api: Api, sb: IntercomSandbox, jane: dict[str, Any]) -> None:
    before = sb.contact(jane["id"])
    reply = api.put(
        f"/contacts/{jane['id']}", {"name": "Changed", "custom_attributes": {"nope": 1}}
    )
    assert reply.status == 400
    assert sb.contact(jane["id"]) == before


def test_put_unknown_contact_is_404(api: Api) -> None:
    reply = api.put("/contacts/5ba682d23d7cf92bef87bfd4", {"name": "x"})
    assert reply.status == 404
    assert reply.error_code == "not_found"


def test_put_conflicting_email_or_external_id(
    api: Api, sb: IntercomSandbox, jane: dict[str, Any]
) -> None:
    other = sb.add_contact(email="taken@example.com", external_id="taken")
    for body in ({"email": "TAKEN@example.com"}, {"external_id": "taken"}):
        reply = api.put(f"/contacts/{jane['id']}", body)
        assert reply.status == 409
        assert reply.error_code == "conflict"
        assert reply.error_message == (
            f"A contact matching those details already exists with id={other['id']}"
        )
    assert sb.contact(jane["id"])["email"] == "jane@example.com"


def test_put_no_conflict_with_leads_archived_users_or_itself(
    api: Api, sb: IntercomSandbox, jane: dict[str, Any]
) -> None:
    sb.add_contact(role="lead", email="lead@example.com", external_id="lead")
    sb.add_contact(email="archived@example.com", external_id="archived", archived=True)
    for body in (
        {"email": "lead@example.com"},
        {"external_id": "lead"},
        {"email": "archived@example.com", "external_id": "archived"},
        {"email": "ARCHIVED@example.com"},
    ):
        assert api.put(f"/contacts/{jane['id']}", body).status == 200
    # Seeded duplicates: re-sending the value a contact already has is not a change.
    twin = sb.add_contact(email="dup@example.com")
    sb.add_contact(email="dup@example.com")
    assert api.put(f"/contacts/{twin['id']}", {"email": "dup@example.com"}).status == 200


def test_put_role_change_and_unsubscribe_null(api: Api, jane: dict[str, Any]) -> None:
    reply = api.put(f"/contacts/{jane['id']}", {"role": "lead", "unsubscribed_from_emails": None})
    assert reply.json["role"] == "lead"
    assert reply.json["unsubscribed_from_emails"] is False
