"""The one exception tree of :mod:`matching`.

::

    MatchingError
    ├── TaxonomyError            the taxonomy data file is malformed
    ├── UnknownSpecialty         a specialty code is not in the taxonomy
    ├── UnknownTopic             a topic code is not in the vocabulary
    ├── InvalidRequest           a SupportRequest (or its arguments) is not usable
    ├── InvalidSupporter         a Supporter is not usable
    ├── InvalidPolicy            a Policy has out-of-range weights or switches
    └── UnknownSupporter         an id that is not in the pool

The server maps these to HTTP status codes; domain code never does.
"""

from __future__ import annotations

__all__ = [
    "InvalidPolicy",
    "InvalidRequest",
    "InvalidSupporter",
    "MatchingError",
    "TaxonomyError",
    "UnknownSpecialty",
    "UnknownSupporter",
    "UnknownTopic",
]


class MatchingError(Exception):
    """Base class of every error raised by :mod:`matching`."""


class TaxonomyError(MatchingError):
    """The taxonomy data is malformed (raised by the loader, names the offending node)."""


class UnknownSpecialty(MatchingError, KeyError):
    """A specialty code that the taxonomy does not know."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"unknown specialty code {self.code!r}"

    def __repr__(self) -> str:
        return f"UnknownSpecialty({self.code!r})"


class UnknownTopic(MatchingError, ValueError):
    """A topic code outside the fixed vocabulary."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"unknown topic {self.code!r}"

    def __repr__(self) -> str:
        return f"UnknownTopic({self.code!r})"


class InvalidRequest(MatchingError, ValueError):
    """A support request, or an argument that goes with it, is not usable."""


class InvalidSupporter(MatchingError, ValueError):
    """A supporter record is not usable (bad language code, negative cap, ...)."""


class InvalidPolicy(MatchingError, ValueError):
    """A policy has a negative weight or an inconsistent switch."""


class UnknownSupporter(MatchingError, KeyError):
    """A supporter id that is not in the pool."""

    def __init__(self, supporter_id: str) -> None:
        super().__init__(supporter_id)
        self.supporter_id = supporter_id

    def __str__(self) -> str:
        return f"unknown supporter {self.supporter_id!r}"

    def __repr__(self) -> str:
        return f"UnknownSupporter({self.supporter_id!r})"
