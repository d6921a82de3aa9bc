"""The artifact that `sam build` made is the one Lambda runs: arm64 native code for Python 3.13,
and every entry point imports from its own build directory plus the built layer, with nothing
else on sys.path (no project checkout, no virtualenv).

Skipped when there is no build (`make check-template` makes one); REQUIRE_SAM_BUILD=1 turns
that skip into a failure, for CI.

This machine may not be arm64: the layer's compiled extensions cannot load here. The import
check then puts in front of the layer the same distributions, at the same versions, built for
this machine (taken from the test interpreter's own site-packages), so that all Python code still
comes from the artifact.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"
ELF_MACHINE_AARCH64 = 183

IMPORT_HANDLER = """
import importlib, json, sys
paths, handler_path = json.loads(sys.argv[1]), sys.argv[2]
sys.path[:0] = paths
module_name, _, name = handler_path.rpartition(".")
module = importlib.import_module(module_name)
handler = getattr(module, name)
assert callable(handler), f"{handler_path} is not callable"
origins = {
    top: getattr(sys.modules[top], "__file__", None)
    for top in ("intercom_update", "aws_lambda_powertools", "pydantic", "boto3", "urllib3")
    if top in sys.modules
}
print(json.dumps({"module": module.__file__, "origins": origins}))
"""


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("REQUIRE_SAM_BUILD") == "1":
        pytest.fail(f"{reason} (REQUIRE_SAM_BUILD=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def built_template() -> dict[str, Any]:
    path = BUILD / "template.yaml"
    if not path.is_file():
        _fail_or_skip("no .aws-sam/build/template.yaml: run `make check-template` first")
    # sam build writes the long form of every intrinsic, which plain YAML reads.
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def layer_dir(built_template: dict[str, Any]) -> Path:
    (layer,) = [
        res
        for res in built_template["Resources"].values()
        if res["Type"] == "AWS::Serverless::LayerVersion"
    ]
    path: Path = BUILD / layer["Properties"]["ContentUri"] / "python"
    assert path.is_dir(), path
    return path


@pytest.fixture(scope="module")
def python313() -> str:
    if sys.version_info[:2] == (3, 13):
        return sys.executable
    found = subprocess.run(  # noqa: S603 (a script of this repository)
        [str(ROOT / "scripts" / "find-python.sh"), "3.13"],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        _fail_or_skip("no python3.13 on this machine")
    return found.stdout.strip()


def _functions(built_template: dict[str, Any]) -> Iterator[tuple[str, str, Path]]:
    globals_ = built_template.get("Globals", {}).get("Function", {})
    for name, res in built_template["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        properties = {**globals_, **res["Properties"]}
        yield name, properties["Handler"], BUILD / properties["CodeUri"]


def _native_distributions(site: Path) -> dict[str, set[str]]:
    """dist-info directory name -> top-level names it installs, for those with compiled code."""
    found: dict[str, set[str]] = {}
    for record in site.glob("*.dist-info/RECORD"):
        files = [line.split(",", 1)[0] for line in record.read_text("utf-8").splitlines()]
        if any(f.endswith(".so") for f in files):
            found[record.parent.name] = {
                Path(f).parts[0]
                for f in files
                if not f.startswith("..") and not Path(f).parts[0].endswith(".dist-info")
            }
    return found


def _host_shim(layer_dir: Path, python: str, shim: Path) -> list[Path]:
    """sys.path entries that must precede the layer for it to import on this machine."""
    if platform.system() == "Linux" and platform.machine() in ("aarch64", "arm64"):
        return []
    if python != sys.executable:
        _fail_or_skip("on a non-arm64 machine the import check needs pytest to run on 3.13")
    host_site = Path(sysconfig.get_paths()["platlib"])
    for dist_info, tops in _native_distributions(layer_dir).items():
        if not (host_site / dist_info).is_dir():
            _fail_or_skip(f"{dist_info} is not installed for this machine in {host_site}")
        for top in tops:
            (shim / top).symlink_to(host_site / top)
    return [shim]


def test_a_build_exists_for_every_function(built_template: dict[str, Any]) -> None:
    functions = {name: handler for name, handler, _ in _functions(built_template)}
    assert functions == {
        "UpdateUserFunction": "intercom_update.handlers.direct.lambda_handler",
        "ApiUpdateUserFunction": "intercom_update.handlers.api_gateway.lambda_handler",
        "EventBridgeUpdateUserFunction": "intercom_update.handlers.eventbridge.lambda_handler",
        "SqsUpdateUserFunction": "intercom_update.handlers.sqs.lambda_handler",
        "BackfillFunction": "intercom_update.handlers.backfill.lambda_handler",
    }
    for _, _, code in _functions(built_template):
        assert (code / "intercom_update" / "__init__.py").is_file(), code


def test_layer_native_code_is_for_lambda_arm64(layer_dir: Path) -> None:
    shared_objects = list(layer_dir.rglob("*.so"))
    assert shared_objects, "pydantic-core at least ships compiled code"
    for so in shared_objects:
        header = so.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", so
        assert int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64, so
        if ".cpython-" in so.name:
            assert ".cpython-313-aarch64-linux-gnu." in so.name, so


def test_every_handler_imports_from_the_artifact(
    built_template: dict[str, Any], layer_dir: Path, python313: str, tmp_path: Path
) -> None:
    shim = _host_shim(layer_dir, python313, tmp_path)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_SERVICE_NAME": "intercom-update-user",
        "POWERTOOLS_METRICS_NAMESPACE": "IntercomUpdateUser",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "CONNECTED_ACCOUNT_PREFIX": "intercom/",
        "INTERCOM_API_VERSION": "2.14",
        "IDEMPOTENCY_TABLE_NAME": "intercom-update-user-idempotency",
    }
    for name, handler, code in _functions(built_template):
        paths = [str(code), *map(str, shim), str(layer_dir)]
        # -I -S: no site-packages, no PYTHONPATH, no current directory on sys.path.
        result = subprocess.run(  # noqa: S603 (our interpreter, our code)
            [python313, "-I", "-S", "-c", IMPORT_HANDLER, json.dumps(paths), handler],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"{name}: {result.stderr}"
        report = json.loads(result.stdout.splitlines()[-1])
        assert Path(report["module"]).is_relative_to(code), report
        for top, origin in report["origins"].items():
            home = code if top == "intercom_update" else layer_dir
            assert origin is not None
            assert Path(origin).is_relative_to(home), (name, top, origin)
