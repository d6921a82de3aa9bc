"""The use case: validate, read the connected account, find the user, check, then write.

Order of work (docs/contract.md "Behaviour"): everything that can be checked is checked before the
first write (input, account, the user, custom attributes and their types, the companies'
lookups); then missing attributes are created and companies attached (a missing one created
first), concurrently; last, one PUT of only
the provided fields, so that the returned JSON shows the final state. Triggers call
``process_update``; it knows nothing about API Gateway, EventBridge or SQS.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from intercom_update.dal.connected_account import ConnectedAccount, ConnectedAccounts
from intercom_update.dal.intercom_answers import IntercomRefusal
from intercom_update.dal.intercom_client import Deadline, IntercomClient, RetryPolicy
from intercom_update.dal.rate_limit import RateLimits
from intercom_update.logic import companies, concurrency
from intercom_update.logic.custom_attributes import (
    AttributeCatalog,
    AttributePlan,
    AttributeSpec,
    create_attribute,
    plan_attributes,
)
from intercom_update.logic.find_contact import FoundContact, find_contact, new_key_value
from intercom_update.logic.intercom_errors import translate
from intercom_update.models.errors import (
    AttributeNotFoundError,
    InputValidationError,
    ServiceUnavailableError,
    UnauthorizedError,
    UpdateUserError,
)
from intercom_update.models.input import UpdateUserInput, parse_update_request
from intercom_update.models.output import UpdateUserOutput
from intercom_update.observability import (
    METRICS_NAMESPACE,
    SERVICE_NAME,
    logger,
    metrics,
    stdout_lines,
)
from intercom_update.settings import Settings, get_settings

# Powertools' Metrics is not thread-safe, and a batch's records finish on their own threads.
_metrics_lock = threading.Lock()


@dataclass(frozen=True)
class Dependencies:
    """What the use case needs from the outside world; tests build their own."""

    settings: Settings
    accounts: ConnectedAccounts
    catalog: AttributeCatalog
    retry_policy: RetryPolicy
    clock: Callable[[], float] = time.time
    # How the Intercom clients wait (between attempts, for the rate limit); tests record it.
    sleep: Callable[[float], None] = time.sleep
    # Per container, like the attribute catalog: the latest rate-limit figures per workspace.
    rate_limits: RateLimits = field(default_factory=RateLimits)


@cache
def default_dependencies() -> Dependencies:
    settings = get_settings()
    return Dependencies(
        settings=settings,
        accounts=ConnectedAccounts(settings),
        catalog=AttributeCatalog(settings.attribute_cache_seconds),
        retry_policy=RetryPolicy(),
    )


def contact_changes(
    request: UpdateUserInput, attributes: dict[str, Any], now: float
) -> dict[str, Any]:
    """The PUT body: only the provided fields, mapped to Intercom 2.x names."""
    changes: dict[str, Any] = {}
    for source, target in (
        ("email", "email"),
        ("name", "name"),
        ("phone", "phone"),
        ("avatar_image", "avatar"),
        ("user_id", "external_id"),
        ("unsubscribed_from_emails", "unsubscribed_from_emails"),
    ):
        value = getattr(request, source)
        if value is not None:
            changes[target] = value
    if request.update_last_request_at:
        changes["last_seen_at"] = int(now)
    if attributes:
        changes["custom_attributes"] = attributes
    return changes


@dataclass(frozen=True)
class _Run:
    """One validated request and what it runs with."""

    request: UpdateUserInput
    account: ConnectedAccount
    client: IntercomClient
    deps: Dependencies
    # Attribute name -> (input field, value as text); the companies' ids, in slot order.
    texts: dict[str, tuple[str, str]]
    company_ids: list[str]


@dataclass(frozen=True)
class _Reads:
    """Round one: the reads, overlapped (the user, the attribute catalog, the companies)."""

    lookup: Future[FoundContact]
    catalog: Future[tuple[dict[str, AttributeSpec], bool]] | None
    companies: list[Future[str | None]]

    @classmethod
    def start(cls, run: _Run) -> _Reads:
        request, client = run.request, run.client
        lookup = concurrency.submit(
            find_contact, client, request.update_by, request.value, new_key_value(request)
        )
        catalog = None
        if run.texts:
            catalog = concurrency.submit(run.deps.catalog.get, run.account.cache_key, client)
        return cls(lookup, catalog, companies.start_finding(client, run.company_ids))

    def all(self) -> list[Future[Any]]:
        return [self.lookup, *self.companies, *([self.catalog] if self.catalog else [])]


def update_user(
    request: UpdateUserInput,
    account: ConnectedAccount,
    client: IntercomClient,
    deps: Dependencies,
) -> UpdateUserOutput:
    """Apply one validated request. Raises UpdateUserError or ServiceUnavailableError."""
    texts = request.custom_attribute_texts(deps.settings.legacy_attribute_names)
    run = _Run(request, account, client, deps, texts, request.company_ids())
    reads = _Reads.start(run)
    try:
        contact = reads.lookup.result()
        try:
            return _write(run, contact, reads)
        except UpdateUserError as error:
            error.contact_id = contact.id
            raise
    finally:
        concurrency.settle(reads.all())


def _write(run: _Run, contact: FoundContact, reads: _Reads) -> UpdateUserOutput:
    plan = AttributePlan(values={}, to_create={})
    if reads.catalog is not None:
        plan = _plan_attributes(run, reads.catalog)

    known_ids = concurrency.results(reads.companies)
    # Everything is checked: now the writes, overlapped, with the PUT last.
    client, catalog, workspace = run.client, run.deps.catalog, run.account.cache_key
    creations = [
        concurrency.submit(create_attribute, client, catalog, workspace, name, kind)
        for name, kind in plan.to_create.items()
    ]
    attaches = companies.start_attaching(client, contact.id, run.company_ids, known_ids)
    concurrency.settle([*creations, *attaches])
    companies.check_attached(concurrency.results(attaches), also=_first_failure(creations))

    changes = contact_changes(run.request, plan.values, run.deps.clock())
    try:
        if changes:
            final = client.update_contact(contact.id, changes)
        elif run.company_ids or contact.json_text is None:
            final = client.get_contact(contact.id)
        else:
            return UpdateUserOutput.success(json_output=contact.json_text, contact_id=contact.id)
    except IntercomRefusal as refusal:
        raise translate(refusal, "updating the contact") from None
    return UpdateUserOutput.success(json_output=final.json_text, contact_id=contact.id)


def _first_failure(futures: list[Future[None]]) -> UpdateUserError | None:
    """The first unsuccessful outcome among finished calls; anything else is raised."""
    for future in futures:
        error = future.exception()
        if isinstance(error, UpdateUserError):
            return error
        if error is not None:
            raise error
    return None


def _plan_attributes(
    run: _Run, catalog_future: Future[tuple[dict[str, AttributeSpec], bool]]
) -> AttributePlan:
    create_missing = run.request.create_missing_attributes
    catalog, fresh = catalog_future.result()
    try:
        plan = plan_attributes(run.texts, catalog, create_missing=create_missing)
    except (AttributeNotFoundError, InputValidationError):
        if fresh:
            raise
    else:
        if fresh or not plan.to_create:
            return plan
    # The cached list may predate an attribute created or retyped since: look once more.
    catalog, _ = run.deps.catalog.get(run.account.cache_key, run.client, refresh=True)
    return plan_attributes(run.texts, catalog, create_missing=create_missing)


def process_update(
    payload: Any,
    *,
    time_budget_s: float | None = None,
    aws_account_id: str | None = None,
    deps: Dependencies | None = None,
) -> UpdateUserOutput:
    """Run one update request end to end and record its outcome in logs and metrics.

    Returns the output for success and for every unsuccessful outcome; raises
    ServiceUnavailableError (IntercomUnavailableError, ...) when the caller must retry.
    ``aws_account_id`` is the function's own account (the entry point reads it from the Lambda
    context): a connected account given as a secret ARN of another account is refused.
    """
    deps = deps or default_dependencies()
    settings = deps.settings
    started = time.monotonic()
    # The budget starts now: reading the secret spends it too.
    budget = settings.default_time_budget_seconds if time_budget_s is None else time_budget_s
    deadline = Deadline(budget)
    clients: list[IntercomClient] = []
    try:
        request = parse_update_request(
            payload,
            connected_account_prefix=settings.connected_account_prefix,
            aws_region=settings.aws_region,
            aws_account_id=aws_account_id,
            legacy_attribute_names=settings.legacy_attribute_names,
        )
        output = _update_with_account(request, deadline, deps, clients)
    except UpdateUserError as error:
        output = UpdateUserOutput.unsuccessful(error)
    except ServiceUnavailableError as error:
        _record("unavailable", None, error.code, clients, started, str(error))
        raise
    _record(output.outcome, output.contact_id, output.error_code, clients, started, None)
    return output


def _update_with_account(
    request: UpdateUserInput,
    deadline: Deadline,
    deps: Dependencies,
    clients: list[IntercomClient],
) -> UpdateUserOutput:
    """Run the update with the connected account's token, read again once if Intercom refuses it.

    A rotated token (secret updated, old token revoked) is refused while the cached secret still
    holds the old one: on ``unauthorized`` the secret is read afresh and, if its token changed,
    the update runs once more with it. An unchanged token is refused again at once.
    """
    account = deps.accounts.resolve(request.connected_account, time_left_s=deadline.remaining())
    try:
        return update_user(request, account, _client(account, deadline, deps, clients), deps)
    except UnauthorizedError:
        fresh = deps.accounts.resolve(
            request.connected_account, time_left_s=deadline.remaining(), fresh=True
        )
        if fresh.token == account.token:
            raise
    logger.info("connected account token changed since it was cached; running once more")
    return update_user(request, fresh, _client(fresh, deadline, deps, clients), deps)


def _client(
    account: ConnectedAccount, deadline: Deadline, deps: Dependencies, clients: list[IntercomClient]
) -> IntercomClient:
    client = IntercomClient(
        base_url=account.base_url,
        token=account.token,
        api_version=deps.settings.intercom_api_version,
        deadline=deadline,
        policy=deps.retry_policy,
        sleep=deps.sleep,
        rate_limit=deps.rate_limits.for_workspace(account.cache_key),
    )
    clients.append(client)
    return client


def _record(
    outcome: str,
    contact_id: str | None,
    error_code: str | None,
    clients: list[IntercomClient],
    started: float,
    problem: str | None,
) -> None:
    calls = sum(client.stats.calls for client in clients)
    retries = sum(client.stats.retries for client in clients)
    with _metrics_lock:
        metrics.add_metric(name="IntercomCalls", unit=MetricUnit.Count, value=calls)
        metrics.add_metric(name="IntercomRetries", unit=MetricUnit.Count, value=retries)
        if error_code is None:
            metrics.add_metric(name="Success", unit=MetricUnit.Count, value=1)
        else:
            with (
                stdout_lines(),
                single_metric(
                    name="Unsuccessful" if outcome == "unsuccessful" else "Unavailable",
                    unit=MetricUnit.Count,
                    value=1,
                    namespace=METRICS_NAMESPACE,
                ) as metric,
            ):
                metric.add_dimension(name="service", value=SERVICE_NAME)
                metric.add_dimension(name="error_code", value=error_code)
    log = logger.warning if outcome == "unavailable" else logger.info
    log(
        "update finished",
        extra={
            "outcome": outcome,
            "contact_id": contact_id,
            "error_code": error_code,
            "intercom_calls": calls,
            "intercom_retries": retries,
            "duration_ms": round((time.monotonic() - started) * 1000),
            **({"problem": problem} if problem else {}),
        },
    )
