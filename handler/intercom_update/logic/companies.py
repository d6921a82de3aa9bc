"""Companies: find them while the user is looked up, create the missing ones, attach them all.

Finding is a read, so it overlaps the user lookup without writing anything before the checks.
Afterwards each company that exists is attached at once, and each missing one is created (as
the legacy API did, with an idempotent upsert) and then attached: one round trip after the
checks in the common case, two for a new company.
"""

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


def _find(client: IntercomClient, company_id: str) -> str | None:
    """The Intercom id of your company ``company_id``, or None if it does not exist yet.

    Any refusal other than 404 is final, and raised here: before anything is written.
    """
    try:
        response = client.find_company(company_id)
    except IntercomApiError as error:
        if error.status == 404:
            return None
        raise translate(error, f"looking company {company_id!r} up") from None
    data: dict[str, Any] = response.data
    candidates = data["data"] if isinstance(data.get("data"), list) else [data]
    for company in candidates:
        # An entry without an id cannot be attached; the upsert then finds or creates it.
        if (
            isinstance(company, dict)
            and company.get("company_id") == company_id
            and isinstance(company.get("id"), str)
            and company["id"]
        ):
            return str(company["id"])
    return None


def start_finding(client: IntercomClient, company_ids: list[str]) -> list[Future[str | None]]:
    return [concurrency.submit(_find, client, company_id) for company_id in company_ids]


def _attach(
    client: IntercomClient, contact_id: str, company_id: str, intercom_id: str | None
) -> CompanyResult:
    try:
        if intercom_id is None:
            intercom_id = str(client.upsert_company(company_id).data["id"])
        client.attach_company(contact_id, intercom_id)
    except IntercomApiError as error:
        step = "attaching" if intercom_id else "creating or finding"
        return CompanyResult(
            company_id, intercom_id, translate(error, f"{step} company {company_id!r}")
        )
    return CompanyResult(company_id, intercom_id, None)


def start_attaching(
    client: IntercomClient,
    contact_id: str,
    company_ids: list[str],
    intercom_ids: list[str | None],
) -> list[Future[CompanyResult]]:
    """Attach every company concurrently, creating those without an Intercom id first."""
    return [
        concurrency.submit(_attach, client, contact_id, company_id, intercom_id)
        for company_id, intercom_id in zip(company_ids, intercom_ids, strict=True)
    ]


def check_attached(results: list[CompanyResult], also: UpdateUserError | None = None) -> None:
    """Raise one error describing exactly which companies are attached and which are not.

    ``also`` is a failure of the same write phase elsewhere (creating an attribute): the run
    fails with it, and still says what happened to each company.
    """
    errors = [r.error for r in results if r.error]
    if not errors and also is None:
        return
    if not results and also is not None:
        raise also
    details: list[dict[str, Any]] = [
        {"company_id": r.company_id, "status": "failed" if r.error else "attached"}
        | ({"error": r.error.message} if r.error else {})
        for r in results
    ]
    first = also or errors[0]
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
