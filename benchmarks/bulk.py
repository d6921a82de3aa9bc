"""Bulk benchmark: ``make bench-bulk`` (not part of the test suite; about 3 minutes).

N users go through M concurrent workers, each a separate process as Lambda runs them: a worker
takes up to 10 records off a queue and runs the SQS handler on them as one invocation (with a
Lambda context of the template's 30 s timeout), the way the SQS event source does. Records the
handler reports failed come back after a visibility timeout, until ``--max-receive`` deliveries,
then count as dead-lettered. The Intercom sandbox (rate limit and latency scaled by the options)
and moto's Secrets Manager run in their own processes.

Per scenario it prints: updates per second against the ideal (the rate limit divided by the
requests one update needs), 429s, records failed and redelivered, updates lost or applied twice
(from the sandbox's state at the end: each user's name, and the PUTs each contact received),
and Lambda GB-seconds per 1,000 updates (invocation wall time x the 256 MB of the template).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import re
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.bench import services
from benchmarks.common import SECRET_NAME, TOKEN, Control, child_env

BATCH_SIZE = 10
MEMORY_GB = 256 / 1024
LAMBDA_TIMEOUT_S = 30.0
WINDOW_SECONDS = 10  # the sandbox's (and Intercom's) rate-limit window
REQUESTS_PER_UPDATE = 2  # search by email, then the PUT


# The code before pacing (issue 10): records one after another, each with a 1/N share of the
# invocation, 429s the only signal. Its handler tree is exported from git into a temporary folder.
SEQUENTIAL_REF = "3089f9a"


@dataclass(frozen=True)
class Scenario:
    name: str
    workers: int
    rate_limit: int  # requests per 10-second window
    sequential: bool = False  # run the code before pacing (SEQUENTIAL_REF)


@dataclass
class Result:
    scenario: str
    workers: int
    users: int
    seconds: float
    updates_per_s: float
    ideal_per_s: float
    requests: int
    rate_limited: int
    records_failed: int
    redelivered: int
    dead_lettered: int
    lost: int
    applied_twice: int
    gb_s_per_1000: float
    invocations: int
    busy_share: float  # the containers' invocation time over workers x wall time
    failure_causes: dict[str, int]
    windows: list[tuple[int, int]]  # per rate-limit window: (requests, 429s)


def worker(env: dict[str, str], todo: Any, done: Any, ready: Any) -> None:
    """One Lambda container: batches from ``todo``, one SQS invocation each, results to ``done``.

    It imports the handler and says so on ``ready`` before the queue is filled and the clock
    starts, as a warm Lambda container would be: 50 processes starting on 2 cores would otherwise
    spend the first invocations' time budget on imports."""
    import os
    import sys

    os.environ.update(env)
    if env.get("BENCH_HANDLER_ROOT"):
        sys.path.insert(0, env["BENCH_HANDLER_ROOT"])
    # The handler prints its EMF metrics to stdout, as in Lambda; here they would bury the table.
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    from intercom_update.handlers import sqs
    from scripts.local_context import LocalLambdaContext

    ready.put(os.getpid())
    while True:
        first = todo.get()
        if first is None:
            return
        records = [first]
        while len(records) < BATCH_SIZE:
            try:
                item = todo.get(timeout=0.05)
            except queue.Empty:
                break
            if item is None:
                todo.put(None)
                break
            records.append(item)
        event = {"Records": [_record(message_id, body) for message_id, body in records]}
        started = time.monotonic()
        response = sqs.lambda_handler(event, LocalLambdaContext(timeout_s=LAMBDA_TIMEOUT_S))
        failed = [f["itemIdentifier"] for f in response["batchItemFailures"]]
        done.put((time.monotonic() - started, [m for m, _ in records], failed, _causes(sqs)))


def _causes(sqs: Any) -> list[str]:
    """Why each failed record of the latest batch failed: its error code and message, numbers
    masked so that the same cause counts once (the code before pacing keeps Powertools'
    ``processor.exceptions`` instead of ``last_batch``)."""
    last_batch = getattr(sqs, "last_batch", None)
    if last_batch is not None:
        problems = [problem for _, problem in last_batch.exceptions]
    else:
        problems = [info[1] for info in getattr(sqs.processor, "exceptions", [])]
    return [re.sub(r"[0-9]+(?:\.[0-9]+)?", "N", str(problem))[:140] for problem in problems]


def _record(message_id: str, body: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": message_id,
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:UpdateUserQueue",
        "awsRegion": "us-east-1",
    }


def seed_users(control: Control, users: int) -> dict[str, str]:
    """Contact id -> the name its update sets."""
    expected = {}
    for n in range(users):
        contact = control.call(
            "POST", "contacts", {"role": "user", "email": f"user{n}@example.com", "name": "old"}
        )
        expected[contact["id"]] = f"User {n}"
    return expected


def run_scenario(
    scenario: Scenario, users: int, env: dict[str, str], control: Control, args: Any
) -> Result:
    control.call("POST", "reset")
    control.call("POST", "settings", {"latency_ms": args.latency_ms, "rate_limit": 1_000_000})
    expected = seed_users(control, users)
    control.clear_exchanges()
    control.call("POST", "settings", {"rate_limit": scenario.rate_limit})
    bodies = {
        f"m{n}": json.dumps(
            {"connected_account": SECRET_NAME, "value": f"user{n}@example.com", "name": f"User {n}"}
        )
        for n in range(users)
    }
    if scenario.sequential:
        env = {**env, "BENCH_HANDLER_ROOT": args.sequential_root}
    context = multiprocessing.get_context("spawn")
    todo, done, ready = context.Queue(), context.Queue(), context.Queue()
    processes = [
        context.Process(target=worker, args=(env, todo, done, ready))
        for _ in range(scenario.workers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=300)
    # Every container is warm; the clock and the visibility timeouts start with the queue.
    started = time.monotonic()
    for message_id, body in bodies.items():
        todo.put((message_id, body))
    receives: Counter[str] = Counter(dict.fromkeys(bodies, 1))
    causes: Counter[str] = Counter()
    settled, failed_records, dead, busy_s, invocations = 0, 0, 0, 0.0, 0
    timers: list[threading.Timer] = []
    while settled < users:
        duration, batch, failed, batch_causes = done.get()
        busy_s += duration
        invocations += 1
        causes.update(batch_causes)
        failed_records += len(failed)
        settled += len(batch) - len(failed)
        for message_id in failed:
            if receives[message_id] >= args.max_receive:
                dead += 1
                settled += 1
                continue
            receives[message_id] += 1
            # SQS hands a failed record out again once its visibility timeout has passed.
            timer = threading.Timer(
                args.visibility_s, todo.put, args=((message_id, bodies[message_id]),)
            )
            timer.start()
            timers.append(timer)
    seconds = time.monotonic() - started
    for _ in processes:
        todo.put(None)
    for process in processes:
        process.join(timeout=60)
    for timer in timers:
        timer.cancel()

    exchanges = control.exchanges()
    puts = Counter(
        e["path"].rsplit("/", 1)[1]
        for e in exchanges
        if e["method"] == "PUT" and e["status"] == 200
    )
    lost = 0
    for contact_id, name in expected.items():
        if control.call("GET", f"contacts/{contact_id}")["name"] != name:
            lost += 1
    applied = sum(1 for count in puts.values() if count)
    return Result(
        scenario=scenario.name,
        workers=scenario.workers,
        users=users,
        seconds=seconds,
        updates_per_s=applied / seconds,
        ideal_per_s=scenario.rate_limit / WINDOW_SECONDS / REQUESTS_PER_UPDATE,
        requests=len(exchanges),
        rate_limited=sum(1 for e in exchanges if e["status"] == 429),
        records_failed=failed_records,
        redelivered=sum(count - 1 for count in receives.values()),
        dead_lettered=dead,
        lost=lost - dead,  # dead-lettered records are not lost: an operator can replay them
        applied_twice=sum(1 for count in puts.values() if count > 1),
        gb_s_per_1000=busy_s * MEMORY_GB / max(1, applied) * 1000,
        invocations=invocations,
        busy_share=busy_s / (scenario.workers * seconds),
        failure_causes=dict(causes.most_common()),
        windows=_per_window(exchanges),
    )


def _per_window(exchanges: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Requests and 429s in each rate-limit window, from the answers' X-RateLimit-Reset."""
    windows: dict[str, list[int]] = {}
    for exchange in exchanges:
        reset = exchange["response_headers"].get("x-ratelimit-reset")
        if reset is not None:
            counts = windows.setdefault(reset, [0, 0])
            counts[0] += 1
            counts[1] += exchange["status"] == 429
    return [(sent, limited) for _, (sent, limited) in sorted(windows.items())]


def report(results: list[Result], args: Any) -> str:
    headers = [
        "scenario",
        "updates/s",
        "ideal",
        "ratio",
        "429s (of requests)",
        "records failed",
        "redelivered",
        "dead-lettered",
        "lost",
        "applied twice",
        "GB-s per 1,000",
    ]
    rows = [
        [
            r.scenario,
            f"{r.updates_per_s:.0f}",
            f"{r.ideal_per_s:.0f}",
            f"{r.updates_per_s / r.ideal_per_s:.2f}",
            f"{r.rate_limited} ({r.rate_limited / max(1, r.requests):.0%})",
            str(r.records_failed),
            str(r.redelivered),
            str(r.dead_lettered),
            str(r.lost),
            str(r.applied_twice),
            f"{r.gb_s_per_1000:.0f}",
        ]
        for r in results
    ]
    lines = [
        f"{args.users} users per scenario, batches of {BATCH_SIZE}, sandbox latency "
        f"{args.latency_ms} ms, visibility timeout {args.visibility_s:.0f} s, maxReceiveCount "
        f"{args.max_receive}; ideal = rate limit / {REQUESTS_PER_UPDATE} requests per update",
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    for r in results:
        lines.append(
            f"{r.scenario}: {r.invocations} invocations, containers busy {r.busy_share:.0%} of "
            f"workers x {r.seconds:.0f} s; requests, 429s per window: "
            + " ".join(f"{sent}/{limited}" for sent, limited in r.windows)
        )
        for cause, count in r.failure_causes.items():
            lines.append(f"    {count} x {cause}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--visibility-s", type=float, default=LAMBDA_TIMEOUT_S)
    parser.add_argument("--max-receive", type=int, default=5)
    parser.add_argument(
        "--binding-limit", type=int, default=250, help="requests per 10 s where the limit binds"
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[5, 20, 50])
    parser.add_argument("--kinds", nargs="+", default=["sequential", "paced"])
    parser.add_argument("--json", help="write the raw results here")
    args = parser.parse_args(argv)
    scenarios = [
        Scenario(f"{workers} workers, {kind}", workers, args.binding_limit, kind == "sequential")
        for workers in args.workers
        for kind in args.kinds
    ]
    results = []
    with tempfile.TemporaryDirectory() as root, services() as (sandbox_url, moto_url):
        archive = subprocess.run(
            ["git", "archive", SEQUENTIAL_REF, "handler"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", root], input=archive, check=True)
        args.sequential_root = os.path.join(root, "handler")
        import boto3

        boto3.client(
            "secretsmanager",
            endpoint_url=moto_url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # noqa: S106 - moto's fake credentials
        ).create_secret(
            Name=SECRET_NAME, SecretString=json.dumps({"access_token": TOKEN, "region": "us"})
        )
        env = child_env(sandbox_url, moto_url)
        env["POWERTOOLS_LOG_LEVEL"] = "ERROR"
        control = Control(sandbox_url)
        for scenario in scenarios:
            print(f"== {scenario.name} ...", flush=True)
            results.append(run_scenario(scenario, args.users, env, control, args))
    print(report(results, args))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump([asdict(r) for r in results], out, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
