"""Every module of the integration imports on its own, and no two modules import each other.

An import cycle hidden behind ``if TYPE_CHECKING:`` works until someone moves the import out of
that block; the graph below counts such imports too, so a cycle fails here first.
"""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys

ROOT = Path(__file__).parents[1]
PKG = ROOT / "custom_components" / "esim_keeper"


def _modules(package: Path) -> dict[str, Path]:
    """Return the modules of ``package`` (ROOT/custom_components/<domain>) by dotted name."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parents[1]).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(name: str, path: Path) -> set[str]:
    """Return the modules of the integration that ``name`` imports.

    At run time or for type checking.
    """
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


def import_cycles(package: Path) -> list[list[str]]:
    """Each cycle of the package's import graph, as the modules along it (empty: none)."""
    modules = _modules(package)
    graph = {
        name: sorted(m for m in _imports(name, path) if m in modules and m != name)
        for name, path in modules.items()
    }
    # A package's __init__ runs before its modules: importing a submodule is not a cycle
    # through the package, so edges into a package's own __init__ from inside it are left out.
    for name, targets in graph.items():
        graph[name] = [t for t in targets if not name.startswith(f"{t}.")]
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in graph[node]:
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name)
    return cycles


def test_no_import_cycles() -> None:
    assert import_cycles(PKG) == []


def test_the_cycle_check_finds_a_type_only_cycle(tmp_path: Path) -> None:
    package = tmp_path / "custom_components" / "esim_keeper"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("from .b import B\n", encoding="utf-8")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import A\n",
        encoding="utf-8",
    )
    a, b = "custom_components.esim_keeper.a", "custom_components.esim_keeper.b"
    assert import_cycles(package) == [[a, b, a]]


_IMPORT_EACH = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.startswith("custom_components")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as err:
        failed.append(f"{name}: {type(err).__name__}: {err}")
print("\\n".join(failed))
"""


def test_each_module_imports_on_its_own() -> None:
    """Each module, imported first in an interpreter that has none of the integration loaded."""
    names = sorted(_modules(PKG))
    result = subprocess.run(  # noqa: S603 (our own interpreter, our own module names)
        [sys.executable, "-c", _IMPORT_EACH, *names],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert result.stdout.strip() == ""
