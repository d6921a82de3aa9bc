"""``python -m intercom_sandbox``: run the sandbox in the foreground until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from intercom_sandbox.faults import Fault
from intercom_sandbox.server import IntercomSandbox

DEFAULT_TOKEN = "tok_sandbox"  # noqa: S105 - a local test token, not a secret


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m intercom_sandbox", description="Run the local Intercom sandbox."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--token",
        action="append",
        dest="tokens",
        help=f"accepted bearer token (repeatable; default {DEFAULT_TOKEN})",
    )
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--rate-limit", type=int, default=1000, help="requests per token per 10 s")
    parser.add_argument("--default-version", default="2.14")
    parser.add_argument("--max-exchanges", type=int, default=20_000)
    parser.add_argument(
        "--seed",
        type=Path,
        help='JSON file {"contacts": [...], "companies": [...], "data_attributes": [...], '
        '"faults": [...]} of keyword arguments',
    )
    return parser


def seed(sandbox: IntercomSandbox, data: dict[str, Any]) -> None:
    """Load a seed document (data attributes first, then companies, then contacts)."""
    unknown = sorted(set(data) - {"contacts", "companies", "data_attributes", "faults"})
    if unknown:
        raise ValueError(f"unknown seed section(s): {', '.join(unknown)}")
    for attribute in data.get("data_attributes", []):
        sandbox.add_data_attribute(**attribute)
    for company in data.get("companies", []):
        sandbox.add_company(**company)
    for contact in data.get("contacts", []):
        sandbox.add_contact(**contact)
    for fault in data.get("faults", []):
        sandbox.add_fault(Fault.from_dict(fault))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sandbox = IntercomSandbox(
        tokens=args.tokens or (DEFAULT_TOKEN,),
        host=args.host,
        port=args.port,
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit,
        default_version=args.default_version,
        max_exchanges=args.max_exchanges,
    )
    if args.seed is not None:
        seed(sandbox, json.loads(args.seed.read_text(encoding="utf-8")))

    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sandbox.start()
    try:
        print(f"intercom sandbox listening on {sandbox.base_url}", flush=True)
        while not stopping.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
