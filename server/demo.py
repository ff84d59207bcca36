"""A demo network for `make run`: three institutions and invite codes to try every role,
including two moderators (the console's duty switch puts them on the primary or backup tier), and
an integration credential for the first institution's incident system, with a sample
AdverseEvent and the `curl` that posts it (docs/checkins.md)."""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts import directory
from server.accounts.invites import create_invite
from server.accounts.roles import Role
from server.checkins.credentials import create_credential
from server.checkins.keys import CheckinKeys
from server.db.models import Institution, Network

__all__ = [
    "DEMO_STAFF_IDENTIFIER",
    "DemoCredential",
    "DemoInvite",
    "database_is_empty",
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
