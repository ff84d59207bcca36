"""The client signs exactly the bytes the server checks."""

from __future__ import annotations

import uuid

from client import messages
from server.accounts import statements as identity
from server.rooms import rooms


def test_client_signs_exactly_the_bytes_the_server_checks() -> None:
    key = bytes(range(32))
    origin = "https://peerhaven.example"
    assert messages.registration_message(
        origin=origin, invite_code="7k3m-q9rt-x2vb-hn4p", identity_key=key
    ) == identity.registration_message(
        origin=origin, invite_code="7K3MQ9RTX2VBHN4P", identity_key=key
    )
    nonce = bytes(32)
    assert messages.login_message(origin=origin, nonce=nonce, identity_key=key) == (
        identity.login_message(origin=origin, nonce=nonce, identity_key=key)
    )
    room, member = uuid.uuid4(), uuid.uuid4()
    assert messages.room_identity_payload(
        origin=origin, room_id=str(room), member_id=str(member), room_key=key
    ) == rooms.room_identity_payload(origin=origin, room_id=room, member_id=member, room_key=key)
    assert messages.ROOM_IDENTITY_DOMAIN == rooms.ROOM_IDENTITY_DOMAIN
