"""Backfills against the sandbox and moto: the Step Functions backfill function, and the local
backfill (``scripts/backfill.py``) over CSV and JSON Lines files, reruns and failures files.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from intercom_sandbox import Fault, IntercomSandbox
from intercom_update.handlers import backfill
from intercom_update.logic.update_user import Dependencies
from intercom_update.models.failures import BackfillItemsUnavailableError, UpdateUnsuccessfulError
from scripts.backfill import EXAMPLE_USERS, InputFile, Summary, input_file, run_backfill
from scripts.demo import seed_demo_workspace
from tests.support.intercom import SECRET_NAME
from tests.support.lambda_context import FakeLambdaContext

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def users(sandbox: IntercomSandbox) -> dict[str, dict[str, Any]]:
    """The workspace the files in examples/ are written for (as ``make backfill`` seeds it)."""
    seeded = {"ada": seed_demo_workspace(sandbox)}
    for user in EXAMPLE_USERS:
        contact = sandbox.add_contact(role="user", **user)
        seeded[user["email"].split("@")[0]] = contact
    return seeded


def puts(sandbox: IntercomSandbox) -> list[str]:
    return [e.path for e in sandbox.exchanges if e.method == "PUT" and e.status == 200]


# -- the Step Functions backfill function -------------------------------------------------------


def batch(*rows: dict[str, Any], account: str | None = SECRET_NAME) -> dict[str, Any]:
    return {
        "BatchInput": {"connected_account": account or ""},
        "Items": [{"index": 10 + n, "row": row} for n, row in enumerate(rows)],
    }


def test_the_function_runs_every_row_and_returns_each_outcome(
    sandbox: IntercomSandbox, users: dict[str, dict[str, Any]], lambda_env: None, account: str
) -> None:
    event = batch(
        {"value": "ada@example.com", "name": "Ada L.", "unsubscribed_from_emails": "true"},
        {"update_by": "user_id", "value": "user-1002", "session_count": "x"},
        {"value": "ghost@example.com", "name": "Nobody"},
        {"value": "alan@example.com", "name": "Alan T.", "company_id_1": ""},
    )

    result = backfill.lambda_handler(event, FakeLambdaContext())

    assert (result["succeeded"], result["unsuccessful"]) == (2, 2)
    outcomes = [(i["row"], i["key"], i["outcome"], i["error_code"]) for i in result["items"]]
    assert outcomes == [
        (11, "email:ada@example.com", "success", None),
        (12, "user_id:user-1002", "unsuccessful", "validation_error"),
        (13, "email:ghost@example.com", "unsuccessful", "user_not_found"),
        (14, "email:alan@example.com", "success", None),
    ]
    assert "session_count" in result["items"][1]["error_message"]
    assert result["items"][0]["contact_id"] == users["ada"]["id"]
    assert sandbox.contact(users["ada"]["id"])["name"] == "Ada L."
    assert sandbox.contact(users["ada"]["id"])["unsubscribed_from_emails"] is True
    assert sandbox.contact(users["alan"]["id"])["name"] == "Alan T."
    assert sorted(puts(sandbox)) == sorted(
        f"/contacts/{users[name]['id']}" for name in ("ada", "alan")
    )


def test_a_row_names_its_own_account_when_the_execution_gives_none(
    sandbox: IntercomSandbox, users: dict[str, dict[str, Any]], lambda_env: None, account: str
) -> None:
    event = batch(
        {"connected_account": account, "value": "ada@example.com", "name": "Ada"},
        {"value": "alan@example.com", "name": "Alan"},
        account=None,
    )

    items = backfill.lambda_handler(event, FakeLambdaContext())["items"]

    assert [i["outcome"] for i in items] == ["success", "unsuccessful"]
    assert items[1]["error_code"] == "validation_error"
    assert "connected_account" in items[1]["error_message"]


def test_unavailable_rows_make_the_batch_raise_after_every_row_ran(
    sandbox: IntercomSandbox, users: dict[str, dict[str, Any]], lambda_env: None, account: str
) -> None:
    alan = users["alan"]["id"]
    sandbox.add_fault(Fault(method="PUT", path=f"/contacts/{alan}", status=503, times=-1))
    event = batch(
        {"value": "alan@example.com", "name": "Alan"},
        {"value": "ada@example.com", "name": "Ada K."},
    )

    with pytest.raises(BackfillItemsUnavailableError) as raised:
        backfill.lambda_handler(event, FakeLambdaContext(timeout_s=8.0))

    # Row numbers and codes only: the error goes to CloudWatch Logs and the execution history.
    assert str(raised.value) == "1 of 2 rows unavailable: row 11 (intercom_unavailable)"
    assert sandbox.contact(users["ada"]["id"])["name"] == "Ada K."
    assert sandbox.contact(alan)["name"] is None


@pytest.mark.parametrize(
    "event",
    [{"BatchInput": {"connected_account": SECRET_NAME}}, {"Items": {"row": {}}}, [], "rows"],
)
def test_an_event_without_a_list_of_items_is_refused_and_nothing_is_called(
    sandbox: IntercomSandbox, lambda_env: None, event: Any
) -> None:
    with pytest.raises(UpdateUnsuccessfulError) as raised:
        backfill.lambda_handler(event, FakeLambdaContext())

    assert raised.value.output.error_code == "validation_error"
    assert raised.value.output.error is not None
    assert raised.value.output.error["field"] == "Items"
    assert sandbox.exchanges == []


def slow_catalog(sandbox: IntercomSandbox) -> None:
    """The attribute list answers after 1 s: a row that needs it writes later than one that
    does not, unless rows for the same user wait for each other."""
    sandbox.add_fault(Fault(method="GET", path="/data_attributes", action="delay", delay_s=1))


PRO_THEN_TEAM: tuple[dict[str, Any], ...] = (
    {
        "value": "ada@example.com",
        "name": "pro",
        "custom_attribute_1_name": "plan",
        "custom_attribute_1_value": "pro",
    },
    {"value": " ADA@example.com", "name": "team"},
)


def test_rows_for_the_same_user_run_in_file_order(
    sandbox: IntercomSandbox, users: dict[str, dict[str, Any]], lambda_env: None, account: str
) -> None:
    slow_catalog(sandbox)

    items = backfill.lambda_handler(batch(*PRO_THEN_TEAM), FakeLambdaContext())["items"]

    assert [i["outcome"] for i in items] == ["success", "success"]
    assert sandbox.contact(users["ada"]["id"])["name"] == "team"


# -- the local backfill -------------------------------------------------------------------------


def copy_example(name: str, tmp_path: Path) -> InputFile:
    path = tmp_path / name
    shutil.copy(EXAMPLES / name, path)
    return input_file(path)


LocalBackfill = Callable[..., Summary]


@pytest.fixture
def local_backfill(deps: Dependencies, account: str, tmp_path: Path) -> LocalBackfill:
    """Run ``scripts/backfill.py`` on a file for the test account (files in ``tmp_path``)."""

    def run(source: InputFile, out_dir: Path = tmp_path, **options: Any) -> Summary:
        return run_backfill(
            source, out_dir=out_dir, connected_account=account, deps=deps, **options
        )

    return run


def results(summary: Summary) -> list[dict[str, Any]]:
    assert summary.results_path is not None
    return [json.loads(line) for line in summary.results_path.read_text().splitlines()]


def by_row(summary: Summary) -> dict[int, tuple[str, str | None]]:
    return {r["row"]: (r["outcome"], r["error_code"]) for r in results(summary)}


EXPECTED_EXAMPLE_OUTCOMES = {
    1: ("success", None),
    2: ("success", None),
    3: ("success", None),
    4: ("unsuccessful", "user_not_found"),
    5: ("unsuccessful", "validation_error"),
}


@pytest.mark.parametrize("name", ["users.csv", "users.jsonl"])
def test_a_backfill_of_the_example_file_updates_the_users_and_writes_both_files(
    name: str,
    sandbox: IntercomSandbox,
    users: dict[str, dict[str, Any]],
    local_backfill: LocalBackfill,
    tmp_path: Path,
) -> None:
    source = copy_example(name, tmp_path)

    summary = local_backfill(source)

    assert by_row(summary) == EXPECTED_EXAMPLE_OUTCOMES
    assert (summary.rows, summary.succeeded, summary.skipped) == (5, 3, 0)
    assert summary.failed == {
        "unsuccessful: user_not_found": 1,
        "unsuccessful: validation_error": 1,
    }
    line = next(r for r in results(summary) if r["row"] == 1)
    assert line["key"] == "email:ada@example.com"
    assert line["contact_id"] == users["ada"]["id"]
    assert set(line) == {"row", "key", "outcome", "contact_id", "error_code", "error_message"}
    ada, grace, alan = (sandbox.contact(users[n]["id"]) for n in ("ada", "grace", "alan"))
    assert (ada["name"], grace["name"], alan["name"]) == (
        "Ada Lovelace",
        "Grace Hopper",
        "Alan Turing",
    )
    assert ada["custom_attributes"]["legacy_session_count"] == 12  # the default name
    assert alan["unsubscribed_from_emails"] is True
    assert grace["custom_attributes"]["plan"] == "team"
    # The failures file holds exactly the failed rows (in the order they finished), in the
    # input's own format: for CSV, the header row first.
    assert summary.failures_path is not None
    assert summary.failures_path.suffix == source.path.suffix
    original = source.path.read_text().splitlines()
    failed = summary.failures_path.read_text().splitlines()
    if name.endswith(".csv"):
        assert failed[0] == original[0]
        failed = failed[1:]
    assert sorted(failed) == sorted(original[-2:])


def test_a_rerun_with_the_results_file_skips_the_rows_that_succeeded(
    sandbox: IntercomSandbox,
    users: dict[str, dict[str, Any]],
    local_backfill: LocalBackfill,
    tmp_path: Path,
) -> None:
    source = copy_example("users.csv", tmp_path)
    first = local_backfill(source, tmp_path / "first")
    sandbox.clear_exchanges()

    second = local_backfill(source, tmp_path / "second", previous_results=first.results_path)

    assert by_row(second) == EXPECTED_EXAMPLE_OUTCOMES
    assert (second.rows, second.succeeded, second.skipped) == (5, 3, 3)
    assert puts(sandbox) == []
    searched = [
        condition["value"]
        for e in sandbox.exchanges
        if e.path == "/contacts/search"
        for condition in e.body_json["query"]["value"]
        if condition["field"] == "email"
    ]
    assert searched == ["ghost@example.com"]  # row 5 is refused before any request
    carried = [r for r in results(second) if r.get("previous_run")]
    assert sorted(r["row"] for r in carried) == [1, 2, 3]


def test_a_row_edited_since_the_results_were_written_runs_again(
    sandbox: IntercomSandbox,
    users: dict[str, dict[str, Any]],
    local_backfill: LocalBackfill,
    tmp_path: Path,
) -> None:
    source = copy_example("users.csv", tmp_path)
    first = local_backfill(source, tmp_path / "first")
    text = source.path.read_text().replace("email,ada@example.com", "user_id,user-1001")
    source.path.write_text(text)
    sandbox.clear_exchanges()

    second = local_backfill(source, previous_results=first.results_path)

    assert second.skipped == 2
    assert puts(sandbox) == [f"/contacts/{users['ada']['id']}"]


@pytest.mark.parametrize("name", ["users.csv", "users.jsonl"])
def test_the_failures_file_is_fed_back_as_is(
    name: str,
    sandbox: IntercomSandbox,
    users: dict[str, dict[str, Any]],
    local_backfill: LocalBackfill,
    tmp_path: Path,
) -> None:
    first = local_backfill(copy_example(name, tmp_path))
    assert first.failures_path is not None
    ghost = sandbox.add_contact(
        role="user", email="ghost@example.com"
    )  # the missing user now exists

    second = local_backfill(input_file(first.failures_path))

    outcomes = {r["key"]: (r["outcome"], r["error_code"]) for r in results(second)}
    assert outcomes == {
        "email:ghost@example.com": ("success", None),
        "email:grace@example.com": ("unsuccessful", "validation_error"),
    }
    assert sandbox.contact(ghost["id"])["name"] == "Nobody"


def test_unreadable_rows_get_their_own_error_and_the_run_goes_on(
    sandbox: IntercomSandbox,
    users: dict[str, dict[str, Any]],
    local_backfill: LocalBackfill,
    tmp_path: Path,
) -> None:
    jsonl = tmp_path / "mixed.jsonl"
    jsonl.write_text(
        '{"value": "ada@example.com", "name": "Ada J."}\n'
        "not json at all\n"
        "\n"
        '["a", "list"]\n'
        '{"value": "alan@example.com", "nmae": "typo"}\n'
        '{"value": "alan@example.com", "name": "Alan J."}\n'
    )
    table = tmp_path / "mixed.csv"
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["value", "name"])
        writer.writerow(["grace@example.com", "Grace J.", "an extra cell"])
        writer.writerow(["grace@example.com"])  # a short row: the missing cell is empty

    lines = local_backfill(input_file(jsonl))
    cells = local_backfill(input_file(table))

    assert by_row(lines) == {
        1: ("success", None),
        2: ("unsuccessful", "validation_error"),
        3: ("unsuccessful", "validation_error"),
        4: ("unsuccessful", "validation_error"),
        5: ("success", None),
    }
    messages = {r["row"]: r["error_message"] for r in results(lines)}
    assert "not JSON" in messages[2]
    assert "JSON object" in messages[3]
    assert "nmae" in messages[4]
    assert by_row(cells) == {1: ("unsuccessful", "validation_error"), 2: ("success", None)}
    assert "more cells than the header" in results(cells)[0]["error_message"] or (
        "more cells than the header" in results(cells)[1]["error_message"]
    )
    assert sandbox.contact(users["ada"]["id"])["name"] == "Ada J."
    assert sandbox.contact(users["alan"]["id"])["name"] == "Alan J."


def test_the_local_backfill_runs_rows_for_the_same_user_in_file_order(
    sandbox: IntercomSandbox,
    users: dict[str, dict[str, Any]],
    local_backfill: LocalBackfill,
    tmp_path: Path,
) -> None:
    slow_catalog(sandbox)
    path = tmp_path / "pro-then-team.jsonl"
    grace = {"value": "grace@example.com", "name": "Grace (side by side)"}
    path.write_text("".join(json.dumps(row) + "\n" for row in (*PRO_THEN_TEAM, grace)))

    summary = local_backfill(input_file(path), workers=4)

    assert (summary.rows, summary.succeeded) == (3, 3)
    assert sandbox.contact(users["ada"]["id"])["name"] == "team"
    assert sandbox.contact(users["grace"]["id"])["name"] == "Grace (side by side)"
