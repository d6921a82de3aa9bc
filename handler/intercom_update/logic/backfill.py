"""One backfill item: a row of a CSV or JSON Lines file, run through the same use case.

Shared by the Step Functions backfill function (``handlers/backfill.py``) and the local backfill
(``scripts/backfill.py``), so that a row means the same thing and ends in the same outcome
wherever it runs. A row's keys are the contract's input keys (the CSV header row). CSV cells are
text; the contract already accepts text for every input (``"true"``/``"false"`` for booleans,
digits for ``session_count``) and reads an empty cell as "leave unchanged", so a cell is passed
on as it is and every conversion and every check stays in ``models/input.py``.

Outcomes: ``success``; ``unsuccessful`` (a final answer: running the row again changes nothing
until the row or the workspace is fixed); ``unavailable`` (Intercom or Secrets Manager stayed
unavailable: the row must be run again).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from intercom_update.logic.update_user import Dependencies, process_update
from intercom_update.models.errors import (
    InputValidationError,
    ServiceUnavailableError,
    UpdateUserError,
)

ItemOutcomeKind = Literal["success", "unsuccessful", "unavailable"]
# Keys and values shown in outcomes are bounded: a hostile row must not blow up a result file.
MAX_KEY_CHARS: Final = 300
MAX_MESSAGE_CHARS: Final = 1000


@dataclass(frozen=True)
class ItemOutcome:
    """What happened to one row; the shape of every result line and of the function's output."""

    row: int
    key: str
    outcome: ItemOutcomeKind
    contact_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome == "success"

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "key": self.key,
            "outcome": self.outcome,
            "contact_id": self.contact_id,
            "error_code": self.error_code,
            "error_message": self.error_message,
        }


def row_key(fields: Any) -> str:
    """How a row names its user in the results: ``update_by:value`` (email unless given)."""
    if not isinstance(fields, Mapping):
        return ""
    update_by = _text(fields.get("update_by")) or "email"
    return f"{update_by}:{_text(fields.get('value'))}"[:MAX_KEY_CHARS]


def parse_json_line(line: str) -> Any:
    """One JSON Lines row; a line that is not JSON is this row's validation error."""
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        raise InputValidationError(
            "the line is not JSON: each line must be one JSON object with the inputs",
            field="(row)",
        ) from None


def item_payload(fields: Any, connected_account: str | None) -> Any:
    """The update request of a row: its own cells, with the run's connected account if blank.

    A CSV row with more cells than the header has them under the key ``None`` (Python's csv
    module); fewer cells than the header give ``None`` values, read as empty cells.
    """
    if not isinstance(fields, Mapping):
        return fields  # refused by the input rules with their own message
    if None in fields:
        raise InputValidationError(
            "the row has more cells than the header row has columns", field="(row)"
        )
    payload = dict(fields)
    if connected_account and not _text(payload.get("connected_account")):
        payload["connected_account"] = connected_account
    return payload


def refused(row: int, key: str, error: UpdateUserError) -> ItemOutcome:
    """The outcome of a row that cannot even be read (not JSON, more cells than the header)."""
    return ItemOutcome(row, key, "unsuccessful", None, error.code, _bounded(error.message))


def run_item(
    row: int,
    fields: Any,
    *,
    connected_account: str | None = None,
    time_budget_s: float | None = None,
    function_arn: str | None = None,
    deps: Dependencies | None = None,
) -> ItemOutcome:
    """Run one row end to end; never raises for the row's own problems or an outage."""
    key = row_key(fields)
    try:
        output = process_update(
            item_payload(fields, connected_account),
            time_budget_s=time_budget_s,
            function_arn=function_arn,
            deps=deps,
        )
    except InputValidationError as error:  # the row itself is unreadable
        return refused(row, key, error)
    except ServiceUnavailableError as error:
        return ItemOutcome(row, key, "unavailable", None, error.code, _bounded(str(error)))
    if output.outcome == "success":
        return ItemOutcome(row, key, "success", output.contact_id)
    message = str((output.error or {}).get("message", ""))
    return ItemOutcome(
        row, key, "unsuccessful", output.contact_id, output.error_code, _bounded(message)
    )


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else "" if value is None else str(value)


def _bounded(message: str) -> str:
    return (
        message if len(message) <= MAX_MESSAGE_CHARS else message[: MAX_MESSAGE_CHARS - 3] + "..."
    )
