"""One warm container: ``python -m benchmarks.worker --impl ours|sdk --kind KIND --out FILE``.

Imports one implementation, then, against the sandbox (another process, so that its CPU is not
counted here):

1. latency L: the first invocation (secret and caches still empty), a few warm-up
   invocations, then ``--runs`` timed ones (wall time per invocation,
   and the HTTP requests' start/end times, from which the sequential round trips are counted);
   the sandbox's exchanges of the timed runs are checked (status, headers) and counted;
2. latency 0: warm-up, then ``--runs`` timed ones: wall time and CPU time
   (``time.process_time()``, every thread of this process) per invocation.

Writes a JSON summary to ``--out`` (stdout carries the function's own log lines).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import resource
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

from benchmarks.common import (
    KINDS,
    Control,
    Impl,
    Kind,
    critical_path,
    full_update_event,
    median,
)
from scripts.local_context import LocalLambdaContext

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def load(impl: Impl) -> Handler:
    if impl == "ours":
        from intercom_update.handlers import direct

        return cast(Handler, direct.lambda_handler)
    from benchmarks import sdk_handler

    return sdk_handler.lambda_handler


@contextlib.contextmanager
def traced(impl: Impl, base_url: str) -> Iterator[list[tuple[float, float]]]:
    """Record (start, end) of every HTTP request to ``base_url`` made by the implementation."""
    spans: list[tuple[float, float]] = []
    if impl == "ours":
        import urllib3

        owner: Any = urllib3.PoolManager
        name = "urlopen"

        def url_of(args: tuple[Any, ...]) -> str:
            return str(args[2])

    else:
        import httpx  # type: ignore[import-not-found, unused-ignore]

        owner = httpx.Client
        name = "send"

        def url_of(args: tuple[Any, ...]) -> str:
            return str(args[1].url)

    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            if url_of(args).startswith(base_url):
                spans.append((started, time.perf_counter()))

    setattr(owner, name, wrapper)
    try:
        yield spans
    finally:
        setattr(owner, name, original)


def _invoke(handler: Handler, event: dict[str, Any]) -> None:
    output = handler(event, LocalLambdaContext(aws_request_id="bench-warm"))
    if output.get("outcome") != "success":
        raise RuntimeError(f"the update did not succeed: {json.dumps(output)[:2000]}")


def _check_exchanges(exchanges: list[dict[str, Any]], runs: int) -> dict[str, Any]:
    statuses = collections.Counter(str(e["status"]) for e in exchanges)
    routes = collections.Counter(f"{e['method']} {e['route']}" for e in exchanges)
    return {
        "requests_per_run": len(exchanges) / runs,
        "statuses": dict(statuses),
        "routes_per_run": {route: count / runs for route, count in sorted(routes.items())},
        "accept": sorted({str(e["headers"].get("accept")) for e in exchanges}),
        "intercom_version": sorted({str(e["headers"].get("intercom-version")) for e in exchanges}),
        "user_agent": sorted({str(e["headers"].get("user-agent")) for e in exchanges}),
    }


def run(impl: Impl, kind: Kind, runs: int, warmup: int, latency_ms: int, base_url: str) -> Any:
    control = Control(base_url)
    handler = load(impl)
    event = full_update_event(kind)

    control.set_latency(latency_ms)
    control.clear_exchanges()
    with traced(impl, base_url) as spans:  # the first invocation of a fresh container
        t0 = time.perf_counter()
        _invoke(handler, event)
        first_ms = (time.perf_counter() - t0) * 1000
        first_round_trips = critical_path(list(spans))
    first_requests = len(control.exchanges())
    for _ in range(warmup):
        _invoke(handler, event)
    control.clear_exchanges()
    walls: list[float] = []
    depths: list[int] = []
    with traced(impl, base_url) as spans:
        for _ in range(runs):
            spans.clear()
            t0 = time.perf_counter()
            _invoke(handler, event)
            walls.append(time.perf_counter() - t0)
            depths.append(critical_path(list(spans)))
    checked = _check_exchanges(control.exchanges(), runs)

    control.set_latency(0)
    for _ in range(warmup):
        _invoke(handler, event)
    walls0: list[float] = []
    cpus: list[float] = []
    for _ in range(runs):
        c0 = time.process_time()
        t0 = time.perf_counter()
        _invoke(handler, event)
        walls0.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)

    return {
        "impl": impl,
        "kind": kind,
        "runs": runs,
        "latency_ms": latency_ms,
        "first_ms": first_ms,
        "first_round_trips": first_round_trips,
        "first_requests": first_requests,
        "wall_ms": median(walls) * 1000,
        "wall_ms_p90": sorted(walls)[int(0.9 * (runs - 1))] * 1000,
        "wall0_ms": median(walls0) * 1000,
        "cpu_ms": median(cpus) * 1000,
        "round_trips": collections.Counter(depths).most_common(1)[0][0],
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        **checked,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--impl", choices=("ours", "sdk"), required=True)
    parser.add_argument("--kind", choices=KINDS, required=True)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=25)
    parser.add_argument("--sandbox-url", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    summary = run(args.impl, args.kind, args.runs, args.warmup, args.latency_ms, args.sandbox_url)
    args.out.write_text(json.dumps(summary), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
