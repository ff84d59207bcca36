"""A supporter pool held in compact numpy arrays, for exact scans over 10^5 supporters.

One row per supporter; hard constraints are bit tests and comparisons over whole columns, the
score of the survivors is a handful of vector operations (the same arithmetic as
:func:`matching.score.explain`). Changing one supporter's load, availability or record costs
O(1) (plus the row's own bits), adding one is amortised O(1) (the columns grow by doubling) and
removing one moves the last row into its place, so the server can keep one pool per worker and
update it as offers are accepted and rooms close. The pool is not thread-safe: the caller
serialises updates and reservations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.constraints import WEEK, current_slot, weekly_count
from matching.errors import InvalidRequest, InvalidSupporter, UnknownSupporter
from matching.model import Policy, Supporter, SupportRequest
from matching.taxonomy import Taxonomy, load_taxonomy
from matching.vocabulary import Urgency, slot_mask

__all__ = ["Scan", "SupporterPool", "to_micros"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NEVER = np.iinfo(np.int64).max  # weekly gate of a supporter whose weekly cap is 0
_ALWAYS = np.iinfo(np.int64).min  # weekly gate of a supporter under the cap whatever the time
_WEEK_US = WEEK // timedelta(microseconds=1)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# The one-dimensional columns and their types; `language_bits` (words x rows) is kept apart.
_COLUMNS: tuple[tuple[str, type[np.generic]], ...] = (
    ("institution", np.int32),
    ("network", np.int32),
    ("specialty", np.int32),
    ("years", np.float64),
    ("topic_bits", np.uint64),
    ("hour_bits", np.uint64),
    ("accepting", np.bool_),
    ("load", np.int32),
    ("cap", np.int32),
    ("weekly_gate", np.int64),
    ("open", np.bool_),  # accepting and under the concurrent cap
)


def to_micros(moment: datetime) -> int:
    """Exact integer microseconds since the epoch of a timezone-aware datetime."""
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidRequest("times must be timezone-aware datetimes")
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _weekly_gate(supporter: Supporter) -> int:
    # The supporter is under the weekly cap at `now` exactly when their cap-th most recent
    # assignment is at or before now - 7 days: one comparison per row instead of a count.
    cap = supporter.weekly_cap
    if cap == 0:
        return int(_NEVER)
    if len(supporter.recent_assignments) < cap:
        return int(_ALWAYS)
    times = sorted((to_micros(t) for t in supporter.recent_assignments), reverse=True)
    return times[cap - 1]


@dataclass(frozen=True, slots=True)
class Scan:
    """Feasible supporters of one request: pool row ``indices`` (ascending) and their scores."""

    indices: IntArray
    scores: FloatArray


class SupporterPool:
    """Supporters as columns. Build it from :class:`~matching.model.Supporter` records.

    Raises :class:`~matching.errors.InvalidSupporter` for a duplicate id and
    :class:`~matching.errors.UnknownSpecialty` for a specialty outside the taxonomy.
    """

    # One entry per row (see _COLUMNS); read-only for callers.
    institution: npt.NDArray[np.int32]
    network: npt.NDArray[np.int32]
    specialty: npt.NDArray[np.int32]
    years: FloatArray
    topic_bits: npt.NDArray[np.uint64]
    hour_bits: npt.NDArray[np.uint64]
    accepting: npt.NDArray[np.bool_]
    load: npt.NDArray[np.int32]
    cap: npt.NDArray[np.int32]
    weekly_gate: IntArray
    open: npt.NDArray[np.bool_]
    language_bits: npt.NDArray[np.uint64]

    def __init__(self, supporters: Iterable[Supporter], *, taxonomy: Taxonomy | None = None):
        self.taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
        records = list(supporters)
        n = len(records)
        self._records: list[Supporter] = []
        self._row: dict[str, int] = {}
        self._institutions: dict[str, int] = {}
        self._networks: dict[str, int] = {}
        self._languages: dict[str, int] = {}
        self._blocked_by: dict[str, set[int]] = {}
        # Columns are views of the first len(self) rows of larger buffers, so adding a row is
        # amortised O(1); every row beyond len(self) is zero.
        self._buffers: dict[str, npt.NDArray[Any]] = {
            name: np.zeros(n, dtype=dtype) for name, dtype in _COLUMNS
        }
        self._language_buffer = np.zeros((1, n), dtype=np.uint64)
        self._view(n)
        for row, supporter in enumerate(records):
            if supporter.supporter_id in self._row:
                raise InvalidSupporter(f"duplicate supporter id {supporter.supporter_id!r}")
            self._records.append(supporter)
            self._row[supporter.supporter_id] = row
            self._write(row, supporter)

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"<SupporterPool of {len(self)} supporters>"

    def __contains__(self, supporter_id: object) -> bool:
        return supporter_id in self._row

    # -- reading -----------------------------------------------------------------------------

    def row(self, supporter_id: str) -> int:
        """The row of ``supporter_id``; raises :class:`UnknownSupporter`."""
        try:
            return self._row[supporter_id]
        except KeyError:
            raise UnknownSupporter(supporter_id) from None

    def supporter(self, supporter_id: str) -> Supporter:
        """The current record of ``supporter_id``; raises :class:`UnknownSupporter`."""
        return self._records[self.row(supporter_id)]

    def supporter_at(self, row: int) -> Supporter:
        return self._records[row]

    def supporters(self) -> tuple[Supporter, ...]:
        return tuple(self._records)

    def remaining_capacity(self, rows: npt.ArrayLike, *, now: datetime) -> IntArray:
        """How many more assignments each row can take at ``now`` (both caps, not accepting: 0)."""
        out = np.zeros(np.shape(rows), dtype=np.int64)
        for k, row in enumerate(np.asarray(rows, dtype=np.int64).ravel()):
            s = self._records[int(row)]
            if s.accepting:
                out.flat[k] = max(
                    0,
                    min(s.concurrent_cap - s.current_load, s.weekly_cap - weekly_count(s, now)),
                )
        return out

    # -- updating ----------------------------------------------------------------------------

    def put(self, supporter: Supporter) -> None:
        """Add a supporter, or replace the record with the same id. Either touches one row
        (adding is amortised O(1))."""
        row = self._row.get(supporter.supporter_id)
        if row is None:
            row = len(self._records)
            self._grow(row + 1)
            self._records.append(supporter)
            self._row[supporter.supporter_id] = row
        else:
            self._unblock(row)
            self._records[row] = supporter
        self._write(row, supporter)

    def remove(self, supporter_id: str) -> Supporter:
        """Take a supporter out of the pool and return their last record; raises
        :class:`UnknownSupporter`.

        The last row moves into the freed one, so rows (and the pool order that breaks ties)
        of other supporters may change; ids never do.
        """
        row = self.row(supporter_id)
        removed = self._records[row]
        self._unblock(row)
        last = len(self._records) - 1
        if row != last:
            moved = self._records[last]
            self._unblock(last)
            for buffer in self._buffers.values():
                buffer[row] = buffer[last]
            self._language_buffer[:, row] = self._language_buffer[:, last]
            self._records[row] = moved
            self._row[moved.supporter_id] = row
            for requester in moved.blocked_requester_ids:
                self._blocked_by.setdefault(requester, set()).add(row)
        for buffer in self._buffers.values():
            buffer[last] = 0
        self._language_buffer[:, last] = 0
        self._records.pop()
        del self._row[supporter_id]
        self._view(last)
        return removed

    def record_assignment(self, supporter_id: str, *, at: datetime) -> Supporter:
        """Count a new assignment starting ``at``: load + 1 and one more in the weekly window.

        Caps are not checked here (the server's records are the truth and may already exceed
        them); check :func:`matching.constraints.violations` first when that matters.
        """
        to_micros(at)
        s = self.supporter(supporter_id)
        updated = dataclasses.replace(
            s,
            current_load=s.current_load + 1,
            recent_assignments=(*_prune(s.recent_assignments, at), at),
        )
        self.put(updated)
        return updated

    def release(self, supporter_id: str) -> Supporter:
        """A conversation ended: load - 1 (the weekly count is unchanged)."""
        s = self.supporter(supporter_id)
        if s.current_load == 0:
            raise InvalidSupporter(f"supporter {supporter_id!r} has no conversation to release")
        updated = dataclasses.replace(s, current_load=s.current_load - 1)
        self.put(updated)
        return updated

    def set_accepting(self, supporter_id: str, accepting: bool) -> Supporter:
        """The supporter's own pause switch."""
        updated = dataclasses.replace(self.supporter(supporter_id), accepting=accepting)
        self.put(updated)
        return updated

    def _unblock(self, row: int) -> None:
        for requester in self._records[row].blocked_requester_ids:
            rows = self._blocked_by.get(requester)
            if rows is not None:
                rows.discard(row)
                if not rows:
                    del self._blocked_by[requester]

    def _view(self, n: int) -> None:
        # The public columns: the first n rows of each buffer (views, not copies).
        self._n = n
        for name, _dtype in _COLUMNS:
            setattr(self, name, self._buffers[name][:n])
        self.language_bits = self._language_buffer[:, :n]

    def _grow(self, n: int) -> None:
        capacity = self._language_buffer.shape[1]
        if n > capacity:
            capacity = max(n, 2 * capacity, 16)
            for name, buffer in self._buffers.items():
                bigger = np.zeros(capacity, dtype=buffer.dtype)
                bigger[: len(buffer)] = buffer
                self._buffers[name] = bigger
            words = self._language_buffer.shape[0]
            language = np.zeros((words, capacity), dtype=np.uint64)
            language[:, : self._language_buffer.shape[1]] = self._language_buffer
            self._language_buffer = language
        self._view(n)

    def _language_bit(self, code: str) -> tuple[int, int]:
        bit = self._languages.setdefault(code, len(self._languages))
        word = bit // 64
        if word >= self._language_buffer.shape[0]:
            extra = np.zeros(
                (word + 1 - self._language_buffer.shape[0], self._language_buffer.shape[1]),
                np.uint64,
            )
            self._language_buffer = np.concatenate([self._language_buffer, extra])
            self.language_bits = self._language_buffer[:, : self._n]
        return word, bit % 64

    def _write(self, row: int, s: Supporter) -> None:
        self.specialty[row] = self.taxonomy.index(s.specialty)
        self.institution[row] = self._institutions.setdefault(
            s.institution_id, len(self._institutions)
        )
        self.network[row] = self._networks.setdefault(s.network_id, len(self._networks))
        self.years[row] = s.years_experience
        self.language_bits[:, row] = 0
        for code in s.languages:
            word, bit = self._language_bit(code)
            self.language_bits[word, row] |= np.uint64(1 << bit)
        self.topic_bits[row] = sum(t.bit for t in s.topic_expertise)
        self.hour_bits[row] = slot_mask(s.availability, s.utc_offset_minutes)
        self.accepting[row] = s.accepting
        self.load[row] = s.current_load
        self.cap[row] = s.concurrent_cap
        self.weekly_gate[row] = _weekly_gate(s)
        self.open[row] = s.accepting and s.current_load < s.concurrent_cap
        for requester in s.blocked_requester_ids:
            self._blocked_by.setdefault(requester, set()).add(row)

    # -- scanning ----------------------------------------------------------------------------

    def _language_mask(self, request: SupportRequest) -> npt.NDArray[np.bool_] | None:
        words: dict[int, int] = {}
        for code in request.languages:
            bit = self._languages.get(code)
            if bit is not None:
                words[bit // 64] = words.get(bit // 64, 0) | 1 << (bit % 64)
        mask = None
        for word, bits in words.items():
            hit = (self.language_bits[word] & np.uint64(bits)) != 0
            mask = hit if mask is None else mask | hit
        return mask

    def feasible_rows(self, request: SupportRequest, *, now: datetime, policy: Policy) -> IntArray:
        """Rows that break no hard constraint for ``request`` at ``now`` (ascending)."""
        now_us = to_micros(now)
        spec = self.taxonomy.index(request.specialty)
        mask = self._language_mask(request)
        if mask is None or not len(self):
            return np.zeros(0, dtype=np.int64)
        mask &= self.open
        mask &= self.weekly_gate <= now_us - _WEEK_US
        institution = self._institutions.get(request.institution_id)
        if institution is not None:
            mask &= self.institution != institution
        if policy.same_network_only:
            network = self._networks.get(request.network_id, -1)
            mask &= self.network == network
        if policy.urgent_needs_available_now and request.urgency is Urgency.URGENT:
            mask &= (self.hour_bits & np.uint64(1 << current_slot(now))) != 0
        if request.same_specialty_only:
            similar = self.taxonomy.similarity_matrix[spec] >= policy.same_specialty_min_similarity
            mask &= similar[self.specialty]
        excluded = set(self._blocked_by.get(request.requester_id, ()))
        excluded.update(self._row[i] for i in request.blocked_supporter_ids if i in self._row)
        if request.requester_id in self._row:
            excluded.add(self._row[request.requester_id])
        if excluded:
            mask[np.fromiter(excluded, np.int64, len(excluded))] = False
        return np.flatnonzero(mask).astype(np.int64, copy=False)

    def specialty_similarity(self, request: SupportRequest, rows: IntArray) -> FloatArray:
        """Specialty similarity of ``rows`` to the request (the first criterion's value)."""
        taxonomy = self.taxonomy
        row = taxonomy.similarity_matrix[taxonomy.index(request.specialty)]
        return np.asarray(row[self.specialty[rows]], dtype=np.float64)

    def scores(self, request: SupportRequest, rows: IntArray, *, policy: Policy) -> FloatArray:
        """Scores of ``rows`` for ``request``: the arithmetic of :func:`matching.score.explain`.

        ``rows`` must come from :meth:`feasible_rows` (feasible rows have a non-zero cap).
        """
        taxonomy = self.taxonomy
        similarity = taxonomy.similarity_matrix[taxonomy.index(request.specialty)]
        total = policy.specialty_weight * similarity[self.specialty[rows]]
        fit = np.interp(
            self.years[rows] - request.years_experience,
            policy.experience_gap_years,
            policy.experience_fit,
        )
        total = total + policy.experience_weight * fit
        asked = sum(t.bit for t in request.topics)
        if asked:
            known = np.bitwise_count(self.topic_bits[rows] & np.uint64(asked))
            total = total + policy.topic_weight * (known.astype(np.int64) / asked.bit_count())
        else:
            total = total + policy.topic_weight * 0.0
        hours = np.uint64(slot_mask(request.availability, request.utc_offset_minutes))
        overlap = np.bitwise_count(self.hour_bits[rows] & hours).astype(np.int64)
        tz = np.minimum(1.0, overlap / policy.overlap_target_slots)
        total = total + policy.timezone_weight * tz
        load = self.load[rows].astype(np.int64) / self.cap[rows].astype(np.int64)
        total = total + -(policy.load_weight * load)
        return np.asarray(total, dtype=np.float64)

    def scan(self, request: SupportRequest, *, now: datetime, policy: Policy) -> Scan:
        """Feasible rows of ``request`` with their scores."""
        rows = self.feasible_rows(request, now=now, policy=policy)
        return Scan(rows, self.scores(request, rows, policy=policy))


def _prune(times: tuple[datetime, ...], at: datetime) -> tuple[datetime, ...]:
    # Keep the record small: assignments older than a week no longer count for anything.
    cutoff = at - WEEK
    return tuple(t for t in times if t > cutoff)
