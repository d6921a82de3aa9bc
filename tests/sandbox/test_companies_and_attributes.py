"""Companies (upsert, lookup, attach, list) and data attributes (list, create)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from intercom_sandbox import IntercomSandbox
from tests.support.sandbox_api import Api

# ------------------------------------------------------------------------------ companies


def test_post_companies_creates_then_updates(api: Api, sb: IntercomSandbox) -> None:
    reply = api.post("/companies", {"company_id": "acme", "name": "Acme"})
    assert reply.status == 200
    created = reply.json
    assert created["type"] == "company"
    assert re.fullmatch(r"[0-9a-f]{24}", created["id"])
    assert created["company_id"] == "acme"
    assert created["name"] == "Acme"
    assert created["user_count"] == 0
    reply = api.post(
        "/companies",
        {
            "company_id": "acme",
            "plan": "Pro",
            "size": 10,
            "website": "https://acme.example",
            "industry": "Anvils",
            "monthly_spend": 99.9,
            "remote_created_at": 1_600_000_000,
            "custom_attributes": {"region": "EU"},
            "update_last_request_at": True,
        },
    )
    assert reply.status == 200
    updated = reply.json
    assert updated["id"] == created["id"]
    assert updated["name"] == "Acme"
    assert updated["plan"]["name"] == "Pro"
    assert updated["monthly_spend"] == 99
    assert updated["custom_attributes"] == {"region": "EU"}
    assert isinstance(updated["last_request_at"], int)
    assert sb.company_by_company_id("acme") == updated


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"company_id": "x", "test": 1}, "bad_request", "bad 'test' parameter"),
        ({"company_id": "x", "id": "y"}, "bad_request", "bad 'id' parameter"),
        ({"plan": "Pro"}, "parameter_not_found", None),
        ({}, "parameter_not_found", None),
        ({"company_id": 5}, "parameter_invalid", None),
        ({"company_id": "x", "size": "10"}, "parameter_invalid", None),
    ],
)
def test_post_companies_errors(
    api: Api, body: dict[str, Any], code: str, message: str | None
) -> None:
    reply = api.post("/companies", body)
    assert reply.status == 400
    assert reply.error_code == code
    if message is not None:
        assert reply.error_message == message


def test_post_companies_with_name_only_creates_one(api: Api) -> None:
    reply = api.post("/companies", {"name": "Nameless Ltd"})
    assert reply.status == 200
    assert reply.json["company_id"]


def test_get_company_by_company_id_or_name(api: Api, sb: IntercomSandbox) -> None:
    acme = sb.add_company(company_id="acme/1", name="Acme")
    reply = api.get("/companies?company_id=acme%2F1")
    assert reply.status == 200
    assert reply.json == acme
    assert api.get("/companies?name=Acme").json == acme
    for query in ("company_id=nope", "name=Nope"):
        reply = api.get(f"/companies?{query}")
        assert reply.status == 404
        assert reply.error_code == "company_not_found"
        assert reply.error_message == "Company Not Found"


def test_list_companies(api: Api, sb: IntercomSandbox) -> None:
    for i in range(3):
        sb.add_company(company_id=f"c{i}", name=f"C{i}")
    reply = api.get("/companies?per_page=2")
    assert reply.status == 200
    body = reply.json
    assert body["type"] == "list"
    assert body["total_count"] == 3
    assert [c["company_id"] for c in body["data"]] == ["c0", "c1"]
    assert body["pages"]["total_pages"] == 2
    assert [c["company_id"] for c in api.get("/companies?per_page=2&page=2").json["data"]] == ["c2"]


def test_add_company_refuses_duplicates(sb: IntercomSandbox) -> None:
    sb.add_company(company_id="acme")
    with pytest.raises(ValueError, match="exists"):
        sb.add_company(company_id="acme")
    assert sb.company_by_company_id("nope") is None


def test_attach_company_is_idempotent(api: Api, sb: IntercomSandbox) -> None:
    contact = sb.add_contact(email="a@example.com")
    acme = sb.add_company(company_id="acme", name="Acme")
    for _ in range(2):
        reply = api.post(f"/contacts/{contact['id']}/companies", {"id": acme["id"]})
        assert reply.status == 200
        assert reply.json["id"] == acme["id"]
        assert reply.json["user_count"] == 1
    companies = sb.contact_companies(contact["id"])
    assert [c["id"] for c in companies] == [acme["id"]]
    embedded = sb.contact(contact["id"])["companies"]
    assert embedded["data"] == [
        {"type": "company", "id": acme["id"], "url": f"/companies/{acme['id']}"}
    ]
    assert embedded["total_count"] == 1
    reply = api.get(f"/contacts/{contact['id']}/companies")
    assert reply.status == 200
    assert reply.json["type"] == "list"
    assert reply.json["total_count"] == 1
    assert reply.json["data"][0]["id"] == acme["id"]
    assert reply.json["pages"]["type"] == "pages"


def test_contact_embeds_at_most_ten_companies(sb: IntercomSandbox) -> None:
    contact = sb.add_contact(email="a@example.com")
    for i in range(12):
        sb.attach_company(contact["id"], sb.add_company(company_id=f"c{i}")["id"])
    embedded = sb.contact(contact["id"])["companies"]
    assert len(embedded["data"]) == 10
    assert embedded["total_count"] == 12
    assert embedded["has_more"] is True


def test_attach_errors(api: Api, sb: IntercomSandbox) -> None:
    contact = sb.add_contact(email="a@example.com")
    acme = sb.add_company(company_id="acme")
    reply = api.post("/contacts/5ba682d23d7cf92bef87bfd4/companies", {"id": acme["id"]})
    assert (reply.status, reply.error_code, reply.error_message) == (
        404,
        "not_found",
        "User Not Found",
    )
    reply = api.post(f"/contacts/{contact['id']}/companies", {"id": "5ba682d23d7cf92bef87bfd4"})
    assert (reply.status, reply.error_code, reply.error_message) == (
        404,
        "company_not_found",
        "Company Not Found",
    )
    # Our own company_id is not the Intercom id.
    reply = api.post(f"/contacts/{contact['id']}/companies", {"id": "acme"})
    assert reply.status == 404
    for body in ({}, {"id": None}, {"id": ""}):
        reply = api.post(f"/contacts/{contact['id']}/companies", body)
        assert (reply.status, reply.error_code, reply.error_message) == (
            400,
            "parameter_not_found",
            "company not specified",
        )
    reply = api.post(f"/contacts/{contact['id']}/companies", {"company_id": "acme"})
    assert reply.status == 400
    assert reply.error_code == "bad_request"
    reply = api.get("/contacts/5ba682d23d7cf92bef87bfd4/companies")
    assert reply.status == 404
    assert reply.error_code == "not_found"


# ------------------------------------------------------------------------ data attributes


def test_list_data_attributes(api: Api, sb: IntercomSandbox) -> None:
    sb.add_data_attribute("plan", description="The plan")
    sb.add_data_attribute("old", archived=True)
    sb.add_data_attribute("employees", data_type="integer", model="company")
    reply = api.get("/data_attributes?model=contact")
    assert reply.status == 200
    body = reply.json
    assert body["type"] == "list"
    by_full_name = {a["full_name"]: a for a in body["data"]}
    assert {"name", "email", "phone", "external_id"} <= set(by_full_name)
    assert by_full_name["email"]["custom"] is False
    assert by_full_name["id"]["api_writable"] is False
    plan = by_full_name["custom_attributes.plan"]
    assert plan["custom"] is True
    assert plan["name"] == "plan"
    assert plan["data_type"] == "string"
    assert plan["api_writable"] is True
    assert plan["archived"] is False
    assert isinstance(plan["id"], int)
    assert plan["model"] == "contact"
    assert "custom_attributes.old" not in by_full_name
    assert all(a["model"] == "contact" for a in body["data"])
    archived = api.get("/data_attributes?model=contact&include_archived=true").json["data"]
    assert "custom_attributes.old" in {a["full_name"] for a in archived}
    company = api.get("/data_attributes?model=company").json["data"]
    assert "custom_attributes.employees" in {a["full_name"] for a in company}
    assert {a["model"] for a in api.get("/data_attributes").json["data"]} == {
        "contact",
        "company",
    }
    assert api.get("/data_attributes?model=user").status == 400


def test_python_data_attributes_view(sb: IntercomSandbox) -> None:
    sb.add_data_attribute("tier", options=[{"value": "a"}, {"value": "b"}])
    tier = next(a for a in sb.data_attributes() if a["name"] == "tier")
    assert tier["options"] == ["a", "b"]
    with pytest.raises(ValueError, match="already have"):
        sb.add_data_attribute("tier", model="company")
    sb.reset()
    assert all(not a["custom"] for a in sb.data_attributes())
    assert sb.data_attributes()


@pytest.mark.parametrize(
    ("name", "data_type"),
    [
        ("logins", "integer"),
        ("campaign", "string"),
        ("Mithril Shirt", "string"),
        ("price-€", "float"),
        ("vip", "boolean"),
        ("renews", "date"),
        ("seen", "datetime"),
    ],
)
def test_create_data_attribute(api: Api, sb: IntercomSandbox, name: str, data_type: str) -> None:
    reply = api.post("/data_attributes", {"name": name, "model": "contact", "data_type": data_type})
    assert reply.status == 200, reply.data
    created = reply.json
    assert created["type"] == "data_attribute"
    assert created["name"] == name
    assert created["full_name"] == f"custom_attributes.{name}"
    assert created["data_type"] == ("date" if data_type == "datetime" else data_type)
    assert created["custom"] is True
    assert created["api_writable"] is True
    assert isinstance(created["id"], int)
    assert created in sb.data_attributes("contact")


def test_create_list_attribute(api: Api) -> None:
    reply = api.post(
        "/data_attributes",
        {
            "name": "shirt size",
            "model": "contact",
            "data_type": "options",
            "options": [{"value": "S"}, {"value": "M"}],
            "description": "Shirt size",
            "messenger_writable": True,
        },
    )
    assert reply.status == 200
    assert reply.json["data_type"] == "string"
    assert reply.json["options"] == ["S", "M"]
    assert reply.json["description"] == "Shirt size"
    assert reply.json["messenger_writable"] is True


def test_duplicate_names_in_either_model(api: Api, sb: IntercomSandbox) -> None:
    sb.add_data_attribute("The One Ring", model="company")
    reply = api.post(
        "/data_attributes", {"name": "The One Ring", "model": "contact", "data_type": "string"}
    )
    assert reply.status == 400
    assert reply.error_code == "parameter_invalid"
    assert reply.error_message == (
        "You already have 'The One Ring' in your company data. "
        "To save this as new people data, use a different name."
    )
    reply = api.post(
        "/data_attributes", {"name": "email", "model": "contact", "data_type": "string"}
    )
    assert reply.status == 400
    assert "already have" in reply.error_message


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "a.b", "model": "contact", "data_type": "string"}, "parameter_invalid"),
        ({"name": "$x", "model": "contact", "data_type": "string"}, "parameter_invalid"),
        ({"name": "", "model": "contact", "data_type": "string"}, "parameter_invalid"),
        ({"name": "a/b", "model": "contact", "data_type": "string"}, "parameter_invalid"),
        ({"name": "x", "model": "conversation", "data_type": "string"}, "parameter_invalid"),
        ({"name": "x", "model": "contact", "data_type": "list"}, "parameter_invalid"),
        ({"name": "x", "model": "contact", "data_type": "options"}, "parameter_invalid"),
        (
            {"name": "x", "model": "contact", "data_type": "options", "options": [{"value": "a"}]},
            "parameter_invalid",
        ),
        ({"model": "contact", "data_type": "string"}, "parameter_not_found"),
        ({"name": "x", "data_type": "string"}, "parameter_not_found"),
        ({"name": "x", "model": "contact", "data_type": "string", "label": "X"}, "bad_request"),
    ],
)
def test_create_data_attribute_errors(api: Api, body: dict[str, Any], code: str) -> None:
    reply = api.post("/data_attributes", body)
    assert reply.status == 400
    assert reply.error_code == code


def test_created_attribute_is_writable_and_searchable(api: Api, sb: IntercomSandbox) -> None:
    contact = sb.add_contact(email="a@example.com")
    api.post("/data_attributes", {"name": "logins", "model": "contact", "data_type": "integer"})
    reply = api.put(f"/contacts/{contact['id']}", {"custom_attributes": {"logins": 7}})
    assert reply.status == 200
    result = api.post(
        "/contacts/search",
        {"query": {"field": "custom_attributes.logins", "operator": ">=", "value": 7}},
    ).json
    assert [c["id"] for c in result["data"]] == [contact["id"]]
