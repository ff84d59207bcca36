"""Anonymised availability: how many supporters a network has, counted one dimension at a time.

What a node tells its peers is four separate tallies of its available supporters: by specialty
grouping (the top of the taxonomy, e.g. "physicians"), by experience band, by language and by
topic of expertise, and a total. Marginal counts only, never a joint table (so no combination
pins down one person), and never an id, a name, an institution or a time beyond "as of the last
exchange". A peer uses them only to choose where to forward a request.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from matching.taxonomy import load_taxonomy
from matching.vocabulary import Topic
from server.accounts.roles import Role
from server.db.engine import Database
from server.db.models import Account, FederationPeer, Institution, Profile, SupporterProfile
from server.errors import InvalidInput, ServiceError
from server.federation import peering
from server.federation.gateway import Gateway
from server.rooms.rooms import experience_band

__all__ = [
    "AVAILABILITY_PATH",
    "BANDS",
    "DIMENSIONS",
    "check_counts",
    "local_counts",
    "publish",
    "specialty_group",
    "store",
]

log = logging.getLogger(__name__)
AVAILABILITY_PATH = "/federation/v1/availability"
DIMENSIONS = ("specialty_group", "experience_band", "language", "topic")
BANDS = tuple(experience_band(years) for years in (0, 5, 10, 20))
_LANGUAGE = re.compile(r"[a-z]{2}")
_MAX_COUNT = 10_000_000


def specialty_group(code: str) -> str:
    """The taxonomy grouping of a specialty code (the coarsest level)."""
    return load_taxonomy().ancestors(code)[-1].code


async def local_counts(session: AsyncSession, *, network_id: Any) -> dict[str, Any]:
    """The network's available supporters, tallied per dimension (marginals only)."""
    rows = await session.exec(
        select(
            Profile.specialty,
            Profile.years_experience,
            Profile.languages,
            SupporterProfile.topic_expertise,
        )
        .join(SupporterProfile, col(SupporterProfile.account_id) == col(Profile.account_id))
        .join(Account, col(Account.id) == col(Profile.account_id))
        .join(Institution, col(Institution.id) == col(Account.institution_id))
        .where(
            Institution.network_id == network_id,
            Account.role == Role.SUPPORTER.value,
            col(Account.disabled_at).is_(None),
            col(SupporterProfile.available).is_(True),
        )
    )
    tallies: dict[str, Counter[str]] = {name: Counter() for name in DIMENSIONS}
    total = 0
    for specialty, years, languages, topics in rows.all():
        total += 1
        tallies["specialty_group"][specialty_group(specialty)] += 1
        tallies["experience_band"][experience_band(years)] += 1
        tallies["language"].update(set(languages))
        tallies["topic"].update(set(topics))
    return {"total": total, **{name: dict(sorted(t.items())) for name, t in tallies.items()}}


def check_counts(counts: Any) -> dict[str, Any]:
    """A peer's counts, if they are well formed: known dimensions, known keys (taxonomy
    groupings, the bands, two-letter languages, known topics), non-negative integers.
    InvalidInput (quoting nothing) otherwise."""
    bad = InvalidInput("availability counts are malformed")
    if not isinstance(counts, dict) or set(counts) != {"total", *DIMENSIONS}:
        raise bad
    total = counts["total"]
    if not isinstance(total, int) or not 0 <= total <= _MAX_COUNT:
        raise bad
    groups = {node.code for node in load_taxonomy().children(None)}
    allowed = {
        "specialty_group": groups.__contains__,
        "experience_band": set(BANDS).__contains__,
        "language": lambda key: bool(_LANGUAGE.fullmatch(key)),
        "topic": {t.value for t in Topic}.__contains__,
    }
    clean: dict[str, Any] = {"total": total}
    for name in DIMENSIONS:
        tally = counts[name]
        if not isinstance(tally, dict) or len(tally) > 500:
            raise bad
        for key, value in tally.items():
            if not allowed[name](key) or not isinstance(value, int) or not 0 <= value <= total:
                raise bad
        clean[name] = dict(tally)
    return clean


async def store(
    session: AsyncSession, *, peer: FederationPeer, counts: dict[str, Any], now: datetime
) -> None:
    peer.availability = check_counts(counts)
    peer.availability_at = now
    session.add(peer)
    await session.flush()


async def publish(db: Database, gateway: Gateway, *, now: datetime) -> int:
    """Send each active peer its network's counts (the periodic `federation-availability`
    job). A peer that does not answer is skipped until the next round. Returns peers told."""
    async with db.session() as session:
        peers = await peering.active_peers(session)
        outgoing = [(p.url, await local_counts(session, network_id=p.network_id)) for p in peers]
    told = 0
    for url, counts in outgoing:
        try:
            answer = await gateway.transport.call(url, "PUT", AVAILABILITY_PATH, counts)
        except ServiceError:
            continue
        told += answer.ok
    if outgoing:
        log.info("availability sent to %s of %s peers", told, len(outgoing))
    return told
