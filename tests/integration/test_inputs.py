"""Every input of the contract, end to end: what reaches Intercom and the user's final state."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from intercom_sandbox import IntercomSandbox
from tests.support.intercom import Run, api_requests, created_attributes, writes


@pytest.fixture
def ada(sandbox: IntercomSandbox) -> dict[str, Any]:
    return sandbox.add_contact(
        role="user", email="ada@example.com", external_id="user-1001", name="Ada", phone=None
    )


def put_body(sandbox: IntercomSandbox) -> dict[str, Any]:
    (put,) = api_requests(sandbox, "PUT")
    body: dict[str, Any] = put.body_json
    return body


def test_name_email_phone_user_id_are_sent_and_stored(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    output = run(
        value="ada@example.com",
        name="Ada Lovelace",
        email="ada.lovelace@example.com",
        phone="+14155550100",
        user_id="user-2002",
    )

    assert output.outcome == "success", output.error
    assert put_body(sandbox) == {
        "name": "Ada Lovelace",
        "email": "ada.lovelace@example.com",
        "phone": "+14155550100",
        "external_id": "user-2002",
    }
    contact = sandbox.contact(ada["id"])
    assert (contact["name"], contact["email"], contact["phone"], contact["external_id"]) == (
        "Ada Lovelace",
        "ada.lovelace@example.com",
        "+14155550100",
        "user-2002",
    )
    assert output.contact_id == ada["id"]
    assert output.json_output is not None
    returned = json.loads(output.json_output)
    assert returned["id"] == ada["id"]
    assert returned["name"] == "Ada Lovelace"


def test_avatar_image_is_sent_as_a_url_string(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    output = run(value="ada@example.com", avatar_image="https://cdn.example.com/ada.png")

    assert output.outcome == "success", output.error
    assert put_body(sandbox) == {"avatar": "https://cdn.example.com/ada.png"}
    assert sandbox.contact(ada["id"])["avatar"]["image_url"] == "https://cdn.example.com/ada.png"


@pytest.mark.parametrize(("given", "sent"), [(False, False), ("false", False), ("TRUE", True)])
def test_unsubscribed_from_emails_false_is_a_value(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any], given: Any, sent: bool
) -> None:
    sandbox.add_contact(role="user", email="grace@example.com", unsubscribed_from_emails=not sent)

    output = run(value="grace@example.com", unsubscribed_from_emails=given)

    assert output.outcome == "success", output.error
    assert put_body(sandbox) == {"unsubscribed_from_emails": sent}
    assert json.loads(output.json_output or "")["unsubscribed_from_emails"] is sent


def test_update_last_request_at_sets_last_seen_at_to_now(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    before = int(time.time())
    output = run(value="ada@example.com", update_last_request_at="true")
    after = int(time.time())

    assert output.outcome == "success", output.error
    sent = put_body(sandbox)
    assert set(sent) == {"last_seen_at"}
    assert before <= sent["last_seen_at"] <= after
    assert sandbox.contact(ada["id"])["last_seen_at"] == sent["last_seen_at"]


def test_update_last_request_at_false_sends_nothing(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    output = run(value="ada@example.com", update_last_request_at=False, name="Ada")

    assert output.outcome == "success", output.error
    assert put_body(sandbox) == {"name": "Ada"}


def test_empty_and_null_inputs_leave_fields_unchanged(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    output = run(
        value="ada@example.com",
        name="  Ada Byron  ",
        email="",
        phone=None,
        user_id="   ",
        avatar_image="",
        company_id_1="",
        custom_attribute_1_name="",
        custom_attribute_1_value="",
        session_count=None,
        utm_source="",
    )

    assert output.outcome == "success", output.error
    assert put_body(sandbox) == {"name": "Ada Byron"}
    contact = sandbox.contact(ada["id"])
    assert contact["email"] == "ada@example.com"
    assert contact["external_id"] == "user-1001"


def test_custom_attributes_are_converted_to_their_intercom_types(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.add_data_attribute("plan", data_type="string")
    sandbox.add_data_attribute("seats", data_type="integer")
    sandbox.add_data_attribute("trial", data_type="boolean")

    output = run(
        value="ada@example.com",
        custom_attribute_1_name="plan",
        custom_attribute_1_value="pro",
        custom_attribute_2_name="seats",
        custom_attribute_2_value="12",
        custom_attribute_3_name="trial",
        custom_attribute_3_value="false",
    )

    assert output.outcome == "success", output.error
    assert put_body(sandbox) == {"custom_attributes": {"plan": "pro", "seats": 12, "trial": False}}
    assert sandbox.contact(ada["id"])["custom_attributes"] == {
        "plan": "pro",
        "seats": 12,
        "trial": False,
    }


def test_float_and_date_attributes(run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]) -> None:
    sandbox.add_data_attribute("mrr", data_type="float")
    sandbox.add_data_attribute("renewal", data_type="date")

    output = run(
        value="ada@example.com",
        custom_attribute_1_name="mrr",
        custom_attribute_1_value="99.5",
        custom_attribute_2_name="renewal",
        custom_attribute_2_value="2027-01-31",
    )

    assert output.outcome == "success", output.error
    midnight_utc = int(datetime(2027, 1, 31, tzinfo=UTC).timestamp())
    assert put_body(sandbox)["custom_attributes"] == {"mrr": 99.5, "renewal": midnight_utc}


def test_session_count_and_utm_inputs_go_to_their_legacy_custom_attributes(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.add_data_attribute("legacy_session_count", data_type="integer")
    for name in ("utm_campaign", "utm_content", "utm_medium", "utm_source", "utm_term"):
        sandbox.add_data_attribute(f"legacy_{name}", data_type="string")

    output = run(
        value="ada@example.com",
        session_count="0",
        utm_campaign="spring",
        utm_content="hero-banner",
        utm_medium="email",
        utm_source="newsletter",
        utm_term="crm",
    )

    assert output.outcome == "success", output.error
    sent = put_body(sandbox)
    assert sent == {
        "custom_attributes": {
            "legacy_session_count": 0,
            "legacy_utm_campaign": "spring",
            "legacy_utm_content": "hero-banner",
            "legacy_utm_medium": "email",
            "legacy_utm_source": "newsletter",
            "legacy_utm_term": "crm",
        }
    }
    assert "session_count" not in {k for k in sent if k != "custom_attributes"}


def test_missing_attributes_fail_before_any_write(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    output = run(
        value="ada@example.com",
        name="Changed",
        company_id_1="acme",
        session_count=3,
        custom_attribute_1_name="plan",
        custom_attribute_1_value="pro",
    )

    assert output.outcome == "unsuccessful"
    assert output.error is not None
    assert output.error["code"] == "attribute_not_found"
    assert "'plan'" in output.error["message"]
    assert "'legacy_session_count'" in output.error["message"]
    assert "create_missing_attributes" in output.error["message"]
    assert "LEGACY_ATTRIBUTE_NAMES" in output.error["message"]
    assert {d["attribute"] for d in output.error["details"]} == {"plan", "legacy_session_count"}
    assert writes(sandbox) == []
    assert sandbox.contact(ada["id"])["name"] == "Ada"
    assert output.contact_id == ada["id"]


def test_create_missing_attributes_creates_them_with_their_types(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    output = run(
        value="ada@example.com",
        create_missing_attributes="true",
        session_count="7",
        utm_source="ads",
        custom_attribute_1_name="plan",
        custom_attribute_1_value="42",
    )

    assert output.outcome == "success", output.error
    created = created_attributes(sandbox)
    assert created == {
        "legacy_session_count": "integer",
        "legacy_utm_source": "string",
        "plan": "string",
    }
    assert sandbox.contact(ada["id"])["custom_attributes"] == {
        "legacy_session_count": 7,
        "legacy_utm_source": "ads",
        "plan": "42",
    }


def test_a_value_of_the_wrong_type_is_refused_before_writing(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.add_data_attribute("seats", data_type="integer")

    output = run(
        value="ada@example.com",
        name="Changed",
        custom_attribute_2_name="seats",
        custom_attribute_2_value="twelve",
    )

    assert output.outcome == "unsuccessful"
    assert output.error is not None
    assert output.error["code"] == "validation_error"
    assert output.error["field"] == "custom_attribute_2_value"
    assert writes(sandbox) == []


def test_companies_are_created_if_missing_then_attached(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    existing = sandbox.add_company(company_id="acme", name="Acme")

    output = run(
        value="ada@example.com", company_id_1="acme", company_id_2="globex", company_id_3="acme"
    )

    assert output.outcome == "success", output.error
    attached = {c["company_id"] for c in sandbox.contact_companies(ada["id"])}
    assert attached == {"acme", "globex"}
    globex = sandbox.company_by_company_id("globex")
    assert globex is not None
    assert existing["id"] == (sandbox.company_by_company_id("acme") or {})["id"]
    # Both were looked up alongside the user; only the missing one was created.
    upserts = [e.body_json for e in api_requests(sandbox, "POST") if e.route == "/companies"]
    assert upserts == [{"company_id": "globex"}]
    finds = [e.query["company_id"] for e in api_requests(sandbox, "GET") if e.route == "/companies"]
    assert sorted(finds) == [["acme"], ["globex"]]
    returned = json.loads(output.json_output or "")
    assert {c["id"] for c in returned["companies"]["data"]} == {existing["id"], globex["id"]}
    # Companies only: nothing to PUT, the final state is read back.
    assert [e.method for e in api_requests(sandbox) if e.route == "/contacts/{contact_id}"] == [
        "GET"
    ]


def test_companies_are_attached_before_the_put(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    output = run(value="ada@example.com", company_id_1="acme", name="Ada")

    assert output.outcome == "success", output.error
    routes = [e.route for e in writes(sandbox)]
    assert routes == ["/companies", "/contacts/{contact_id}/companies", "/contacts/{contact_id}"]
    returned = json.loads(output.json_output or "")
    assert returned["companies"]["total_count"] == 1


def test_every_request_carries_auth_version_and_accept(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    sandbox.add_data_attribute("plan")
    run(
        value="ada@example.com",
        name="Ada",
        company_id_1="acme",
        custom_attribute_1_name="plan",
        custom_attribute_1_value="pro",
    )

    exchanges = api_requests(sandbox)
    # search, data attributes, company find, company upsert, attach, PUT
    assert len(exchanges) == 6
    for exchange in exchanges:
        assert exchange.headers["authorization"].startswith("Bearer ")
        assert exchange.headers["intercom-version"] == "2.14"
        assert exchange.headers["accept"] == "application/json"
        if exchange.body_text is not None:
            assert exchange.headers["content-type"] == "application/json"


def test_invalid_input_reaches_neither_intercom_nor_secrets_manager(
    run: Run, sandbox: IntercomSandbox
) -> None:
    output = run(
        connected_account="other/secret",
        value="not-an-email",
        avatar_image="http://insecure.example.com/a.png",
        session_count="-1",
        emial="typo@example.com",
    )

    assert output.outcome == "unsuccessful"
    assert output.error is not None
    assert output.error["code"] == "validation_error"
    fields = {d["field"] for d in output.error["details"]}
    assert fields == {"connected_account", "value", "avatar_image", "session_count", "emial"}
    assert sandbox.exchanges == []
