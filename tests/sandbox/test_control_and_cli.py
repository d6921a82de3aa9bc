"""The /__sandbox control API and the command line."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import urllib3

from intercom_sandbox import IntercomSandbox
from tests.support.sandbox_api import Api

SANDBOX_DIR = Path(__file__).resolve().parents[2] / "sandbox"


def _control(sb: IntercomSandbox, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    response = urllib3.request(
        method,
        f"{sb.base_url}/__sandbox/{path}",
        body=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        retries=False,
    )
    return response.status, json.loads(response.data)


def test_control_routes(api: Api, sb: IntercomSandbox) -> None:
    status, attribute = _control(
        sb, "POST", "data_attributes", {"name": "plan", "data_type": "string"}
    )
    assert status == 200
    assert attribute["full_name"] == "custom_attributes.plan"
    status, company = _control(sb, "POST", "companies", {"company_id": "acme", "name": "Acme"})
    assert status == 200
    status, contact = _control(
        sb,
        "POST",
        "contacts",
        {"email": "a@example.com", "external_id": "u1", "custom_attributes": {"plan": "pro"}},
    )
    assert status == 200
    assert _control(sb, "GET", f"contacts/{contact['id']}") == (200, contact)
    status, attached = _control(
        sb, "POST", f"contacts/{contact['id']}/companies", {"company_id": "acme"}
    )
    assert (status, attached["id"]) == (200, company["id"])
    assert _control(sb, "GET", f"contacts/{contact['id']}/companies")[1][0]["id"] == company["id"]
    assert _control(sb, "GET", "companies?company_id=acme")[1]["id"] == company["id"]
    status, attributes = _control(sb, "GET", "data_attributes?model=contact")
    assert "plan" in {a["name"] for a in attributes}

    assert _control(sb, "POST", "settings", {"latency_ms": 5, "rate_limit": 50})[1] == {
        "latency_ms": 5,
        "rate_limit": 50,
        "default_version": "2.14",
        "exact_email_search": False,
    }
    assert (sb.latency_ms, sb.rate_limit) == (5, 50)
    assert _control(sb, "POST", "settings", {"latency_ms": 0})[1]["rate_limit"] == 50

    status, fault = _control(sb, "POST", "faults", {"status": 500, "path": "/contacts/*"})
    assert status == 200
    assert fault["status"] == 500
    assert len(_control(sb, "GET", "faults")[1]) == 1
    assert api.get(f"/contacts/{contact['id']}").status == 500
    assert api.get(f"/contacts/{contact['id']}").json["id"] == contact["id"]

    status, exchanges = _control(sb, "GET", "exchanges")
    assert status == 200
    assert [(e["status"], e["fault"], e["route"]) for e in exchanges] == [
        (500, "respond", "/contacts/{contact_id}"),
        (200, None, "/contacts/{contact_id}"),
    ]
    assert exchanges[1]["headers"]["authorization"] == "Bearer tok_test"
    assert _control(sb, "DELETE", "exchanges")[0] == 200
    assert sb.exchanges == []

    assert _control(sb, "POST", "reset") == (200, {"ok": True})
    assert _control(sb, "GET", f"contacts/{contact['id']}")[0] == 404
    assert sb.exchanges == []  # control calls are never recorded


def test_control_errors(sb: IntercomSandbox) -> None:
    assert _control(sb, "GET", "nope")[0] == 404
    assert _control(sb, "POST", "contacts", {"bogus": 1})[0] == 400
    assert _control(sb, "POST", "faults", {"action": "explode"})[0] == 400
    assert _control(sb, "POST", "faults", {"colour": "red"})[0] == 400
    assert _control(sb, "POST", "settings", {"latency_ms": -1})[0] == 400
    assert _control(sb, "POST", "settings", {"speed": 1})[0] == 400
    assert _control(sb, "GET", "companies?company_id=none")[0] == 404
    response = urllib3.request("POST", f"{sb.base_url}/__sandbox/contacts", body=b"{oops")
    assert response.status == 400


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    return lines.get(timeout=timeout)


def test_cli_starts_prints_its_address_and_stops_on_sigterm(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "data_attributes": [{"name": "plan"}],
                "companies": [{"company_id": "acme", "name": "Acme"}],
                "contacts": [{"id": "a" * 24, "email": "a@example.com", "external_id": "u1"}],
            }
        )
    )
    env = {**os.environ, "PYTHONPATH": str(SANDBOX_DIR)}
    command = [sys.executable, "-m", "intercom_sandbox", "--host", "127.0.0.1", "--port", "0"]
    command += ["--token", "t1", "--token", "t2", "--rate-limit", "7", "--seed", str(seed)]
    process = subprocess.Popen(  # noqa: S603 - fixed command line
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        line = _first_line(process, timeout=10)
        assert line.startswith("intercom sandbox listening on http://127.0.0.1:")
        base_url = line.split(" on ", 1)[1].strip()
        headers = {"Authorization": "Bearer t2", "Accept": "application/json"}
        response = urllib3.request(
            "GET", f"{base_url}/contacts/find_by_external_id/u1", headers=headers
        )
        assert response.status == 200
        assert json.loads(response.data)["id"] == "a" * 24
        assert response.headers["X-RateLimit-Limit"] == "7"
        response = urllib3.request("GET", f"{base_url}/companies?company_id=acme", headers=headers)
        assert response.status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        _, stderr = process.communicate(timeout=5)
        assert stderr == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
