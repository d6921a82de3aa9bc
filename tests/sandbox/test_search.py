"""POST /contacts/search."""

from __future__ import annotations

from typing import Any

import pytest

from intercom_sandbox import IntercomSandbox
from tests.support.sandbox_api import Api

DAY = 86_400
JAN_1_2024 = 1_704_067_200


def _search(api: Api, query: Any, **extra: Any) -> Any:
    reply = api.post("/contacts/search", {"query": query, **extra})
    assert reply.status == 200, reply.data
    return reply.json


def _ids(result: Any) -> list[str]:
    return [c["id"] for c in result["data"]]


def _eq(field: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": "=", "value": value}


@pytest.fixture
def people(sb: IntercomSandbox) -> dict[str, dict[str, Any]]:
    sb.add_data_attribute("plan")
    sb.add_data_attribute("seats", data_type="integer")
    return {
        "ann": sb.add_contact(
            email="Ann@Example.com",
            external_id="ann",
            name="Ann Lee",
            phone="+15550001",
            custom_attributes={"plan": "pro", "seats": 5},
            created_at=JAN_1_2024 + 3_600,
        ),
        "ann_lead": sb.add_contact(role="lead", email="ann@example.com", name="Ann (lead)"),
        "bob": sb.add_contact(
            email="bob@other.org",
            external_id="bob",
            name="Bob",
            custom_attributes={"plan": "free", "seats": 1},
            created_at=JAN_1_2024 + DAY + 10,
        ),
        "cy": sb.add_contact(email="cy@example.com", external_id="cy", created_at=JAN_1_2024),
        "gone": sb.add_contact(email="ann@example.com", archived=True),
    }


def test_single_filter_email_is_case_insensitive_and_skips_archived(
    api: Api, people: dict[str, dict[str, Any]]
) -> None:
    result = _search(api, _eq("email", "ANN@example.COM"))
    assert _ids(result) == [people["ann"]["id"], people["ann_lead"]["id"]]
    assert result["total_count"] == 2
    assert result["type"] == "list"
    assert result["pages"] == {"type": "pages", "page": 1, "per_page": 50, "total_pages": 1}


def test_and_with_role_user(api: Api, people: dict[str, dict[str, Any]]) -> None:
    query = {"operator": "AND", "value": [_eq("email", "ann@example.com"), _eq("role", "user")]}
    result = _search(api, query, pagination={"per_page": 2})
    assert _ids(result) == [people["ann"]["id"]]
    assert result["data"][0]["role"] == "user"


def test_or_and_nested_groups(api: Api, people: dict[str, dict[str, Any]]) -> None:
    query = {
        "operator": "OR",
        "value": [
            {"operator": "AND", "value": [_eq("external_id", "bob"), _eq("role", "user")]},
            _eq("phone", "+15550001"),
        ],
    }
    assert set(_ids(_search(api, query))) == {people["bob"]["id"], people["ann"]["id"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"field": "email", "operator": "!=", "value": "ann@example.com"}, ["bob", "cy"]),
        ({"field": "external_id", "operator": "IN", "value": ["bob", "cy", "x"]}, ["bob", "cy"]),
        ({"field": "external_id", "operator": "NIN", "value": ["bob"]}, ["ann", "ann_lead", "cy"]),
        ({"field": "name", "operator": "~", "value": "Ann"}, ["ann", "ann_lead"]),
        ({"field": "name", "operator": "!~", "value": "Ann"}, ["bob", "cy"]),
        ({"field": "email", "operator": "^", "value": "bob@"}, ["bob"]),
        ({"field": "email", "operator": "$", "value": "@EXAMPLE.com"}, ["ann", "ann_lead", "cy"]),
        ({"field": "email_domain", "operator": "=", "value": "other.org"}, ["bob"]),
        ({"field": "name", "operator": "=", "value": None}, ["cy"]),
        ({"field": "custom_attributes.plan", "operator": "=", "value": "pro"}, ["ann"]),
        ({"field": "custom_attributes.seats", "operator": ">", "value": 2}, ["ann"]),
        ({"field": "custom_attributes.seats", "operator": "<=", "value": "5"}, ["ann", "bob"]),
        ({"field": "created_at", "operator": "=", "value": JAN_1_2024 + 50}, ["ann", "cy"]),
        ({"field": "created_at", "operator": ">", "value": str(JAN_1_2024)}, ["ann_lead", "bob"]),
        ({"field": "created_at", "operator": "<", "value": JAN_1_2024 + DAY}, ["ann", "cy"]),
        ({"field": "unsubscribed_from_emails", "operator": "=", "value": False}, None),
        ({"field": "role", "operator": "=", "value": "lead"}, ["ann_lead"]),
    ],
)
def test_operators(
    api: Api, people: dict[str, dict[str, Any]], query: Any, expected: list[str] | None
) -> None:
    ids = _ids(_search(api, query))
    if expected is None:
        expected = ["ann", "ann_lead", "bob", "cy"]
    assert ids == [people[name]["id"] for name in expected]


def test_search_by_id(api: Api, people: dict[str, dict[str, Any]]) -> None:
    assert _ids(_search(api, _eq("id", people["bob"]["id"]))) == [people["bob"]["id"]]


def test_sort(api: Api, people: dict[str, dict[str, Any]]) -> None:
    result = _search(
        api,
        _eq("role", "user"),
        sort={"field": "created_at", "order": "descending"},
    )
    assert _ids(result) == [people[n]["id"] for n in ("bob", "ann", "cy")]
    reply = api.post(
        "/contacts/search",
        {"query": _eq("role", "user"), "sort": {"field": "created_at", "order": "up"}},
    )
    assert reply.status == 400
    assert reply.error_code == "invalid_sort_order"


def test_pagination_cursor(api: Api, sb: IntercomSandbox) -> None:
    created = [sb.add_contact(email=f"p{i}@example.com") for i in range(5)]
    query = {"field": "email_domain", "operator": "=", "value": "example.com"}
    seen: list[str] = []
    pagination: dict[str, Any] = {"per_page": 2}
    pages = []
    while True:
        result = _search(api, query, pagination=pagination)
        assert result["total_count"] == 5
        pages.append(result["pages"])
        seen += _ids(result)
        nxt = result["pages"].get("next")
        if nxt is None:
            break
        assert nxt["per_page"] == 2
        pagination = {"per_page": 2, "starting_after": nxt["starting_after"]}
    assert seen == [c["id"] for c in created]
    assert [p["page"] for p in pages] == [1, 2, 3]
    assert all(p["total_pages"] == 3 for p in pages)
    # A cursor belongs to its query.
    first = _search(api, query, pagination={"per_page": 2})
    cursor = first["pages"]["next"]["starting_after"]
    reply = api.post(
        "/contacts/search",
        {"query": _eq("role", "user"), "pagination": {"per_page": 2, "starting_after": cursor}},
    )
    assert reply.status == 400
    reply = api.post(
        "/contacts/search",
        {"query": query, "pagination": {"starting_after": "garbage!"}},
    )
    assert reply.status == 400


def test_empty_result(api: Api) -> None:
    result = _search(api, _eq("email", "nobody@example.com"), pagination={"per_page": 5})
    assert result == {
        "type": "list",
        "data": [],
        "total_count": 0,
        "pages": {"type": "pages", "page": 1, "per_page": 5, "total_pages": 0},
    }


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = _eq("role", "user")
    for _ in range(depth):
        node = {"operator": "AND", "value": [node]}
    return node


def test_nesting_and_group_size_limits(api: Api) -> None:
    assert api.post("/contacts/search", {"query": _nested(2)}).status == 200
    reply = api.post("/contacts/search", {"query": _nested(3)})
    assert reply.status == 400
    assert reply.error_code == "query_invalid"
    fifteen = {"operator": "OR", "value": [_eq("role", "user")] * 15}
    assert api.post("/contacts/search", {"query": fifteen}).status == 200
    sixteen = {"operator": "OR", "value": [_eq("role", "user")] * 16}
    reply = api.post("/contacts/search", {"query": sixteen})
    assert reply.status == 400
    assert reply.error_code == "query_invalid"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "parameter_not_found"),
        ({"pagination": {"per_page": 2}}, 400, "parameter_not_found"),
        ({"query": {"field": "nope", "operator": "=", "value": 1}}, 400, "invalid_field"),
        ({"query": {"field": "custom_attributes.nope", "operator": "=", "value": 1}}, 400,
         "invalid_field"),
        ({"query": {"field": "email", "operator": "LIKE", "value": "a"}}, 400, "query_invalid"),
        ({"query": {"field": "email", "operator": ">", "value": "a"}}, 400, "query_invalid"),
        ({"query": {"field": "created_at", "operator": "!=", "value": 1}}, 400, "query_invalid"),
        ({"query": {"field": "created_at", "operator": "=", "value": "soon"}}, 400,
         "query_invalid"),
        ({"query": {"field": "email", "operator": "IN", "value": "a"}}, 400, "query_invalid"),
        ({"query": {"field": "email", "operator": "="}}, 400, "query_invalid"),
        ({"query": {"operator": "XOR", "value": []}}, 400, "query_invalid"),
        ({"query": {"operator": "AND", "value": []}}, 400, "query_invalid"),
        ({"query": [1]}, 400, "query_invalid"),
        ({"query": _eq("role", "user"), "pagination": {"per_page": 151}}, 400,
         "parameter_invalid"),
        ({"query": _eq("role", "user"), "pagination": {"per_page": 0}}, 400,
         "parameter_invalid"),
        ({"query": _eq("role", "user"), "extra": 1}, 400, "bad_request"),
    ],
)  # fmt: skip
def test_invalid_searches(api: Api, body: Any, status: int, code: str) -> None:
    reply = api.post("/contacts/search", body)
    assert reply.status == status
    assert reply.error_code == code


def test_per_page_150_is_allowed(api: Api) -> None:
    reply = api.post(
        "/contacts/search", {"query": _eq("role", "user"), "pagination": {"per_page": 150}}
    )
    assert reply.status == 200
