"""The on-call rota and moderators' report keys: who is on duty, in which tier, and which X25519
keys a sealed report must be sealed to. Functions take the caller's session and never commit.

A *seat* is a rota place kept for a moderator invite (`seat_invite`): whoever redeems the invite
goes on duty in the seat's tier the moment their device registers its report key (never
before: an on-duty moderator without a key could not read a report). The demo seeds one seat
per moderator invite, so `make run` has an on-duty rota without the server holding any key."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import SignatureError, verify_with_domain
from crypto.report import REPORT_KEY_DOMAIN, report_key_payload
from server.accounts import directory
from server.accounts.roles import Role
from server.accounts.statements import b64decode
from server.db.models import Account, Institution, Invite, ReportKey, RotaEntry, RotaSeat
from server.db.upsert import insert_if_missing
from server.errors import Conflict, InvalidInput
from server.moderation.states import Tier

__all__ = [
    "DUTY_TIERS",
    "accounts_in_network",
    "moderator_report_keys",
    "network_of",
    "network_report_keys",
    "on_duty",
    "register_report_key",
    "rota",
    "seat_invite",
    "set_duty",
    "take_seat",
]

DUTY_TIERS = frozenset({Tier.PRIMARY, Tier.BACKUP})


async def network_of(session: AsyncSession, *, account: Account) -> uuid.UUID:
    institution = await directory.get_institution(session, institution_id=account.institution_id)
    return institution.network_id


async def accounts_in_network(
    session: AsyncSession, *, network_id: uuid.UUID, role: Role
) -> list[uuid.UUID]:
    """Active accounts of `role` in the network's institutions."""
    query = (
        select(Account.id)
        .join(Institution, col(Institution.id) == col(Account.institution_id))
        .where(
            Institution.network_id == network_id,
            Account.role == role.value,
            col(Account.disabled_at).is_(None),
        )
    )
    return list((await session.exec(query)).all())


async def set_duty(
    session: AsyncSession, *, moderator: Account, on_duty: bool, tier: Tier, now: datetime
) -> RotaEntry:
    """Go on or off duty in `tier` (primary or backup). InvalidInput for another tier."""
    if tier not in DUTY_TIERS:
        raise InvalidInput("tier must be primary or backup")
    network_id = await network_of(session, account=moderator)
    entry = await session.get(RotaEntry, moderator.id)
    if entry is None:
        await insert_if_missing(
            session,
            RotaEntry,
            account_id=moderator.id,
            network_id=network_id,
            tier=tier.value,
            on_duty=on_duty,
            updated_at=now,
        )
        entry = await session.get(RotaEntry, moderator.id)
        assert entry is not None
    entry.tier, entry.on_duty, entry.updated_at = tier.value, on_duty, now
    session.add(entry)
    await session.flush()
    return entry


async def seat_invite(
    session: AsyncSession, *, invite: Invite, network_id: uuid.UUID, tier: Tier, now: datetime
) -> RotaSeat:
    """Keep a rota place in `tier` for whoever redeems `invite` (a moderator invite of the
    network). InvalidInput for another role or tier."""
    if tier not in DUTY_TIERS:
        raise InvalidInput("tier must be primary or backup")
    if invite.role != Role.MODERATOR:
        raise InvalidInput("only a moderator invite can hold a rota seat")
    seat = RotaSeat(invite_id=invite.id, network_id=network_id, tier=tier.value, created_at=now)
    session.add(seat)
    await session.flush()
    return seat


async def take_seat(
    session: AsyncSession, *, moderator: Account, now: datetime
) -> RotaEntry | None:
    """Put `moderator` on duty in the seat kept for the invite they redeemed, once, and only if
    they are not on the rota yet (their own later choice wins). Returns the entry, or None when
    there was no seat to take. Call after the moderator's report key is registered."""
    query = (
        select(RotaSeat)
        .join(Invite, col(Invite.id) == col(RotaSeat.invite_id))
        .where(Invite.redeemed_by == moderator.id)
    )
    seat = (await session.exec(query)).first()
    if seat is None:
        return None
    await session.delete(seat)
    if await session.get(RotaEntry, moderator.id) is not None:
        await session.flush()
        return None
    return await set_duty(session, moderator=moderator, on_duty=True, tier=Tier(seat.tier), now=now)


async def rota(session: AsyncSession, *, network_id: uuid.UUID) -> list[RotaEntry]:
    """Every moderator of the network on the rota, on duty first, primary before backup."""
    query = select(RotaEntry).where(RotaEntry.network_id == network_id)
    entries = list((await session.exec(query)).all())
    return sorted(entries, key=lambda e: (not e.on_duty, e.tier != Tier.PRIMARY, str(e.account_id)))


async def on_duty(session: AsyncSession, *, network_id: uuid.UUID, tier: Tier) -> list[uuid.UUID]:
    """Account ids on duty in `tier` (network admins for `Tier.ADMINS`), active accounts only."""
    if tier is Tier.ADMINS:
        return await accounts_in_network(session, network_id=network_id, role=Role.NETWORK_ADMIN)
    query = (
        select(RotaEntry.account_id)
        .join(Account, col(Account.id) == col(RotaEntry.account_id))
        .where(
            RotaEntry.network_id == network_id,
            RotaEntry.tier == tier.value,
            col(RotaEntry.on_duty).is_(True),
            col(Account.disabled_at).is_(None),
        )
    )
    return list((await session.exec(query)).all())


async def register_report_key(
    session: AsyncSession,
    *,
    moderator: Account,
    public_key_b64: str,
    signature_b64: str,
    origin: str,
    now: datetime,
) -> ReportKey:
    """Register (or replace) the moderator's X25519 report key, signed by their device key.

    InvalidInput for a bad key or signature; Conflict if another account holds the key.
    """
    public_key = b64decode(public_key_b64, field="public_key", length=32)
    signature = b64decode(signature_b64, field="signature", length=64)
    try:
        verify_with_domain(
            moderator.identity_key,
            REPORT_KEY_DOMAIN,
            report_key_payload(origin=origin, report_key=public_key),
            signature,
        )
    except SignatureError:
        raise InvalidInput("signature does not verify with your device key for this key") from None
    holder = (
        await session.exec(select(ReportKey).where(ReportKey.public_key == public_key))
    ).first()
    if holder is not None and holder.account_id != moderator.id:
        raise Conflict("this report key is registered to another device; make a fresh one")
    entry = await session.get(ReportKey, moderator.id)
    if entry is None:
        entry = ReportKey(
            account_id=moderator.id, public_key=public_key, signature=signature, created_at=now
        )
    else:
        entry.public_key, entry.signature, entry.created_at = public_key, signature, now
    session.add(entry)
    await session.flush()
    return entry


async def moderator_report_keys(
    session: AsyncSession, *, network_id: uuid.UUID
) -> list[tuple[bytes, bytes, bytes]]:
    """(device identity key, report key, signature) of every active moderator of the network
    with a report key, by report key: what a member's client checks and pins before sealing
    (crypto/moderators.py)."""
    moderators = await accounts_in_network(session, network_id=network_id, role=Role.MODERATOR)
    if not moderators:
        return []
    query = (
        select(Account.identity_key, ReportKey.public_key, ReportKey.signature)
        .join(Account, col(Account.id) == col(ReportKey.account_id))
        .where(col(ReportKey.account_id).in_(moderators))
    )
    rows = [(bytes(d), bytes(k), bytes(s)) for d, k, s in (await session.exec(query)).all()]
    return sorted(rows, key=lambda row: row[1])


async def network_report_keys(session: AsyncSession, *, network_id: uuid.UUID) -> list[bytes]:
    """The report keys of every active moderator of the network (a report is sealed to all of
    them: escalation may hand it to any tier)."""
    return [key for _, key, _ in await moderator_report_keys(session, network_id=network_id)]
