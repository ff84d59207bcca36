"""matching/ stays a pure library: only the standard library, numpy, scipy and itself."""

from __future__ import annotations

import ast
import sys
from importlib import resources
from pathlib import Path

ALLOWED_THIRD_PARTY = {"numpy", "scipy", "matching"}
FORBIDDEN_STDLIB = {
    "asyncio", "socket", "sqlite3", "http", "urllib", "subprocess", "threading", "multiprocessing",
    "logging", "random", "time",
}


def _modules() -> list[Path]:
    root = Path(str(resources.files("matching")))
    return sorted(root.glob("*.py"))


def test_imports_are_pure() -> None:
    found: dict[str, set[str]] = {}
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(path.name)
    assert found, "no imports found: wrong directory?"
    for top, files in found.items():
        if top in sys.stdlib_module_names or top == "__future__":
            assert top not in FORBIDDEN_STDLIB, (top, files)
        else:
            assert top in ALLOWED_THIRD_PARTY, (top, files)


def test_no_relative_imports_escape_the_package() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: use absolute matching.* imports"


def test_every_module_declares_all() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned = {
            target.id
            for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)
        }
        assert "__all__" in assigned, path.name
