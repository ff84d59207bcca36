"""Invite codes and registration: an institution admin invites, a device redeems once."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.roles import INVITABLE_BY, Role
from server.accounts.statements import parse_identity_key, verify_registration
from server.db.models import Account, FederationPeer, Institution, Invite
from server.errors import Conflict, Forbidden, InvalidInput, NotFound

__all__ = [
    "InviteStatus",
    "IssuedInvite",
    "create_invite",
    "invite_status",
    "list_invites",
    "normalise_code",
    "redeem_invite",
    "revoke_invite",
]

# Crockford-style alphabet: no I, L, O, U, so a code read aloud or typed on a phone is unambiguous.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_CHARS = 16  # 80 bits


@dataclass(frozen=True)
class IssuedInvite:
    """An invite as created: the only time its code exists in clear."""

    invite: Invite
    code: str


def _hash(code: str) -> bytes:
    return hashlib.sha256(code.encode()).digest()


def normalise_code(code: str) -> str:
    """Upper-case, without separators; the form hashed and signed."""
    cleaned = code.replace("-", "").replace(" ", "").upper()
    if len(cleaned) != _CODE_CHARS or any(ch not in _ALPHABET for ch in cleaned):
        raise InvalidInput("invite code is malformed")
    return cleaned


def _new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_CHARS))
    return "-".join(raw[i : i + 4] for i in range(0, _CODE_CHARS, 4))


class InviteStatus(StrEnum):
    """Derived from the row's timestamps: `open` until redeemed, revoked or expired (all final)."""

    OPEN = "open"
    REDEEMED = "redeemed"
    REVOKED = "revoked"
    EXPIRED = "expired"


def invite_status(invite: Invite, *, now: datetime) -> InviteStatus:
    if invite.redeemed_at is not None:
        return InviteStatus.REDEEMED
    if invite.revoked_at is not None:
        return InviteStatus.REVOKED
    if invite.expires_at <= now:
        return InviteStatus.EXPIRED
    return InviteStatus.OPEN


async def authorise_for_institution(
    session: AsyncSession, *, actor: Account | None, institution_id: uuid.UUID
) -> Institution:
    """The institution, if `actor` administers it (None is the operator's CLI, which may).

    NotFound for an unknown institution and for a peer node's stand-in (it only holds that
    node's people's stand-ins: nobody here invites into it or connects systems to it).
    """
    institution = await session.get(Institution, institution_id)
    stand_in = select(FederationPeer.id).where(
        col(FederationPeer.shadow_institution_id) == institution_id
    )
    if institution is None or (await session.exec(stand_in)).first() is not None:
        raise NotFound("no such institution")
    if actor is None:
        return institution
    if actor.role == Role.INSTITUTION_ADMIN and actor.institution_id == institution.id:
        return institution
    if actor.role == Role.NETWORK_ADMIN:
        own = await session.get(Institution, actor.institution_id)
        if own is not None and own.network_id == institution.network_id:
            return institution
    raise Forbidden("you do not administer this institution")


async def create_invite(
    session: AsyncSession,
    *,
    actor: Account | None,
    institution_id: uuid.UUID,
    role: Role,
    ttl: timedelta,
    now: datetime,
    max_open: int,
) -> IssuedInvite:
    """Create an invite; raises Forbidden when `actor` may not invite `role` there."""
    await authorise_for_institution(session, actor=actor, institution_id=institution_id)
    if actor is not None and role not in INVITABLE_BY.get(Role(actor.role), frozenset()):
        raise Forbidden(f"a {actor.role} cannot invite a {role}")
    open_count = (
        await session.exec(
            select(func.count())
            .select_from(Invite)
            .where(
                Invite.institution_id == institution_id,
                col(Invite.redeemed_at).is_(None),
                col(Invite.revoked_at).is_(None),
                col(Invite.expires_at) > now,
            )
        )
    ).one()
    if open_count >= max_open:
        raise Conflict(f"this institution already has {open_count} open invites")
    code = _new_code()
    invite = Invite(
        institution_id=institution_id,
        role=role.value,
        code_hash=_hash(normalise_code(code)),
        created_by=actor.id if actor else None,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invite)
    await session.flush()
    return IssuedInvite(invite=invite, code=code)


async def list_invites(
    session: AsyncSession, *, actor: Account, institution_id: uuid.UUID
) -> list[Invite]:
    await authorise_for_institution(session, actor=actor, institution_id=institution_id)
    query = (
        select(Invite)
        .where(Invite.institution_id == institution_id)
        .order_by(col(Invite.created_at).desc())
    )
    return list((await session.exec(query)).all())


async def revoke_invite(
    session: AsyncSession, *, actor: Account, invite_id: uuid.UUID, now: datetime
) -> Invite:
    invite = await session.get(Invite, invite_id)
    if invite is None:
        raise NotFound("no such invite")
    await authorise_for_institution(session, actor=actor, institution_id=invite.institution_id)
    status = invite_status(invite, now=now)
    if status is not InviteStatus.OPEN:
        raise Conflict(f"invite is {status.value}")
    invite.revoked_at = now
    session.add(invite)
    await session.flush()
    return invite


async def redeem_invite(
    session: AsyncSession,
    *,
    code: str,
    identity_key_b64: str,
    signature_b64: str,
    origin: str,
    now: datetime,
) -> Account:
    """Create the account an invite promises. Nothing changes unless every check passes.

    Raises InvalidInput (malformed code, key or signature), Conflict (code unknown, used, revoked
    or expired — one answer, so codes cannot be probed — or identity key already registered).
    """
    normalised = normalise_code(code)
    identity_key = parse_identity_key(identity_key_b64)
    verify_registration(
        origin=origin,
        invite_code=normalised,
        identity_key=identity_key,
        signature_b64=signature_b64,
    )
    existing = await session.exec(select(Account.id).where(Account.identity_key == identity_key))
    if existing.first() is not None:
        raise Conflict("this identity key is already registered")
    claimed = await session.exec(
        sa.update(Invite)
        .where(
            col(Invite.code_hash) == _hash(normalised),
            col(Invite.redeemed_at).is_(None),
            col(Invite.revoked_at).is_(None),
            col(Invite.expires_at) > now,
        )
        .values(redeemed_at=now)
        .returning(col(Invite.id), col(Invite.institution_id), col(Invite.role))
    )
    row = claimed.first()
    if row is None:
        raise Conflict("invite code is unknown, already used, revoked or expired")
    invite_id, institution_id, role = row
    account = Account(
        institution_id=institution_id, role=role, identity_key=identity_key, created_at=now
    )
    session.add(account)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("this identity key is already registered") from None
    await session.exec(
        sa.update(Invite).where(col(Invite.id) == invite_id).values(redeemed_by=account.id)
    )
    return account
