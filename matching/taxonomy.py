"""The specialty vocabulary: a three-level hierarchy and the similarity derived from it.

Levels are grouping → classification → specialization (NUCC Health Care Provider Taxonomy style).
Groupings carry Peerhaven codes (``ph:...``); classifications and specializations carry the NUCC
code where one exists. Nodes may name *domains* (``critical-care``, ``oncology``, ...) that link
related work across groupings, e.g. a critical-care nurse and an intensivist; a node inherits the
domains of its ancestors.

Load with :func:`load_taxonomy` (reads the packaged ``taxonomy.json`` on first call, then cached).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from matching.errors import TaxonomyError, UnknownSpecialty

__all__ = [
    "SIMILARITY",
    "Level",
    "PickerEntry",
    "SpecialtyNode",
    "Taxonomy",
    "load_taxonomy",
    "parse_taxonomy",
]

_NUCC = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")
_LOCAL = re.compile(r"ph:[a-z0-9]+(?:-[a-z0-9]+)*")

#: Similarity by relation; the score uses the largest that applies.
SIMILARITY: Mapping[str, float] = {
    "same": 1.0,
    "parent-child": 0.8,  # a classification and one of its specializations
    "siblings": 0.7,  # two specializations of one classification
    "shared-domain": 0.5,  # e.g. critical-care nursing and critical care medicine
    "same-grouping": 0.3,  # e.g. two physician specialties
    "unrelated": 0.1,
}


class Level(StrEnum):
    GROUPING = "grouping"
    CLASSIFICATION = "classification"
    SPECIALIZATION = "specialization"


_PARENT_LEVEL = {Level.CLASSIFICATION: Level.GROUPING, Level.SPECIALIZATION: Level.CLASSIFICATION}


@dataclass(frozen=True, slots=True)
class SpecialtyNode:
    """One node of the hierarchy. ``workforce`` is a head count for synthetic pools only."""

    code: str
    label: str
    level: Level
    parent: str | None
    workforce: int
    domains: frozenset[str]
    source: str | None

    @property
    def is_nucc(self) -> bool:
        return _NUCC.fullmatch(self.code) is not None


@dataclass(frozen=True, slots=True)
class PickerEntry:
    """What a specialty picker shows: the code to send back and labels from the top down."""

    code: str
    label: str
    level: Level
    path: tuple[str, ...]


class Taxonomy:
    """A validated specialty hierarchy. Immutable; build it with :func:`parse_taxonomy`."""

    def __init__(self, nodes: Sequence[SpecialtyNode], version: str) -> None:
        self.version = version
        self._nodes = tuple(nodes)
        self._by_code = {n.code: n for n in self._nodes}
        self._index = {n.code: i for i, n in enumerate(self._nodes)}

    def __repr__(self) -> str:
        return f"<Taxonomy {self.version} with {len(self._nodes)} codes>"

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    @property
    def nodes(self) -> tuple[SpecialtyNode, ...]:
        return self._nodes

    def get(self, code: str) -> SpecialtyNode:
        """The node for ``code``; raises :class:`UnknownSpecialty`."""
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownSpecialty(code) from None

    def index(self, code: str) -> int:
        """Row/column of ``code`` in :attr:`similarity_matrix`; raises :class:`UnknownSpecialty`."""
        try:
            return self._index[code]
        except KeyError:
            raise UnknownSpecialty(code) from None

    def children(self, code: str | None = None) -> tuple[SpecialtyNode, ...]:
        """Direct children of ``code``, or the groupings when ``code`` is None."""
        if code is not None:
            self.get(code)
        return tuple(n for n in self._nodes if n.parent == code)

    def ancestors(self, code: str) -> tuple[SpecialtyNode, ...]:
        """The node itself, then its parent, up to its grouping."""
        chain = [self.get(code)]
        while (parent := chain[-1].parent) is not None:
            chain.append(self._by_code[parent])
        return tuple(chain)

    def domains(self, code: str) -> frozenset[str]:
        """The node's own domains plus its ancestors'."""
        return frozenset().union(*(n.domains for n in self.ancestors(code)))

    def picker(self) -> list[PickerEntry]:
        """Every selectable code (classifications and specializations), in file order."""
        return [
            PickerEntry(
                code=n.code,
                label=n.label,
                level=n.level,
                path=tuple(a.label for a in reversed(self.ancestors(n.code))),
            )
            for n in self._nodes
            if n.level is not Level.GROUPING
        ]

    def similarity(self, a: str, b: str) -> float:
        """Similarity in [0, 1] of two codes, from the hierarchy (see :data:`SIMILARITY`)."""
        return float(self.similarity_matrix[self.index(a), self.index(b)])

    @cached_property
    def similarity_matrix(self) -> npt.NDArray[np.float64]:
        """``n x n`` similarities, indexed by :meth:`index`. Read-only."""
        n = len(self._nodes)
        group = [self.ancestors(node.code)[-1].code for node in self._nodes]
        klass = [
            next((a.code for a in self.ancestors(node.code) if a.level is Level.CLASSIFICATION),
                 node.code)
            for node in self._nodes
        ]
        domains = [self.domains(node.code) for node in self._nodes]
        sim = np.full((n, n), SIMILARITY["unrelated"], dtype=np.float64)
        for i in range(n):
            for j in range(n):
                if i == j:
                    value = SIMILARITY["same"]
                elif klass[i] == klass[j] and self._nodes[i].level is not Level.GROUPING:
                    codes = (self._nodes[i].code, self._nodes[j].code)
                    parent_child = codes[0] == klass[j] or codes[1] == klass[i]
                    value = SIMILARITY["parent-child" if parent_child else "siblings"]
                elif domains[i] & domains[j]:
                    value = SIMILARITY["shared-domain"]
                elif group[i] == group[j]:
                    value = SIMILARITY["same-grouping"]
                else:
                    continue
                sim[i, j] = value
        sim.setflags(write=False)
        return sim

    @cached_property
    def classification_index(self) -> npt.NDArray[np.int32]:
        """For each node, the :meth:`index` of its classification (itself for groupings)."""
        out = np.empty(len(self._nodes), dtype=np.int32)
        for i, node in enumerate(self._nodes):
            klass = next(
                (a for a in self.ancestors(node.code) if a.level is Level.CLASSIFICATION), node
            )
            out[i] = self._index[klass.code]
        out.setflags(write=False)
        return out


def _field(raw: Mapping[str, object], key: str, kind: type, where: str) -> object:
    value = raw.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TaxonomyError(f"{where}: field {key!r} must be {kind.__name__}, got {value!r}")
    return value


def parse_taxonomy(data: object) -> Taxonomy:
    """Validate decoded taxonomy JSON and build a :class:`Taxonomy`.

    Raises :class:`TaxonomyError` naming the first bad node: unknown level, malformed or
    duplicate code, missing parent, a parent at the wrong level, negative workforce, empty label.
    """
    if not isinstance(data, Mapping):
        raise TaxonomyError("taxonomy must be a JSON object")
    version = _field(data, "version", str, "taxonomy")
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise TaxonomyError("taxonomy: 'nodes' must be a non-empty list")
    nodes: list[SpecialtyNode] = []
    seen: dict[str, SpecialtyNode] = {}
    for position, raw in enumerate(raw_nodes):
        where = f"node #{position}"
        if not isinstance(raw, Mapping):
            raise TaxonomyError(f"{where}: must be an object")
        code = str(_field(raw, "code", str, where))
        where = f"node {code!r}"
        if _NUCC.fullmatch(code) is None and _LOCAL.fullmatch(code) is None:
            raise TaxonomyError(f"{where}: code is neither a NUCC code nor 'ph:lower-case-slug'")
        if code in seen:
            raise TaxonomyError(f"{where}: duplicate code")
        label = str(_field(raw, "label", str, where)).strip()
        if not label:
            raise TaxonomyError(f"{where}: empty label")
        try:
            level = Level(str(raw.get("level")))
        except ValueError:
            raise TaxonomyError(f"{where}: unknown level {raw.get('level')!r}") from None
        parent = raw.get("parent")
        if level is Level.GROUPING:
            if parent is not None:
                raise TaxonomyError(f"{where}: a grouping has no parent")
        else:
            if not isinstance(parent, str) or parent not in seen:
                raise TaxonomyError(f"{where}: parent {parent!r} must be an earlier node")
            if seen[parent].level is not _PARENT_LEVEL[level]:
                raise TaxonomyError(f"{where}: a {level} needs a {_PARENT_LEVEL[level]} parent")
        workforce = raw.get("workforce", 0)
        if not isinstance(workforce, int) or isinstance(workforce, bool) or workforce < 0:
            raise TaxonomyError(f"{where}: workforce must be a non-negative integer")
        domains = raw.get("domains", [])
        if not isinstance(domains, list) or not all(
            isinstance(d, str) and _LOCAL.fullmatch("ph:" + d) for d in domains
        ):
            raise TaxonomyError(f"{where}: domains must be a list of lower-case slugs")
        source = raw.get("source")
        if source is not None and not isinstance(source, str):
            raise TaxonomyError(f"{where}: source must be a string")
        node = SpecialtyNode(
            code=code,
            label=label,
            level=level,
            parent=parent if isinstance(parent, str) else None,
            workforce=workforce,
            domains=frozenset(domains),
            source=source,
        )
        seen[code] = node
        nodes.append(node)
    return Taxonomy(nodes, str(version))


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The packaged taxonomy (``matching/taxonomy.json``), parsed once and cached."""
    text = resources.files("matching").joinpath("taxonomy.json").read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaxonomyError(f"taxonomy.json is not valid JSON: {exc}") from None
    return parse_taxonomy(data)
