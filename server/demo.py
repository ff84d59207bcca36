"""A demo network for `make run`: three institutions and invite codes to try every role,
including two moderators with rota seats (whoever registers with the first moderator invite is
on primary duty, the second on backup, as soon as their device registers its report key), and
an integration credential for the first institution's incident system, with a sample
AdverseEvent and the `curl` that posts it (docs/checkins.md); and `peerhaven demo --federated`:
two peered nodes on one machine, each with its own network."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts import directory
from server.accounts.invites import create_invite
from server.accounts.roles import Role
from server.app import create_app
from server.checkins.credentials import create_credential
from server.checkins.keys import CheckinKeys
from server.config import Settings
from server.db import migrate
from server.db.engine import Database
from server.db.models import Institution, Network
from server.federation import handshake, peering
from server.federation.node import NodeIdentity
from server.federation.states import PeerStatus
from server.moderation import rota
from server.moderation.states import Tier
from server.platform.secrets import load_server_keys
from server.state import AppState

__all__ = [
    "DEMO_STAFF_IDENTIFIER",
    "DemoCredential",
    "DemoInvite",
    "DemoNode",
    "database_is_empty",
    "federated_nodes",
    "run_federated",
    "sample_adverse_event",
    "seed_demo",
    "seed_demo_credential",
    "write_checkins",
    "write_invites",
]

# The staff identifier the sample event names: link it in the demo clinician's app to get the
# check-in (Riverside General, the institution the credential belongs to).
DEMO_STAFF_IDENTIFIER = "RGH-1001"

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


async def seed_demo(
    session: AsyncSession,
    *,
    now: datetime,
    network_names: tuple[str, str] = DEMO_NETWORK,
    institutions: tuple[tuple[str, str], ...] = DEMO_INSTITUTIONS,
) -> list[DemoInvite]:
    """Create the demo network and invites (the caller commits). Returns the codes, shown once."""
    network = await directory.create_network(
        session, slug=network_names[0], name=network_names[1], now=now
    )
    issued: list[DemoInvite] = []
    ttl = timedelta(days=30)
    for slug, name in institutions:
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
            if role is Role.MODERATOR:
                # The first moderator to register is primary, the second backup: each goes on
                # duty as soon as their device registers its report key.
                seats = sum(1 for i in issued if i.role is Role.MODERATOR)
                tier = Tier.PRIMARY if seats == 0 else Tier.BACKUP
                await rota.seat_invite(
                    session, invite=invite.invite, network_id=network.id, tier=tier, now=now
                )
            issued.append(DemoInvite(institution=slug, role=role, code=invite.code))
    return issued


def write_invites(path: Path, invites: list[DemoInvite]) -> None:
    """Keep the demo codes (mode 0600) so they can be found after the first start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        # One header line (readers skip it): the moderators' duty is said there too.
        handle.write("# Demo invite codes (single use). Redeem one per device. The first "
                     "moderator code is on primary duty, the second on backup, as soon as the "
                     "moderator console opens on their device.\n")
        for invite in invites:
            handle.write(f"{invite.institution:24} {invite.role.value:18} {invite.code}\n")


@dataclass(frozen=True, repr=False)
class DemoCredential:
    institution: str
    credential_id: str
    secret: str

    def __repr__(self) -> str:
        return f"DemoCredential({self.institution}, {self.credential_id}, <secret>)"


async def seed_demo_credential(
    session: AsyncSession, *, keys: CheckinKeys, now: datetime
) -> DemoCredential:
    """An integration credential for the first demo institution (the caller commits)."""
    slug = DEMO_INSTITUTIONS[0][0]
    institution = (await session.exec(select(Institution).where(Institution.slug == slug))).one()
    issued = await create_credential(
        session, actor=None, institution_id=institution.id, label="Demo incident system",
        keys=keys, now=now, max_active=1_000,
    )  # fmt: skip
    return DemoCredential(institution=slug, credential_id=str(issued.credential.id),
                          secret=issued.secret)  # fmt: skip


def sample_adverse_event(*, now: datetime) -> dict[str, object]:
    """A FHIR R4 AdverseEvent naming the demo staff identifier (and one nobody linked)."""
    return {
        "resourceType": "AdverseEvent",
        "identifier": {"system": "urn:example:riverside:incidents",
                       "value": f"INC-{now:%Y%m%d%H%M%S}"},
        "actuality": "actual",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/adverse-event-category",
            "code": "medication-mishap"}]}],
        "subject": {"reference": "Patient/example"},
        "date": now.isoformat(timespec="seconds"),
        "contributor": [
            {"type": "Practitioner",
             "identifier": {"system": "urn:example:riverside:staff",
                            "value": DEMO_STAFF_IDENTIFIER}},
            {"type": "Practitioner",
             "identifier": {"system": "urn:example:riverside:staff", "value": "RGH-4040"}},
        ],
    }  # fmt: skip


def _private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def write_checkins(data_dir: Path, credential: DemoCredential, *, origin: str,
                   now: datetime) -> str:  # fmt: skip
    """Keep the demo credential's secret (0600), a sample event, and return the `curl` that
    posts it, signed by `peerhaven checkins sign`."""
    secret_file = data_dir / "demo-integration-secret"
    event_file = data_dir / "demo-adverse-event.json"
    _private(secret_file, credential.secret)
    _private(event_file, json.dumps(sample_adverse_event(now=now), indent=2) + "\n")
    sign = shlex.join(["peerhaven", "checkins", "sign", "--credential", credential.credential_id,
                       "--secret-file", str(secret_file), "--body", str(event_file)])  # fmt: skip
    curl = (
        f"curl -sS {origin}/api/v1/intake/adverse-events \\\n"
        "  -H 'Content-Type: application/fhir+json' \\\n"
        f"  -H @<({sign}) \\\n"
        f"  --data-binary @{shlex.quote(str(event_file))}"
    )
    header = (
        f"# Demo integration credential of {credential.institution} (secret in {secret_file}).\n"
        f"# Link the staff identifier {DEMO_STAFF_IDENTIFIER} in a Riverside clinician's app, "
        "then post the sample event (bash):\n"
    )
    _private(data_dir / "demo-checkins.txt", header + curl + "\n")
    return curl


# -- two peered nodes on one machine (`peerhaven demo --federated`) -----------------------------

FEDERATED_NETWORK = ("harbor", "Harbor Health Alliance")
FEDERATED_INSTITUTIONS = (
    ("bayside-community", "Bayside Community Hospital"),
    ("northshore-clinic", "Northshore Clinic"),
)


@dataclass(frozen=True)
class DemoNode:
    name: str
    settings: Settings
    network: tuple[str, str]
    institutions: tuple[tuple[str, str], ...]


def federated_nodes(data_dir: Path, *, host: str, ports: tuple[int, int]) -> list[DemoNode]:
    """Node A (the usual demo network) and node B (another network), each with its own
    database and key under `data_dir/node-a` and `data_dir/node-b`."""
    made = []
    for name, port, network, institutions in (
        ("a", ports[0], DEMO_NETWORK, DEMO_INSTITUTIONS),
        ("b", ports[1], FEDERATED_NETWORK, FEDERATED_INSTITUTIONS),
    ):
        folder = data_dir / f"node-{name}"
        settings = Settings(
            data_dir=folder,
            database_url=f"sqlite+aiosqlite:///{folder / 'peerhaven.db'}",
            host=host,
            port=port,
            federation_availability_seconds=5.0,
        )
        made.append(DemoNode(name, settings, network, institutions))
    return made


async def _prepare(node: DemoNode, *, now: datetime) -> list[DemoInvite] | None:
    """Migrate and (if empty) seed one node; returns fresh invites, or None if seeded before."""
    node.settings.data_dir.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(migrate.upgrade, node.settings.database_url)
    db = Database(node.settings.database_url)
    try:
        async with db.session() as session:
            if not await database_is_empty(session):
                return None
            seeded = await seed_demo(
                session, now=now, network_names=node.network, institutions=node.institutions
            )
            await session.commit()
            return seeded
    finally:
        await db.dispose()


async def _peer(app: FastAPI, other: DemoNode, network_slug: str, *, now: datetime) -> str:
    state: AppState = app.state.peerhaven
    async with state.db.session() as session:
        network = await directory.network_by_slug(session, slug=network_slug)
        assert network is not None
        known = {p.url: p for p in await peering.list_peers(session, network_id=network.id)}
    identity = NodeIdentity(other.settings.origin, load_server_keys(other.settings).node_key)
    peer = known.get(identity.name)
    if peer is not None and peer.status == PeerStatus.ACTIVE:
        return str(peer.status)
    if peer is not None and peer.status == PeerStatus.PENDING:
        peer = await handshake.hello(state.db, state.federation.transport, peer_id=peer.id, now=now)
        return str(peer.status)
    peer = await handshake.peer_with(
        state.db, state.federation.transport, network_id=network.id, url=identity.name,
        fingerprint=identity.fingerprint, now=now,
    )  # fmt: skip
    return str(peer.status)


async def run_federated(
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    ports: tuple[int, int] = (8000, 8001),
    now: datetime,
    stop: asyncio.Event | None = None,
    say: Callable[[str], None] = lambda _line: None,
) -> list[str]:
    """Serve two peered demo nodes until `stop` is set (or forever). Returns the peering
    status each node ended with ("active" twice when all went well)."""
    nodes = federated_nodes(data_dir, host=host, ports=ports)
    for node in nodes:
        fresh = await _prepare(node, now=now)
        path = node.settings.data_dir / "demo-invites.txt"
        if fresh is not None:
            write_invites(path, fresh)
        say(f"node {node.name}: {node.settings.origin}  (invite codes in {path})")
    apps = [create_app(node.settings) for node in nodes]
    servers = [
        uvicorn.Server(uvicorn.Config(app, host=host, port=node.settings.port, log_level="warning",
                                      ws_per_message_deflate=False))
        for app, node in zip(apps, nodes, strict=True)
    ]  # fmt: skip
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    while not all(server.started for server in servers):
        if any(task.done() for task in tasks):
            raise RuntimeError("a demo node did not start (is its port free?)")
        await asyncio.sleep(0.05)
    await _peer(apps[0], nodes[1], nodes[0].network[0], now=now)
    await _peer(apps[1], nodes[0], nodes[1].network[0], now=now)  # B allows A: both active
    statuses = [
        await _peer(apps[0], nodes[1], nodes[0].network[0], now=now),
        await _peer(apps[1], nodes[0], nodes[1].network[0], now=now),
    ]
    say(f"peering: node a {statuses[0]}, node b {statuses[1]}")
    try:
        if stop is None:
            await asyncio.gather(*tasks)
        else:
            await stop.wait()
    finally:
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
    return statuses
