"""Finding the user: by email, phone, user_id (external_id) and Intercom id; never a lead."""

from __future__ import annotations

from typing import Any

import pytest

from intercom_sandbox import IntercomSandbox
from tests.support.intercom import Run, api_requests, writes


@pytest.fixture
def ada(sandbox: IntercomSandbox) -> dict[str, Any]:
    return sandbox.add_contact(
        role="user", email="ada@example.com", external_id="user-1001", phone="+14155550100"
    )


def test_default_lookup_is_by_email_among_users(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    output = run(value="ada@example.com", name="Ada")

    assert output.outcome == "success", output.error
    search = api_requests(sandbox, "POST")[0]
    assert search.route == "/contacts/search"
    assert search.body_json["query"] == {
        "operator": "AND",
        "value": [
            {"field": "email", "operator": "=", "value": "ada@example.com"},
            {"field": "role", "operator": "=", "value": "user"},
        ],
    }
    assert sandbox.contact(ada["id"])["name"] == "Ada"


def test_lookup_by_phone(run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]) -> None:
    output = run(update_by="phone", value="+14155550100", name="Ada")

    assert output.outcome == "success", output.error
    assert output.contact_id == ada["id"]
    query = api_requests(sandbox, "POST")[0].body_json["query"]
    assert query["value"][0] == {"field": "phone", "operator": "=", "value": "+14155550100"}


def test_lookup_by_user_id_uses_find_by_external_id(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    output = run(update_by="user_id", value="user-1001", name="Ada")

    assert output.outcome == "success", output.error
    assert output.contact_id == ada["id"]
    first = api_requests(sandbox)[0]
    assert (first.method, first.route) == ("GET", "/contacts/find_by_external_id/{external_id}")
    assert first.path == "/contacts/find_by_external_id/user-1001"


def test_lookup_by_id_fetches_the_contact(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    output = run(update_by="id", value=ada["id"], name="Ada")

    assert output.outcome == "success", output.error
    first = api_requests(sandbox)[0]
    assert (first.method, first.path) == ("GET", f"/contacts/{ada['id']}")


def test_lookup_only_returns_the_contact_without_writing(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    output = run(update_by="id", value=ada["id"])

    assert output.outcome == "success", output.error
    assert output.json_output is not None
    assert ada["id"] in output.json_output
    assert [e.method for e in api_requests(sandbox)] == ["GET"]


@pytest.mark.parametrize(
    "value",
    ["../../companies", "a/b?c=d#e", "x\u00e9\u4e2d", "%2e%2e", "..", "user 1001"],
)
@pytest.mark.parametrize("update_by", ["user_id", "id"])
def test_a_value_never_changes_the_request_path(
    run: Run, sandbox: IntercomSandbox, update_by: str, value: str
) -> None:
    output = run(update_by=update_by, value=value, name="Mallory")

    exchanges = api_requests(sandbox)
    if value == "..":
        assert output.error is not None
        assert output.error["code"] == "validation_error"
        assert exchanges == []
        return
    assert output.error is not None
    assert output.error["code"] == "user_not_found"
    assert len(exchanges) == 1
    assert exchanges[0].route in {
        "/contacts/{contact_id}",
        "/contacts/find_by_external_id/{external_id}",
    }
    assert exchanges[0].query == {}
    assert writes(sandbox) == []


def test_leads_are_never_updated_by_email(run: Run, sandbox: IntercomSandbox) -> None:
    lead = sandbox.add_contact(role="lead", email="lead@example.com", name="Lead")

    output = run(value="lead@example.com", name="Changed")

    assert output.error is not None
    assert output.error["code"] == "user_not_found"
    assert output.error["field"] == "value"
    assert sandbox.contact(lead["id"])["name"] == "Lead"
    assert writes(sandbox) == []


def test_a_lead_found_by_id_is_not_updated(run: Run, sandbox: IntercomSandbox) -> None:
    lead = sandbox.add_contact(role="lead", email="lead@example.com", name="Lead")

    output = run(update_by="id", value=lead["id"], name="Changed")

    assert output.error is not None
    assert output.error["code"] == "user_not_found"
    assert "lead" in output.error["message"]
    assert writes(sandbox) == []


def test_a_user_and_a_lead_sharing_an_email_updates_the_user(
    run: Run, sandbox: IntercomSandbox
) -> None:
    lead = sandbox.add_contact(role="lead", email="both@example.com", name="Lead")
    user = sandbox.add_contact(role="user", email="both@example.com", name="User")

    output = run(value="both@example.com", name="Updated")

    assert output.outcome == "success", output.error
    assert output.contact_id == user["id"]
    assert sandbox.contact(user["id"])["name"] == "Updated"
    assert sandbox.contact(lead["id"])["name"] == "Lead"


def test_ambiguous_email_is_refused_listing_the_candidates(
    run: Run, sandbox: IntercomSandbox
) -> None:
    first = sandbox.add_contact(role="user", email="twin@example.com", external_id="t1")
    second = sandbox.add_contact(role="user", email="twin@example.com", external_id="t2")

    output = run(value="twin@example.com", name="Changed", company_id_1="acme")

    assert output.error is not None
    assert output.error["code"] == "ambiguous_user"
    assert first["id"] in output.error["message"]
    assert second["id"] in output.error["message"]
    assert {d["contact_id"] for d in output.error["details"]} == {first["id"], second["id"]}
    assert writes(sandbox) == []


@pytest.mark.parametrize(
    ("update_by", "value"),
    [
        ("email", "nobody@example.com"),
        ("phone", "+4420000000"),
        ("user_id", "nobody"),
        ("id", "5f0000000000000000000000"),
    ],
)
def test_user_not_found(run: Run, sandbox: IntercomSandbox, update_by: str, value: str) -> None:
    output = run(update_by=update_by, value=value, name="Changed")

    assert output.outcome == "unsuccessful"
    assert output.error is not None
    assert output.error["code"] == "user_not_found"
    assert output.contact_id is None
    assert writes(sandbox) == []
