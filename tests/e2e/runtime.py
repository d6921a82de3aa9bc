"""What the emulator-based end-to-end tests share: the template's functions and their samples."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from scripts.local_lambda import BUILD_DIR, EVENTS_DIR, HOST_DIR, BuiltFunction, built_functions

ROOT: Final = Path(__file__).resolve().parents[2]


class _IgnoreTags(yaml.SafeLoader):
    """Reads template.yaml's short-form intrinsics (!Ref, !If, ...) as plain values."""


def _tagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_IgnoreTags.add_multi_constructor("!", _tagged)


def template_handlers() -> dict[str, str]:
    """Logical id -> Handler of every function in template.yaml (read at collection time)."""
    template = yaml.load((ROOT / "template.yaml").read_text(encoding="utf-8"), _IgnoreTags)  # noqa: S506 - a SafeLoader subclass
    return {
        name: resource["Properties"]["Handler"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def sample_events(handler: str) -> list[Path]:
    """The files in events/ for a handler (the same rule as ``BuiltFunction.sample_events``)."""
    stem = handler.rsplit(".", 2)[-2].replace("_", "-")
    return sorted(
        p for p in EVENTS_DIR.glob("*.json") if p.stem == stem or p.stem.startswith(f"{stem}-")
    )


def fail_or_skip(reason: str) -> None:
    if os.environ.get("REQUIRE_SAM_BUILD") == "1":
        pytest.fail(f"{reason} (REQUIRE_SAM_BUILD=1)")
    pytest.skip(reason)


def _stale_files(functions: dict[str, BuiltFunction]) -> list[str]:
    """Sources that differ from their copy in the host build (a checkout since the build)."""
    stale = []
    built_template = (HOST_DIR / "template.yaml").read_text(encoding="utf-8")
    source_template = (ROOT / "template.yaml").read_text(encoding="utf-8")
    if re.sub(r"\b(x86_64|arm64)\b", "ARCH", built_template) != re.sub(
        r"\b(x86_64|arm64)\b", "ARCH", source_template
    ):
        stale.append("template.yaml")
    code = ROOT / "handler"
    for function in functions.values():
        for source in code.rglob("*.py"):
            copy = function.code_dir / source.relative_to(code)
            if not copy.is_file() or copy.read_bytes() != source.read_bytes():
                stale.append(f"{source.relative_to(ROOT)} ({function.logical_id})")
    return stale


def host_functions() -> dict[str, BuiltFunction]:
    if not (BUILD_DIR / "template.yaml").is_file() or not (HOST_DIR / "aws-lambda-rie").is_file():
        fail_or_skip("no host build in .aws-sam/host: run scripts/build-host.sh (make e2e does)")
    functions = built_functions()
    stale = _stale_files(functions)
    if stale:
        fail_or_skip(f"the host build is older than {stale[0]}: run scripts/build-host.sh")
    return functions
