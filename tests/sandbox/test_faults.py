"""Fault injection: respond, drop, malformed, empty, delay; matching, skip and times."""

from __future__ import annotations

import time

import pytest
import urllib3

from intercom_sandbox import Fault, IntercomSandbox
from tests.support.sandbox_api import Api


def test_respond_default_is_an_intercom_503_once(api: Api, sb: IntercomSandbox) -> None:
    sb.add_fault(Fault())
    reply = api.get("/data_attributes")
    assert reply.status == 503
    assert reply.error_code == "service_unavailable"
    assert reply.json["request_id"] == reply.headers["x-request-id"]
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    assert api.get("/data_attributes").status == 200
    assert [e.fault for e in sb.exchanges] == ["respond", None]
    assert [e.status for e in sb.exchanges] == [503, 200]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (500, "server_error"),
        (502, "service_unavailable"),
        (504, "service_unavailable"),
        (408, "request_timeout"),
        (409, "conflict"),
        (418, "client_error"),
        (599, "server_error"),
    ],
)
def test_default_error_code_per_status(
    api: Api, sb: IntercomSandbox, status: int, code: str
) -> None:
    sb.add_fault(Fault(status=status))
    reply = api.get("/data_attributes")
    assert reply.status == status
    assert reply.error_code == code


def test_429_fault_carries_rate_limit_headers(api: Api, sb: IntercomSandbox) -> None:
    sb.add_fault(Fault(status=429))
    reply = api.get("/data_attributes")
    assert reply.status == 429
    assert reply.error_code == "rate_limit_exceeded"
    assert reply.headers["x-ratelimit-remaining"] == "0"
    assert reply.headers["x-ratelimit-limit"] == "1000"
    reset = int(reply.headers["x-ratelimit-reset"])
    assert time.time() < reset <= time.time() + 3
    sb.add_fault(Fault(status=429, headers={"x-ratelimit-reset": "123", "Retry-After": "1"}))
    raw = api.pool.request("GET", "/data_attributes", headers=api.headers)
    assert raw.status == 429
    assert raw.headers.getlist("X-RateLimit-Reset") == ["123"]
    assert raw.headers["Retry-After"] == "1"


def test_custom_body_and_headers(api: Api, sb: IntercomSandbox) -> None:
    sb.add_fault(Fault(status=200, body={"hello": "world"}, headers={"X-Custom": "1"}))
    reply = api.get("/data_attributes")
    assert reply.status == 200
    assert reply.json == {"hello": "world"}
    assert reply.headers["x-custom"] == "1"


def test_faults_apply_before_auth(api: Api, sb: IntercomSandbox) -> None:
    sb.add_fault(Fault(status=502))
    reply = api.get("/nope", headers={"Authorization": None})
    assert reply.status == 502


def test_drop_closes_the_connection_without_an_answer(api: Api, sb: IntercomSandbox) -> None:
    sb.add_fault(Fault(method="GET", path="/contacts/*", action="drop"))
    with pytest.raises(urllib3.exceptions.ProtocolError):
        api.get("/contacts/abc")
    assert api.get("/contacts/abc").status == 404
    dropped = sb.exchanges[0]
    assert dropped.status == 0
    assert dropped.fault == "drop"
    assert dropped.route == "/contacts/{contact_id}"
    assert dropped.response_text == ""


def test_malformed_and_empty(api: Api, sb: IntercomSandbox) -> None:
    sb.add_fault(Fault(action="malformed"))
    sb.add_fault(Fault(action="empty"))
    reply = api.get("/data_attributes")
    assert (reply.status, reply.data) == (200, b'{"type": "contact", ')
    reply = api.get("/data_attributes")
    assert (reply.status, reply.data) == (200, b"")
    assert reply.headers["content-length"] == "0"
    assert [e.fault for e in sb.exchanges] == ["malformed", "empty"]


def test_delay_then_normal_handling_triggers_client_timeouts(api: Api, sb: IntercomSandbox) -> None:
    sb.add_fault(Fault(path="/data_attributes", action="delay", delay_s=0.4))
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        api.get("/data_attributes", timeout=0.1)
    started = time.perf_counter()
    assert api.get("/data_attributes").status == 200
    assert time.perf_counter() - started < 0.3
    deadline = time.time() + 2
    while len(sb.exchanges) < 2 and time.time() < deadline:
        time.sleep(0.02)
    delayed = sb.exchanges[0]
    assert delayed.fault == "delay"
    assert delayed.status == 200


def test_delay_before_another_action(api: Api, sb: IntercomSandbox) -> None:
    sb.add_fault(Fault(status=500, delay_s=0.2))
    started = time.perf_counter()
    assert api.get("/data_attributes").status == 500
    assert time.perf_counter() - started >= 0.2


def test_skip_fails_only_the_second_attach(api: Api, sb: IntercomSandbox) -> None:
    contact = sb.add_contact(email="a@example.com")
    first, second, third = (sb.add_company(company_id=f"c{i}") for i in range(3))
    sb.add_fault(Fault(method="POST", path="/contacts/*/companies", skip=1, times=1))
    path = f"/contacts/{contact['id']}/companies"
    api.get(path)  # GET does not match the method
    statuses = [api.post(path, {"id": c["id"]}).status for c in (first, second, third)]
    assert statuses == [200, 503, 200]
    assert [c["id"] for c in sb.contact_companies(contact["id"])] == [first["id"], third["id"]]


def test_times_and_forever(api: Api, sb: IntercomSandbox) -> None:
    sb.add_fault(Fault(status=500, times=2))
    assert [api.get("/data_attributes").status for _ in range(3)] == [500, 500, 200]
    sb.add_fault(Fault(status=502, times=-1))
    assert [api.get("/data_attributes").status for _ in range(4)] == [502] * 4
    sb.reset()
    assert api.get("/data_attributes").status == 200


def test_faults_are_consumed_in_order(api: Api, sb: IntercomSandbox) -> None:
    sb.add_fault(Fault(status=500))
    sb.add_fault(Fault(status=502))
    assert [api.get("/data_attributes").status for _ in range(3)] == [500, 502, 200]


def test_path_pattern_uses_the_decoded_path(api: Api, sb: IntercomSandbox) -> None:
    sb.add_fault(Fault(path="/contacts/find_by_external_id/a b", status=500))
    assert api.get("/contacts/find_by_external_id/zzz").status == 404
    assert api.get("/contacts/find_by_external_id/a%20b").status == 500


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": "explode"},
        {"status": 99},
        {"times": -2},
        {"skip": -1},
        {"delay_s": -1},
        {"headers": {"a": 1}},
    ],
)
def test_invalid_faults(kwargs: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        Fault(**kwargs)  # type: ignore[arg-type]
