"""A state table: which moves between the members of a `StrEnum` are legal.

Domain packages declare their tables (`server.support.states`, `server.rooms.states`) and route
every status write through one, so no status changes in a way the table does not show.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from server.errors import IllegalTransition

__all__ = ["Transitions"]

S = TypeVar("S", bound=StrEnum)


class Transitions(Generic[S]):
    """`table[old]` is the set of states `old` may move to; a state missing from it is final."""

    def __init__(self, table: Mapping[S, frozenset[S]]) -> None:
        self.table = dict(table)

    def __call__(self, old: S, new: S) -> S:
        """`new`, if `old` → `new` is legal; else `IllegalTransition`."""
        if new not in self.table.get(old, frozenset()):
            raise IllegalTransition(f"{type(old).__name__}: {old.value} → {new.value}")
        return new

    def final(self, state: S) -> bool:
        return not self.table.get(state)
