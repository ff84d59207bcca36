"""A demo network for `make run`: three institutions and invite codes to try every role,
including two moderators (the console's duty switch puts them on the primary or backup tier)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts import directory
from server.accounts.invites import create_invite
from server.accounts.roles import Role
from server.db.models import Network

__all__ = ["DemoInvite", "database_is_empty", "seed_demo", "write_invites"]

DEMO_NETWORK = ("demo", "Demo Hospital Association")
DEMO_INSTITUTIONS = (
    ("riverside-general", "Riverside General Hospital"),
    ("lakeview-childrens", "Lakeview Children's Hospital"),
    ("hillcrest-university", "Hillcrest University Medical Center"),
)
DEMO_ROLES = (Role.CLINICIAN, Role.SUPPORTER, Role.INSTITUTION_ADMIN)


@dataclass(frozen=True)
class DemoInvite:
    institution: str
    role: Role
    code: str


async def database_is_empty(session: AsyncSession) -> bool:
    return (await session.exec(select(Network.id).limit(1))).first() is None


async def seed_demo(session: AsyncSession, *, now: datetime) -> list[DemoInvite]:
    """Create the demo network and invites (the caller commits). Returns the codes, shown once."""
    network = await directory.create_network(
        session, slug=DEMO_NETWORK[0], name=DEMO_NETWORK[1], now=now
    )
    issued: list[DemoInvite] = []
    ttl = timedelta(days=30)
    for slug, name in DEMO_INSTITUTIONS:
        institution = await directory.create_institution(
            session, network_id=network.id, slug=slug, name=name, now=now
        )
        # The first institution also hosts the network admin and a moderator; the second a
        # second moderator, so that the rota has a backup tier to escalate to.
        roles = (*DEMO_ROLES, Role.NETWORK_ADMIN, Role.MODERATOR) if not issued else DEMO_ROLES
        if slug == DEMO_INSTITUTIONS[1][0]:
            roles = (*roles, Role.MODERATOR)
        for role in roles:
            invite = await create_invite(
                session,
                actor=None,
                institution_id=institution.id,
                role=role,
                ttl=ttl,
                now=now,
                max_open=1_000,
            )
            issued.append(DemoInvite(institution=slug, role=role, code=invite.code))
    return issued


def write_invites(path: Path, invites: list[DemoInvite]) -> None:
    """Keep the demo codes (mode 0600) so they can be found after the first start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("# Demo invite codes (single use). Redeem one per device.\n")
        for invite in invites:
            handle.write(f"{invite.institution:24} {invite.role.value:18} {invite.code}\n")
