"""The key directory of rooms: each member's signed prekey and one-time prekeys.

Uploads are checked before anything is stored: the signed prekey's signature must verify with
the member's registered room identity (`crypto.SignedPreKey` format). Fetching the peer's bundle
claims one one-time prekey atomically, so each is served at most once. Functions take the
caller's session and never commit. When none is left the bundle has no one-time prekey (X3DH
with three DH, docs/protocol.md section 3) rather than none at all: the peer can always start a
session. `Bundle.one_time_prekeys_left` tells the caller when to ask the owner for more.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import SIGNED_PREKEY_DOMAIN, SignatureError, SignedPreKey, verify_with_domain
from server.accounts.statements import b64decode
from server.db.models import Account, OneTimePreKey, RoomMember
from server.errors import Conflict, InvalidInput
from server.rooms.rooms import membership, require_open

__all__ = ["Bundle", "PreKeyUpload", "claim_bundle", "upload_prekeys"]

MAX_KEY_ID = 0xFFFFFFFF
_CLAIM_ATTEMPTS = 5


@dataclass(frozen=True)
class PreKeyUpload:
    """One uploaded key (base64url public key; signature only for the signed prekey)."""

    key_id: int
    public_key: str
    signature: str | None = None


@dataclass(frozen=True)
class Bundle:
    """The peer's prekey bundle, as `crypto.PreKeyBundle` expects it (the one-time prekey is None
    when the peer had none left), with the owner and how many unclaimed one-time keys remain."""

    member_id: uuid.UUID
    owner_account_id: uuid.UUID
    identity_key: bytes
    signed_prekey_id: int
    signed_prekey: bytes
    signed_prekey_signature: bytes
    one_time_prekey_id: int | None
    one_time_prekey: bytes | None
    one_time_prekeys_left: int


def _key_id(value: int) -> int:
    if not 0 <= value <= MAX_KEY_ID:
        raise InvalidInput("key ids must be within 0..2**32-1")
    return value


async def upload_prekeys(
    session: AsyncSession,
    *,
    account: Account,
    room_id: uuid.UUID,
    signed_prekey: PreKeyUpload | None,
    one_time_prekeys: Sequence[PreKeyUpload],
    max_one_time: int,
    now: datetime,
) -> int:
    """Store a (new) signed prekey and more one-time prekeys. Returns unclaimed one-time keys.

    Conflict before the room identity is registered or when a one-time key id is reused;
    InvalidInput for a bad signature or key, or more than `max_one_time` unclaimed keys.
    """
    found = await membership(session, account=account, room_id=room_id)
    require_open(found)
    me = found.me
    if me.identity_key is None:
        raise Conflict("register your room identity before uploading prekeys")
    if signed_prekey is None and me.signed_prekey is None:
        raise InvalidInput("the first upload must include a signed prekey")
    if signed_prekey is not None:
        key_id = _key_id(signed_prekey.key_id)
        public = b64decode(signed_prekey.public_key, field="signed_prekey.public_key", length=32)
        if signed_prekey.signature is None:
            raise InvalidInput("signed_prekey.signature is required")
        signature = b64decode(signed_prekey.signature, field="signed_prekey.signature", length=64)
        payload = SignedPreKey.signed_payload(key_id, public)
        try:
            verify_with_domain(me.identity_key, SIGNED_PREKEY_DOMAIN, payload, signature)
        except SignatureError:
            raise InvalidInput(
                "signed prekey signature does not verify with your room identity"
            ) from None
    otks = [
        (
            _key_id(k.key_id),
            b64decode(k.public_key, field=f"one_time_prekeys[{i}].public_key", length=32),
        )
        for i, k in enumerate(one_time_prekeys)
    ]
    if len({key_id for key_id, _ in otks}) != len(otks):
        raise InvalidInput("one-time prekey ids must be distinct")
    if otks:
        taken = await session.exec(
            select(OneTimePreKey.key_id).where(
                OneTimePreKey.member_id == me.id,
                col(OneTimePreKey.key_id).in_([key_id for key_id, _ in otks]),
            )
        )
        if taken.first() is not None:
            raise Conflict("a one-time prekey id was used before; ids are never reused")
    unclaimed = await _unclaimed(session, me.id)
    if unclaimed + len(otks) > max_one_time:
        raise InvalidInput(f"at most {max_one_time} unclaimed one-time prekeys per member")
    if signed_prekey is not None:
        await session.exec(
            sa.update(RoomMember)
            .where(col(RoomMember.id) == me.id)
            .values(
                signed_prekey_id=key_id,
                signed_prekey=public,
                signed_prekey_signature=signature,
            )
        )
    session.add_all(
        OneTimePreKey(member_id=me.id, key_id=key_id, public_key=public, uploaded_at=now)
        for key_id, public in otks
    )
    await session.flush()
    return unclaimed + len(otks)


async def _unclaimed(session: AsyncSession, member_id: uuid.UUID) -> int:
    count = await session.exec(
        select(func.count())
        .select_from(OneTimePreKey)
        .where(OneTimePreKey.member_id == member_id, col(OneTimePreKey.claimed_at).is_(None))
    )
    return count.one()


async def claim_bundle(
    session: AsyncSession, *, account: Account, room_id: uuid.UUID, now: datetime
) -> Bundle:
    """The peer's bundle with one of their one-time prekeys, claimed for the caller; without one
    when the peer has none left (or every attempt lost a race for one).

    Conflict when the room is closed, the caller left, or the peer has not published a bundle.
    """
    found = await membership(session, account=account, room_id=room_id)
    require_open(found)
    peer = found.peer
    if (
        peer.identity_key is None
        or peer.signed_prekey is None
        or peer.signed_prekey_id is None
        or peer.signed_prekey_signature is None
    ):
        raise Conflict("your peer has not published a prekey bundle yet; try again later")
    claimed_key: tuple[int, bytes] | None = None
    for _ in range(_CLAIM_ATTEMPTS):
        candidate = await session.exec(
            select(OneTimePreKey.id)
            .where(OneTimePreKey.member_id == peer.id, col(OneTimePreKey.claimed_at).is_(None))
            .order_by(col(OneTimePreKey.key_id))
            .limit(1)
            # PostgreSQL: concurrent claimers take different keys instead of queueing on one.
            # SQLite ignores this; the conditional update below is what guarantees "once".
            .with_for_update(skip_locked=True)
        )
        key = candidate.first()
        if key is None:
            break
        # Conditional: of two concurrent claims of one key, exactly one updates a row.
        claimed = await session.exec(
            sa.update(OneTimePreKey)
            .where(col(OneTimePreKey.id) == key, col(OneTimePreKey.claimed_at).is_(None))
            .values(claimed_at=now)
            .returning(col(OneTimePreKey.key_id), col(OneTimePreKey.public_key))
        )
        row = claimed.first()
        if row is not None:
            claimed_key = (row[0], row[1])
            break
    return Bundle(
        member_id=peer.id,
        owner_account_id=peer.account_id,
        identity_key=peer.identity_key,
        signed_prekey_id=peer.signed_prekey_id,
        signed_prekey=peer.signed_prekey,
        signed_prekey_signature=peer.signed_prekey_signature,
        one_time_prekey_id=None if claimed_key is None else claimed_key[0],
        one_time_prekey=None if claimed_key is None else claimed_key[1],
        one_time_prekeys_left=await _unclaimed(session, peer.id),
    )
