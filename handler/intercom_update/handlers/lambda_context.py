"""What the entry points read from the Lambda context object."""

from __future__ import annotations

from typing import Any

# Time kept back from the Lambda timeout to log, flush metrics and answer after giving up.
SAFETY_MARGIN_S = 1.5


def time_budget(context: Any) -> float | None:
    """Seconds the update may spend, or None outside Lambda (the settings' default applies)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    return max(0.0, float(remaining()) / 1000 - SAFETY_MARGIN_S)


def function_arn(context: Any) -> str | None:
    arn = getattr(context, "invoked_function_arn", None)
    return arn if isinstance(arn, str) else None
