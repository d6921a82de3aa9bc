"""Backfill from a file on this machine: ``make backfill FILE=users.csv`` (or ``.jsonl``).

Each row runs through the same code as the Step Functions backfill (``logic/backfill.py``:
the row's parsing, the use case, the outcome). By default against the local Intercom sandbox
and a local Secrets Manager (moto), seeded like ``make demo`` plus the users of ``examples/``;
with ``--connected-account NAME`` (``CONNECTED_ACCOUNT=`` in make) against the real workspace
of that secret, read from the real Secrets Manager with your AWS credentials (boto3's usual
chain: ``AWS_PROFILE``, environment, SSO ...), and the Intercom region the secret names.

Writes, next to the input (or into ``--out-dir``), ``<file>.<time>.results.jsonl`` (one line
per row: row, key, outcome, error code and message, contact id) and
``<file>.<time>.failures.<csv|jsonl>`` (the rows that did not succeed, in the input's own
format, to be fed back as they are). ``--results`` a previous results file: rows it records as
succeeded (same row number and key) are skipped and carried over.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import (
    AbstractContextManager,
    ExitStack,
    contextmanager,
    nullcontext,
    redirect_stdout,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from intercom_update.models.errors import UpdateUserError

ROOT: Final = Path(__file__).resolve().parent.parent
SANDBOX_SECRET: Final = "intercom/demo"  # noqa: S105 - a secret's name, not its value
SANDBOX_TOKEN: Final = "tok_backfill_not_a_real_token"  # noqa: S105 - the local sandbox's token
# The sandbox's users besides the demo's Ada: the rows in examples/ are written for them.
EXAMPLE_USERS: Final[tuple[dict[str, Any], ...]] = (
    {"email": "grace@example.com", "external_id": "user-1002", "name": "Grace"},
    {"email": "alan@example.com", "external_id": "user-1003", "phone": "+442079460000"},
)
WINDOW_SECONDS: Final = 10  # Intercom's X-RateLimit-Limit is per 10-second window


@dataclass(frozen=True)
class Row:
    """One input row: its number (1-based, header excluded), its cells, and its original form."""

    number: int
    fields: Any
    original: list[str] | str  # CSV cells, or the JSON Lines text
    problem: UpdateUserError | None = None  # a line that is not JSON


@dataclass
class InputFile:
    path: Path
    kind: str  # "csv" or "jsonl"
    header: list[str] = field(default_factory=list)

    def rows(self) -> Iterator[Row]:
        from intercom_update.logic.backfill import parse_json_line
        from intercom_update.models.errors import InputValidationError

        with self.path.open(newline="", encoding="utf-8-sig") as handle:
            if self.kind == "csv":
                reader = csv.reader(handle)
                self.header = [cell.strip() for cell in next(reader, [])]
                for number, cells in enumerate(reader, start=1):
                    fields: dict[Any, Any] = dict(zip(self.header, cells, strict=False))
                    if len(cells) > len(self.header):
                        fields[None] = cells[len(self.header) :]
                    yield Row(number, fields, cells)
                return
            lines = (line.rstrip("\r\n") for line in handle)
            for number, line in enumerate((text for text in lines if text.strip()), start=1):
                try:
                    yield Row(number, parse_json_line(line), line)
                except InputValidationError as error:
                    yield Row(number, None, line, error)

    def count(self) -> int:
        return sum(1 for _ in self.rows())


def input_file(path: Path) -> InputFile:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise SystemExit(f"{path}: the file must end in .csv (header = the input keys) or .jsonl")
    return InputFile(path, suffix[1:])


class IntercomTraffic:
    """Counts the requests to Intercom and their 429s, and keeps the rate limit it announces.

    Wraps urllib3's PoolManager (the Intercom client's transport); botocore talks to AWS through
    its own connection pools, so only Intercom is counted.
    """

    def __init__(self, base_urls: tuple[str, ...]) -> None:
        self.base_urls = base_urls
        self.requests = 0
        self.rate_limited = 0
        self.window_limit: int | None = None
        self._lock = threading.Lock()

    @contextmanager
    def counting(self) -> Iterator[IntercomTraffic]:
        import urllib3

        original = urllib3.PoolManager.urlopen

        def urlopen(pool: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            response = original(pool, method, url, *args, **kwargs)
            if url.startswith(self.base_urls):
                self._record(response.status, response.headers.get("x-ratelimit-limit", ""))
            return response

        urllib3.PoolManager.urlopen = urlopen  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            urllib3.PoolManager.urlopen = original  # type: ignore[method-assign]

    def _record(self, status: int, limit: str) -> None:
        with self._lock:
            self.requests += 1
            self.rate_limited += status == 429
            if limit.isdigit():
                self.window_limit = int(limit)


@dataclass
class Summary:
    rows: int = 0
    skipped: int = 0
    succeeded: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    results_path: Path | None = None
    failures_path: Path | None = None


def previous_successes(results: Path | None) -> dict[int, dict[str, Any]]:
    """Row number -> result line, for the rows a previous run recorded as succeeded."""
    if results is None:
        return {}
    done: dict[int, dict[str, Any]] = {}
    with results.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                result = json.loads(line)
                if result.get("outcome") == "success":
                    done[int(result["row"])] = result
    return done


class Outputs:
    """The results and failures files, written as rows finish (a stopped run keeps its lines)."""

    def __init__(self, source: InputFile, out_dir: Path, stack: ExitStack) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name, attempt = f"{source.path.name}.{stamp}", 1
        while (out_dir / f"{name}.results.jsonl").exists():  # never overwrite an earlier run
            attempt += 1
            name = f"{source.path.name}.{stamp}-{attempt}"
        self.results_path = out_dir / f"{name}.results.jsonl"
        self.failures_path = out_dir / f"{name}.failures.{source.kind}"
        self._results: IO[str] = stack.enter_context(self.results_path.open("w", encoding="utf-8"))
        self._failures: IO[str] = stack.enter_context(
            self.failures_path.open("w", newline="", encoding="utf-8")
        )
        self._csv = csv.writer(self._failures) if source.kind == "csv" else None
        self._source = source
        self._header_written = False
        self._lock = threading.Lock()

    def write(self, result: dict[str, Any], row: Row) -> None:
        with self._lock:
            self._results.write(json.dumps(result, ensure_ascii=False) + "\n")
            if result["outcome"] == "success":
                return
            if self._csv is not None:
                if not self._header_written:
                    self._csv.writerow(self._source.header)
                    self._header_written = True
                self._csv.writerow(row.original)
            else:
                self._failures.write(f"{row.original}\n")


class UserLanes:
    """Rows for the same user run one after another, in the order they were submitted.

    A row naming a user whose previous row is still running waits for it on its worker. The
    pool takes rows in order, so the row waited for has always started: no wait deadlocks.
    """

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self._lock = threading.Lock()
        self._latest: dict[Any, Future[None]] = {}  # per user, the last row while it runs

    def submit(self, user: Any, run: Callable[..., None], *args: Any) -> Future[None]:
        if user is None:
            return self._pool.submit(run, *args)
        with self._lock:
            future = self._pool.submit(self._after, self._latest.get(user), run, *args)
            self._latest[user] = future
        future.add_done_callback(lambda done: self._forget(user, done))
        return future

    @staticmethod
    def _after(previous: Future[None] | None, run: Callable[..., None], *args: Any) -> None:
        if previous is not None:
            wait([previous])
        run(*args)

    def _forget(self, user: Any, future: Future[None]) -> None:
        with self._lock:
            if self._latest.get(user) is future:
                del self._latest[user]


def run_backfill(  # noqa: PLR0913 - keyword-only options of one run, each with a default
    source: InputFile,
    *,
    out_dir: Path,
    connected_account: str | None,
    previous_results: Path | None = None,
    workers: int = 4,
    deps: Any = None,
    on_row: Callable[[], None] = lambda: None,
) -> Summary:
    """Run every row of ``source``; returns the counts and where the files are.

    Rows for different users run side by side; a row naming the same user as a row still running
    waits for it, so that one user's rows apply in file order.
    """
    from intercom_update.logic.backfill import refused, row_key, run_item
    from intercom_update.models.input import lookup_key

    done = previous_successes(previous_results)
    summary = Summary()
    started = time.monotonic()
    lock = threading.Lock()

    def run(row: Row, outputs: Outputs) -> None:
        earlier = done.get(row.number)
        if earlier is not None and earlier.get("key") == row_key(row.fields):
            result, skipped = {**earlier, "previous_run": True}, True
        else:
            if row.problem is not None:
                outcome = refused(row.number, "", row.problem)
            else:
                outcome = run_item(
                    row.number, row.fields, connected_account=connected_account, deps=deps
                )
            result, skipped = outcome.to_dict(), False
        outputs.write(result, row)
        with lock:
            summary.rows += 1
            summary.skipped += skipped
            if result["outcome"] == "success":
                summary.succeeded += 1
            else:
                summary.failed[f"{result['outcome']}: {result['error_code']}"] += 1
        on_row()

    with ExitStack() as stack:
        outputs = Outputs(source, out_dir, stack)
        # A bounded number of rows in flight: a file of a million rows is never all in memory.
        slots = threading.BoundedSemaphore(max(1, workers) * 4)
        failures: list[BaseException] = []

        def finished(future: Future[None]) -> None:
            slots.release()
            if future.exception() is not None:
                failures.append(future.exception())  # type: ignore[arg-type]

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            lanes = UserLanes(pool)
            for row in source.rows():
                slots.acquire()
                user = lookup_key(row.fields, connected_account)
                lanes.submit(user, run, row, outputs).add_done_callback(finished)
        if failures:
            raise failures[0]
    summary.seconds = time.monotonic() - started
    summary.results_path, summary.failures_path = outputs.results_path, outputs.failures_path
    if not sum(summary.failed.values()):
        outputs.failures_path.unlink()
        summary.failures_path = None
    return summary


def summary_table(summary: Summary, traffic: IntercomTraffic) -> Any:
    from rich.table import Table

    attempted = summary.rows - summary.skipped
    per_update = traffic.requests / attempted if attempted else 0.0
    rate = (summary.succeeded - summary.skipped) / summary.seconds if summary.seconds else 0.0
    table = Table(title="Backfill summary", show_header=False)
    table.add_row("rows", f"{summary.rows:,}")
    table.add_row("succeeded", f"{summary.succeeded:,} ({summary.skipped:,} in an earlier run)")
    for reason, count in sorted(summary.failed.items()):
        table.add_row(f"failed, {reason}", f"{count:,}")
    table.add_row("requests to Intercom", f"{traffic.requests:,} ({per_update:.1f} per row run)")
    table.add_row("429s", f"{traffic.rate_limited:,}")
    table.add_row("updates per second", f"{rate:.1f} over {summary.seconds:.1f} s")
    if traffic.window_limit and per_update:
        ideal = traffic.window_limit / WINDOW_SECONDS / per_update
        table.add_row(
            "rate-limit ideal",
            f"{ideal:.1f} updates/s ({traffic.window_limit} requests per {WINDOW_SECONDS} s "
            f"/ {per_update:.1f} per update); ratio {rate / ideal:.2f}",
        )
    return table


def _environment(real: bool) -> None:
    """What Lambda would set, before the function's modules are imported (Powertools reads it)."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")  # per-row lines would hide the bar
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "1")
    os.environ.setdefault("CONNECTED_ACCOUNT_PREFIX", "intercom/")
    if real:
        for name in ("INTERCOM_API_BASE_URL", "AWS_ENDPOINT_URL"):
            os.environ.pop(name, None)
        return
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }
    )
    os.environ.pop("AWS_PROFILE", None)


@contextmanager
def local_services() -> Iterator[str]:
    """The sandbox and moto's Secrets Manager, seeded; yields the sandbox's base URL."""
    from scripts.demo import local_sandbox_and_secrets, seed_demo_workspace

    with local_sandbox_and_secrets(SANDBOX_TOKEN, SANDBOX_SECRET) as (sandbox, _):
        seed_demo_workspace(sandbox)
        for user in EXAMPLE_USERS:
            sandbox.add_contact(role="user", **user)
        yield sandbox.base_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("file", type=Path, help="a .csv (header = the input keys) or .jsonl file")
    parser.add_argument("--results", type=Path, help="skip the rows this results file succeeded")
    parser.add_argument("--out-dir", type=Path, help="where to write (default: next to the file)")
    parser.add_argument(
        "--connected-account",
        help="the secret of a REAL workspace (real Secrets Manager); default: the local sandbox",
    )
    parser.add_argument("--workers", type=int, default=4, help="rows run at once (default 4)")
    args = parser.parse_args(argv)
    source = input_file(args.file)
    real = bool(args.connected_account)
    _environment(real)

    from rich.console import Console
    from rich.progress import Progress

    from intercom_update.settings import REGION_BASE_URLS

    console = Console(stderr=True)
    with ExitStack() as stack:
        services: AbstractContextManager[str] = nullcontext("") if real else local_services()
        sandbox_url = stack.enter_context(services)
        where = "REAL workspace of " + args.connected_account if real else f"sandbox {sandbox_url}"
        console.print(f"Backfill of {source.path} ({source.kind}) against the {where}")
        urls = (*REGION_BASE_URLS.values(), *([sandbox_url] if sandbox_url else []))
        traffic = stack.enter_context(IntercomTraffic(urls).counting())
        progress = stack.enter_context(Progress(console=console))
        # The function prints its EMF metrics to stdout, as in Lambda; here they are noise.
        stack.enter_context(redirect_stdout(stack.enter_context(open(os.devnull, "w"))))
        task = progress.add_task("rows", total=source.count())
        summary = run_backfill(
            source,
            out_dir=args.out_dir or source.path.parent,
            connected_account=args.connected_account or (None if real else SANDBOX_SECRET),
            previous_results=args.results,
            workers=args.workers,
            on_row=lambda: progress.advance(task),
        )
    console.print(summary_table(summary, traffic))
    console.print(f"results:  {summary.results_path}", soft_wrap=True)
    console.print(
        f"failures: {summary.failures_path or 'none'} (feed it back as is)", soft_wrap=True
    )
    return 0 if not summary.failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
