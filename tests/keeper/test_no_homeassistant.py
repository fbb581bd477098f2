"""The keeper layer stays pure: no module under keeper/ imports Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path

from custom_components.esim_keeper import keeper

ROOT = Path(keeper.__file__).parent


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
            names.extend(
                arg.value
                for arg in node.args
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            )
    return names


def test_no_module_imports_homeassistant() -> None:
    files = sorted(ROOT.rglob("*.py"))
    assert len(files) >= 7
    offenders = []
    for path in files:
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for name in _imports(tree):
            if name == "homeassistant" or name.startswith("homeassistant."):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_relative_imports_stay_inside_keeper() -> None:
    for path in sorted(ROOT.rglob("*.py")):
        inner_depth = len(path.relative_to(ROOT).parts) - 1  # 0 for keeper/x.py
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level - 1 <= inner_depth, f"{path}: leaves keeper/"


def test_the_checker_catches_an_import() -> None:
    assert "homeassistant.core" in _imports(
        ast.parse("from homeassistant.core import HomeAssistant")
    )
    assert "homeassistant" in _imports(ast.parse("import homeassistant"))
    assert "homeassistant" in _imports(ast.parse("__import__('homeassistant')"))
