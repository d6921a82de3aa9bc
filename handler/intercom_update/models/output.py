"""The action's output (docs/contract.md "Output")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from intercom_update.models.errors import ServiceUnavailableError, UpdateUserError

Outcome = Literal["success", "unsuccessful"]


@dataclass(frozen=True)
class UpdateUserOutput:
    outcome: Outcome
    json_output: str | None
    contact_id: str | None
    error: dict[str, Any] | None = None

    @classmethod
    def success(cls, *, json_output: str, contact_id: str) -> UpdateUserOutput:
        return cls(outcome="success", json_output=json_output, contact_id=contact_id)

    @classmethod
    def unsuccessful(cls, error: UpdateUserError) -> UpdateUserOutput:
        body: dict[str, Any] = {"code": error.code, "message": error.message}
        if error.field is not None:
            body["field"] = error.field
        if error.details:
            body["details"] = error.details
        if error.intercom_request_id:
            body["intercom_request_id"] = error.intercom_request_id
        return cls(
            outcome="unsuccessful",
            json_output=error.intercom_body,
            contact_id=error.contact_id,
            error=body,
        )

    @classmethod
    def unavailable(cls, error: ServiceUnavailableError) -> UpdateUserOutput:
        """The body for a caller that is answered, not retried by AWS (API Gateway's 503)."""
        return cls(
            outcome="unsuccessful",
            json_output=None,
            contact_id=None,
            error={"code": error.code, "message": str(error)},
        )

    @property
    def error_code(self) -> str | None:
        return None if self.error is None else str(self.error["code"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "json_output": self.json_output,
            "contact_id": self.contact_id,
            "error": self.error,
        }
