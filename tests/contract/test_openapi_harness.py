"""The OpenAPI harness itself, on hand-built exchanges (no server)."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest

from tests.support.openapi import (
    IntercomOpenApi,
    RecordedExchange,
    assert_exchanges_conform,
    load_spec,
    to_json_schema,
    validate_request,
    validate_response,
)

HEADERS = {
    "authorization": "Bearer tok_test",
    "accept": "application/json",
    "intercom-version": "2.14",
}
BODY_HEADERS = {**HEADERS, "content-type": "application/json; charset=utf-8"}
JSON_RESPONSE = {"content-type": "application/json; charset=utf-8"}
CONTACT_ID = "6762f0cd1bb69f9f2193bb7c"

#: The operations the product calls, as (method, template).
PRODUCT_OPERATIONS = [
    ("GET", "/contacts/{contact_id}"),
    ("GET", "/contacts/find_by_external_id/{external_id}"),
    ("POST", "/contacts/search"),
    ("PUT", "/contacts/{contact_id}"),
    ("GET", "/companies"),
    ("POST", "/companies"),
    ("POST", "/contacts/{contact_id}/companies"),
    ("GET", "/data_attributes"),
    ("POST", "/data_attributes"),
]

#: The description's own request examples that show a request Intercom rejects.
INVALID_REQUEST_EXAMPLES = {
    ("POST", "/companies", "bad_request"),
    ("POST", "/contacts/{contact_id}/companies", "bad_request"),
    ("POST", "/data_attributes", "invalid_data_type"),
    ("POST", "/data_attributes", "too_few_options_for_list"),
}


@pytest.fixture(scope="module")
def spec() -> IntercomOpenApi:
    return load_spec()


def request(
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
) -> RecordedExchange:
    text = None if body is None else json.dumps(body)
    if headers is None:
        headers = BODY_HEADERS if body is not None else HEADERS
    return RecordedExchange(
        method=method, path=path, query=query or {}, headers=headers, body_text=text, body_json=body
    )


def response(
    method: str,
    path: str,
    status: int,
    body: Any,
    *,
    headers: dict[str, str] | None = None,
    route: str | None = None,
    fault: str | None = None,
) -> RecordedExchange:
    return RecordedExchange(
        method=method,
        path=path,
        headers=HEADERS,
        status=status,
        response_headers=JSON_RESPONSE if headers is None else headers,
        response_text=body if isinstance(body, str) else json.dumps(body),
        route=route,
        fault=fault,
    )


def example(spec: IntercomOpenApi, method: str, template: str, name: str, status: str = "") -> Any:
    examples = spec.examples(spec.operation(method, template), status or None)
    return copy.deepcopy(examples[name])


def concrete(template: str) -> str:
    return "/".join("x1" if part.startswith("{") else part for part in template.split("/"))


def error_list(code: str, message: str | None = "Something") -> dict[str, Any]:
    return {
        "type": "error.list",
        "request_id": "b0d0c5b6-4d6e-4a4e-9f8d-4fa4e6a2a2f1",
        "errors": [{"code": code, "message": message}],
    }


# -- loading and matching --------------------------------------------------------------------------


def test_spec_loads_quickly_and_once() -> None:
    load_spec.cache_clear()
    started = time.perf_counter()
    spec = load_spec()
    assert time.perf_counter() - started < 3
    assert load_spec() is spec
    assert spec.version == "2.14"
    assert "2.14" in spec.intercom_versions


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/contacts/abc", "/contacts/{contact_id}"),
        ("PUT", "/contacts/abc", "/contacts/{contact_id}"),
        ("POST", "/contacts/search", "/contacts/search"),
        ("POST", "/contacts/merge", "/contacts/merge"),
        ("GET", "/contacts/find_by_external_id/u-1", "/contacts/find_by_external_id/{external_id}"),
        (
            "GET",
            "/contacts/find_by_external_id/a%2Fb",
            "/contacts/find_by_external_id/{external_id}",
        ),
        ("GET", "/contacts/a%2Fcompanies", "/contacts/{contact_id}"),
        ("POST", "/contacts/abc/companies", "/contacts/{contact_id}/companies"),
        ("GET", "/companies/scroll", "/companies/scroll"),
        ("GET", "/companies/abc", "/companies/{company_id}"),
        ("GET", "/companies", "/companies"),
        ("get", "/data_attributes", "/data_attributes"),
        # No GET on /contacts/search: Intercom would read "search" as a contact id.
        ("GET", "/contacts/search", "/contacts/{contact_id}"),
    ],
)
def test_match_prefers_literal_segments(
    spec: IntercomOpenApi, method: str, path: str, template: str
) -> None:
    operation = spec.match(method, path)
    assert operation is not None
    assert operation.template == template


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/contacts/"),
        ("GET", "/contacts/find_by_external_id/"),
        ("PATCH", "/contacts/abc"),
        ("GET", "/users"),
        ("GET", "/contacts/abc/companies/def/extra"),
    ],
)
def test_match_rejects_undocumented(spec: IntercomOpenApi, method: str, path: str) -> None:
    assert spec.match(method, path) is None


def test_path_params_stay_encoded(spec: IntercomOpenApi) -> None:
    operation = spec.operation("GET", "/contacts/find_by_external_id/{external_id}")
    path = "/contacts/find_by_external_id/a%2Fb%20c"
    assert operation.path_params(path) == {"external_id": "a%2Fb%20c"}


# -- the OpenAPI 3.0 -> JSON Schema rewrite --------------------------------------------------------


def test_nullable_becomes_a_null_alternative() -> None:
    assert to_json_schema({"type": "string", "nullable": True}) == {"type": ["string", "null"]}
    assert to_json_schema({"type": "string", "enum": ["a"], "nullable": True}) == {
        "type": ["string", "null"],
        "enum": ["a", None],
    }
    assert to_json_schema({"$ref": "#/components/schemas/x", "nullable": True}) == {
        "anyOf": [{"type": "null"}, {"$ref": "urn:intercom-openapi:2.14#/components/schemas/x"}]
    }
    assert to_json_schema({"oneOf": [{"type": "integer"}], "nullable": True}) == {
        "anyOf": [{"type": "null"}, {"oneOf": [{"type": "integer"}]}]
    }


def test_annotations_dropped_but_property_names_kept() -> None:
    schema = {
        "type": "object",
        "description": "d",
        "example": {"a": 1},
        "x-fern": True,
        "properties": {"example": {"type": "integer", "format": "date-time"}},
    }
    assert to_json_schema(schema) == {
        "type": "object",
        "properties": {"example": {"type": "integer"}},
    }


def test_boolean_exclusive_bounds_become_numbers() -> None:
    assert to_json_schema({"type": "integer", "minimum": 0, "exclusiveMinimum": True}) == {
        "type": "integer",
        "exclusiveMinimum": 0,
    }


# -- requests --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "template", "name"),
    [
        (method, template, name)
        for method, template in PRODUCT_OPERATIONS
        for name in load_spec().examples(load_spec().operation(method, template))
    ],
)
def test_product_request_examples(
    spec: IntercomOpenApi, method: str, template: str, name: str
) -> None:
    body = example(spec, method, template, name)
    problems = validate_request(request(method, concrete(template), body))
    if (method, template, name) in INVALID_REQUEST_EXAMPLES and body is not None:
        assert problems
    else:
        assert problems == []


def test_update_contact_with_every_documented_field_passes() -> None:
    body = {
        "role": "user",
        "external_id": "u-1",
        "email": "jane@example.com",
        "phone": "+353871234567",
        "name": "Jane",
        "avatar": "https://example.com/a.png",
        "signed_up_at": 1571672154,
        "last_seen_at": 1571672154,
        "owner_id": 123,
        "unsubscribed_from_emails": False,
        "custom_attributes": {"session_count": 3, "utm_source": "newsletter", "paid": True},
    }
    assert validate_request(request("PUT", f"/contacts/{CONTACT_ID}", body)) == []


def test_update_contact_nullable_fields_accept_null() -> None:
    body = {"name": None, "phone": None, "avatar": None, "custom_attributes": None}
    assert validate_request(request("PUT", f"/contacts/{CONTACT_ID}", body)) == []


def test_update_contact_rejects_unknown_top_level_key() -> None:
    problems = validate_request(request("PUT", f"/contacts/{CONTACT_ID}", {"session_count": 3}))
    assert len(problems) == 1
    assert "unknown top-level property 'session_count'" in problems[0]


def test_unknown_keys_allowed_when_not_strict(spec: IntercomOpenApi) -> None:
    exchange = request("PUT", f"/contacts/{CONTACT_ID}", {"session_count": 3, "utm_term": "x"})
    assert spec.validate_request(exchange, strict=False) == []
    assert len(spec.validate_request(exchange)) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"unsubscribed_from_emails": "yes"},
        {"email": None},
        {"custom_attributes": "plan=pro"},
        {"last_seen_at": "2024-01-01T00:00:00Z"},
        {"owner_id": "123"},
        ["name", "Jane"],
    ],
)
def test_update_contact_rejects_wrong_types(body: Any) -> None:
    problems = validate_request(request("PUT", f"/contacts/{CONTACT_ID}", body))
    assert problems
    assert all(p.startswith("request body") for p in problems)


def test_search_by_email_among_users_passes() -> None:
    body = {
        "query": {
            "operator": "AND",
            "value": [
                {"field": "email", "operator": "=", "value": "jane@example.com"},
                {"field": "role", "operator": "=", "value": "user"},
            ],
        },
        "pagination": {"per_page": 2},
    }
    assert validate_request(request("POST", "/contacts/search", body)) == []
    single = {"query": {"field": "external_id", "operator": "=", "value": "u-1"}}
    assert validate_request(request("POST", "/contacts/search", single)) == []


@pytest.mark.parametrize(
    "body",
    [
        {"pagination": {"per_page": 2}},
        {"query": {"field": "email", "operator": "==", "value": "a@b.c"}},
        {"query": {"operator": "XOR", "value": []}},
        {"query": {"field": "email", "operator": "=", "value": {"a": 1}}},
        {"query": {"field": "email", "operator": "=", "value": "a@b.c"}, "per_page": 2},
        # Not documented in 2.14's search_request (later versions add it).
        {"query": {"field": "email", "operator": "=", "value": "a@b.c"}, "sort": {"field": "id"}},
    ],
)
def test_search_rejects_malformed_bodies(body: Any) -> None:
    assert validate_request(request("POST", "/contacts/search", body))


def test_attach_company_takes_only_the_intercom_id() -> None:
    path = f"/contacts/{CONTACT_ID}/companies"
    assert validate_request(request("POST", path, {"id": "6762f09a1bb69f9f2193bb34"})) == []
    problems = validate_request(request("POST", path, {"company_id": "acme"}))
    assert any("'id' is a required property" in p for p in problems)
    assert any("unknown top-level property 'company_id'" in p for p in problems)


def test_create_data_attribute_list_needs_options() -> None:
    good = {"name": "plan", "model": "contact", "data_type": "string"}
    assert validate_request(request("POST", "/data_attributes", good)) == []
    listed = {**good, "data_type": "options", "options": [{"value": "a"}, {"value": "b"}]}
    assert validate_request(request("POST", "/data_attributes", listed)) == []
    stray = {**good, "options": [{"value": "a"}, {"value": "b"}]}
    problems = validate_request(request("POST", "/data_attributes", stray))
    assert problems == [
        "request body (documented properties only): Unevaluated properties are not allowed "
        "('options' was unexpected)"
    ]
    both = {"name": "plan", "model": "contact", "data_type": "options"}
    problems = validate_request(request("POST", "/data_attributes", both))
    assert len(problems) == 1
    assert "matches none of the oneOf alternatives" in problems[0]
    assert "'options' is a required property" in problems[0]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({k: v for k, v in HEADERS.items() if k != "accept"}, "header Accept is missing"),
        ({**HEADERS, "accept": "*/*"}, "does not name application/json"),
        ({**HEADERS, "accept": "text/html"}, "does not name application/json"),
        ({k: v for k, v in HEADERS.items() if k != "authorization"}, "Authorization is missing"),
        ({**HEADERS, "authorization": "Token tok_test"}, "is not 'Bearer <token>'"),
        ({**HEADERS, "authorization": "Bearer "}, "is not 'Bearer <token>'"),
        ({**HEADERS, "intercom-version": "3.0"}, "header Intercom-Version: '3.0' is not one of"),
        ({**HEADERS, "intercom-version": "2.16"}, "header Intercom-Version: '2.16' is not one of"),
        ({**HEADERS, "intercom-version": "2.13"}, "'2.13' is not '2.14'"),
        ({k: v for k, v in HEADERS.items() if k != "intercom-version"}, "Intercom-Version is miss"),
    ],
)
def test_request_headers(headers: dict[str, str], expected: str) -> None:
    problems = validate_request(request("GET", f"/contacts/{CONTACT_ID}", headers=headers))
    assert len(problems) == 1
    assert expected in problems[0]


def test_header_names_and_accept_lists_are_read_leniently() -> None:
    headers = {
        "Authorization": "bearer tok_test",
        "Accept": "text/plain;q=0.1, application/json; charset=utf-8",
        "Intercom-Version": "2.14",
    }
    assert validate_request(request("GET", f"/contacts/{CONTACT_ID}", headers=headers)) == []


def test_version_header_policy_is_configurable(spec: IntercomOpenApi) -> None:
    older = request(
        "GET", f"/contacts/{CONTACT_ID}", headers={**HEADERS, "intercom-version": "2.13"}
    )
    assert spec.validate_request(older, pin_version=False) == []
    unversioned = {k: v for k, v in HEADERS.items() if k != "intercom-version"}
    exchange = request("GET", f"/contacts/{CONTACT_ID}", headers=unversioned)
    assert spec.validate_request(exchange, require_version=False) == []


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (None, "Content-Type is missing"),
        ("text/plain", "'text/plain' is not application/json"),
        ("application/x-www-form-urlencoded", "is not application/json"),
    ],
)
def test_bodies_need_json_content_type(content_type: str | None, expected: str) -> None:
    headers = dict(HEADERS) if content_type is None else {**HEADERS, "content-type": content_type}
    exchange = request("PUT", f"/contacts/{CONTACT_ID}", {"name": "Jane"}, headers=headers)
    problems = validate_request(exchange)
    assert len(problems) == 1
    assert expected in problems[0]


def test_body_must_be_json_and_only_where_documented() -> None:
    broken = RecordedExchange(
        method="PUT",
        path=f"/contacts/{CONTACT_ID}",
        headers=BODY_HEADERS,
        body_text="{name: Jane}",
    )
    assert validate_request(broken) == [
        "request body is not JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))"
    ]
    problems = validate_request(request("GET", f"/contacts/{CONTACT_ID}", {"name": "Jane"}))
    assert problems == ["GET /contacts/{contact_id} takes no request body, one was sent"]


def test_query_parameters() -> None:
    ok = request("GET", "/companies", query={"company_id": ["acme"]})
    assert validate_request(ok) == []
    listed = request("GET", "/data_attributes", query={"model": ["contact"]})
    assert validate_request(listed) == []
    archived = request(
        "GET", "/data_attributes", query={"model": ["company"], "include_archived": ["true"]}
    )
    assert validate_request(archived) == []
    problems = validate_request(
        request(
            "GET",
            "/data_attributes",
            query={"model": ["user"], "include_archived": ["maybe"], "limit": ["5"]},
        )
    )
    assert len(problems) == 3
    assert any("query parameter model: 'user' is not one of" in p for p in problems)
    assert any("query parameter include_archived" in p for p in problems)
    assert "query parameter limit is not documented for this operation" in problems
    repeated = request("GET", "/companies", query={"company_id": ["a", "b"]})
    assert validate_request(repeated) == ["query parameter company_id is repeated (2 values)"]


def test_undocumented_operation_is_reported() -> None:
    assert validate_request(request("POST", "/users", {"email": "a@b.c"})) == [
        "no operation POST /users in the description"
    ]


# -- responses -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "template", "status", "name"),
    [
        (method, template, status, name)
        for method, template in PRODUCT_OPERATIONS
        for status in load_spec().operation(method, template).responses
        for name in load_spec().examples(load_spec().operation(method, template), status)
    ],
)
def test_product_response_examples(
    spec: IntercomOpenApi, method: str, template: str, status: str, name: str
) -> None:
    body = example(spec, method, template, name, status)
    exchange = response(method, concrete(template), int(status), body)
    assert spec.validate_response(exchange) == []
    assert spec.validate_response(exchange, overlay=False) == []


@pytest.fixture
def contact(spec: IntercomOpenApi) -> dict[str, Any]:
    found = example(spec, "GET", "/contacts/{contact_id}", "successful", "200")
    assert isinstance(found, dict)
    return found


def test_contact_from_the_description_passes(contact: dict[str, Any]) -> None:
    exchange = response("GET", f"/contacts/{contact['id']}", 200, contact)
    assert validate_response(exchange) == []


def test_contact_with_custom_attributes_and_companies_passes(contact: dict[str, Any]) -> None:
    contact["custom_attributes"] = {"session_count": 3, "utm_source": "newsletter", "vip": True}
    contact["companies"]["data"] = [
        {"type": "company", "id": "6762f09a1bb69f9f2193bb34", "url": "/companies/6762f09a"}
    ]
    contact["companies"]["total_count"] = 1
    contact["avatar"] = {"type": "avatar", "image_url": "https://example.com/a.png"}
    assert validate_response(response("PUT", f"/contacts/{contact['id']}", 200, contact)) == []


@pytest.mark.parametrize("key", ["id", "email", "role", "custom_attributes", "companies"])
def test_contact_missing_a_key_fails(
    spec: IntercomOpenApi, contact: dict[str, Any], key: str
) -> None:
    del contact[key]
    exchange = response("GET", "/contacts/x1", 200, contact)
    assert spec.validate_response(exchange) == [
        f"response 200 body: '{key}' is a required property"
    ]
    # The description itself requires nothing of a contact: the overlay adds it.
    assert spec.validate_response(exchange, overlay=False) == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("created_at", "2024-01-01", "response 200 body['created_at']: '2024-01-01' is not of"),
        ("unsubscribed_from_emails", None, "None is not of type 'boolean'"),
        ("custom_attributes", [], "[] is not of type 'object'"),
        ("owner_id", "123", "'123' is not of type 'integer', 'null'"),
        ("avatar", "https://example.com/a.png", "is not of type 'object', 'null'"),
        ("tags", {"data": {}}, "body['tags']"),
        ("type", "user", "'contact' was expected"),
        ("role", "admin", "'admin' is not one of ['user', 'lead']"),
    ],
)
def test_contact_with_wrong_types_fails(
    contact: dict[str, Any], key: str, value: Any, expected: str
) -> None:
    contact[key] = value
    problems = validate_response(response("GET", "/contacts/x1", 200, contact))
    assert len(problems) == 1
    assert expected in problems[0]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/contacts/x1", 404, "not_found"),
        ("GET", "/contacts/x1", 401, "unauthorized"),
        ("GET", "/contacts/find_by_external_id/u-1", 404, "not_found"),
        ("PUT", "/contacts/x1", 409, "conflict"),
        ("PUT", "/contacts/x1", 400, "parameter_invalid"),
        ("PUT", "/contacts/x1", 429, "rate_limit_exceeded"),
        ("GET", "/companies", 404, "company_not_found"),
        ("POST", "/contacts/x1/companies", 404, "company_not_found"),
        ("POST", "/data_attributes", 400, "parameter_invalid"),
        ("GET", "/no/such/route", 404, "not_found"),
    ],
)
def test_error_lists_pass_for_any_error_status(
    method: str, path: str, status: int, code: str
) -> None:
    exchange = response(method, path, status, error_list(code))
    assert validate_response(exchange) == []
    exchange = response(method, path, status, {**error_list(code), "request_id": None})
    assert validate_response(exchange) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"type": "error.list", "errors": []}, "[] should be non-empty"),
        ({"type": "error.list", "errors": [{"message": "x"}]}, "'code' is a required property"),
        ({"type": "error.list", "errors": [{"code": 404}]}, "404 is not of type 'string'"),
        ({"errors": [{"code": "not_found"}]}, "status 404 is not documented"),
        ({"message": "not found"}, "got a body that is not an error.list"),
    ],
)
def test_malformed_errors_fail(body: dict[str, Any], expected: str) -> None:
    problems = validate_response(response("GET", "/contacts/x1", 404, body))
    assert len(problems) == 1
    assert expected in problems[0]


def test_documented_error_status_is_held_to_its_schema() -> None:
    problems = validate_response(response("GET", "/contacts/x1", 401, {"type": "error.list"}))
    assert problems == ["response 401 body: 'errors' is a required property"]


def test_undocumented_success_status_fails(contact: dict[str, Any]) -> None:
    problems = validate_response(response("PUT", "/contacts/x1", 201, contact))
    assert problems == ["status 201 is not documented (200, 401); got this status"]


def test_response_needs_json_content_type_and_json(contact: dict[str, Any]) -> None:
    exchange = response("GET", "/contacts/x1", 200, contact, headers={"content-type": "text/html"})
    assert validate_response(exchange) == [
        "response Content-Type 'text/html' is not application/json"
    ]
    exchange = response("GET", "/contacts/x1", 200, "<html>", headers=JSON_RESPONSE)
    problems = validate_response(exchange)
    assert len(problems) == 1
    assert problems[0].startswith("response body is not JSON")
    blank = response("GET", "/contacts/x1", 200, contact, headers={"content-type": ""})
    assert validate_response(blank) == ["response Content-Type '' is not application/json"]
    empty = response("GET", "/contacts/x1", 200, "", headers={})
    assert validate_response(empty) == ["response 200: the documented JSON body is missing"]


def test_faults_and_dropped_connections_are_skipped() -> None:
    assert validate_response(response("GET", "/contacts/x1", 503, "oops", fault="error_503")) == []
    assert validate_response(response("GET", "/contacts/x1", 0, "")) == []


def test_sandbox_route_must_agree(contact: dict[str, Any]) -> None:
    exchange = response(
        "GET", "/contacts/find_by_external_id/u-1", 200, contact, route="/contacts/{contact_id}"
    )
    assert validate_response(exchange) == [
        "routed as '/contacts/{contact_id}', the description routes it to "
        "'/contacts/find_by_external_id/{external_id}'"
    ]


def test_retrieve_company_accepts_a_company_or_a_list(spec: IntercomOpenApi) -> None:
    found = example(spec, "GET", "/companies", "Successful", "200")
    assert validate_response(response("GET", "/companies", 200, found)) == []
    single = found["data"][0]
    assert validate_response(response("GET", "/companies", 200, single)) == []
    problems = validate_response(response("GET", "/companies", 200, {**single, "type": "contact"}))
    assert problems
    assert "matches none of the anyOf alternatives" in problems[0]


def test_data_attribute_list_entries_are_checked(spec: IntercomOpenApi) -> None:
    found = example(spec, "GET", "/data_attributes", "Successful response", "200")
    found["data"][0]["data_type"] = "text"
    problems = validate_response(response("GET", "/data_attributes", 200, found))
    assert len(problems) == 1
    assert "response 200 body['data'][0]['data_type']: 'text' is not one of" in problems[0]


# -- the teardown assertion ------------------------------------------------------------------------


def test_assert_exchanges_conform_passes_good_exchanges(contact: dict[str, Any]) -> None:
    good = RecordedExchange(
        method="PUT",
        path=f"/contacts/{contact['id']}",
        headers=BODY_HEADERS,
        body_text=json.dumps({"name": "Jane"}),
        status=200,
        response_headers=JSON_RESPONSE,
        response_text=json.dumps(contact),
        route="/contacts/{contact_id}",
    )
    assert_exchanges_conform([good, good])


def test_assert_exchanges_conform_lists_every_problem(contact: dict[str, Any]) -> None:
    del contact["email"]
    bad_request = RecordedExchange(
        method="PUT",
        path="/contacts/c1",
        headers=HEADERS,
        body_text=json.dumps({"session_count": 2}),
        status=200,
        response_headers=JSON_RESPONSE,
        response_text=json.dumps(contact),
    )
    bad_response = response("GET", "/contacts/c2", 404, {"oops": True})
    with pytest.raises(AssertionError) as raised:
        assert_exchanges_conform([bad_request, bad_response])
    report = str(raised.value)
    assert "#0 PUT /contacts/c1 -> 200" in report
    assert "request: header Content-Type is missing on a request with a body" in report
    assert "request: request body: unknown top-level property 'session_count'" in report
    assert "response: response 200 body: 'email' is a required property" in report
    assert "#1 GET /contacts/c2 -> 404" in report
    assert "got a body that is not an error.list" in report

    assert_exchanges_conform([bad_response], requests=True, responses=False)
    with pytest.raises(AssertionError, match="session_count"):
        assert_exchanges_conform([bad_request], requests=True, responses=False)
    with pytest.raises(AssertionError, match="'email' is a required property"):
        assert_exchanges_conform([bad_request], requests=False, responses=True)


def test_validators_are_compiled_once(spec: IntercomOpenApi, contact: dict[str, Any]) -> None:
    exchange = response("GET", "/contacts/x1", 200, contact)
    validate_response(exchange)
    before = dict(spec._validators)
    started = time.perf_counter()
    for _ in range(200):
        assert spec.validate_response(exchange) == []
    assert time.perf_counter() - started < 2
    assert spec._validators == before
