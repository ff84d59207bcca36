"""The client's error tree.

ClientError
├── ApiError        the server answered with problem details (status, title, detail)
├── FrameError      a relay frame from the server could not be understood
├── OriginMismatch  a challenge names another origin than the one this client talks to
├── RelayError      the relay cannot do what was asked
│   ├── NoSessionError     no end-to-end session in that room yet (start one first)
│   ├── KeyChangePending   the peer's key changed; the user must accept it first
│   └── UnknownRoomError   the room is not open in this relay
└── (KeyFolder raises crypto.KeystoreError for a wrong passphrase or a corrupted file)
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "ClientError",
    "FrameError",
    "KeyChangePending",
    "NoSessionError",
    "OriginMismatch",
    "RelayError",
    "UnknownRoomError",
]


class ClientError(Exception):
    """Base of the errors the client raises itself."""


class ApiError(ClientError):
    """A non-success answer. `detail` comes from the server's problem details."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.title!r}, {self.detail!r})"


class FrameError(ClientError):
    """A server frame that is not JSON, of an unknown type, or missing a field."""


class OriginMismatch(ClientError):
    """A login or registration challenge names an origin other than the client's own.

    Nothing was signed: a host relaying to another server (a phishing proxy) would otherwise
    obtain a signature, and so a token, that works at the real one (docs/protocol.md §12).
    The message names neither origin.
    """

    def __init__(self) -> None:
        super().__init__(
            "the server's challenge is for another origin than the one configured; "
            "nothing was signed (check the server address)"
        )


class RelayError(ClientError):
    """The relay cannot do what was asked."""


class NoSessionError(RelayError):
    """There is no end-to-end session in the room yet."""

    def __init__(self, room: str) -> None:
        super().__init__(f"no session in room {room}")
        self.room = room


class KeyChangePending(RelayError):
    """The peer's identity key changed in the room: nothing is sent until the user compared the
    safety number again and accepted the new key."""

    def __init__(self, room: str) -> None:
        super().__init__(
            f"the security key of your peer in room {room} changed: compare the safety number "
            "again, then accept the new key"
        )
        self.room = room


class UnknownRoomError(RelayError):
    """The room has not been opened in this relay."""

    def __init__(self, room: str) -> None:
        super().__init__(f"room {room} is not open")
        self.room = room
