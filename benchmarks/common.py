"""What the benchmark's processes share: the workspace, the events, the environment, the sandbox's
control API (plain urllib: no latency, no auth, not recorded), and small statistics helpers.

The cold-start scripts (``cold.py``, ``floor.py``, ``sdk_handler.py`` run as a script) do not
import this module, so that they load nothing the measured program would not load itself.
"""

from __future__ import annotations

import json
import os
import statistics
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final, Literal

ROOT: Final = Path(__file__).resolve().parent.parent
TOKEN: Final = "tok_bench_0123456789"  # noqa: S105 - the local sandbox's token, not a secret
SECRET_NAME: Final = "intercom/bench"  # noqa: S105 - a secret's name, not its value
CONTACT_ID: Final = "65b0c0ffee00000000000b01"
EMAIL: Final = "ada@example.com"
PHONE: Final = "+14155550100"
EXTERNAL_ID: Final = "user-1001"
COMPANY_IDS: Final = ("acme", "globex", "initech")
ATTRIBUTE: Final = "plan"

Impl = Literal["ours", "sdk"]
Kind = Literal["email", "phone", "user_id", "id"]
KINDS: Final[tuple[Kind, ...]] = ("email", "phone", "user_id", "id")
LOOKUP_VALUES: Final[Mapping[Kind, str]] = {
    "email": EMAIL,
    "phone": PHONE,
    "user_id": EXTERNAL_ID,
    "id": CONTACT_ID,
}


def full_update_event(kind: Kind) -> dict[str, Any]:
    """The full update: lookup, 3 companies, a custom attribute, name and last seen."""
    return {
        "connected_account": SECRET_NAME,
        "update_by": kind,
        "value": LOOKUP_VALUES[kind],
        "company_id_1": COMPANY_IDS[0],
        "company_id_2": COMPANY_IDS[1],
        "company_id_3": COMPANY_IDS[2],
        "custom_attribute_1_name": ATTRIBUTE,
        "custom_attribute_1_value": "pro",
        "name": "Ada Lovelace",
        "update_last_request_at": True,
    }


def child_env(sandbox_url: str, aws_endpoint_url: str) -> dict[str, str]:
    """The environment Lambda would give the function, pointed at the local services."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "POWERTOOLS_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        {
            # Bytecode caches, as a pip-built Lambda layer has them, for every process alike;
            # kept in .venv-bench, out of the source tree.
            "PYTHONPYCACHEPREFIX": str(ROOT / ".venv-bench" / "pycache"),
            "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("handler", "sandbox", ".")),
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": aws_endpoint_url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "INTERCOM_API_BASE_URL": sandbox_url,
            "CONNECTED_ACCOUNT_PREFIX": "intercom/",
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_METRICS_DISABLED": "1",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class Control:
    """The sandbox's ``/__sandbox`` control API over HTTP (it runs in another process)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - loopback http only
            f"{self.base_url}/__sandbox/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        # The sandbox is always http://127.0.0.1:<port>, started by the benchmark itself.
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 # nosec B310
            return json.loads(response.read())

    def set_latency(self, latency_ms: int) -> None:
        self.call("POST", "settings", {"latency_ms": latency_ms})

    def exchanges(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("GET", "exchanges")
        return result

    def clear_exchanges(self) -> None:
        self.call("DELETE", "exchanges")


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


def critical_path(spans: list[tuple[float, float]]) -> int:
    """The most requests of one invocation that ran one after another (none overlapping).

    Requests that overlap in time ran concurrently; the longest chain of non-overlapping
    ones (earliest-end-first greedy) is the number of sequential round trips.
    """
    depth = 0
    last_end = float("-inf")
    for start, end in sorted(spans, key=lambda span: span[1]):
        if start >= last_end:
            depth += 1
            last_end = end
    return depth
