"""Companies: ``GET /companies``, ``POST /companies``, and a contact's companies
(``GET``/``POST /contacts/{id}/companies``)."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Mapping
from typing import Any

from intercom_sandbox.errors import (
    ApiError,
    bad_parameter,
    company_not_found,
    parameter_invalid,
    parameter_not_found,
)
from intercom_sandbox.request import TYPE_NAMES, RouteCall, int_query, json_type_ok, one
from intercom_sandbox.workspace import WORKSPACE_ID, CompanyRecord, ContactRecord, Workspace, now

# POST /companies: the 2.14 create_or_update_company_request fields -> JSON type.
COMPANY_REQUEST_FIELDS: dict[str, str] = {
    "name": "string",
    "company_id": "string",
    "plan": "string",
    "size": "integer",
    "website": "string",
    "industry": "string",
    "custom_attributes": "object",
    "remote_created_at": "integer",
    "monthly_spend": "number",
    "update_last_request_at": "boolean",
}

MAX_COMPANIES_PER_CONTACT = 1000
DEFAULT_COMPANY_PAGE_SIZE = 15
DEFAULT_CONTACT_COMPANY_PAGE_SIZE = 50
MAX_LIST_PAGE_SIZE = 150
MAX_PAGE = 1_000_000


def render(record: CompanyRecord) -> dict[str, Any]:
    """A company as the API returns it (absent values are left out, as in Intercom's examples)."""
    data = {k: v for k, v in record.data.items() if v is not None}
    data["custom_attributes"] = dict(data["custom_attributes"])
    return data


def plan(value: Any) -> dict[str, Any]:
    """A plan object for a plan given by name (its id is derived from the name)."""
    if value is None or value == {}:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    digest = hashlib.sha256(str(value).encode()).hexdigest()
    return {"type": "plan", "id": str(int(digest[:8], 16) % 1_000_000), "name": str(value)}


def create(ws: Workspace, company_id: str, name: str | None) -> CompanyRecord:
    """Store a new company; the caller holds the lock and knows ``company_id`` is free."""
    intercom_id = ws.new_object_id(ws.companies)
    created = now()
    data: dict[str, Any] = {
        "type": "company",
        "company_id": company_id,
        "id": intercom_id,
        "app_id": WORKSPACE_ID,
        "name": name,
        "remote_created_at": None,
        "created_at": created,
        "updated_at": created,
        "last_request_at": None,
        "monthly_spend": 0,
        "session_count": 0,
        "user_count": 0,
        "size": None,
        "website": None,
        "industry": None,
        "tags": {"type": "tag.list", "tags": []},
        "segments": {"type": "segment.list", "segments": []},
        "plan": {},
        "custom_attributes": {},
    }
    record = CompanyRecord(data, ws.next_seq())
    ws.companies[intercom_id] = record
    ws.by_company_id[company_id] = intercom_id
    return record


def attach(ws: Workspace, contact: ContactRecord, company_intercom_id: str) -> dict[str, Any]:
    """Attach a known company to a contact (idempotent); returns the company as rendered."""
    company = ws.companies[company_intercom_id]
    if company_intercom_id not in contact.company_ids:
        if len(contact.company_ids) >= MAX_COMPANIES_PER_CONTACT:
            raise ApiError(
                400,
                "contact_company_limit_exceeded",
                f"Contact has reached the maximum of {MAX_COMPANIES_PER_CONTACT} "
                "company associations",
            )
        contact.company_ids = [*contact.company_ids, company_intercom_id]
        data = dict(company.data)
        data["user_count"] = int(data["user_count"]) + 1
        data["updated_at"] = max(now(), data["updated_at"])
        company.data = data
        contact_data = dict(contact.data)
        contact_data["updated_at"] = max(now(), contact_data["updated_at"])
        contact.data = contact_data
    return render(company)


def attach_to_contact(ws: Workspace, call: RouteCall) -> dict[str, Any]:
    """``POST /contacts/{contact_id}/companies``."""
    with ws.lock:
        record = ws.contact_or_404(call.params[0])
        for key in call.body:
            if key != "id":
                raise bad_parameter(key)
        company_id = call.body.get("id")
        if company_id is None or company_id == "":
            raise parameter_not_found("company not specified")
        if not isinstance(company_id, str):
            raise parameter_invalid("id must be a string")
        if company_id not in ws.companies:
            raise company_not_found()
        return attach(ws, record, company_id)


def list_for_contact(ws: Workspace, call: RouteCall) -> dict[str, Any]:
    """``GET /contacts/{contact_id}/companies``."""
    contact_id = call.params[0]
    with ws.lock:
        record = ws.contact_or_404(contact_id)
        per_page = int_query(
            call.query, "per_page", DEFAULT_CONTACT_COMPANY_PAGE_SIZE, MAX_LIST_PAGE_SIZE
        )
        page = int_query(call.query, "page", 1, MAX_PAGE)
        companies = [ws.companies[i] for i in record.company_ids]
        next_url = f"/contacts/{contact_id}/companies?page={page + 1}&per_page={per_page}"
        return _page(companies, page, per_page, next_url)


def get_companies(ws: Workspace, call: RouteCall) -> dict[str, Any]:
    """``GET /companies``: one company by ``company_id`` or ``name``, else a page of them."""
    company_id = one(call.query, "company_id")
    name = one(call.query, "name")
    with ws.lock:
        if company_id is not None:
            intercom_id = ws.by_company_id.get(company_id)
            if intercom_id is None:
                raise company_not_found()
            return render(ws.companies[intercom_id])
        if name is not None:
            for company in sorted(ws.companies.values(), key=lambda c: c.seq):
                if company.data["name"] == name:
                    return render(company)
            raise company_not_found()
        per_page = int_query(call.query, "per_page", DEFAULT_COMPANY_PAGE_SIZE, MAX_LIST_PAGE_SIZE)
        page = int_query(call.query, "page", 1, MAX_PAGE)
        companies: list[CompanyRecord] = []
        if not call.query.get("tag_id") and not call.query.get("segment_id"):  # none here
            companies = sorted(ws.companies.values(), key=lambda c: c.seq)
        return _page(companies, page, per_page, None)


def _page(
    companies: list[CompanyRecord], page: int, per_page: int, next_url: str | None
) -> dict[str, Any]:
    """A page-numbered list; ``next_url`` is given only while pages remain."""
    total = len(companies)
    total_pages = math.ceil(total / per_page)
    return {
        "type": "list",
        "data": [render(c) for c in companies[(page - 1) * per_page : page * per_page]],
        "pages": {
            "type": "pages",
            "next": next_url if page < total_pages else None,
            "page": page,
            "per_page": per_page,
            "total_pages": total_pages,
        },
        "total_count": total,
    }


def upsert(ws: Workspace, call: RouteCall) -> dict[str, Any]:
    """``POST /companies``: create or update the company with this ``company_id``."""
    given = _requested_fields(call.body)
    company_id = given.get("company_id") or None
    name = given.get("name") or None
    if company_id is None and name is None:
        raise parameter_not_found("company_id or name not specified")
    with ws.lock:
        if company_id is None:
            company_id = secrets.token_hex(12)
        intercom_id = ws.by_company_id.get(company_id)
        record = create(ws, company_id, name) if intercom_id is None else ws.companies[intercom_id]
        data = _updated(record.data, given)
        if intercom_id is not None:
            data["updated_at"] = max(now(), data["updated_at"])
        record.data = data
        return render(record)


def _requested_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """The non-null fields of a POST /companies body, type-checked."""
    for key in body:
        if key not in COMPANY_REQUEST_FIELDS:
            raise bad_parameter(key)
    given = {k: v for k, v in body.items() if v is not None}
    for key, value in given.items():
        kind = COMPANY_REQUEST_FIELDS[key]
        if not json_type_ok(kind, value):
            raise parameter_invalid(f"{key} must be {TYPE_NAMES[kind]}")
    for key, value in given.get("custom_attributes", {}).items():
        if isinstance(value, dict | list):
            raise parameter_invalid(f"Custom attribute '{key}' must be a scalar value")
    return given


def _updated(stored: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(stored)
    for key, value in given.items():
        if key == "company_id":
            continue
        if key == "plan":
            data["plan"] = plan(value)
        elif key == "monthly_spend":
            data["monthly_spend"] = int(value)
        elif key == "custom_attributes":
            data["custom_attributes"] = {**data["custom_attributes"], **value}
        elif key == "update_last_request_at":
            if value:
                data["last_request_at"] = now()
        else:
            data[key] = value
    return data
