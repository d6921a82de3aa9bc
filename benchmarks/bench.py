"""``make bench``: our function against the same job written with the official SDK, side by side.

Starts the Intercom sandbox and a Secrets Manager (moto) as separate processes on loopback,
seeds one user, a custom attribute and the connected account's secret, then measures:

- warm latency of the full update per lookup kind, at a per-request latency L (default 25 ms),
  against the ideal (3 sequential round trips x L), and the SDK version's;
- sequential round trips per invocation, counted from the requests' start/end times;
- CPU time per warm invocation at latency 0 (``time.process_time()`` of the invoking process);
- cold start: spawning a fresh process until it prints its first answer, against a floor
  script (``floor.py``: boto3 + urllib3, read the secret, one request);
- peak RSS (``ru_maxrss``) of the cold-start processes and of the warm containers;
- import time of each handler module (``python -X importtime``), with the top costs.

It prints a table and the targets. Run it with ``make bench`` (which builds ``.venv-bench``).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib.util
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import (
    ATTRIBUTE,
    CONTACT_ID,
    EMAIL,
    EXTERNAL_ID,
    KINDS,
    PHONE,
    ROOT,
    SECRET_NAME,
    TOKEN,
    Control,
    Impl,
    Kind,
    child_env,
    full_update_event,
    median,
)

PYTHON = sys.executable
# The critical path of a full update whose companies exist, by design: lookup (with the
# company and attribute reads alongside) -> attach -> PUT. A new company adds its upsert.
IDEAL_ROUND_TRIPS = 3
# In Lambda with tracing active: the X-Ray SDK is loaded (it sends to a daemon nobody runs here).
TRACING_ON = {
    "LAMBDA_TASK_ROOT": str(ROOT),
    "POWERTOOLS_TRACE_DISABLED": "false",
    "_X_AMZN_TRACE_ID": (
        "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1"
    ),
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
    "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
}
HANDLER_MODULES = ("direct", "api_gateway", "eventbridge", "sqs")
LAMBDA_MEMORY_MB = 256

# Targets (issue 5).
MAX_LATENCY_OVER_IDEAL = 1.15
MAX_LATENCY_OVER_SDK = 0.5
MAX_CPU_OVER_SDK = 0.5
MAX_COLD_OVER_FLOOR = 1.5
MAX_RSS_MB = LAMBDA_MEMORY_MB // 2  # "ample headroom": at most half of the function's memory


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[str], seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def services() -> Iterator[tuple[str, str]]:
    """The sandbox (CLI) and moto (CLI), each in its own process; yields their base URLs."""
    env = child_env("", "")
    sandbox = subprocess.Popen(
        [
            *(PYTHON, "-m", "intercom_sandbox", "--host", "127.0.0.1", "--port", "0"),
            *("--token", TOKEN, "--latency-ms", "0", "--rate-limit", "100000000"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    moto_port = _free_port()
    moto = subprocess.Popen(
        [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert sandbox.stdout is not None
        line = sandbox.stdout.readline()
        found = re.search(r"listening on (http://\S+)", line)
        if not found:
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        _wait_for_port(moto_port, moto)
        yield found.group(1), f"http://127.0.0.1:{moto_port}"
    finally:
        _stop(sandbox)
        _stop(moto)


def seed(sandbox_url: str, moto_url: str) -> None:
    control = Control(sandbox_url)
    control.call(
        "POST",
        "contacts",
        {
            "id": CONTACT_ID,
            "role": "user",
            "email": EMAIL,
            "external_id": EXTERNAL_ID,
            "phone": PHONE,
            "name": "Ada",
        },
    )
    control.call("POST", "data_attributes", {"name": ATTRIBUTE, "data_type": "string"})

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


# ------------------------------------------------------------------------------ warm


def run_worker(
    impl: Impl, kind: Kind, args: argparse.Namespace, env: dict[str, str], sandbox_url: str
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "summary.json"
        done = subprocess.run(
            [
                *(PYTHON, "-m", "benchmarks.worker", "--impl", impl, "--kind", kind),
                *("--runs", str(args.runs), "--latency-ms", str(args.latency_ms)),
                *("--sandbox-url", sandbox_url, "--out", str(out)),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"worker {impl}/{kind} failed:\n{done.stderr[-4000:]}")
        summary: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return summary


# ------------------------------------------------------------------------------ cold


@dataclass
class ColdSamples:
    wall_ms: list[float] = field(default_factory=list)
    # Spawn -> imports done (the interpreter's start, then the imports), where the script says.
    imports_ms: list[float] = field(default_factory=list)
    maxrss_kb: list[int] = field(default_factory=list)


def cold_commands() -> dict[str, tuple[list[str], dict[str, str]]]:
    """Each row: its command, and what it changes in the environment."""
    event = json.dumps(full_update_event("email"))
    cold = [PYTHON, str(ROOT / "benchmarks" / "cold.py"), event]
    return {
        "python -c pass": ([PYTHON, "-c", "pass"], {}),
        "floor.py": ([PYTHON, str(ROOT / "benchmarks" / "floor.py"), CONTACT_ID], {}),
        "ours (direct)": (cold, {}),
        "ours, X-Ray on": (cold, TRACING_ON),
        "SDK version": ([PYTHON, str(ROOT / "benchmarks" / "sdk_handler.py"), event], {}),
    }


def cold_once(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Milliseconds from spawning the process to reading its answer and to the end of its
    imports, and its peak RSS (KB). The child's ``time.perf_counter()`` is a system-wide
    monotonic clock (Linux, macOS), comparable with ours."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    elapsed: float | None = None
    imports_ms = 0.0
    maxrss_kb = 0
    if command[-1] == "pass":  # the bare interpreter prints nothing: its exit is its answer
        proc.wait()
        elapsed = (time.perf_counter() - started) * 1000
    else:
        for line in proc.stdout:
            if line.startswith("RESULT "):
                elapsed = (time.perf_counter() - started) * 1000
                result = json.loads(line.removeprefix("RESULT "))
                if result["outcome"] != "success":
                    raise RuntimeError(f"{command[1]}: {result}")
                maxrss_kb = int(result["maxrss_kb"])
                imports_ms = (float(result["imported_at"]) - started) * 1000
                break
    _, stderr = proc.communicate(timeout=60)
    if elapsed is None or proc.returncode != 0:
        raise RuntimeError(f"{command[1]} failed ({proc.returncode}):\n{stderr[-4000:]}")
    return elapsed, imports_ms, maxrss_kb


def run_cold(runs: int, env: dict[str, str]) -> dict[str, ColdSamples]:
    commands = cold_commands()
    samples = {name: ColdSamples() for name in commands}
    for command, extra in commands.values():  # once unmeasured: bytecode caches, page cache
        cold_once(command, env | extra)
    for _ in range(runs):  # interleaved, so that a busy moment hits every row alike
        for name, (command, extra) in commands.items():
            wall_ms, imports_ms, maxrss_kb = cold_once(command, env | extra)
            samples[name].wall_ms.append(wall_ms)
            samples[name].imports_ms.append(imports_ms)
            samples[name].maxrss_kb.append(maxrss_kb)
    return samples


# ------------------------------------------------------------------------------ imports

_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def import_profile(statement: str, env: dict[str, str]) -> list[tuple[int, int, int, str]]:
    """``python -X importtime``: (self us, cumulative us, depth, module) per imported module."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", statement],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rows = []
    for line in done.stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            self_us, cumulative_us, indent, module = match.groups()
            rows.append((int(self_us), int(cumulative_us), len(indent) // 2, module))
    return rows


def _top_level_total_ms(rows: list[tuple[int, int, int, str]]) -> float:
    return sum(cumulative for _, cumulative, depth, _ in rows if depth == 0) / 1000


def _by_package_ms(rows: list[tuple[int, int, int, str]]) -> dict[str, float]:
    totals: collections.Counter[str] = collections.Counter()
    for self_us, _, _, module in rows:
        totals[module.split(".")[0]] += self_us
    return {package: us / 1000 for package, us in totals.items()}


@dataclass
class ImportReport:
    totals_ms: dict[str, float]
    packages_ms: dict[str, float]
    modules_ms: dict[str, float]
    floor_packages: set[str]
    floor_ms: float


def run_imports(runs: int, env: dict[str, str]) -> ImportReport:
    totals: dict[str, float] = {}
    packages: dict[str, list[float]] = collections.defaultdict(list)
    modules: dict[str, list[float]] = collections.defaultdict(list)
    for module in HANDLER_MODULES:
        import_profile(f"import intercom_update.handlers.{module}", env)  # bytecode caches
        samples = []
        for _ in range(runs):
            rows = import_profile(f"import intercom_update.handlers.{module}", env)
            samples.append(_top_level_total_ms(rows))
            if module == "direct":
                for package, ms in _by_package_ms(rows).items():
                    packages[package].append(ms)
                for self_us, _, _, name in rows:
                    modules[name].append(self_us / 1000)
        totals[module] = median(samples)
    floor_samples = []
    floor_packages: set[str] = set()
    for _ in range(runs):
        rows = import_profile("import boto3, urllib3", env)
        floor_samples.append(_top_level_total_ms(rows))
        floor_packages = {module.split(".")[0] for _, _, _, module in rows}
    return ImportReport(
        totals_ms=totals,
        packages_ms={package: median(values) for package, values in packages.items()},
        modules_ms={name: median(values) for name, values in modules.items()},
        floor_packages=floor_packages,
        floor_ms=median(floor_samples),
    )


# ------------------------------------------------------------------------------ report


def _r(value: float) -> str:
    return str(round(value))


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    lines = [" | ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines.extend(" | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(lines)


def _check(ok: bool, text: str) -> tuple[bool, str]:
    return ok, f"  [{'PASS' if ok else 'MISS'}] {text}"


def report(
    args: argparse.Namespace,
    warm: dict[tuple[Impl, Kind], dict[str, Any]],
    cold: dict[str, ColdSamples],
    imports: ImportReport,
) -> list[tuple[bool, str]]:
    latency = args.latency_ms
    ideal = IDEAL_ROUND_TRIPS * latency
    print(
        f"\nmake bench — {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; medians of {args.runs} warm invocations per cell and "
        f"{args.cold_runs} cold starts per row; sandbox latency {latency} ms per request "
        f"(CPU at 0 ms)."
    )

    print("\nWarm full update (lookup, 3 companies, 1 custom attribute, name, last seen)")
    rows = []
    for kind in KINDS:
        ours, sdk = warm[("ours", kind)], warm[("sdk", kind)]
        rows.append(
            [
                kind,
                _r(ours["wall_ms"]),
                _r(ideal),
                f"{ours['wall_ms'] / ideal:.2f}",
                _r(sdk["wall_ms"]),
                f"{ours['wall_ms'] / sdk['wall_ms']:.2f}",
                f"{ours['round_trips']} / {sdk['round_trips']}",
                f"{_r(ours['requests_per_run'])} / {_r(sdk['requests_per_run'])}",
                f"{_r(ours['cpu_ms'])} / {_r(sdk['cpu_ms'])}",
                f"{ours['cpu_ms'] / sdk['cpu_ms']:.2f}",
            ]
        )
    print(
        _table(
            [
                "lookup",
                "ours ms",
                "ideal ms",
                "ours/ideal",
                "SDK ms",
                "ours/SDK",
                "seq. round trips ours/SDK",
                "requests ours/SDK",
                "CPU ms ours/SDK",
                "CPU ours/SDK",
            ],
            rows,
        )
    )
    derived = {
        impl: [
            round((warm[(impl, k)]["wall_ms"] - warm[(impl, k)]["wall0_ms"]) / latency)
            for k in KINDS
        ]
        for impl in ("ours", "sdk")
    }
    print(
        f"  round trips from latency, (wall at {latency} ms - wall at 0 ms) / {latency} ms: "
        f"ours {derived['ours']}, SDK {derived['sdk']} ({', '.join(KINDS)}); "
        f"wall at 0 ms: ours {[round(warm[('ours', k)]['wall0_ms']) for k in KINDS]} ms, "
        f"SDK {[round(warm[('sdk', k)]['wall0_ms']) for k in KINDS]} ms"
    )
    print(
        f"  first invocation of a fresh container at {latency} ms (secret read, attribute list): "
        + "; ".join(
            f"{impl} {[round(warm[(impl, k)]['first_ms']) for k in KINDS]} ms, "
            f"{[warm[(impl, k)]['first_round_trips'] for k in KINDS]} round trips, "
            f"{[warm[(impl, k)]['first_requests'] for k in KINDS]} requests"
            for impl in ("ours", "sdk")
        )
    )
    for impl in ("ours", "sdk"):
        first = warm[(impl, "email")]
        statuses = collections.Counter[str]()
        for kind in KINDS:
            statuses.update(warm[(impl, kind)]["statuses"])
        print(
            f"  {impl} requests: statuses {dict(statuses)}; Accept {first['accept']}; "
            f"Intercom-Version {first['intercom_version']}; per email run "
            f"{first['routes_per_run']}"
        )

    print("\nCold start (spawn a process -> its first answer; sandbox latency 0 ms)")
    floor_ms = median(cold["floor.py"].wall_ms)
    cold_rows = [
        [
            name,
            _r(median(samples.wall_ms)),
            _r(min(samples.wall_ms)),
            f"{median(samples.wall_ms) / floor_ms:.2f}",
            _r(median(samples.imports_ms)) if samples.maxrss_kb[0] else "-",
            _r(median(samples.wall_ms) - median(samples.imports_ms))
            if samples.maxrss_kb[0]
            else "-",
            _r(max(samples.maxrss_kb) / 1024) if samples.maxrss_kb[0] else "-",
        ]
        for name, samples in cold.items()
    ]
    headers = ["process", "median ms", "min ms", "x floor", "of which start+imports"]
    headers += ["first invocation", "peak RSS MB"]
    print(_table(headers, cold_rows))
    warm_rss = {
        impl: max(warm[(impl, k)]["maxrss_kb"] for k in KINDS) / 1024 for impl in ("ours", "sdk")
    }
    print(
        f"  peak RSS of a warm container after {2 * (args.runs + 3) + 1} invocations: "
        f"ours {_r(warm_rss['ours'])} MB, SDK {_r(warm_rss['sdk'])} MB"
    )

    print("\nImport time (python -X importtime, median of", args.import_runs, "runs)")
    print(
        "  "
        + ", ".join(f"{m} {_r(ms)} ms" for m, ms in imports.totals_ms.items())
        + f"; floor (import boto3, urllib3) {_r(imports.floor_ms)} ms"
    )
    top = sorted(imports.packages_ms.items(), key=lambda item: -item[1])[:10]
    print(
        "  direct, by package (self time summed; * = also imported by the floor): "
        + ", ".join(
            f"{package}{'*' if package in imports.floor_packages else ''} {_r(ms)}"
            for package, ms in top
        )
    )
    top = sorted(imports.modules_ms.items(), key=lambda item: -item[1])[:6]
    print(
        "  direct, top modules by self time: "
        + ", ".join(f"{module} {_r(ms)}" for module, ms in top)
    )

    checks = []
    worst = max(KINDS, key=lambda k: warm[("ours", k)]["wall_ms"])
    worst_ratio = warm[("ours", worst)]["wall_ms"] / ideal
    checks.append(
        _check(
            worst_ratio <= MAX_LATENCY_OVER_IDEAL,
            f"latency / ideal <= {MAX_LATENCY_OVER_IDEAL}: worst {worst_ratio:.2f} ({worst})",
        )
    )
    worst = max(KINDS, key=lambda k: warm[("ours", k)]["wall_ms"] / warm[("sdk", k)]["wall_ms"])
    worst_ratio = warm[("ours", worst)]["wall_ms"] / warm[("sdk", worst)]["wall_ms"]
    checks.append(
        _check(
            worst_ratio <= MAX_LATENCY_OVER_SDK,
            f"latency <= {MAX_LATENCY_OVER_SDK} x SDK's: worst {worst_ratio:.2f} ({worst})",
        )
    )
    worst = max(KINDS, key=lambda k: warm[("ours", k)]["cpu_ms"] / warm[("sdk", k)]["cpu_ms"])
    worst_ratio = warm[("ours", worst)]["cpu_ms"] / warm[("sdk", worst)]["cpu_ms"]
    checks.append(
        _check(
            worst_ratio <= MAX_CPU_OVER_SDK,
            f"warm CPU <= {MAX_CPU_OVER_SDK} x SDK's: worst {worst_ratio:.2f} ({worst})",
        )
    )
    ratio = median(cold["ours (direct)"].wall_ms) / floor_ms
    checks.append(
        _check(
            ratio <= MAX_COLD_OVER_FLOOR,
            f"cold start <= {MAX_COLD_OVER_FLOOR} x floor: {ratio:.2f}",
        )
    )
    peak_mb = max(max(cold["ours (direct)"].maxrss_kb) / 1024, warm_rss["ours"])
    checks.append(
        _check(
            peak_mb <= MAX_RSS_MB,
            f"peak RSS <= {MAX_RSS_MB} MB (half of {LAMBDA_MEMORY_MB} MB): {_r(peak_mb)} MB",
        )
    )
    print("\nTargets")
    for _, text in checks:
        print(text)
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=30, help="timed warm invocations per cell")
    parser.add_argument("--cold-runs", type=int, default=10, help="cold starts per row")
    parser.add_argument("--import-runs", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=25)
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("intercom") is None or importlib.util.find_spec("moto") is None:
        print("python-intercom or moto is missing: run `make bench`", file=sys.stderr)
        return 2

    started = time.monotonic()
    with services() as (sandbox_url, moto_url):
        seed(sandbox_url, moto_url)
        env = child_env(sandbox_url, moto_url)
        warm: dict[tuple[Impl, Kind], dict[str, Any]] = {}
        for kind in KINDS:
            for impl in ("ours", "sdk"):
                print(f"warm: {impl} by {kind} ...", file=sys.stderr, flush=True)
                warm[(impl, kind)] = run_worker(impl, kind, args, env, sandbox_url)
        print("cold starts ...", file=sys.stderr, flush=True)
        Control(sandbox_url).set_latency(0)
        cold = run_cold(args.cold_runs, env)
        print("import times ...", file=sys.stderr, flush=True)
        imports = run_imports(args.import_runs, env)
    checks = report(args, warm, cold, imports)
    print(f"\n(took {_r(time.monotonic() - started)} s)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "warm": list(warm.values()),
                    "cold": {name: s.__dict__ for name, s in cold.items()},
                    "imports": imports.__dict__
                    | {"floor_packages": sorted(imports.floor_packages)},
                },
                indent=2,
            ),
            encoding="utf-8",
        )
    return 1 if args.strict and not all(ok for ok, _ in checks) else 0


if __name__ == "__main__":
    raise SystemExit(main())
