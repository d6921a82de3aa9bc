"""What the entry points read from the Lambda context object."""

from __future__ import annotations

from typing import Any

# Time kept back from the Lambda timeout to log, flush metrics and answer after giving up.
SAFETY_MARGIN_S = 1.5


def time_budget(context: Any, cap_s: float | None = None) -> float | None:
    """Seconds the update may spend, or None outside Lambda (the settings' default applies).

    ``cap_s`` bounds it further where the caller waits less than the function may run.
    """
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return cap_s
    budget = max(0.0, float(remaining()) / 1000 - SAFETY_MARGIN_S)
    return budget if cap_s is None else min(budget, cap_s)


def function_arn(context: Any) -> str | None:
    arn = getattr(context, "invoked_function_arn", None)
    return arn if isinstance(arn, str) else None


def account_id(context: Any) -> str | None:
    """The function's AWS account, or None outside Lambda."""
    # arn:aws:lambda:<region>:<account>:function:<name>[:alias]
    parts = (function_arn(context) or "").split(":")
    return parts[4] if len(parts) > 4 and parts[4].isdigit() else None
