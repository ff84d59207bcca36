"""Moderation: members flag rooms; moderators work the queue, verify reports and act; the rota.

Every change is committed before anyone is notified, so a notified socket re-reads the truth.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto.encoding import b64encode
from server.accounts import directory
from server.accounts.roles import Role
from server.accounts.statements import b64decode
from server.accounts.suspension import SUSPENDED_EVENT
from server.api.deps import Now, RequireRole, SessionDep, StateDep
from server.api.schemas_moderation import (
    ActionOut,
    CrisisTiersOut,
    DutyIn,
    FlagCreated,
    FlagIn,
    FlagOut,
    ModeratorKeyOut,
    ReportKeyIn,
    ReportKeysOut,
    ResolveIn,
    RotaEntryOut,
    SuspendIn,
    VerdictOut,
    VerifyIn,
)
from server.config import Settings
from server.db.models import Account, Flag, ReportKey
from server.federation import shared_rooms
from server.moderation import actions, audit, escalation, flags, rota, verification
from server.moderation.states import Category, Severity, Tier
from server.rooms import rooms
from server.state import AppState

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["moderation"])
Member = Annotated[Account, Depends(RequireRole(Role.CLINICIAN, Role.SUPPORTER))]
Moderator = Annotated[Account, Depends(RequireRole(Role.MODERATOR))]
Overseer = Annotated[Account, Depends(RequireRole(Role.MODERATOR, Role.NETWORK_ADMIN))]


def _severity(flag: Flag) -> str:
    return Severity(flag.severity).name.lower()


def _view(flag: Flag, viewer: Account) -> FlagOut:
    return FlagOut(
        id=flag.id,
        room_id=flag.room_id,
        reporter_member_id=flag.reporter_member_id,
        category=Category(flag.category),
        severity=_severity(flag),
        status=flag.status,
        tier=flag.tier,
        created_at=flag.created_at,
        deadline=flag.escalate_at,
        claimed_by_me=flag.claimed_by == viewer.id,
        claimed=flag.claimed_by is not None,
        outcome=flag.outcome,
        sealed_report=flag.sealed_report if viewer.role == Role.MODERATOR else None,
    )


async def _crisis_tiers(
    session: AsyncSession, account: Account, settings: Settings
) -> CrisisTiersOut:
    network = await directory.get_network(
        session, network_id=await rota.network_of(session, account=account)
    )
    peer, eap, line = settings.crisis_tiers_by_network.get(network.slug, settings.crisis_tiers)
    return CrisisTiersOut(peer=peer, employee_assistance=eap, crisis_line=line)


# -- members -------------------------------------------------------------------------------


@router.get("/rooms/{room_id}/report-keys", summary="The moderator keys to seal a report to")
async def report_keys(room_id: uuid.UUID, account: Member, session: SessionDep) -> ReportKeysOut:
    await rooms.membership(session, account=account, room_id=room_id)
    network_id = await rota.network_of(session, account=account)
    listed = await rota.moderator_report_keys(session, network_id=network_id)
    return ReportKeysOut(
        keys=[b64encode(key) for _, key, _ in listed],
        moderators=[
            ModeratorKeyOut(device_key=b64encode(device), report_key=b64encode(key),
                            signature=b64encode(signature))
            for device, key, signature in listed
        ],
    )  # fmt: skip


@router.post(
    "/rooms/{room_id}/flags",
    summary="Flag a room (crisis, harassment, patient safety, other), with a sealed report",
    status_code=status.HTTP_201_CREATED,
)
async def raise_flag(
    room_id: uuid.UUID,
    body: FlagIn,
    account: Member,
    session: SessionDep,
    state: StateDep,
    now: Now,
) -> FlagCreated:
    settings = state.settings
    flag = await flags.raise_flag(
        session,
        account=account,
        room_id=room_id,
        category=body.category,
        sealed_report=body.sealed_report,
        deadlines=escalation.deadlines(settings),
        max_report_bytes=settings.max_sealed_report_bytes,
        max_open=settings.max_open_flags_per_member,
        now=now,
    )
    created = FlagCreated(
        id=flag.id,
        category=Category(flag.category),
        severity=_severity(flag),
        created_at=flag.created_at,
        crisis_resources=await _crisis_tiers(session, account, settings),
    )
    # Who hears of it is read in the flag's own transaction: after the commit nothing stands
    # between the flag and its notification (no second round trip to the database).
    to = await escalation.recipients(session, network_id=flag.network_id, tier=Tier(flag.tier))
    await session.commit()
    await escalation.notify_flag(state.notify, to, flag, change="raised")
    return created


# -- moderators: keys, queue, steps ----------------------------------------------------------


@router.put("/moderation/report-key", summary="Register this device's X25519 report key")
async def put_report_key(
    body: ReportKeyIn, moderator: Moderator, session: SessionDep, state: StateDep, now: Now
) -> ReportKeysOut:
    key: ReportKey = await rota.register_report_key(
        session,
        moderator=moderator,
        public_key_b64=body.public_key,
        signature_b64=body.signature,
        origin=state.settings.origin,
        now=now,
    )
    await audit.append(
        session,
        action="report_key.registered",
        network_id=await rota.network_of(session, account=moderator),
        actor_id=moderator.id,
        subject={"account": moderator.id},
        now=now,
    )
    seated = await rota.take_seat(session, moderator=moderator, now=now)
    if seated is not None:  # the invite kept a rota place: on duty from now on
        await audit.append(
            session,
            action="rota.on_duty",
            network_id=seated.network_id,
            actor_id=moderator.id,
            subject={"tier": seated.tier, "from": "invite seat"},
            now=now,
        )
    out = ReportKeysOut(keys=[b64encode(key.public_key)])
    await session.commit()
    return out


@router.get("/moderation/flags", summary="The network's flag queue: severity, then age")
async def list_flags(
    account: Overseer, session: SessionDep, include_resolved: bool = False
) -> list[FlagOut]:
    found = await flags.queue(session, account=account, include_resolved=include_resolved)
    return [_view(flag, account) for flag in found]


@router.get("/moderation/flags/{flag_id}", summary="One flag, with its sealed report")
async def get_flag(flag_id: uuid.UUID, account: Overseer, session: SessionDep) -> FlagOut:
    return _view(await flags.flag_for(session, account=account, flag_id=flag_id), account)


async def _step(
    step: str, flag: Flag, moderator: Account, session: AsyncSession, state: AppState
) -> FlagOut:
    view = _view(flag, moderator)
    to = await escalation.recipients(session, network_id=flag.network_id, tier=Tier(flag.tier))
    await session.commit()
    await escalation.notify_flag(state.notify, to, flag, change=step)
    return view


@router.post("/moderation/flags/{flag_id}/claim", summary="Claim a flag (one owner)")
async def claim(
    flag_id: uuid.UUID, moderator: Moderator, session: SessionDep, state: StateDep, now: Now
) -> FlagOut:
    flag = await flags.claim(session, moderator=moderator, flag_id=flag_id, now=now)
    return await _step("claimed", flag, moderator, session, state)


@router.post("/moderation/flags/{flag_id}/acknowledge", summary="Acknowledge: stops escalation")
async def acknowledge(
    flag_id: uuid.UUID, moderator: Moderator, session: SessionDep, state: StateDep, now: Now
) -> FlagOut:
    flag = await flags.acknowledge(session, moderator=moderator, flag_id=flag_id, now=now)
    return await _step("acknowledged", flag, moderator, session, state)


@router.post("/moderation/flags/{flag_id}/resolve", summary="Resolve with an outcome")
async def resolve(
    flag_id: uuid.UUID,
    body: ResolveIn,
    moderator: Moderator,
    session: SessionDep,
    state: StateDep,
    now: Now,
) -> FlagOut:
    flag = await flags.resolve(
        session, moderator=moderator, flag_id=flag_id, outcome=body.outcome, now=now
    )
    return await _step("resolved", flag, moderator, session, state)


@router.post(
    "/moderation/flags/{flag_id}/verify",
    summary="Check revealed messages' franking commitments against the stored tags",
)
async def verify(
    flag_id: uuid.UUID,
    body: VerifyIn,
    moderator: Moderator,
    session: SessionDep,
    state: StateDep,
) -> list[VerdictOut]:
    flag = await flags.flag_for(session, account=moderator, flag_id=flag_id)
    checks = [
        (item.message_id, b64decode(item.commitment, field="commitment", length=32))
        for item in body.messages
    ]
    verdicts = await verification.verify_messages(
        session, flag=flag, checks=checks, server_secret=state.keys.franking_secret
    )
    return [
        VerdictOut(
            message_id=v.message_id,
            verified=v.verified,
            sender_member_id=v.sender_member_id,
            from_reporter=v.from_reporter,
            sent_at=v.sent_at,
        )
        for v in verdicts
    ]


# -- moderators: actions ---------------------------------------------------------------------


@router.post(
    "/moderation/flags/{flag_id}/private-room",
    summary="Open a private room with the member who flagged",
    status_code=status.HTTP_201_CREATED,
)
async def private_room(
    flag_id: uuid.UUID, moderator: Moderator, session: SessionDep, state: StateDep, now: Now
) -> ActionOut:
    room, member_account = await actions.open_private_room(
        session, moderator=moderator, flag_id=flag_id, now=now
    )
    out = ActionOut(flag_id=flag_id, action="private_room", room_id=room.id)
    await session.commit()
    await state.notify(member_account, "room", room=room.id)
    return out


@router.post("/moderation/flags/{flag_id}/close-room", summary="Close the flagged room")
async def close_room(
    flag_id: uuid.UUID, moderator: Moderator, session: SessionDep, state: StateDep, now: Now
) -> ActionOut:
    members = await actions.close_flagged_room(
        session, moderator=moderator, flag_id=flag_id, now=now
    )
    flag = await flags.flag_for(session, account=moderator, flag_id=flag_id)
    out = ActionOut(flag_id=flag_id, action="close_room", room_id=flag.room_id)
    # A cross-node room closes on the peer node too (docs/federation.md, Moderation).
    await shared_rooms.on_moderator_closed(
        session, room_id=flag.room_id, now=now, limit=state.settings.federation_outbox_batch * 100
    )
    await session.commit()
    state.federation.wake()
    for account_id in members:
        await state.notify(account_id, "room", room=out.room_id)
    return out


@router.post("/moderation/flags/{flag_id}/suspend", summary="Suspend a member of the flagged room")
async def suspend(
    flag_id: uuid.UUID,
    body: SuspendIn,
    moderator: Moderator,
    session: SessionDep,
    state: StateDep,
    now: Now,
) -> ActionOut:
    target = await actions.suspend_member(
        session, moderator=moderator, flag_id=flag_id, member_id=body.member_id, now=now
    )
    await session.commit()
    # The member hears why, then every worker closes the account's sockets (4001).
    await state.notify(target, SUSPENDED_EVENT, account=target)
    await state.end_sessions(target)
    return ActionOut(flag_id=flag_id, action="suspend")


# -- the rota --------------------------------------------------------------------------------


async def _rota(session: AsyncSession, network_id: uuid.UUID) -> list[RotaEntryOut]:
    entries = await rota.rota(session, network_id=network_id)
    out = []
    for entry in entries:
        key = await session.get(ReportKey, entry.account_id)
        out.append(
            RotaEntryOut(
                account_id=entry.account_id,
                tier=Tier(entry.tier),
                on_duty=entry.on_duty,
                updated_at=entry.updated_at,
                has_report_key=key is not None,
            )
        )
    return out


@router.get("/moderation/rota", summary="Who is on duty in the caller's network")
async def get_rota(account: Overseer, session: SessionDep) -> list[RotaEntryOut]:
    return await _rota(session, await rota.network_of(session, account=account))


@router.put("/moderation/rota/me", summary="Go on or off duty (primary or backup tier)")
async def put_duty(
    body: DutyIn, moderator: Moderator, session: SessionDep, now: Now
) -> list[RotaEntryOut]:
    entry = await rota.set_duty(
        session, moderator=moderator, on_duty=body.on_duty, tier=Tier(body.tier), now=now
    )
    await audit.append(
        session,
        action="rota.on_duty" if body.on_duty else "rota.off_duty",
        network_id=entry.network_id,
        actor_id=moderator.id,
        subject={"tier": entry.tier},
        now=now,
    )
    await session.commit()
    return await _rota(session, entry.network_id)
