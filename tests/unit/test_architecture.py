"""The function's code keeps its layers and its functions short.

Imports run one way: handlers -> logic -> dal -> models. ``settings`` (the environment, parsed
once) and ``observability`` (logger, tracer, metrics) are shared by every layer above models:
they may import models and nothing else of the package, and models import only models, so the
contract's input and output never depend on a deployment or on logging. Imports inside
functions and under ``TYPE_CHECKING`` count too.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

import pytest

PACKAGE: Final = Path(__file__).resolve().parents[2] / "handler" / "intercom_update"
# Higher may import lower or equal, never higher.
RANK: Final = {"models": 0, "settings": 1, "observability": 1, "dal": 2, "logic": 3, "handlers": 4}
MAX_FUNCTION_LINES: Final = 50
# Longer functions, each with its reason.
LONG_FUNCTIONS: Final = {
    ("dal/transport.py", "_attempt"): "one exchange under its watchdog and trace segment: the "
    "socket must be read, discarded or released inside the same `with`",
}
MODULES: Final = sorted(PACKAGE.rglob("*.py"))


def layer(module: str) -> str | None:
    """The layer of ``intercom_update.<layer>...``, or None for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def layer_of_file(path: Path) -> str | None:
    relative = path.relative_to(PACKAGE).with_suffix("")
    return None if relative.name == "__init__" and not relative.parent.parts else relative.parts[0]


def package_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import of ``intercom_update`` in a module, wherever it stands."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "intercom_update":
                found += [(node.lineno, f"intercom_update.{alias.name}") for alias in node.names]
            elif node.module.startswith("intercom_update."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("intercom_")]
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way(path: Path) -> None:
    own = layer_of_file(path)
    if own is None:
        return  # the package's __init__ imports nothing of its own
    against = [
        f"line {line}: {module}"
        for line, module in package_imports(ast.parse(path.read_text()))
        if RANK[layer(module) or own] > RANK[own]
    ]
    assert against == [], f"{own} may not import a higher layer"


def test_the_layer_order_is_checked_on_every_layer() -> None:
    # A new top-level module or folder must be given its place in the order.
    assert {layer_of_file(path) for path in MODULES} - {None} == set(RANK)


def test_a_higher_import_is_found_wherever_it_stands() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from intercom_update.dal.transport import Deadline\n"
        "def f() -> None:\n"
        "    from intercom_update import logic\n"
    )
    assert package_imports(ast.parse(source)) == [
        (3, "intercom_update.dal.transport"),
        (5, "intercom_update.logic"),
    ]


def test_functions_are_short_or_say_why() -> None:
    long: dict[tuple[str, str], int] = {}
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[(str(path.relative_to(PACKAGE)), node.name)] = lines
    assert set(long) == set(LONG_FUNCTIONS), long
