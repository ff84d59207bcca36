"""Deterministic test vectors for sealed reports (:mod:`crypto.report`).

Run ``python -m crypto.report_vectors > crypto/report_vectors.json``. Every random value comes
from a seeded stream (SHA-512 of label || u64be(counter), the construction of
``crypto.vectors.DeterministicRandom``, repeated here so this file stands alone until the two
vector files are folded together), and each draw is listed so a second implementation (the
browser) can inject the same bytes and must reproduce the sealed report byte for byte.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from . import primitives as p
from .encoding import b64encode
from .franking import commit, server_tag
from .keys import IdentityKeyPair, domain_message
from .report import (
    REPORT_KEY_DOMAIN,
    Report,
    ReportKeyPair,
    RevealedMessage,
    report_associated_data,
    report_key_payload,
    seal_report,
)

__all__ = ["build_report_vectors", "build_roster_vectors", "main"]

ROOM = "5b3c1f0e-9a43-4e39-8f0a-2d6f1c1d9b10"
SENDER = "0f4a8a51-7d7a-4c0b-9d8e-6a3f6c1b2e11"
RECIPIENT = "7e2d4c6a-1b3f-4e5d-8c9b-0a1f2e3d4c12"
MESSAGE_ID = "c1a2b3c4-d5e6-4f70-8a9b-0c1d2e3f4a13"
ORIGIN = "https://peerhaven.example"
TIMESTAMP = 1_790_000_000_000


class _Stream:
    def __init__(self, label: bytes) -> None:
        self._label, self._buffer, self._counter = label, b"", 0
        self.draws: list[bytes] = []

    def __call__(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._buffer += p.sha512(self._label + self._counter.to_bytes(8, "big"))
            self._counter += 1
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        self.draws.append(out)
        return out


def _statement(device: IdentityKeyPair, report_key: bytes) -> dict[str, str]:
    payload = report_key_payload(origin=ORIGIN, report_key=report_key)
    signature = device.sign(domain_message(REPORT_KEY_DOMAIN, payload))
    return {"device_key": b64encode(device.public_key), "report_key": b64encode(report_key),
            "signature": b64encode(signature)}  # fmt: skip


def build_roster_vectors() -> dict[str, Any]:
    """Two listings a member's device checks in turn (crypto/moderators.py): the first is
    pinned; in the second the server swapped moderator A's report key for its own (A's
    signature kept) and added a device of its own with a valid statement."""
    stream = _Stream(b"peerhaven report vectors: moderator roster")
    a, b, server = (IdentityKeyPair(stream(32)) for _ in range(3))
    key_a, key_b, key_server = (ReportKeyPair.generate(stream).public_key for _ in range(3))
    first = [_statement(a, key_a), _statement(b, key_b)]
    swapped = {**first[0], "report_key": b64encode(key_server)}
    second = [swapped, first[1], _statement(server, key_server)]
    return {
        "description": "Moderator report-key statements (docs/protocol.md §14.4); keys in "
        "base64url; report_keys in byte order.",
        "origin": ORIGIN,
        "listings": [
            {"listed": first, "report_keys": [b64encode(k) for k in sorted([key_a, key_b])],
             "forged": 0, "new": 0},
            {"listed": second, "report_keys": [b64encode(key_b)], "forged": 1, "new": 1},
        ],
    }  # fmt: skip


def build_report_vectors() -> dict[str, Any]:
    keys = _Stream(b"peerhaven report vectors: keys")
    moderators = [ReportKeyPair.generate(keys), ReportKeyPair.generate(keys)]
    device = IdentityKeyPair(keys(32))
    server_secret = keys(32)
    franking_key = keys(32)
    plaintext = b"I can't do this any more."
    commitment = commit(franking_key, plaintext)
    tag = server_tag(server_secret, commitment, ROOM, SENDER, RECIPIENT, TIMESTAMP)
    report = Report(
        category="crisis",
        note="My peer said this and then went quiet.",
        messages=(RevealedMessage(MESSAGE_ID, SENDER, plaintext, franking_key, tag),),
    )
    seal_rng = _Stream(b"peerhaven report vectors: seal")
    sealed = seal_report(
        report, room=ROOM, recipients=[m.public_key for m in moderators], rng=seal_rng
    )
    key_payload = report_key_payload(origin=ORIGIN, report_key=moderators[0].public_key)
    return {
        "description": "Sealed report (docs/protocol.md, Sealed reports). Hex unless noted; "
        "rng draws in order: report key, nonce, then one ephemeral X25519 key per recipient.",
        "room": ROOM,
        "moderators": [
            {"x25519_private": m.private_key.hex(), "x25519_public": m.public_key.hex()}
            for m in moderators
        ],
        "franking": {
            "server_secret": server_secret.hex(),
            "franking_key": franking_key.hex(),
            "plaintext_utf8": plaintext.decode(),
            "commitment": commitment.hex(),
            "sender": SENDER,
            "recipient": RECIPIENT,
            "timestamp_ms": TIMESTAMP,
            "tag": tag.hex(),
        },
        "report": {
            "category": report.category,
            "note": report.note,
            "body": report.to_bytes().decode(),
            "associated_data": report_associated_data(ROOM, report.category).hex(),
        },
        "rng": [d.hex() for d in seal_rng.draws],
        "sealed": sealed.encode(),
        "report_key_registration": {
            "origin": ORIGIN,
            "device_seed": device.seed.hex(),
            "device_public": device.public_key.hex(),
            "signed_message": domain_message(REPORT_KEY_DOMAIN, key_payload).hex(),
            "signature": device.sign(domain_message(REPORT_KEY_DOMAIN, key_payload)).hex(),
            "report_key_b64": b64encode(moderators[0].public_key),
        },
        "moderator_roster": build_roster_vectors(),
    }


def main() -> None:
    json.dump(build_report_vectors(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
