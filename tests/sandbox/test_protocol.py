"""Auth, headers, versions, rate limits, body parsing, routing, keep-alive, latency, exchanges."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import urllib3

from intercom_sandbox import Fault, IntercomSandbox
from intercom_sandbox.ratelimit import WINDOW_SECONDS
from tests.support.sandbox_api import OTHER_TOKEN, Api

RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def _assert_error(reply_json: dict[str, object], request_id: str) -> None:
    assert reply_json["type"] == "error.list"
    assert reply_json["request_id"] == request_id
    errors = reply_json["errors"]
    assert isinstance(errors, list)
    assert errors
    assert set(errors[0]) == {"code", "message"}


@pytest.mark.parametrize(
    "authorization", [None, "Bearer nope", "Basic tok_test", "Bearer", "tok_test"]
)
def test_bad_or_missing_token_is_401_without_rate_limit_headers(
    api: Api, sb: IntercomSandbox, authorization: str | None
) -> None:
    contact = sb.add_contact(email="a@example.com")
    reply = api.get(f"/contacts/{contact['id']}", headers={"Authorization": authorization})
    assert reply.status == 401
    assert reply.error_code == "unauthorized"
    assert reply.error_message == "Access Token Invalid"
    assert not any(h in reply.headers for h in RATE_HEADERS)
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    _assert_error(reply.json, reply.headers["x-request-id"])


def test_success_carries_json_content_type_request_id_and_rate_headers(
    api: Api, sb: IntercomSandbox
) -> None:
    contact = sb.add_contact(email="a@example.com")
    reply = api.get(f"/contacts/{contact['id']}")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    uuid.UUID(reply.headers["x-request-id"])
    assert reply.headers["x-ratelimit-limit"] == "1000"
    assert reply.headers["x-ratelimit-remaining"] == "999"
    assert int(reply.headers["x-ratelimit-reset"]) >= int(time.time())
    assert int(reply.headers["content-length"]) == len(reply.data)


@pytest.mark.parametrize("accept", [None, "text/html", "application/xml"])
def test_accept_must_allow_json(api: Api, sb: IntercomSandbox, accept: str | None) -> None:
    reply = api.get("/data_attributes", headers={"Accept": accept})
    assert reply.status == 406
    assert reply.error_code == "media_type_not_acceptable"
    assert "x-ratelimit-limit" in reply.headers


@pytest.mark.parametrize("accept", ["*/*", "application/json", "text/html, application/json;q=0.9"])
def test_accept_variants_that_allow_json(api: Api, accept: str) -> None:
    assert api.get("/data_attributes", headers={"Accept": accept}).status == 200


@pytest.mark.parametrize("version", ["2.14", "2.16", "1.4", "2.0", "Unstable", "Preview", None])
def test_known_versions_or_none_are_accepted(api: Api, version: str | None) -> None:
    assert api.get("/data_attributes", headers={"Intercom-Version": version}).status == 200


@pytest.mark.parametrize("version", ["3.0", "2.17", "latest", "", "2"])
def test_unknown_version_is_400(api: Api, version: str) -> None:
    reply = api.get("/data_attributes", headers={"Intercom-Version": version})
    assert reply.status == 400
    assert reply.error_code == "intercom_version_invalid"


def away_from_a_window_edge() -> None:
    """Start a few quick requests well inside one 10-second window of the clock."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < 1:
        time.sleep(left + 0.05)


def test_rate_limit_counts_per_token_and_answers_429(api: Api, sb: IntercomSandbox) -> None:
    away_from_a_window_edge()
    sb.rate_limit = 3
    remaining = [api.get("/data_attributes").headers["x-ratelimit-remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    reply = api.get("/data_attributes")
    assert reply.status == 429
    assert reply.error_code == "rate_limit_exceeded"
    assert reply.error_message == "Exceeded rate limit of 3 in 10_seconds"
    assert reply.headers["x-ratelimit-limit"] == "3"
    assert reply.headers["x-ratelimit-remaining"] == "0"
    reset = int(reply.headers["x-ratelimit-reset"])
    assert time.time() < reset <= time.time() + WINDOW_SECONDS
    # Windows are slices of the clock, as in Intercom's examples (1487332510, 1487332520).
    assert reset % WINDOW_SECONDS == 0
    # Another token has its own count, in the same window.
    other = api.get("/data_attributes", headers={"Authorization": f"Bearer {OTHER_TOKEN}"})
    assert other.status == 200
    assert other.headers["x-ratelimit-remaining"] == "2"
    assert other.headers["x-ratelimit-reset"] == str(reset)
    # reset() opens fresh windows.
    sb.reset()
    assert api.get("/data_attributes").status == 200


def test_raising_the_rate_limit_applies_immediately(api: Api, sb: IntercomSandbox) -> None:
    away_from_a_window_edge()
    sb.rate_limit = 1
    assert api.get("/data_attributes").status == 200
    assert api.get("/data_attributes").status == 429
    sb.rate_limit = 10
    reply = api.get("/data_attributes")
    assert reply.status == 200
    assert reply.headers["x-ratelimit-remaining"] == "7"


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"", b'{"a": NaN}'])
def test_body_must_be_a_json_object(api: Api, sb: IntercomSandbox, raw: bytes) -> None:
    contact = sb.add_contact(email="a@example.com")
    reply = api.put(
        f"/contacts/{contact['id']}", raw=raw, headers={"Content-Type": "application/json"}
    )
    assert reply.status == 400
    assert reply.error_code == "parameter_invalid"
    assert reply.error_message == "Invalid JSON"


def test_body_needs_json_content_type(api: Api, sb: IntercomSandbox) -> None:
    contact = sb.add_contact(email="a@example.com")
    reply = api.put(
        f"/contacts/{contact['id']}", raw=b'{"name": "x"}', headers={"Content-Type": "text/plain"}
    )
    assert reply.status == 415
    assert reply.error_code == "unsupported_media_type"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("GET", "/contacts"),
        ("DELETE", "/contacts/abc"),
        ("POST", "/contacts/abc"),
        ("GET", "/contacts/abc/companies/def"),
        ("GET", "/companies/"),
        ("PUT", "/data_attributes"),
    ],
)
def test_unknown_routes_and_methods_are_404(api: Api, method: str, path: str) -> None:
    reply = api.request(method, path)
    assert reply.status == 404
    assert reply.error_code == "not_found"
    assert reply.error_message == "Resource Not Found"


def test_connections_are_kept_alive(api: Api, sb: IntercomSandbox) -> None:
    contact = sb.add_contact(email="a@example.com")
    for _ in range(5):
        assert api.get(f"/contacts/{contact['id']}").status == 200
        assert api.put(f"/contacts/{contact['id']}", {"name": "n"}).status == 200
        assert api.get("/contacts/missing").status == 404
    assert api.pool.num_connections == 1


def test_latency_delays_every_api_request(api: Api, sb: IntercomSandbox) -> None:
    sb.latency_ms = 150
    started = time.perf_counter()
    assert api.get("/data_attributes").status == 200
    assert time.perf_counter() - started >= 0.15
    started = time.perf_counter()
    assert api.get("/data_attributes", headers={"Authorization": None}).status == 401
    assert time.perf_counter() - started >= 0.15
    sb.latency_ms = 0
    started = time.perf_counter()
    assert api.get("/data_attributes").status == 200
    assert time.perf_counter() - started < 0.15


def test_exchanges_record_requests_and_answers(api: Api, sb: IntercomSandbox) -> None:
    contact = sb.add_contact(email="a@example.com", external_id="a/b c")
    sb.clear_exchanges()
    api.get("/contacts/find_by_external_id/a%2Fb%20c?x=1&x=2&y=")
    api.put(f"/contacts/{contact['id']}", {"name": "New"})
    api.get("/nope", headers={"Authorization": None})
    first, second, third = sb.exchanges
    assert first.method == "GET"
    assert first.path == "/contacts/find_by_external_id/a%2Fb%20c"
    assert first.query == {"x": ["1", "2"], "y": [""]}
    assert first.route == "/contacts/find_by_external_id/{external_id}"
    assert first.status == 200
    assert first.headers["authorization"] == "Bearer tok_test"
    assert first.headers["intercom-version"] == "2.14"
    assert first.body_text is None
    assert first.body_json is None
    assert first.fault is None
    assert first.response_headers["content-type"] == "application/json; charset=utf-8"
    assert '"external_id":"a/b c"' in first.response_text
    assert second.route == "/contacts/{contact_id}"
    assert second.body_json == {"name": "New"}
    assert second.body_text == '{"name": "New"}'
    assert '"name":"New"' in second.response_text
    assert third.status == 401
    assert third.route is None
    assert third.response_headers["x-request-id"] in third.response_text
    sb.clear_exchanges()
    assert sb.exchanges == []


def test_exchanges_are_in_arrival_order_even_when_a_slow_request_ends_last(
    api: Api, sb: IntercomSandbox
) -> None:
    sb.add_fault(Fault(path="/data_attributes", action="delay", delay_s=0.3))
    slow = threading.Thread(target=lambda: Api(sb.base_url).get("/data_attributes"))
    slow.start()
    time.sleep(0.1)
    api.get("/contacts/x")
    assert [e.path for e in sb.exchanges] == ["/contacts/x"]  # the slow one is still running
    slow.join()
    assert [e.path for e in sb.exchanges] == ["/data_attributes", "/contacts/x"]


def test_stop_closes_idle_keep_alive_connections() -> None:
    with IntercomSandbox(tokens=("t",)) as sandbox:
        client = Api(sandbox.base_url)
        client.headers["Authorization"] = "Bearer t"
        assert client.get("/data_attributes").status == 200
    with pytest.raises(urllib3.exceptions.HTTPError):
        client.get("/data_attributes")
