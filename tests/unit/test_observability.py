"""Tracing: the X-Ray SDK in Lambda with tracing on, and not even imported where it is off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from intercom_update.observability import tracer
print(json.dumps({
    "provider": type(tracer.provider).__module__,
    "disabled": bool(tracer.disabled),
    "xray_core_imported": "aws_xray_sdk.core" in sys.modules,
}))
"""


def probe(**env: str) -> dict[str, object]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"POWERTOOLS_TRACE_DISABLED", "LAMBDA_TASK_ROOT", "AWS_SAM_LOCAL"}
    }
    clean["PYTHONPATH"] = str(ROOT / "handler")
    completed = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", PROBE],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def test_in_lambda_with_tracing_on_the_xray_sdk_records() -> None:
    result = probe(LAMBDA_TASK_ROOT="/var/task")
    assert result["disabled"] is False
    assert str(result["provider"]).startswith("aws_xray_sdk")


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"},
        {"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"},
    ],
    ids=["outside-lambda", "disabled-by-env", "sam-local"],
)
def test_with_tracing_off_the_xray_sdk_is_not_loaded(env: dict[str, str]) -> None:
    result = probe(**env)
    assert result["disabled"] is True
    assert result["provider"] == "intercom_update.observability"
    assert result["xray_core_imported"] is False
