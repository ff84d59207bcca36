"""The peer's room key is pinned, against a real server that turns malicious (issue 12, item 1).

The server is the adversary here: it serves a bundle of its own for the peer (its database is
edited, as a compromised server would), or relays a handshake it made itself under the peer's
member id. The Python client refuses both, keeps its session and its safety number (which comes
from the session's keys, not from the room view the server now lies in), and only the user can
accept the new key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from client import KeyFolder
from crypto import (
    Envelope,
    IdentityKeyChanged,
    IdentityKeyPair,
    SignedPreKey,
    initiate_session,
)
from crypto import (
    OneTimePreKey as CryptoOneTimePreKey,
)
from crypto.encoding import b64encode
from server.db.models import OneTimePreKey, RoomMember
from tests.integration.flows import Flow, build_flow
from tests.integration.sockets import open_socket
from tests.world import World

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def flow(world: World, tmp_path: Path) -> Iterator[Flow]:
    built = build_flow(world, tmp_path)
    yield built
    built.clinician.client.close()
    built.supporter.client.close()


def established(flow: Flow) -> str:
    """Alice starts, Bob answers (the envelope handed over as the relay would); Alice's number."""
    alice, bob = flow.clinician.client, flow.supporter.client
    session = alice.start_session(flow.room_id)
    bob.accept_session(flow.room_id, Envelope.decode(session.encrypt(b"hello").encode()))
    number = alice.safety_number(flow.room_id)
    assert number == bob.safety_number(flow.room_id)
    return number


def serve_a_bundle_of_its_own(world: World, flow: Flow, member_id: str) -> IdentityKeyPair:
    """What a compromised server does: replace the member's room key and prekeys."""
    mallory = IdentityKeyPair.generate()
    spk = SignedPreKey.generate(mallory, 1)

    async def tamper(session: Any) -> None:
        member = await session.get(RoomMember, uuid.UUID(member_id))
        member.identity_key = mallory.public_key
        member.signed_prekey_id, member.signed_prekey = 1, spk.public_key
        member.signed_prekey_signature = spk.signature
        for opk in (await session.exec(select(OneTimePreKey).where(
            OneTimePreKey.member_id == member.id))).all():  # fmt: skip
            await session.delete(opk)
        fake = CryptoOneTimePreKey.generate(1000)
        row = OneTimePreKey(member_id=member.id, key_id=fake.key_id, public_key=fake.public_key,
                            uploaded_at=datetime.now(UTC))  # fmt: skip
        session.add(row)
        await session.commit()

    world.run(tamper)
    return mallory


def test_a_bundle_with_another_identity_key_is_refused(world: World, flow: Flow) -> None:
    alice, room_id = flow.clinician.client, flow.room_id
    number = established(flow)
    bob_member = alice.room(room_id)["peer"]["member_id"]
    session = alice.session(room_id)
    assert session is not None
    mallory = serve_a_bundle_of_its_own(world, flow, bob_member)
    assert alice.room(room_id)["peer"]["identity_key"] == b64encode(mallory.public_key)

    with pytest.raises(IdentityKeyChanged):
        alice.start_session(room_id)

    # Nothing replaced, and the number is the session's: not the key the server now claims.
    kept = alice.session(room_id)
    assert kept is not None and kept.peer_identity_key == session.peer_identity_key
    assert alice.safety_number(room_id) == number
    # The refusal is on disk: a client started afresh on the same folder still warns.
    folder = alice.keys
    again = KeyFolder(folder.path, folder.passphrase, opslimit=folder.opslimit,
                      memlimit=folder.memlimit)  # fmt: skip
    store = again.room(room_id)
    assert store is not None and store.peer.changed
    assert store.peer.offered == mallory.public_key


async def test_a_handshake_with_another_identity_key_is_refused(
    world: World, flow: Flow
) -> None:
    alice, bob, room_id = flow.clinician.client, flow.supporter.client, flow.room_id
    number = established(flow)
    bob.mark_verified(room_id)
    view = bob.room(room_id)
    # The server crafts a handshake of its own under Alice's member id and relays it to Bob.
    _, bundle = alice.claim_peer_bundle(room_id)
    forged = initiate_session(
        IdentityKeyPair.generate(), bundle, room=room_id,
        device=view["peer"]["member_id"], peer_device=view["me"]["member_id"],
    )  # fmt: skip
    sender = await open_socket(world.server.base_url, alice._token)
    receiver = await open_socket(world.server.base_url, bob._token)
    try:
        envelope = forged.encrypt(b"it is me, on a new phone")
        await sender.send({"type": "send", "envelope": envelope.encode().decode()})
        await sender.expect("accepted")
        delivered = await receiver.expect("deliver")
    finally:
        await sender.close()
        await receiver.close()
    before = bob.keys.room(room_id)
    assert before is not None
    opks = set(before.one_time_prekeys)

    with pytest.raises(IdentityKeyChanged):
        bob.accept_session(room_id, Envelope.decode(delivered["envelope"]))

    store = bob.keys.room(room_id)
    assert store is not None and store.peer.changed and store.peer.verified
    assert set(store.one_time_prekeys) == opks  # the forged handshake used nothing
    assert bob.safety_number(room_id) == number

    # Only the user's acknowledgement lets the new key in, and it is no longer verified.
    bob.accept_key_change(room_id)
    _, message = bob.accept_session(room_id, forged.encrypt(b"second"))
    assert message.plaintext == b"second"
    assert bob.safety_number(room_id) != number
    store = bob.keys.room(room_id)
    assert store is not None and not store.peer.verified and not store.peer.changed
