"""What a push may say: one fixed notice per kind, the same for everyone.

A push is encrypted to the browser (RFC 8291), but its text lands on a lock screen, so it never
holds content, a pseudonym, a topic or an id: only which kind of thing happened. The service
worker (`web/sw.js`) shows `title` and `body` as they are.
"""

from __future__ import annotations

import json
from enum import StrEnum

__all__ = ["NOTICES", "PushKind", "payload"]


class PushKind(StrEnum):
    OFFER = "offer"
    MATCHED = "matched"
    MESSAGE = "message"
    FLAG = "flag"


NOTICES: dict[PushKind, str] = {
    PushKind.OFFER: "You have a new request for support",
    PushKind.MATCHED: "A supporter is ready to talk with you",
    PushKind.MESSAGE: "New message",
    PushKind.FLAG: "A report needs a moderator",
}


def payload(kind: PushKind) -> bytes:
    """The JSON a push carries: the kind, a fixed title and the kind's fixed notice."""
    body = {"kind": kind.value, "title": "Peerhaven", "body": NOTICES[kind]}
    return json.dumps(body, separators=(",", ":")).encode()
