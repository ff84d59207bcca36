"""Peerhaven's Python client SDK: talks HTTP to a server, keeps keys in encrypted keystores.

    client = Peerhaven("http://127.0.0.1:8000", keys=KeyFolder(path, passphrase))
    client.register(invite_code); client.login()
    client.set_profile(specialty="207P00000X", years_experience=8, ...)
    request = client.request_support(["adverse-event"])
    ...
    room = client.join_room(room_id); session = client.start_session(room_id)

The relay (WebSocket) side is asyncio: :class:`RelayClient` wraps the sans-I/O :class:`Relay`::

    async with RelayClient(client) as relay:
        await relay.send(room_id, "hello")       # X3DH on first use, re-sent until accepted
        async for event in relay.events(): ...   # MessageReceived, MessageAccepted, …

The peer's room key is pinned: a `KeyChanged` event (or `crypto.IdentityKeyChanged` from
:meth:`Peerhaven.start_session`) means another key was refused; the user compares the safety
number again and calls `accept_key_change`. Errors from the server arrive as :class:`ApiError`
carrying the problem details; a challenge for another origin as :class:`OriginMismatch`.
"""

from client.api import Peerhaven
from client.connection import RelayClient
from client.conversation import Conversation
from client.errors import (
    ApiError,
    ClientError,
    FrameError,
    KeyChangePending,
    NoSessionError,
    OriginMismatch,
    RelayError,
    UnknownRoomError,
)
from client.keyfolder import KeyFolder
from client.ledger import Ledger
from client.relay import Relay

__all__ = [
    "ApiError",
    "ClientError",
    "Conversation",
    "FrameError",
    "KeyChangePending",
    "KeyFolder",
    "Ledger",
    "NoSessionError",
    "OriginMismatch",
    "Peerhaven",
    "Relay",
    "RelayClient",
    "RelayError",
    "UnknownRoomError",
]
