"""The local Intercom sandbox answers as Intercom's OpenAPI 2.14 description says.

Well-formed requests go to every route the product uses, successes and errors alike, and every
exchange the sandbox records is then held to the description on both sides. Deliberately malformed
requests are checked on the response side only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import urllib3

from intercom_sandbox import IntercomSandbox
from tests.support.openapi import assert_exchanges_conform

TOKEN = "tok_test"
VERSION = "2.14"


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any


class Client:
    """Just enough of a raw HTTP client to send what Intercom's docs ask for."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=10))
        self.sent = 0

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        token: str = TOKEN,
        headers: dict[str, str] | None = None,
        raw_body: str | None = None,
    ) -> Reply:
        sent_headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Intercom-Version": VERSION,
        }
        payload = json.dumps(body) if body is not None else raw_body
        if payload is not None:
            sent_headers["Content-Type"] = "application/json"
        sent_headers.update(headers or {})
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        response = self.http.request(method, url, body=payload, headers=sent_headers)
        self.sent += 1
        text = response.data.decode()
        return Reply(response.status, json.loads(text) if text.strip() else None)


@dataclass
class World:
    sandbox: IntercomSandbox
    client: Client
    jane_id: str
    john_id: str
    acme_id: str


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    sandbox = IntercomSandbox(tokens=(TOKEN,))
    sandbox.add_contact(role="user", email="jane@example.com", external_id="u-jane")
    sandbox.add_contact(role="user", email="john@example.com", external_id="u-john")
    sandbox.add_contact(role="lead", email="jane@example.com", external_id=None)
    sandbox.add_company(company_id="acme", name="Acme")
    sandbox.add_data_attribute("plan", data_type="string")
    sandbox.add_data_attribute("logins", data_type="integer")
    sandbox.start()
    try:
        client = Client(sandbox.base_url)
        jane = client.call("GET", "/contacts/find_by_external_id/u-jane")
        john = client.call("GET", "/contacts/find_by_external_id/u-john")
        acme = client.call("GET", "/companies", query={"company_id": "acme"})
        assert (jane.status, john.status, acme.status) == (200, 200, 200)
        company = acme.body["data"][0] if acme.body.get("type") == "list" else acme.body
        yield World(sandbox, client, jane.body["id"], john.body["id"], company["id"])
    finally:
        sandbox.stop()


@pytest.fixture
def conforming(world: World) -> Iterator[World]:
    """Every exchange the test produces must conform, on both sides."""
    before, sent_before = len(world.sandbox.exchanges), world.client.sent
    yield world
    exchanges = world.sandbox.exchanges[before:]
    assert len(exchanges) == world.client.sent - sent_before, "every request is recorded"
    assert_exchanges_conform(exchanges)


@pytest.fixture
def answering(world: World) -> Iterator[World]:
    """For deliberately malformed requests: only the sandbox's answers must conform."""
    before = len(world.sandbox.exchanges)
    yield world
    assert_exchanges_conform(world.sandbox.exchanges[before:], requests=False)


def test_get_contact(conforming: World) -> None:
    call = conforming.client.call
    found = call("GET", f"/contacts/{conforming.jane_id}")
    assert found.status == 200
    assert found.body["email"] == "jane@example.com"
    assert call("GET", "/contacts/0000000000000000deadbeef").status == 404
    assert call("GET", f"/contacts/{conforming.jane_id}", token="tok_wrong").status == 401


def test_find_by_external_id(conforming: World) -> None:
    call = conforming.client.call
    found = call("GET", "/contacts/find_by_external_id/u-jane")
    assert found.status == 200
    assert found.body["id"] == conforming.jane_id
    assert call("GET", "/contacts/find_by_external_id/nobody").status == 404
    odd = quote("a b/c?d", safe="")
    assert call("GET", f"/contacts/find_by_external_id/{odd}").status == 404
    assert call("GET", "/contacts/find_by_external_id/u-jane", token="tok_wrong").status == 401


def test_search_contacts(conforming: World) -> None:
    call = conforming.client.call

    def by_email(email: str) -> dict[str, Any]:
        return {
            "query": {
                "operator": "AND",
                "value": [
                    {"field": "email", "operator": "=", "value": email},
                    {"field": "role", "operator": "=", "value": "user"},
                ],
            },
            "pagination": {"per_page": 2},
        }

    one = call("POST", "/contacts/search", by_email("jane@example.com"))
    assert one.status == 200
    assert one.body["total_count"] == 1
    assert [c["id"] for c in one.body["data"]] == [conforming.jane_id]
    none = call("POST", "/contacts/search", by_email("nobody@example.com"))
    assert (none.status, none.body["total_count"], none.body["data"]) == (200, 0, [])
    everyone = {"query": {"field": "email", "operator": "=", "value": "jane@example.com"}}
    both = call("POST", "/contacts/search", everyone)
    assert both.status == 200
    assert both.body["total_count"] == 2
    users = {"field": "role", "operator": "=", "value": "user"}
    paged = call("POST", "/contacts/search", {"query": users, "pagination": {"per_page": 1}})
    assert paged.status == 200
    assert len(paged.body["data"]) == 1
    cursor = paged.body["pages"]["next"]["starting_after"]
    nxt = call(
        "POST",
        "/contacts/search",
        {"query": users, "pagination": {"per_page": 1, "starting_after": cursor}},
    )
    assert nxt.status == 200
    assert call("POST", "/contacts/search", by_email("x@y.z"), token="tok_wrong").status == 401


def test_update_contact(conforming: World) -> None:
    call = conforming.client.call
    path = f"/contacts/{conforming.jane_id}"
    updated = call(
        "PUT",
        path,
        {
            "name": "Jane Doe",
            "phone": "+353871234567",
            "avatar": "https://example.com/jane.png",
            "unsubscribed_from_emails": False,
            "last_seen_at": 1_700_000_000,
            "custom_attributes": {"plan": "pro", "logins": 3},
        },
    )
    assert updated.status == 200
    assert updated.body["name"] == "Jane Doe"
    assert updated.body["custom_attributes"] == {"plan": "pro", "logins": 3}
    cleared = call("PUT", path, {"phone": None})
    assert (cleared.status, cleared.body["phone"]) == (200, None)
    assert call("PUT", path, {"email": "john@example.com"}).status == 409
    assert call("PUT", path, {"custom_attributes": {"no_such_attribute": 1}}).status == 400
    assert call("PUT", "/contacts/0000000000000000deadbeef", {"name": "x"}).status == 404
    assert call("PUT", path, {"name": "x"}, token="tok_wrong").status == 401


def test_retrieve_and_create_companies(conforming: World) -> None:
    call = conforming.client.call
    found = call("GET", "/companies", query={"company_id": "acme"})
    assert found.status == 200
    assert call("GET", "/companies", query={"company_id": "no-such-company"}).status == 404
    created = call("POST", "/companies", {"company_id": "globex", "name": "Globex"})
    assert created.status == 200
    assert created.body["company_id"] == "globex"
    again = call("POST", "/companies", {"company_id": "globex", "name": "Globex Corp"})
    assert (again.status, again.body["id"]) == (200, created.body["id"])
    nameless = call("POST", "/companies", {"company_id": "initech"})
    assert nameless.status == 200
    assert call("GET", "/companies", query={"company_id": "initech"}).status == 200
    assert call("POST", "/companies", {"company_id": "x"}, token="tok_wrong").status == 401


def test_attach_contact_to_company(conforming: World) -> None:
    call = conforming.client.call
    path = f"/contacts/{conforming.john_id}/companies"
    attached = call("POST", path, {"id": conforming.acme_id})
    assert attached.status == 200
    assert attached.body["id"] == conforming.acme_id
    assert call("POST", path, {"id": conforming.acme_id}).status == 200
    assert call("POST", path, {"id": "0000000000000000deadbeef"}).status == 404
    unknown_contact = "/contacts/0000000000000000deadbeef/companies"
    assert call("POST", unknown_contact, {"id": conforming.acme_id}).status == 404
    assert call("POST", path, {"id": conforming.acme_id}, token="tok_wrong").status == 401
    contact = call("GET", f"/contacts/{conforming.john_id}")
    assert conforming.acme_id in [c["id"] for c in contact.body["companies"]["data"]]


def test_data_attributes(conforming: World) -> None:
    call = conforming.client.call
    listed = call("GET", "/data_attributes", query={"model": "contact"})
    assert listed.status == 200
    assert "plan" in [a["name"] for a in listed.body["data"] if a.get("custom")]
    created = call(
        "POST", "/data_attributes", {"name": "tier", "model": "contact", "data_type": "string"}
    )
    assert created.status == 200
    assert (created.body["name"], created.body["data_type"]) == ("tier", "string")
    duplicate = call(
        "POST", "/data_attributes", {"name": "tier", "model": "contact", "data_type": "string"}
    )
    assert duplicate.status == 400
    seats = call(
        "POST", "/data_attributes", {"name": "seats", "model": "contact", "data_type": "integer"}
    )
    assert seats.status == 200
    companies = call("GET", "/data_attributes", query={"model": "company"})
    assert companies.status == 200
    assert call("GET", "/data_attributes", query={"model": "contact"}, token="x").status == 401


def test_answers_to_malformed_requests(answering: World) -> None:
    call = answering.client.call
    path = f"/contacts/{answering.jane_id}"
    assert call("PUT", path, {"session_count": 3}).status == 400
    assert call("PUT", path, raw_body="{not json").status == 400
    assert call("POST", f"{path}/companies", {}).status in (400, 404)
    assert call("POST", "/contacts/search", {"pagination": {"per_page": 1}}).status == 400
    no_token = {"Authorization": ""}
    assert call("GET", path, headers=no_token).status == 401
    assert call("GET", path, headers={"Accept": "text/html"}).status in (404, 406)
    assert call("GET", path, headers={"Intercom-Version": "9.9"}).status >= 400
    assert call("GET", "/users").status == 404


def test_rate_limited_answers(conforming: World) -> None:
    sandbox, call = conforming.sandbox, conforming.client.call
    allowance = sandbox.rate_limit
    sandbox.rate_limit = 0
    try:
        limited = call("PUT", f"/contacts/{conforming.jane_id}", {"name": "Jane"})
        search = {"query": {"field": "email", "operator": "=", "value": "jane@example.com"}}
        assert call("POST", "/contacts/search", search).status == 429
    finally:
        sandbox.rate_limit = allowance
    assert limited.status == 429
    assert limited.body["errors"][0]["code"] == "rate_limit_exceeded"
