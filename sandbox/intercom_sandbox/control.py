"""The ``/__sandbox`` control API: seed data, inject faults, change settings, read exchanges.

No auth, no latency, no faults, not recorded. JSON in and out; errors are ``{"error": "..."}``
with 400 (bad input) or 404 (unknown route or object).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from intercom_sandbox.api import split_path
from intercom_sandbox.faults import Fault

if TYPE_CHECKING:
    from intercom_sandbox.server import IntercomSandbox

Result = tuple[int, Any]


class _NotFoundError(Exception):
    pass


def _body(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise ValueError(f"invalid JSON body: {error}") from None
    if not isinstance(value, dict):
        raise ValueError("the body must be a JSON object")
    return value


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _settings(sandbox: IntercomSandbox) -> dict[str, Any]:
    return {
        "latency_ms": sandbox.latency_ms,
        "rate_limit": sandbox.rate_limit,
        "default_version": sandbox.default_version,
        "exact_email_search": sandbox.exact_email_search,
    }


def _route(
    sandbox: IntercomSandbox,
    method: str,
    segments: list[str],
    query: dict[str, list[str]],
    raw_body: bytes,
) -> Result:
    match (method, segments):
        case ("POST", ["reset"]):
            sandbox.reset()
            return 200, {"ok": True}
        case ("POST", ["contacts"]):
            return 200, sandbox.add_contact(**_body(raw_body))
        case ("GET", ["contacts", contact_id]):
            return 200, sandbox.contact(contact_id)
        case ("GET", ["contacts", contact_id, "companies"]):
            return 200, sandbox.contact_companies(contact_id)
        case ("POST", ["contacts", contact_id, "companies"]):
            body = _body(raw_body)
            company = body.get("id")
            if company is None and body.get("company_id") is not None:
                found = sandbox.company_by_company_id(str(body["company_id"]))
                if found is None:
                    raise _NotFoundError(f"no company with company_id {body['company_id']!r}")
                company = found["id"]
            if not isinstance(company, str):
                raise ValueError('give "id" (Intercom company id) or "company_id"')
            return 200, sandbox.attach_company(contact_id, company)
        case ("POST", ["companies"]):
            return 200, sandbox.add_company(**_body(raw_body))
        case ("GET", ["companies"]):
            company_id = _one(query, "company_id")
            if company_id is None:
                raise ValueError("company_id query parameter needed")
            found = sandbox.company_by_company_id(company_id)
            if found is None:
                raise _NotFoundError(f"no company with company_id {company_id!r}")
            return 200, found
        case ("POST", ["data_attributes"]):
            return 200, sandbox.add_data_attribute(**_body(raw_body))
        case ("GET", ["data_attributes"]):
            return 200, sandbox.data_attributes(_one(query, "model") or "contact")
        case ("POST", ["faults"]):
            fault = Fault.from_dict(_body(raw_body))
            sandbox.add_fault(fault)
            return 200, fault.to_dict()
        case ("GET", ["faults"]):
            return 200, [f.to_dict() for f in sandbox.pending_faults()]
        case ("DELETE", ["faults"]):
            sandbox.clear_faults()
            return 200, {"ok": True}
        case ("GET", ["settings"]):
            return 200, _settings(sandbox)
        case ("POST", ["settings"]):
            body = _body(raw_body)
            unknown = sorted(set(body) - {"latency_ms", "rate_limit", "exact_email_search"})
            if unknown:
                raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
            if "latency_ms" in body:
                sandbox.latency_ms = body["latency_ms"]
            if "rate_limit" in body:
                sandbox.rate_limit = body["rate_limit"]
            if "exact_email_search" in body:
                sandbox.exact_email_search = body["exact_email_search"]
            return 200, _settings(sandbox)
        case ("GET", ["exchanges"]):
            return 200, [e.to_dict() for e in sandbox.exchanges]
        case ("DELETE", ["exchanges"]):
            sandbox.clear_exchanges()
            return 200, {"ok": True}
    raise _NotFoundError(f"no control route {method} /__sandbox/{'/'.join(segments)}")


def handle(
    sandbox: IntercomSandbox,
    method: str,
    raw_path: str,
    query: dict[str, list[str]],
    raw_body: bytes,
) -> Result:
    segments = split_path(raw_path)[1:]  # drop "__sandbox"
    try:
        return _route(sandbox, method, segments, query, raw_body)
    except (_NotFoundError, KeyError) as error:
        return 404, {"error": f"not found: {error}"}
    except (TypeError, ValueError) as error:
        return 400, {"error": str(error)}
