"""Companies: create the missing ones (as the legacy API did) and attach them to the user."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from intercom_update.dal.intercom_client import IntercomApiError, IntercomClient
from intercom_update.logic import concurrency
from intercom_update.logic.intercom_errors import translate
from intercom_update.models.errors import UpdateUserError


@dataclass(frozen=True)
class CompanyResult:
    company_id: str
    intercom_id: str | None
    error: UpdateUserError | None


def _upsert_and_attach(client: IntercomClient, contact_id: str, company_id: str) -> CompanyResult:
    intercom_id: str | None = None
    try:
        company = client.upsert_company(company_id)
        intercom_id = str(company.data["id"])
        client.attach_company(contact_id, intercom_id)
    except IntercomApiError as error:
        step = "attaching" if intercom_id else "creating or finding"
        return CompanyResult(
            company_id, intercom_id, translate(error, f"{step} company {company_id!r}")
        )
    return CompanyResult(company_id, intercom_id, None)


def start_attaching(
    client: IntercomClient, contact_id: str, company_ids: list[str]
) -> list[Future[CompanyResult]]:
    """Each company's upsert-then-attach runs concurrently with the others."""
    return [concurrency.submit(_upsert_and_attach, client, contact_id, cid) for cid in company_ids]


def check_attached(results: list[CompanyResult]) -> None:
    """Raise one error describing exactly which companies are attached and which are not."""
    errors = [r.error for r in results if r.error]
    if not errors:
        return
    details: list[dict[str, Any]] = [
        {"company_id": r.company_id, "status": "failed" if r.error else "attached"}
        | ({"error": r.error.message} if r.error else {})
        for r in results
    ]
    first = errors[0]
    attached = len(results) - len(errors)
    message = (
        f"{attached} of {len(results)} companies attached; the contact's fields were not updated. "
        f"Running the same update again completes it. First failure: {first.message}"
    )
    # The first failure's kind decides the code (unauthorized stays unauthorized, ...).
    raise type(first)(
        message,
        details=details,
        intercom_body=first.intercom_body,
        intercom_request_id=first.intercom_request_id,
    )
