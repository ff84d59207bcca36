"""The shape of `server/` (docs/architecture.md): which package may import which, no cycles
between packages, and no status string outside the state tables."""

from __future__ import annotations

import ast
from collections import defaultdict
from enum import StrEnum
from importlib import resources
from pathlib import Path

from server.accounts.invites import InviteStatus
from server.moderation.states import Category, FlagStatus, Outcome, Tier
from server.rooms.states import MemberRole, RoomStatus
from server.support.states import OfferStatus, RequestStatus

ROOT = Path(str(resources.files("server")))
DOMAINS = {"accounts", "support", "rooms", "moderation", "federation", "checkins"}
EDGES = {"api", "relay"}
# The composition layer: it builds the app out of every other part.
COMPOSITION = {"app", "cli", "demo", "jobs", "state"}
STATE_TABLES = {
    "server/support/states.py", "server/rooms/states.py", "server/accounts/invites.py",
    "server/moderation/states.py",
}  # fmt: skip


def _unit(path: Path) -> str:
    """The part of server/ a file belongs to: its subpackage, or its top-level module."""
    rel = path.relative_to(ROOT)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports() -> dict[str, set[str]]:
    """unit → the server units it imports (at any depth, including inside functions)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        here = _unit(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                assert node.level == 0, f"{path}: use absolute server.* imports"
                names = [node.module]
                if node.module == "server":
                    names = [f"server.{alias.name}" for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "server" and len(parts) > 1 and parts[1] != here:
                    graph[here].add(parts[1])
        graph.setdefault(here, set())
    return graph


def test_the_graph_is_read() -> None:
    graph = _imports()
    assert {"accounts", "support", "rooms", "relay", "api", "db", "platform"} <= set(graph)
    assert "support" in graph["api"]  # a known edge: the scan sees imports


def test_domains_never_import_the_edges() -> None:
    graph = _imports()
    for unit in DOMAINS & set(graph):
        assert not graph[unit] & EDGES, (unit, graph[unit] & EDGES)


def test_the_plumbing_imports_no_domain_and_no_edge() -> None:
    graph = _imports()
    for unit in ("db", "platform", "errors", "config"):
        assert not graph[unit] & (DOMAINS | EDGES | COMPOSITION), (unit, graph[unit])


def test_nothing_but_the_composition_layer_imports_it() -> None:
    graph = _imports()
    for unit, imported in graph.items():
        if unit not in COMPOSITION | {"api"}:
            assert not imported & COMPOSITION, (unit, imported & COMPOSITION)


def test_no_cycles_between_packages() -> None:
    graph = _imports()
    done: set[str] = set()

    def visit(unit: str, path: tuple[str, ...]) -> None:
        assert unit not in path, "import cycle: " + " → ".join((*path, unit))
        if unit in done:
            return
        for nxt in sorted(graph.get(unit, ())):
            visit(nxt, (*path, unit))
        done.add(unit)

    for unit in sorted(graph):
        visit(unit, ())


def _status_values() -> set[str]:
    enums: list[type[StrEnum]] = [
        RequestStatus, OfferStatus, RoomStatus, MemberRole, InviteStatus, FlagStatus, Tier,
        Category, Outcome,
    ]  # fmt: skip
    return {member.value for enum in enums for member in enum}


def _status_literals(tree: ast.AST, values: set[str]) -> list[ast.Constant]:
    """String constants used as a status or role: compared with a `.status` / `.role`, passed
    as `status=` / `role=`, or given to a `status` / `role` variable or field."""
    found: list[ast.Constant] = []

    def strings(node: ast.AST) -> list[ast.Constant]:
        return [
            n for n in ast.walk(node)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in values
        ]  # fmt: skip

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr in {"status", "role"} for s in sides):
                found += [c for s in sides for c in strings(s)]
        elif isinstance(node, ast.keyword) and node.arg in {"status", "role"}:
            found += strings(node.value)
        elif (
            isinstance(node, ast.AnnAssign | ast.Assign)
            and any(
                isinstance(t, ast.Name) and t.id in {"status", "role"}
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            )
        ):
            found += strings(node)
    return found


def test_the_literal_scan_finds_a_status_literal() -> None:
    tree = ast.parse('q.where(Offer.status == "pending").values(status="declined")\n'
                     'status: Literal["open"] = "closed"')
    found = sorted(c.value for c in _status_literals(tree, _status_values()))
    assert found == ["closed", "declined", "open", "pending"]


def test_no_status_literal_outside_the_state_tables() -> None:
    values = _status_values()
    found = []
    for path in ROOT.rglob("*.py"):
        rel = f"server/{path.relative_to(ROOT).as_posix()}"
        if rel in STATE_TABLES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{rel}:{c.lineno} {c.value!r}" for c in _status_literals(tree, values)]
    assert not found, found
