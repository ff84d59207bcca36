"""Layering rules: crypto/ imports only nacl and the standard library, and only
primitives.py imports nacl; every module declares __all__; one error tree."""

from __future__ import annotations

import ast
import importlib
import inspect
import pathlib
import sys

import crypto
import crypto.errors

PACKAGE = pathlib.Path(crypto.__file__).parent
MODULES = sorted(p for p in PACKAGE.glob("*.py"))


def _imports(path: pathlib.Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_imports_are_stdlib_or_nacl_only() -> None:
    for path in MODULES:
        for name in _imports(path):
            assert name in sys.stdlib_module_names or name == "nacl", (path.name, name)
        if path.name != "primitives.py":
            assert "nacl" not in _imports(path), path.name


def test_every_module_declares_all() -> None:
    for path in MODULES:
        module = importlib.import_module(
            f"crypto.{path.stem}" if path.stem != "__init__" else "crypto"
        )
        assert hasattr(module, "__all__"), path.name
        for name in module.__all__:
            assert hasattr(module, name), (path.name, name)


def test_one_error_tree() -> None:
    for _name, cls in inspect.getmembers(crypto.errors, inspect.isclass):
        if issubclass(cls, Exception):
            assert issubclass(cls, crypto.errors.CryptoError)
    assert issubclass(crypto.errors.SkippedMessageLimitError, crypto.errors.DecryptionError)
    assert issubclass(crypto.errors.ReplayError, crypto.errors.DecryptionError)
