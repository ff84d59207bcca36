"""The terminal chat's side of key pinning: the warning, /verify, /accept-key (issue 12, item 1).

The relay client is a stand-in that records calls; the conversations are real.
"""

from __future__ import annotations

from client.chat import Chat
from client.errors import KeyChangePending
from client.events import KeyChanged, Undecryptable
from tests.unit.client.conftest import Pair

from .test_key_pinning import established


class FakeRelay:
    def __init__(self, pair: Pair) -> None:
        self.relay = pair.sam.relay
        self.calls: list[str] = []

    async def accept_key_change(self, room: str) -> None:
        self.calls.append("accept")
        self.relay.accept_key_change(room)

    async def mark_verified(self, room: str) -> None:
        self.calls.append("verify")
        self.relay.mark_verified(room)

    async def send(self, room: str, text: str) -> None:
        self.relay.send(room, text.encode())


def chat_for(pair: Pair) -> tuple[Chat, list[str], FakeRelay]:
    lines: list[str] = []
    relay = FakeRelay(pair)
    chat = Chat(api=object(), relay=relay, write=lines.append)  # type: ignore[arg-type]
    chat.room = pair.room
    chat.handles[pair.room] = "Calm Heron"
    return chat, lines, relay


async def test_the_warning_is_shown_and_sending_waits_for_the_user(pair: Pair) -> None:
    established(pair)
    chat, lines, relay = chat_for(pair)
    await chat.handle("/verify")
    assert relay.calls == ["verify"] and "marked as verified" in lines[-1]
    pair.sam.conversation.keys.peer.offered = b"\x05" * 32  # what a refused handshake leaves
    await chat._on_event(Undecryptable(pair.room, "d1", "IdentityKeyChanged"))
    await chat._on_event(KeyChanged(pair.room, "Calm Heron"))
    shown = "\n".join(lines)
    assert "security key of Calm Heron has changed" in shown
    assert "Verify the safety number again" in shown
    assert "could not be decrypted" not in shown  # one calm message, not an error
    lines.clear()
    await chat.handle("so, what happened?")
    assert lines and "not sent" in lines[-1]
    try:
        pair.sam.relay.send(pair.room, b"x")
    except KeyChangePending:
        pass
    else:  # pragma: no cover
        raise AssertionError("sent while the key change waits")
    await chat.handle("/accept-key")
    assert relay.calls[-1] == "accept" and "not verified" in lines[-1]
    assert not pair.sam.conversation.verified and not pair.sam.conversation.key_changed
    await chat.handle("/accept-key")
    assert "has not changed" in lines[-1]
