"""The fault matrix: what Intercom or Secrets Manager can do wrong, and what the function does.

Each row injects faults with the sandbox, runs one update that makes every kind of call (the
lookup, the data attributes list, two company finds, upserts and attaches, the PUT), and asserts
both the output (or the raised error) and the final state in the sandbox.
docs/reliability.md "Fault matrix" is this table in prose;
``test_the_reliability_doc_lists_every_row`` keeps the two in step.

Faults that ``test_retries.py`` already pins on the PUT (5xx, 408, drop, malformed, empty, read
timeout, 429, a persistent outage) are not repeated: these rows cover every other call.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pytest

from intercom_sandbox import Exchange, Fault, IntercomSandbox
from intercom_update.handlers.lambda_context import SAFETY_MARGIN_S
from intercom_update.logic.update_user import Dependencies, process_update
from intercom_update.models.errors import (
    ConnectedAccountUnavailableError,
    IntercomUnavailableError,
)
from intercom_update.models.input import UpdateBy
from tests.support.intercom import FAST_RETRIES, SECRET_NAME, TOKEN, Run, api_requests
from tests.support.stub_aws import CannedAnswer, StubAwsEndpoint

RELIABILITY_DOC = Path(__file__).resolve().parents[2] / "docs/reliability.md"

ADA_EMAIL = "ada@example.com"
ADA_EXTERNAL_ID = "user-1001"
COMPANIES = ("acme", "globex")
UPDATE: dict[str, Any] = {
    "name": "Ada Lovelace",
    "company_id_1": COMPANIES[0],
    "company_id_2": COMPANIES[1],
    "custom_attribute_1_name": "plan",
    "custom_attribute_1_value": "pro",
}
SEARCH = "/contacts/search"
FIND_BY_EXTERNAL_ID = "/contacts/find_by_external_id/*"
CONTACT = "/contacts/*"
ATTACH = "/contacts/*/companies"
COMPANIES_PATH = "/companies"  # GET ?company_id= finds a company, POST upserts one
DATA_ATTRIBUTES = "/data_attributes"
FAR_FUTURE_RESET = "4102444800"  # 2100-01-01: a rate-limit window that outlasts any budget


def secret_value_answer(token: str, delay_s: float = 0.0) -> CannedAnswer:
    """A GetSecretValue answer holding ``token`` (as Secrets Manager sends it)."""
    return CannedAnswer(
        200,
        {
            "ARN": f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{SECRET_NAME}-AbCdEf",
            "Name": SECRET_NAME,
            "VersionId": "3d3f5b8e-0000-4000-8000-000000000001",
            "SecretString": json.dumps({"access_token": token, "region": "us"}),
            "VersionStages": ["AWSCURRENT"],
            "CreatedDate": 1764237600.0,
        },
        delay_s=delay_s,
    )


@pytest.fixture
def stub_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[StubAwsEndpoint]:
    """Secrets Manager replaced by the stand-in; set ``stub_aws.answer`` before the run."""
    with StubAwsEndpoint(CannedAnswer(500, {"__type": "InternalServiceError"})) as stub:
        monkeypatch.setenv("AWS_ENDPOINT_URL", stub.url)
        yield stub


# -- the Intercom side ------------------------------------------------------------------------


def seed(sandbox: IntercomSandbox) -> dict[str, Any]:
    sandbox.add_data_attribute("plan")
    return sandbox.add_contact(
        role="user", email=ADA_EMAIL, external_id=ADA_EXTERNAL_ID, name="Ada"
    )


@pytest.fixture
def ada(sandbox: IntercomSandbox) -> dict[str, Any]:
    return seed(sandbox)


def lookup(update_by: UpdateBy, ada: dict[str, Any]) -> dict[str, str]:
    value = {"email": ADA_EMAIL, "user_id": ADA_EXTERNAL_ID, "id": ada["id"]}[update_by]
    return {"update_by": update_by, "value": value}


def settle(done: Callable[[], bool], timeout_s: float = 3.0) -> None:
    """Wait until ``done()``: a request the function gave up on is recorded when it ends."""
    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)


def faulted(sandbox: IntercomSandbox, *, invert: bool = False) -> list[Exchange]:
    """The exchanges a fault answered (or, inverted, those it did not)."""
    return [e for e in sandbox.exchanges if bool(e.fault) != invert]


Calls = Counter[tuple[str, str | None]]


def calls(exchanges: list[Exchange]) -> Calls:
    return Counter((e.method, e.route) for e in exchanges)


def clean_run_calls(run: Run, deps: Dependencies, sandbox: IntercomSandbox, by: UpdateBy) -> Calls:
    """The calls the same update makes without faults, in a workspace seeded alike; then the
    workspace and the attribute cache are reset, as if that run never happened."""
    output = run(**lookup(by, seed(sandbox)), **UPDATE)
    assert output.outcome == "success", output.error
    clean = calls(sandbox.exchanges)
    sandbox.reset()
    deps.catalog.clear()
    return clean


def attached(sandbox: IntercomSandbox, contact_id: str) -> list[str]:
    return sorted(c["company_id"] for c in sandbox.contact_companies(contact_id))


def assert_updated(sandbox: IntercomSandbox, contact_id: str) -> None:
    contact = sandbox.contact(contact_id)
    assert contact["name"] == "Ada Lovelace"
    assert contact["custom_attributes"]["plan"] == "pro"
    assert attached(sandbox, contact_id) == sorted(COMPANIES)  # each company exactly once


def assert_untouched(sandbox: IntercomSandbox, contact_id: str) -> None:
    contact = sandbox.contact(contact_id)
    assert contact["name"] == "Ada"
    assert contact["custom_attributes"].get("plan") is None
    assert attached(sandbox, contact_id) == []
    assert api_requests(sandbox, "PUT") == []


# -- the matrix -------------------------------------------------------------------------------


def exactly(count: int) -> tuple[int, int]:
    return (count, count)


@dataclass(frozen=True)
class Row:
    """One fault scenario; which list it is in says what the function must answer."""

    name: str
    faults: tuple[Fault, ...]
    update_by: UpdateBy = "email"
    # How many requests the faults answered, at least and at most.
    faulted: tuple[int, int] = exactly(1)
    budget_s: float = 20.0
    min_elapsed_s: float = 0.0
    # Finished within the budget plus the margin the function keeps (rows where that is the point).
    max_elapsed_s: float = math.inf
    # The longest the function may have slept in all (between attempts, for the rate limit).
    max_wait_s: float = math.inf
    # Unsuccessful rows: the error code reported.
    code: str = ""
    # Unavailable rows: words of the raised error's message ("" where it may vary).
    message: str = ""


def _each_call(action: Literal["malformed", "empty", "drop"]) -> list[Row]:
    targets: list[tuple[str, str, str, UpdateBy]] = [
        ("GET contact", "GET", CONTACT, "id"),
        ("GET by external id", "GET", FIND_BY_EXTERNAL_ID, "user_id"),
        ("search", "POST", SEARCH, "email"),
        ("company find", "GET", COMPANIES_PATH, "email"),
        ("company upsert", "POST", COMPANIES_PATH, "email"),
        ("attach", "POST", ATTACH, "email"),
        ("data attributes list", "GET", DATA_ATTRIBUTES, "email"),
    ]
    return [
        Row(f"{action} on {label}", (Fault(method, path, action=action),), by)
        for label, method, path, by in targets
    ]


# Transient faults: retried, and the update lands as in a clean run.
RETRIED_TO_SUCCESS: list[Row] = [
    # Rate limits: the wait honours Retry-After, then X-RateLimit-Reset, else backs off >= 1 s.
    Row(
        "429 with X-RateLimit-Reset on search",
        (Fault("POST", SEARCH, status=429),),
        min_elapsed_s=1.0,
    ),
    Row(
        "429 with Retry-After on company upsert",
        (Fault("POST", COMPANIES_PATH, status=429, headers={"Retry-After": "1"}),),
        min_elapsed_s=1.0,
    ),
    Row(
        "429 without reset header on attach",
        (Fault("POST", ATTACH, status=429, headers={"X-RateLimit-Reset": ""}),),
        min_elapsed_s=1.0,
    ),
    # Server errors on every call other than the PUT.
    Row("500 on GET contact", (Fault("GET", CONTACT, status=500),), "id"),
    Row("503 on company find", (Fault("GET", COMPANIES_PATH, status=503),)),
    Row("502 on company upsert", (Fault("POST", COMPANIES_PATH, status=502),)),
    Row("503 on data attributes list", (Fault("GET", DATA_ATTRIBUTES, status=503),)),
    Row("504 on attach", (Fault("POST", ATTACH, status=504),)),
    Row("408 on GET by external id", (Fault("GET", FIND_BY_EXTERNAL_ID, status=408),), "user_id"),
    Row(
        "500 three times on company upsert (last attempt lands)",
        (Fault("POST", COMPANIES_PATH, status=500, times=3),),
        faulted=exactly(3),
    ),
    # Read timeouts: the slow request still completes on the server after the retry.
    Row("read timeout on search", (Fault("POST", SEARCH, action="delay", delay_s=1.3),)),
    Row("read timeout on attach", (Fault("POST", ATTACH, action="delay", delay_s=1.3),)),
    *_each_call("drop"),
    *_each_call("malformed"),
    *_each_call("empty"),
    Row(
        "search answer without data",
        (Fault("POST", SEARCH, status=200, body={"type": "list", "total_count": 1}),),
    ),
]

# Final answers: reported, never retried, nothing written.
UNSUCCESSFUL: list[Row] = [
    Row("403 on company find", (Fault("GET", COMPANIES_PATH, status=403),), code="unauthorized"),
    Row(
        "403 on every company upsert",
        (Fault("POST", COMPANIES_PATH, status=403, times=-1),),
        faulted=exactly(2),
        code="unauthorized",
    ),
]

# Persistent outages: bounded attempts, raised within the time budget, nothing written.
UNAVAILABLE: list[Row] = [
    Row(
        "search answer without data, persistently",
        (Fault("POST", SEARCH, status=200, body={"type": "list", "total_count": 1}, times=-1),),
        faulted=exactly(FAST_RETRIES.max_attempts),
        message="gave up after 4 attempts",
    ),
    Row(
        "persistent drop on data attributes list",
        (Fault("GET", DATA_ATTRIBUTES, action="drop", times=-1),),
        faulted=exactly(FAST_RETRIES.max_attempts),
        message="gave up after 4 attempts",
    ),
    Row(
        "persistent 429 whose reset is beyond the budget",
        (Fault("POST", SEARCH, status=429, headers={"X-RateLimit-Reset": FAR_FUTURE_RESET}),),
        budget_s=2.0,
        max_wait_s=0.0,  # gives up at once: no wait for a reset it cannot live to see
        message="not enough time left",
    ),
    Row(
        "persistent read timeouts on search",
        (Fault("POST", SEARCH, action="delay", delay_s=1.3, times=-1),),
        faulted=(1, FAST_RETRIES.max_attempts),
        budget_s=2.5,
        max_elapsed_s=2.5 + SAFETY_MARGIN_S,
    ),
]

ROWS = RETRIED_TO_SUCCESS + UNSUCCESSFUL + UNAVAILABLE


def arrange(
    run: Run, deps: Dependencies, sandbox: IntercomSandbox, row: Row
) -> tuple[Calls, dict[str, Any], dict[str, Any]]:
    """The calls of a clean run; then Ada seeded again, the row's faults armed, and its inputs."""
    clean = clean_run_calls(run, deps, sandbox, row.update_by)
    ada = seed(sandbox)
    for fault in row.faults:
        sandbox.add_fault(fault)
    return clean, ada, {**lookup(row.update_by, ada), **UPDATE}


def assert_faults_answered(sandbox: IntercomSandbox, row: Row, elapsed: float) -> None:
    assert elapsed >= row.min_elapsed_s
    assert elapsed <= row.max_elapsed_s
    at_least, at_most = row.faulted
    settle(lambda: len(faulted(sandbox)) >= at_least)
    assert at_least <= len(faulted(sandbox)) <= at_most


@pytest.mark.parametrize("row", RETRIED_TO_SUCCESS, ids=lambda row: row.name)
def test_a_transient_fault_is_retried_and_the_update_lands(
    run: Run, deps: Dependencies, sandbox: IntercomSandbox, row: Row
) -> None:
    clean, ada, inputs = arrange(run, deps, sandbox, row)

    started = time.monotonic()
    output = run(time_budget_s=row.budget_s, **inputs)
    elapsed = time.monotonic() - started

    assert output.contact_id == ada["id"]
    assert output.outcome == "success", output.error
    assert output.json_output is not None
    final = json.loads(output.json_output)
    assert final["name"] == "Ada Lovelace"
    assert final["companies"]["total_count"] == len(COMPANIES)
    assert_faults_answered(sandbox, row, elapsed)
    # Only the faulted calls were repeated: every other call was made as in a clean run.
    assert calls(faulted(sandbox, invert=True)) == clean
    assert_updated(sandbox, ada["id"])


@pytest.mark.parametrize("row", UNSUCCESSFUL, ids=lambda row: row.name)
def test_a_final_refusal_is_reported_before_anything_is_written(
    run: Run, deps: Dependencies, sandbox: IntercomSandbox, row: Row
) -> None:
    _, ada, inputs = arrange(run, deps, sandbox, row)

    started = time.monotonic()
    output = run(time_budget_s=row.budget_s, **inputs)
    elapsed = time.monotonic() - started

    assert output.contact_id == ada["id"]
    assert output.outcome == "unsuccessful"
    assert output.error is not None
    assert output.error["code"] == row.code
    assert output.json_output is not None  # Intercom's error body
    assert_faults_answered(sandbox, row, elapsed)
    assert_untouched(sandbox, ada["id"])


@pytest.mark.parametrize("row", UNAVAILABLE, ids=lambda row: row.name)
def test_a_persistent_outage_raises_within_the_budget_and_writes_nothing(
    run: Run, deps: Dependencies, sandbox: IntercomSandbox, row: Row
) -> None:
    _, ada, inputs = arrange(run, deps, sandbox, row)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    started = time.monotonic()
    with pytest.raises(IntercomUnavailableError) as raised:
        process_update(
            {"connected_account": SECRET_NAME, **inputs},
            deps=replace(deps, sleep=sleep),
            time_budget_s=row.budget_s,
        )
    elapsed = time.monotonic() - started

    assert row.message in str(raised.value)
    assert sum(sleeps) <= row.max_wait_s
    assert_faults_answered(sandbox, row, elapsed)
    assert_untouched(sandbox, ada["id"])


# -- a company attach that fails for good, in the middle --------------------------------------


@pytest.mark.parametrize("status", [404, 400])
def test_a_failed_second_attach_is_reported_precisely_and_a_rerun_completes_it(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any], status: int
) -> None:
    companies = ("acme", "globex", "initech")
    inputs = {
        **lookup("email", ada),
        "name": "Ada Lovelace",
        **{f"company_id_{n}": cid for n, cid in enumerate(companies, start=1)},
    }
    sandbox.add_fault(Fault("POST", ATTACH, status=status, skip=1))

    output = run(**inputs)

    # The attaches run concurrently: the sandbox says which one came second and failed.
    (refused,) = [e for e in sandbox.exchanges if e.fault]
    failed_company = next(
        cid
        for cid in companies
        if (company := sandbox.company_by_company_id(cid))
        and company["id"] == refused.body_json["id"]
    )
    now_attached = attached(sandbox, ada["id"])
    assert now_attached == sorted(set(companies) - {failed_company})
    assert output.outcome == "unsuccessful"
    assert output.contact_id == ada["id"]
    assert output.error is not None
    assert output.error["code"] == "intercom_error"
    assert output.error["message"].startswith("2 of 3 companies attached")
    assert f"attaching company '{failed_company}'" in output.error["message"]
    assert output.error["details"] == [
        {"company_id": cid, "status": "attached"}
        if cid != failed_company
        else {"company_id": cid, "status": "failed", "error": output.error["details"][i]["error"]}
        for i, cid in enumerate(companies)
    ]
    assert output.json_output == refused.response_text
    assert output.error["intercom_request_id"] == refused.response_headers["x-request-id"]
    # The contact's fields are untouched: no PUT after a failed attach.
    assert api_requests(sandbox, "PUT") == []
    assert sandbox.contact(ada["id"])["name"] == "Ada"

    sandbox.clear_exchanges()
    rerun = run(**inputs)

    assert rerun.outcome == "success", rerun.error
    assert attached(sandbox, ada["id"]) == sorted(companies)
    assert sandbox.contact(ada["id"])["name"] == "Ada Lovelace"
    assert rerun.json_output is not None
    assert json.loads(rerun.json_output)["companies"]["total_count"] == len(companies)
    assert len(api_requests(sandbox, "PUT")) == 1


def test_an_attach_outage_raises_only_after_every_call_of_the_run_has_ended(
    run: Run, sandbox: IntercomSandbox, ada: dict[str, Any]
) -> None:
    # The attach is refused on every attempt and gives up within ~0.1 s, while the concurrent
    # creation of a missing attribute is still waiting for its first answer (a 503 after 0.4 s)
    # and then retried. Nothing may reach Intercom once the function has raised: in Lambda a
    # thread left running is frozen with the sandbox and wakes up inside a later invocation.
    inputs = {
        **lookup("email", ada),
        "name": "Ada Lovelace",
        "company_id_1": "acme",
        "custom_attribute_1_name": "tier",
        "custom_attribute_1_value": "gold",
        "create_missing_attributes": True,
    }
    sandbox.add_fault(Fault("POST", ATTACH, action="drop", times=FAST_RETRIES.max_attempts))
    sandbox.add_fault(Fault("POST", DATA_ATTRIBUTES, status=503, delay_s=0.4))

    with pytest.raises(IntercomUnavailableError, match="companies"):
        run(**inputs)
    seen_when_raised = len(sandbox.exchanges)
    time.sleep(0.8)

    assert len(sandbox.exchanges) == seen_when_raised
    assert api_requests(sandbox, "PUT") == []
    assert sandbox.contact(ada["id"])["name"] == "Ada"

    rerun = run(**inputs)

    assert rerun.outcome == "success", rerun.error
    assert attached(sandbox, ada["id"]) == ["acme"]
    assert sandbox.contact(ada["id"])["custom_attributes"]["tier"] == "gold"


# -- Secrets Manager --------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretsRow:
    name: str
    answer: CannedAnswer


SECRETS_ROWS = [
    SecretsRow(
        "throttled",
        CannedAnswer(
            400,
            {"__type": "ThrottlingException", "message": "Rate exceeded"},
            {"x-amzn-ErrorType": "ThrottlingException"},
        ),
    ),
    SecretsRow("500", CannedAnswer(500, {"__type": "InternalServiceError"})),
    SecretsRow("503", CannedAnswer(503, {"__type": "ServiceUnavailableException"})),
]


@pytest.mark.parametrize("row", SECRETS_ROWS, ids=lambda row: row.name)
def test_secrets_manager_unavailable_raises_and_sends_nothing_to_intercom(
    deps: Dependencies,
    sandbox: IntercomSandbox,
    ada: dict[str, Any],
    stub_aws: StubAwsEndpoint,
    row: SecretsRow,
) -> None:
    stub_aws.answer = row.answer

    with pytest.raises(ConnectedAccountUnavailableError) as raised:
        process_update(
            {"connected_account": SECRET_NAME, **lookup("email", ada), **UPDATE}, deps=deps
        )

    assert "retry later" in str(raised.value)
    # botocore's own retries (standard mode, 3 attempts), then the error is raised for a retry.
    assert stub_aws.targets == ["secretsmanager.GetSecretValue"] * 3
    assert sandbox.exchanges == []
    assert_untouched(sandbox, ada["id"])


def test_a_slow_secrets_manager_counts_against_the_time_budget(
    deps: Dependencies, sandbox: IntercomSandbox, ada: dict[str, Any], stub_aws: StubAwsEndpoint
) -> None:
    # Secrets Manager takes 1 s of a 2 s budget; every Intercom call then hangs past the
    # read timeout. The function must give up when the budget is spent, not 1 s later.
    stub_aws.answer = secret_value_answer(TOKEN, delay_s=1.0)
    sandbox.add_fault(Fault(action="delay", delay_s=1.3, times=-1))
    budget_s = 2.0

    started = time.monotonic()
    with pytest.raises(IntercomUnavailableError):
        process_update(
            {"connected_account": SECRET_NAME, **lookup("email", ada), **UPDATE},
            deps=deps,
            time_budget_s=budget_s,
        )

    assert time.monotonic() - started <= budget_s + SAFETY_MARGIN_S
    assert stub_aws.targets == ["secretsmanager.GetSecretValue"]
    assert_untouched(sandbox, ada["id"])


# -- the documentation ------------------------------------------------------------------------


def _documented_rows() -> dict[str, list[str]]:
    """The fault matrix's rows in docs/reliability.md: row name -> its cells."""
    doc = RELIABILITY_DOC.read_text(encoding="utf-8")
    cells = [line.split(" | ") for line in doc.splitlines() if line.startswith("| ")]
    return {row[0].removeprefix("| "): row for row in cells if len(row) == 6}


def test_the_reliability_doc_lists_every_row_with_its_outcome() -> None:
    rows = _documented_rows()
    names = [row.name for row in ROWS] + [f"Secrets Manager {row.name}" for row in SECRETS_ROWS]
    missing = [name for name in names if name not in rows]
    assert missing == []
    documented = {name: cells[3] for name, cells in rows.items()}
    named_tests = {cells[5].removesuffix(" |").strip("`") for cells in rows.values()}
    assert named_tests - {"test", "same"} <= set(globals())  # every test the doc names exists
    assert {documented[row.name] for row in RETRIED_TO_SUCCESS} == {"success"}
    assert [documented[row.name] for row in UNSUCCESSFUL] == [
        f"`{row.code}`" for row in UNSUCCESSFUL
    ]
    for row in UNAVAILABLE:
        assert documented[row.name].startswith("raises `IntercomUnavailableError`")
