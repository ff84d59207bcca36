"""Tables. API schemas live in `server.api.schemas`; these never leave the server as they are."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime

__all__ = [
    "AccessToken",
    "Account",
    "AdverseEventReceipt",
    "AuditEntry",
    "Block",
    "CheckinOffer",
    "FederatedRequest",
    "FederationNonce",
    "FederationOutbox",
    "FederationPeer",
    "FederationTransaction",
    "Flag",
    "Institution",
    "IntakeNonce",
    "IntegrationCredential",
    "Invite",
    "LoginChallenge",
    "MailboxCursor",
    "MailboxEntry",
    "Network",
    "Offer",
    "OneTimePreKey",
    "Profile",
    "PushSubscription",
    "RelaySequence",
    "RemoteMember",
    "ReportKey",
    "Room",
    "RoomMember",
    "RotaEntry",
    "SentMessage",
    "StaffLink",
    "SupportRequest",
    "SupporterProfile",
    "TeamFlag",
    "TeamSignal",
    "table_of",
]


def _utc(*, nullable: bool = False, index: bool = False) -> sa.Column[datetime]:
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)



def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table of a model, for bulk statements that skip the ORM's unit of work."""
    return SQLModel.metadata.tables[str(model.__tablename__)]

class Network(SQLModel, table=True):
    """An inter-institutional network (e.g. a state hospital association) pooling supporters."""

    __tablename__ = "networks"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=_utc())


class Institution(SQLModel, table=True):
    """A hospital or practice in a network. Matching never pairs two people of one institution."""

    __tablename__ = "institutions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="networks.id", index=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=_utc())


class Account(SQLModel, table=True):
    """A person's account. The credential is the device's Ed25519 key; no name, no e-mail."""

    __tablename__ = "accounts"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True)
    role: str = Field(max_length=32)
    identity_key: bytes = Field(
        sa_column=sa.Column(sa.LargeBinary(32), nullable=False, unique=True)
    )
    created_at: datetime = Field(sa_column=_utc())
    disabled_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class Invite(SQLModel, table=True):
    """A single-use, expiring invite code with a role. Only the code's SHA-256 is stored."""

    __tablename__ = "invites"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True)
    role: str = Field(max_length=32)
    code_hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False, unique=True))
    created_by: uuid.UUID | None = Field(default=None, foreign_key="accounts.id")
    created_at: datetime = Field(sa_column=_utc())
    expires_at: datetime = Field(sa_column=_utc())
    redeemed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    redeemed_by: uuid.UUID | None = Field(default=None, foreign_key="accounts.id")
    revoked_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class LoginChallenge(SQLModel, table=True):
    """A server nonce for challenge-response login; usable once, until it expires."""

    __tablename__ = "login_challenges"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    identity_key: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    nonce: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    expires_at: datetime = Field(sa_column=_utc(index=True))
    used: bool = Field(default=False)


class AccessToken(SQLModel, table=True):
    """An opaque bearer token, stored only as its SHA-256."""

    __tablename__ = "access_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True)
    token_hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=_utc())
    expires_at: datetime = Field(sa_column=_utc(index=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


def _json() -> sa.Column[Any]:
    return sa.Column(sa.JSON(), nullable=False)


class Profile(SQLModel, table=True):
    """What matching knows about a clinician (supporters have one too)."""

    __tablename__ = "profiles"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", primary_key=True)
    specialty: str = Field(max_length=32)
    years_experience: int
    career_stage: str = Field(max_length=32)
    languages: list[str] = Field(sa_column=_json())
    time_zone: str = Field(max_length=64)
    updated_at: datetime = Field(sa_column=_utc())


class SupporterProfile(SQLModel, table=True):
    """A supporter's offer to help: expertise, caps and availability.

    `lock_version` exists to be written: reserving this supporter's capacity starts by bumping it,
    which serialises concurrent reservations for one supporter on every backend.
    """

    __tablename__ = "supporter_profiles"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", primary_key=True)
    topic_expertise: list[str] = Field(sa_column=_json())
    concurrent_cap: int
    weekly_cap: int
    available: bool
    daily_hours: list[list[int]] = Field(sa_column=_json())
    lock_version: int = Field(default=0)
    updated_at: datetime = Field(sa_column=_utc())


class SupportRequest(SQLModel, table=True):
    """A clinician asking for a peer. `open_for` is the requester while the request is open, and
    NULL after: its unique constraint is the "one open request per clinician" rule."""

    __tablename__ = "support_requests"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    requester_id: uuid.UUID = Field(foreign_key="accounts.id", index=True)
    open_for: uuid.UUID | None = Field(default=None, foreign_key="accounts.id", unique=True)
    status: str = Field(max_length=16)
    topics: list[str] = Field(sa_column=_json())
    urgency: str = Field(max_length=16)
    languages: list[str] = Field(sa_column=_json())
    same_specialty_only: bool = Field(default=False)
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())
    # "Keep looking for me": when no supporter is left the request waits instead of ending.
    keep_looking: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )


class Offer(SQLModel, table=True):
    """A request offered to one supporter. A pending offer holds one unit of their capacity."""

    __tablename__ = "offers"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="support_requests.id", index=True)
    supporter_id: uuid.UUID = Field(foreign_key="accounts.id", index=True)
    status: str = Field(max_length=16)
    score: float
    explanation: list[str] = Field(sa_column=_json())
    created_at: datetime = Field(sa_column=_utc(index=True))
    expires_at: datetime = Field(sa_column=_utc(index=True))
    responded_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class Room(SQLModel, table=True):
    """Two people talking under pseudonyms: a `support` room, created when a supporter accepts an
    offer (`request_id` names the request), or a `moderation` room that a moderator opens with a
    member who flagged a room (no request)."""

    __tablename__ = "rooms"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    request_id: uuid.UUID | None = Field(
        default=None, foreign_key="support_requests.id", unique=True, nullable=True
    )
    kind: str = Field(
        default="support",
        sa_column=sa.Column(sa.String(16), nullable=False, server_default="support"),
    )
    topics: list[str] = Field(sa_column=_json())
    created_at: datetime = Field(sa_column=_utc())
    closed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class RoomMember(SQLModel, table=True):
    """A member of a room: the room-scoped identity and prekey, and the pseudonym the peer sees.

    `id` doubles as the member's device id inside the room; it says nothing about the account.
    """

    __tablename__ = "room_members"
    __table_args__ = (sa.UniqueConstraint("room_id", "account_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    room_id: uuid.UUID = Field(foreign_key="rooms.id", index=True)
    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True)
    role: str = Field(max_length=16)
    handle: str = Field(max_length=64)
    specialty_label: str = Field(max_length=200)
    experience_band: str = Field(max_length=32)
    identity_key: bytes | None = Field(
        default=None, sa_column=sa.Column(sa.LargeBinary(32), nullable=True, unique=True)
    )
    signed_prekey_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger()))
    signed_prekey: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary(32)))
    signed_prekey_signature: bytes | None = Field(
        default=None, sa_column=sa.Column(sa.LargeBinary(64))
    )
    joined_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    left_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class OneTimePreKey(SQLModel, table=True):
    """A one-time prekey of a room member; `claimed_at` is set when it is served, exactly once."""

    __tablename__ = "one_time_prekeys"
    __table_args__ = (sa.UniqueConstraint("member_id", "key_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(foreign_key="room_members.id", index=True)
    key_id: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    public_key: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    uploaded_at: datetime = Field(sa_column=_utc())
    claimed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class Block(SQLModel, table=True):
    """`blocker` never wants to meet `blocked` again; matching honours it in both directions."""

    __tablename__ = "blocks"

    blocker_id: uuid.UUID = Field(foreign_key="accounts.id", primary_key=True)
    blocked_id: uuid.UUID = Field(foreign_key="accounts.id", primary_key=True)
    created_at: datetime = Field(sa_column=_utc())


class MailboxEntry(SQLModel, table=True):
    """An accepted envelope waiting for one recipient. Deleted when acknowledged or expired.

    `envelope` is the end-to-end encrypted envelope exactly as sent: the server cannot read it.
    `seq` comes from the recipient's `MailboxCursor`: 1, 2, 3… per recipient, in commit order.
    """

    __tablename__ = "mailbox"
    __table_args__ = (sa.UniqueConstraint("recipient_id", "seq"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    recipient_id: uuid.UUID = Field(foreign_key="accounts.id", index=True)
    seq: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    room_id: uuid.UUID = Field(foreign_key="rooms.id", index=True)
    sender_member_id: uuid.UUID = Field(foreign_key="room_members.id")
    envelope: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    tag: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    created_at: datetime = Field(sa_column=_utc())
    expires_at: datetime = Field(sa_column=_utc(index=True))


class RelaySequence(SQLModel, table=True):
    """The relay's batch lock (a single row, id 1): every batch of sends locks it first, so batches
    commit one after another and later reads see every earlier batch. `last` was the global
    sequence counter before counters were per recipient (`MailboxCursor`); it no longer moves."""

    __tablename__ = "relay_sequence"

    id: int = Field(default=1, primary_key=True)
    last: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))


class SentMessage(SQLModel, table=True):
    """What the server keeps of a relayed message for the report window: ids and the franking tag.

    Its unique key makes a re-sent envelope (same room, sender and client id) idempotent.
    """

    __tablename__ = "sent_messages"
    __table_args__ = (sa.UniqueConstraint("room_id", "sender_member_id", "client_id"),)

    id: uuid.UUID = Field(primary_key=True)
    room_id: uuid.UUID = Field(foreign_key="rooms.id", index=True)
    sender_member_id: uuid.UUID = Field(foreign_key="room_members.id")
    recipient_member_id: uuid.UUID = Field(foreign_key="room_members.id")
    client_id: str = Field(max_length=64)
    tag: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    created_at: datetime = Field(sa_column=_utc(index=True))
    # SHA-256 of the envelope as sent: a re-send with the same id must be the same envelope
    # (None for rows stored before it was kept).
    envelope_hash: bytes | None = Field(
        default=None, sa_column=sa.Column(sa.LargeBinary(32), nullable=True)
    )


# -- Moderation (server/moderation/): report keys, the on-call rota, flags, the audit log ------


class ReportKey(SQLModel, table=True):
    """A moderator device's X25519 key that sealed reports are encrypted to, registered under a
    signature of the device's Ed25519 key. One per moderator account (one device)."""

    __tablename__ = "report_keys"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", primary_key=True)
    public_key: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False, unique=True))
    signature: bytes = Field(sa_column=sa.Column(sa.LargeBinary(64), nullable=False))
    created_at: datetime = Field(sa_column=_utc())


class RotaEntry(SQLModel, table=True):
    """A moderator's place on their network's on-call rota: tier and whether on duty now."""

    __tablename__ = "moderation_rota"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="networks.id", index=True)
    tier: str = Field(max_length=16)
    on_duty: bool = Field(default=False)
    updated_at: datetime = Field(sa_column=_utc())


class Flag(SQLModel, table=True):
    """A member's flag on a room, with its sealed report (ciphertext only) and queue metadata.

    `escalate_at` is the persisted acknowledgement deadline of the current tier: the escalation
    job fires it once (a guarded UPDATE) and NULLs it when acknowledged or at the last tier.
    """

    __tablename__ = "flags"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="networks.id", index=True)
    room_id: uuid.UUID = Field(foreign_key="rooms.id", index=True)
    reporter_member_id: uuid.UUID = Field(foreign_key="room_members.id")
    category: str = Field(max_length=32)
    severity: int
    status: str = Field(max_length=16)
    tier: str = Field(max_length=16)
    sealed_report: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    created_at: datetime = Field(sa_column=_utc())
    escalate_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True, index=True))
    escalated_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    claimed_by: uuid.UUID | None = Field(default=None, foreign_key="accounts.id")
    claimed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    acknowledged_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    resolved_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    outcome: str | None = Field(default=None, max_length=32)


class AuditEntry(SQLModel, table=True):
    """One entry of the hash-chained audit log of moderator and admin actions.

    `hash = SHA-256(prev_hash || canonical entry)`; `seq` has no gaps. Ids and actions only,
    never report content. `actor_id` and `network_id` are plain ids (no foreign keys): the log
    outlives what it names.
    """

    __tablename__ = "audit_log"

    seq: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True, autoincrement=False))
    at: datetime = Field(sa_column=_utc())
    network_id: uuid.UUID | None = Field(default=None)
    actor_id: uuid.UUID | None = Field(default=None)
    action: str = Field(max_length=64)
    subject: dict[str, str] = Field(sa_column=_json())
    prev_hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False, unique=True))


# --- Check-ins (server/checkins, docs/checkins.md) ---------------------------------------------
# What an institution's systems send is reduced on arrival to what the check-ins need: keyed
# hashes, dates and counts. No staff identifier, patient reference or incident narrative is kept.


class IntegrationCredential(SQLModel, table=True):
    """An institution's incident-system credential for the signed intake.

    The signing secret is shown once; HMAC verification needs it again, so it is kept sealed
    (XChaCha20-Poly1305 under a key derived from the server's check-ins secret, which is not in
    the database), with its SHA-256 fingerprint for display. A database dump alone cannot sign.
    """

    __tablename__ = "integration_credentials"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True)
    label: str = Field(max_length=100)
    sealed_secret: bytes = Field(sa_column=sa.Column(sa.LargeBinary(128), nullable=False))
    fingerprint: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    created_by: uuid.UUID | None = Field(default=None, foreign_key="accounts.id")
    created_at: datetime = Field(sa_column=_utc())
    last_used_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class IntakeNonce(SQLModel, table=True):
    """A nonce a signed intake request used; kept for the replay window, refused if seen again."""

    __tablename__ = "intake_nonces"

    credential_id: uuid.UUID = Field(foreign_key="integration_credentials.id", primary_key=True)
    nonce: str = Field(max_length=64, primary_key=True)
    expires_at: datetime = Field(sa_column=_utc(index=True))


class AdverseEventReceipt(SQLModel, table=True):
    """That an institution reported an event: a keyed hash of its FHIR identifier (so a re-sent
    event changes nothing) and when it arrived. Not its participants, patient or text."""

    __tablename__ = "adverse_event_receipts"
    __table_args__ = (sa.UniqueConstraint("institution_id", "event_key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True)
    event_key: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    received_at: datetime = Field(sa_column=_utc(index=True))


class StaffLink(SQLModel, table=True):
    """A clinician's opt-in: the keyed hash of the staff identifier their incident system uses
    (and, optionally, of their team's name), under their institution's link key. Several accounts
    may link one hash: refusing the second would tell a prober that someone linked it."""

    __tablename__ = "staff_links"
    __table_args__ = (
        sa.Index("ix_staff_links_institution_staff", "institution_id", "staff_hash"),
        sa.Index("ix_staff_links_institution_team", "institution_id", "team_hash"),
    )

    account_id: uuid.UUID = Field(foreign_key="accounts.id", primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id")
    staff_hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    team_hash: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary(32)))
    created_at: datetime = Field(sa_column=_utc())


_OPEN_CHECKIN = "status IN ('scheduled', 'offered', 'snoozed')"


class CheckinOffer(SQLModel, table=True):
    """A private check-in for one clinician (states: `server.checkins.states`). `due_at` is when
    the sweeper offers it (or reminds); the guarded status move makes that happen exactly once."""

    __tablename__ = "checkin_offers"
    __table_args__ = (
        sa.Index("ix_checkin_offers_status_due", "status", "due_at"),
        # At most one open check-in per clinician, even when two events race (the insert does
        # nothing on this conflict). The statuses are `server.checkins.offers.OPEN`.
        sa.Index(
            "ux_checkin_offers_open_account", "account_id", unique=True,
            sqlite_where=sa.text(_OPEN_CHECKIN), postgresql_where=sa.text(_OPEN_CHECKIN),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True)
    reason: str = Field(max_length=16)
    event_date: date | None = Field(default=None)
    status: str = Field(max_length=16)
    due_at: datetime = Field(sa_column=_utc())
    reminded: bool = Field(default=False)
    created_at: datetime = Field(sa_column=_utc(index=True))
    offered_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    responded_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    request_id: uuid.UUID | None = Field(default=None, foreign_key="support_requests.id")


class TeamSignal(SQLModel, table=True):
    """One team's load in one week, as the institution posted it (docs/checkins.md)."""

    __tablename__ = "team_signals"
    __table_args__ = (sa.UniqueConstraint("institution_id", "team", "week"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True)
    team: str = Field(max_length=64)
    week: date
    after_hours_minutes: float
    adverse_events: float
    census: float
    received_at: datetime = Field(sa_column=_utc())


class TeamFlag(SQLModel, table=True):
    """A team whose score reached the threshold in a week; its members' offers are made once."""

    __tablename__ = "team_flags"
    __table_args__ = (sa.UniqueConstraint("institution_id", "team", "week"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True)
    team: str = Field(max_length=64)
    week: date
    score: float
    flagged_at: datetime = Field(sa_column=_utc(index=True))


# -- Federation (server/federation): peer nodes, replay protection, transactions, outbox ----------


class FederationPeer(SQLModel, table=True):
    """Another Peerhaven node that a network admin allowed, by URL and pinned key fingerprint.

    `public_key` is the key fetched from the peer's well-known document when it matched the
    pinned fingerprint. The lease columns let one outbox worker at a time work this peer (so
    order holds); `next_attempt_at` and `attempts` are its retry backoff. `shadow_institution_id`
    is the local institution that stands for the peer's people (see `RemoteMember`).
    """

    __tablename__ = "federation_peers"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="networks.id", index=True)
    url: str = Field(max_length=300, unique=True)
    fingerprint: str = Field(max_length=64, unique=True)
    public_key: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    status: str = Field(max_length=16)
    shadow_institution_id: uuid.UUID = Field(foreign_key="institutions.id")
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    next_attempt_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    attempts: int = Field(default=0)
    availability: dict[str, Any] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(), nullable=True)
    )
    availability_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class FederationNonce(SQLModel, table=True):
    """A signature nonce a peer used, kept for twice the signature window: a replay collides."""

    __tablename__ = "federation_nonces"

    peer_id: uuid.UUID = Field(foreign_key="federation_peers.id", primary_key=True)
    nonce: str = Field(max_length=128, primary_key=True)
    seen_at: datetime = Field(sa_column=_utc(index=True))


class FederationTransaction(SQLModel, table=True):
    """A transaction id a peer sent (`PUT /federation/v1/send/{txn_id}`): a repeat is answered
    without being applied again."""

    __tablename__ = "federation_transactions"

    peer_id: uuid.UUID = Field(foreign_key="federation_peers.id", primary_key=True)
    txn_id: str = Field(max_length=64, primary_key=True)
    received_at: datetime = Field(sa_column=_utc(index=True))


class FederationOutbox(SQLModel, table=True):
    """One item waiting to travel to a peer node, in `position` order per peer.

    `ref` (a relayed envelope's mailbox id) makes moving an envelope in idempotent. `payload` is
    what the peer receives: an end-to-end encrypted envelope or a room / request event, never an
    account id, device key or institution.
    """

    __tablename__ = "federation_outbox"
    # Positions are never reused (SQLite would reuse a deleted maximum otherwise): a batch's
    # transaction id is made of them, and the peer remembers transaction ids.
    __table_args__ = {"sqlite_autoincrement": True}

    position: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer(), primary_key=True, autoincrement=True)
    )
    peer_id: uuid.UUID = Field(foreign_key="federation_peers.id", index=True)
    ref: uuid.UUID | None = Field(default=None, unique=True)
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = Field(sa_column=_json())
    created_at: datetime = Field(sa_column=_utc())


class RemoteMember(SQLModel, table=True):
    """A local stand-in account for one person on a peer node, in one room or forwarded request.

    It belongs to the peer's shadow institution, has a random key nobody holds, is disabled (it
    can never log in), and exists so rooms, offers and the mailbox work unchanged.
    """

    __tablename__ = "federation_remote_members"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", primary_key=True)
    peer_id: uuid.UUID = Field(foreign_key="federation_peers.id", index=True)
    created_at: datetime = Field(sa_column=_utc())


class FederatedRequest(SQLModel, table=True):
    """A support request that crossed nodes, under the pseudonymous `token` both nodes share.

    On the home node (`inbound` false) `request_id` is the requester's request, one row per peer
    tried; on the serving node (`inbound` true) it is the stand-in request its matchmaker works.
    A home row's `status` (`server.federation.states.ForwardStatus`) says whether the peer's
    answer is still awaited; `deadline_at` is when waiting ends (the request falls back).
    """

    __tablename__ = "federation_requests"
    __table_args__ = (sa.UniqueConstraint("peer_id", "token"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    peer_id: uuid.UUID = Field(foreign_key="federation_peers.id", index=True)
    token: str = Field(max_length=64)
    request_id: uuid.UUID = Field(foreign_key="support_requests.id", index=True)
    inbound: bool
    created_at: datetime = Field(sa_column=_utc())
    status: str | None = Field(default=None, max_length=16)
    deadline_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True, index=True))


# --- Web Push (server.push) -------------------------------------------------------------------


class PushSubscription(SQLModel, table=True):
    """A browser's Web Push subscription (RFC 8030): where to POST and the keys to encrypt to
    (RFC 8291). One account has one device, so a subscription belongs to an account; it is
    deleted on logout and when the push service answers 404 or 410."""

    __tablename__ = "push_subscriptions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True)
    endpoint: str = Field(sa_column=sa.Column(sa.String(2048), nullable=False, unique=True))
    p256dh: bytes = Field(sa_column=sa.Column(sa.LargeBinary(65), nullable=False))
    auth: bytes = Field(sa_column=sa.Column(sa.LargeBinary(16), nullable=False))
    created_at: datetime = Field(sa_column=_utc())


# -- Relay: per-recipient sequence counters ---------------------------------------------------


class MailboxCursor(SQLModel, table=True):
    """One recipient's mailbox counter: its entries take seq `last + 1`, `last + 2`, … Taking
    numbers locks the row until commit, so per recipient, seq order is commit order (a socket
    that sees seq 7 knows 6 is committed). `ready.cursor` is `last`."""

    __tablename__ = "mailbox_cursors"

    account_id: uuid.UUID = Field(foreign_key="accounts.id", primary_key=True)
    last: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))


# -- Moderation: rota seats kept for moderator invites (server/moderation/rota.py) -----------


class RotaSeat(SQLModel, table=True):
    """A place on the rota kept for a moderator invite: whoever redeems the invite goes on duty
    in `tier` as soon as their device registers a report key (the demo's on-duty rota). Used
    once: the seat is deleted when taken."""

    __tablename__ = "moderation_rota_seats"

    invite_id: uuid.UUID = Field(foreign_key="invites.id", primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="networks.id", index=True)
    tier: str = Field(max_length=16)
    created_at: datetime = Field(sa_column=_utc())
