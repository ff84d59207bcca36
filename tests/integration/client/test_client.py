"""The Python client, end to end through the real server, and what each peer gets to see.

A clinician and a supporter of two institutions of one network go from a support request to a
room in which both hold a verified X3DH session. The relay that carries envelopes comes in a
later issue; here the test hands the first envelope over, as the relay will.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client import ApiError, KeyFolder, Peerhaven
from crypto import Envelope
from crypto.encoding import b64encode
from server.db.models import Institution, Network
from tests.integration.flows import Flow, Side, build_flow
from tests.world import World


@pytest.fixture
def flow(world: World, tmp_path: Path) -> Iterator[Flow]:
    built = build_flow(world, tmp_path)
    yield built
    built.clinician.client.close()
    built.supporter.client.close()


def test_request_to_verified_x3dh_session_through_the_client(world: World, flow: Flow) -> None:
    alice, bob, room_id = flow.clinician.client, flow.supporter.client, flow.room_id

    session = alice.start_session(room_id)  # claims and verifies bob's bundle
    first = Envelope.decode(session.encrypt(b"thank you for taking this").encode())  # the relay
    bob_session, received = bob.accept_session(room_id, first)
    assert received.plaintext == b"thank you for taking this"
    reply = bob_session.encrypt(b"of course, I am here")
    assert session.decrypt(Envelope.decode(reply.encode())).plaintext == b"of course, I am here"

    # Both sessions are bound to the room keys, never the device keys.
    room = alice.room(room_id)
    assert b64encode(session.peer_identity_key) == room["peer"]["identity_key"]
    assert session.peer_identity_key != bob.device.public_key
    assert bob_session.peer_identity_key != alice.device.public_key
    assert alice.safety_number(room_id) == bob.safety_number(room_id)

    # Keys persist, sealed: a new client on the same folder logs in and has the session.
    folder = alice.keys
    sealed = (folder.path / "device.phks").read_bytes()
    assert alice.device.seed not in sealed
    same = KeyFolder(folder.path, folder.passphrase, opslimit=folder.opslimit,
                     memlimit=folder.memlimit)  # fmt: skip
    with Peerhaven(world.server.base_url, keys=same) as again:
        assert again.login()["account_id"] == flow.clinician.me["account_id"]
        restored = again.session(room_id)
        assert restored is not None and restored.peer_identity_key == session.peer_identity_key

    # Problem details arrive as ApiError.
    with pytest.raises(ApiError) as caught:
        alice.join_room(str(uuid.uuid4()))
    assert caught.value.status == 404


def _identities(world: World, side: Side) -> list[str]:
    """Every string that would identify `side`: account, device key, institution, network."""
    account_id = uuid.UUID(side.me["account_id"])
    institution_id = uuid.UUID(side.me["institution"]["id"])

    async def orgs(session: Any) -> tuple[Institution, Network]:
        institution = await session.get(Institution, institution_id)
        return institution, await session.get(Network, institution.network_id)

    institution, network = world.run(orgs)
    key = side.client.device.public_key
    return [
        str(account_id), account_id.hex, b64encode(key), key.hex(),
        str(institution.id), institution.id.hex, institution.slug, institution.name,
        str(network.id), network.id.hex, network.slug, network.name,
    ]  # fmt: skip


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_peer_never_learns_who_the_other_side_is(world: World, flow: Flow) -> None:
    clinician, supporter = flow.clinician, flow.supporter
    before = len(supporter.seen), len(clinician.seen)
    # Everything else either side can ask about the room and the other member.
    session = clinician.client.start_session(flow.room_id)
    supporter.client.accept_session(flow.room_id, session.encrypt(b"hello"))
    for side in (clinician, supporter):
        side.client.rooms()
        side.client.room(flow.room_id)
        side.client.safety_number(flow.room_id)
    supporter.client.offers()
    clinician.client.request_status(flow.request["id"])
    with pytest.raises(ApiError):
        supporter.client.decline_offer(supporter.client.rooms()[0]["id"])
    supporter.client.block_peer(flow.room_id)
    clinician.client.room(flow.room_id)
    assert len(supporter.seen) > before[0] and len(clinician.seen) > before[1]

    # The first four responses (challenge, registration, challenge, token) describe the viewer,
    # whose network is the peer's too; everything after must not name the peer.
    for viewer, other in ((supporter, clinician), (clinician, supporter)):
        secrets = [s.encode() for s in _identities(world, other)]
        assert any(secrets[0] in body for body in other.seen[:4])  # the recorder works
        for body in viewer.seen[4:]:
            for secret in secrets:
                assert secret not in body, (secret, body[:300])

    # Room-scoped: the supporter's view of the clinician shares nothing with the device key.
    peer = supporter.client.room(flow.room_id)["peer"]
    assert peer["identity_key"] != b64encode(clinician.client.device.public_key)
    assert set(peer) == {"member_id", "handle", "specialty", "experience_band", "identity_key",
                         "left"}  # fmt: skip
