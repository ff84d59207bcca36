"""A notification is the relay's `notify` frame, built without importing the relay."""

from __future__ import annotations

import uuid

from server.platform.notify import notify_frame
from server.relay.frames import Notify


def test_a_notify_frame_is_the_relays_notify_frame() -> None:
    frame = Notify.model_validate_json(notify_frame("room", room=uuid.UUID(int=7)))
    assert frame.event == "room"
    assert frame.data == {"room": str(uuid.UUID(int=7))}
