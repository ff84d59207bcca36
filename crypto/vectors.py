"""Deterministic test vectors for a second implementation (the browser client).

Run ``python -m crypto.vectors > crypto/vectors.json``. Every random value is drawn from a
:class:`DeterministicRandom` passed in explicitly, and every draw is listed in the output
(``rng``), so another implementation can inject the same bytes and must reproduce every
intermediate value and every envelope byte for byte.

Besides the protocol run (docs/protocol.md §11), the file holds three tables both clients and
the server replay, so none of them can drift:

* ``statements``: the labels, and for registration, login and room identity the inputs, the
  exact bytes signed (``statement``, hex) and Alice's signature over them; ``invite_codes``:
  ``{"input", "normalised"}`` pairs for :func:`crypto.statements.normalise_invite_code`.
* ``envelope_rejections``: inputs :meth:`Envelope.decode` refuses, with the error class and the
  exact message (format in :mod:`crypto.rejections`).
* ``relay``: close codes, error codes (and which end a ``send``), and the relay frame transcript
  (format in :mod:`crypto.transcript`).

Nothing here reads a clock or the system's randomness: the output is the same on every run.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from . import primitives as p
from .encoding import b64encode
from .envelope import Envelope
from .fingerprint import displayable_fingerprint, format_safety_number, safety_number
from .franking import SERVER_TAG_DOMAIN, commit, server_tag, server_tag_input
from .keys import (
    SIGNED_PREKEY_DOMAIN,
    IdentityKeyPair,
    OneTimePreKey,
    PreKeyBundle,
    SignedPreKey,
    domain_message,
    sign_with_domain,
)
from .ratchet import MESSAGE_KEY_INFO, RATCHET_INFO, kdf_ck, kdf_rk, message_cipher_params
from .rejections import envelope_rejections
from .session import Session, accept_session, initiate_session
from .statements import (
    LOGIN_LABEL,
    REGISTER_LABEL,
    ROOM_IDENTITY_DOMAIN,
    login_statement,
    normalise_invite_code,
    registration_statement,
    room_identity_statement,
)
from .transcript import relay_transcript
from .x3dh import X3DH_INFO

__all__ = ["DeterministicRandom", "build_vectors", "main"]

ROOM = "room-7f3a"
ALICE_DEVICE = "alice-laptop"
BOB_DEVICE = "bob-phone"


class DeterministicRandom:
    """``rng(n)``: the next ``n`` bytes of SHA-512(label || u64be(0)) || SHA-512(label ||
    u64be(1)) || …, recording every draw. For vectors and tests only."""

    def __init__(self, label: bytes) -> None:
        self._label = label
        self._buffer = b""
        self._counter = 0
        self.draws: list[bytes] = []

    def __call__(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._buffer += p.sha512(self._label + self._counter.to_bytes(8, "big"))
            self._counter += 1
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        self.draws.append(out)
        return out


def _h(data: bytes) -> str:
    return data.hex()


def _b(value: str) -> bytes:
    from .encoding import b64decode

    return b64decode(value, field="state", max_length=1 << 16)


def _identity(identity: IdentityKeyPair, device: str) -> dict[str, str]:
    return {
        "device": device,
        "ed25519_seed": _h(identity.seed),
        "ed25519_public": _h(identity.public_key),
        "x25519_private": _h(identity.dh_private_key),
        "x25519_public": _h(identity.dh_public_key),
    }


def _send(session: Session, text: str, sender: str) -> tuple[dict[str, Any], Envelope]:
    before = session.ratchet.to_json()
    envelope = session.encrypt(text.encode("utf-8"))
    chain_key = _b(before["cks"])
    next_chain_key, message_key = kdf_ck(chain_key)
    key, nonce = message_cipher_params(message_key)
    payload = p.aead_decrypt(
        key,
        nonce,
        envelope.ciphertext,
        session.ratchet.associated_data + envelope.header.to_bytes() + envelope.associated_data(),
    )
    franking_key = payload[:32]
    assert commit(franking_key, text.encode()) == envelope.commitment
    return {
        "sender": sender,
        "plaintext": text,
        "message_id": envelope.message_id,
        "franking_key": _h(franking_key),
        "commitment": _h(envelope.commitment),
        "sending_ratchet_private": _h(_b(before["dhs"])),
        "chain_key": _h(chain_key),
        "message_key": _h(message_key),
        "next_chain_key": _h(next_chain_key),
        "aead_key": _h(key),
        "aead_nonce": _h(nonce),
        "header": _h(envelope.header.to_bytes()),
        "envelope_ad": _h(envelope.associated_data()),
        "aead_ad": _h(
            session.ratchet.associated_data
            + envelope.header.to_bytes()
            + envelope.associated_data()
        ),
        "aead_plaintext": _h(payload),
        "ciphertext": _h(envelope.ciphertext),
        "envelope": envelope.encode().decode("ascii"),
    }, envelope


def _ratchet_step(before: dict[str, Any], after: dict[str, Any], remote: bytes) -> dict[str, str]:
    """The DH ratchet step a receiver performed, recomputed from its state snapshots."""
    dh_recv = p.x25519(_b(before["dhs"]), remote)
    root1, receiving_chain = kdf_rk(_b(before["rk"]), dh_recv)
    new_private = _b(after["dhs"])
    dh_send = p.x25519(new_private, remote)
    root2, sending_chain = kdf_rk(root1, dh_send)
    assert root2 == _b(after["rk"]) and sending_chain == _b(after["cks"])
    return {
        "root_key_before": _h(_b(before["rk"])),
        "remote_ratchet_public": _h(remote),
        "dh_receiving": _h(dh_recv),
        "root_key_mid": _h(root1),
        "receiving_chain_key": _h(receiving_chain),
        "new_ratchet_private": _h(new_private),
        "new_ratchet_public": _h(p.x25519_public(new_private)),
        "dh_sending": _h(dh_send),
        "root_key_after": _h(root2),
        "sending_chain_key": _h(sending_chain),
    }


_INVITE_CODES = [
    "7K3MQ9RTX2VBHN4P",
    "7k3m-q9rt-x2vb-hn4p",
    "7K3M Q9RT X2VB HN4P",
    " 7k3m - q9rt ",
    "--",
    "",
    "ab\tcd",  # a tab is not a separator: the server then refuses the code as malformed
    "straße",  # Unicode upper case, as Python's str.upper and JavaScript's toUpperCase agree
]


def _statements(alice: IdentityKeyPair, room_key: bytes) -> dict[str, Any]:
    origin = "https://peerhaven.example"
    code = "7k3m-q9rt-x2vb-hn4p"
    nonce = bytes(range(32))
    room_id = "0d9a3c1b-7e01-4a36-9d6e-5f0c2a4e8f55"
    member_id = "9d6e5f0c-2a4e-4f55-8a36-0d9a3c1b7e01"
    registration = registration_statement(
        origin=origin, invite_code=code, identity_key=alice.public_key
    )
    login = login_statement(origin=origin, nonce=nonce, identity_key=alice.public_key)
    room = room_identity_statement(
        origin=origin, room_id=room_id, member_id=member_id, room_key=room_key
    )
    return {
        "labels": {
            "register": REGISTER_LABEL.decode(),
            "login": LOGIN_LABEL.decode(),
            "room_identity_domain": ROOM_IDENTITY_DOMAIN.decode(),
        },
        "signer": _h(alice.public_key),
        "registration": {
            "origin": origin,
            "invite_code": code,
            "identity_key": _h(alice.public_key),
            "statement": _h(registration),
            "signature": _h(alice.sign(registration)),
        },
        "login": {
            "origin": origin,
            "nonce": _h(nonce),
            "identity_key": _h(alice.public_key),
            "statement": _h(login),
            "signature": _h(alice.sign(login)),
        },
        "room_identity": {
            "origin": origin,
            "room_id": room_id,
            "member_id": member_id,
            "room_key": _h(room_key),
            "statement": _h(room),
            "signature": _h(alice.sign(room)),
        },
        "invite_codes": [
            {"input": c, "normalised": normalise_invite_code(c)} for c in _INVITE_CODES
        ],
    }


def build_vectors() -> dict[str, Any]:
    rng_a = DeterministicRandom(b"peerhaven vectors alice")
    rng_b = DeterministicRandom(b"peerhaven vectors bob")
    alice = IdentityKeyPair.generate(rng_a)
    bob = IdentityKeyPair.generate(rng_b)
    spk = SignedPreKey.generate(bob, 1, rng_b)
    opk = OneTimePreKey.generate(42, rng_b)
    bundle = PreKeyBundle.create(bob, spk, opk)

    session_a = initiate_session(
        alice, bundle, room=ROOM, device=ALICE_DEVICE, peer_device=BOB_DEVICE, rng=rng_a
    )
    ephemeral_private = rng_a.draws[1]
    ephemeral_public = p.x25519_public(ephemeral_private)
    dhs = [
        p.x25519(alice.dh_private_key, spk.public_key),
        p.x25519(ephemeral_private, bob.dh_public_key),
        p.x25519(ephemeral_private, spk.public_key),
        p.x25519(ephemeral_private, opk.public_key),
    ]
    ikm = b"\xff" * 32 + b"".join(dhs)
    shared_key = p.hkdf_sha256(ikm, salt=bytes(32), info=X3DH_INFO, length=32)
    initial_ratchet_private = rng_a.draws[2]
    dh0 = p.x25519(initial_ratchet_private, spk.public_key)
    root0, chain0 = kdf_rk(shared_key, dh0)
    assert session_a.ratchet.to_json()["rk"] == b64encode(root0)

    messages: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    m0, e0 = _send(session_a, "Hello, I had a hard shift.", ALICE_DEVICE)
    m1, e1 = _send(session_a, "Are you free to talk?", ALICE_DEVICE)
    messages += [m0, m1]

    # Bob receives the second message first: it creates his session and skips one key.
    session_b, received = accept_session(bob, spk, opk, e1, device=BOB_DEVICE, rng=rng_b)
    after_b = session_b.ratchet.to_json()
    steps.append(
        {"receiver": BOB_DEVICE, "on_message": 1}
        | _ratchet_step(
            {"dhs": b64encode(spk.key_pair.private_key), "rk": b64encode(shared_key)},
            after_b,
            e1.header.dh,
        )
    )
    assert received.plaintext == m1["plaintext"].encode()
    assert session_b.decrypt(e0).plaintext == m0["plaintext"].encode()

    m2, e2 = _send(session_b, "Yes. I'm here, take your time.", BOB_DEVICE)
    m3, e3 = _send(session_b, "What happened?", BOB_DEVICE)
    messages += [m2, m3]
    before_a = session_a.ratchet.to_json()
    session_a.decrypt(e2)
    steps.append(
        {"receiver": ALICE_DEVICE, "on_message": 2}
        | _ratchet_step(before_a, session_a.ratchet.to_json(), e2.header.dh)
    )
    session_a.decrypt(e3)
    m4, e4 = _send(session_a, "A patient deteriorated overnight. 🩺", ALICE_DEVICE)
    messages.append(m4)
    before_b = session_b.ratchet.to_json()
    session_b.decrypt(e4)
    steps.append(
        {"receiver": BOB_DEVICE, "on_message": 4}
        | _ratchet_step(before_b, session_b.ratchet.to_json(), e4.header.dh)
    )

    server_secret = bytes(range(32))
    timestamp = 1_764_115_200_000
    tag_input = server_tag_input(e4.commitment, ROOM, ALICE_DEVICE, BOB_DEVICE, timestamp)
    signed_message = domain_message(
        SIGNED_PREKEY_DOMAIN, SignedPreKey.signed_payload(spk.key_id, spk.public_key)
    )
    login_domain = b"peerhaven/v1/example"
    login_payload = b"server nonce 0123456789"
    number = safety_number(alice.public_key, ALICE_DEVICE, bob.public_key, BOB_DEVICE)
    return {
        "description": "Peerhaven protocol v1 test vectors; see docs/protocol.md",
        "encoding": "bytes are lowercase hex unless a field says otherwise",
        "constants": {
            "x3dh_info": X3DH_INFO.decode(),
            "ratchet_info": RATCHET_INFO.decode(),
            "message_key_info": MESSAGE_KEY_INFO.decode(),
            "signed_prekey_domain": SIGNED_PREKEY_DOMAIN.decode(),
            "server_tag_domain": SERVER_TAG_DOMAIN.decode(),
        },
        "rng": {
            "algorithm": "stream of SHA-512(label || u64be(counter)), counter from 0",
            "alice_label": "peerhaven vectors alice",
            "bob_label": "peerhaven vectors bob",
        },
        "alice": _identity(alice, ALICE_DEVICE),
        "bob": _identity(bob, BOB_DEVICE)
        | {
            "signed_prekey": {
                "id": spk.key_id,
                "private": _h(spk.key_pair.private_key),
                "public": _h(spk.public_key),
                "signed_message": _h(signed_message),
                "signature": _h(spk.signature),
            },
            "one_time_prekey": {
                "id": opk.key_id,
                "private": _h(opk.key_pair.private_key),
                "public": _h(opk.public_key),
            },
            "bundle": bundle.to_json(),
        },
        "x3dh": {
            "ephemeral_private": _h(ephemeral_private),
            "ephemeral_public": _h(ephemeral_public),
            "dh1": _h(dhs[0]),
            "dh2": _h(dhs[1]),
            "dh3": _h(dhs[2]),
            "dh4": _h(dhs[3]),
            "ikm": _h(ikm),
            "shared_key": _h(shared_key),
            "associated_data": _h(alice.public_key + bob.public_key),
            "header": _h(e0.x3dh.to_bytes()) if e0.x3dh else None,
        },
        "initiator_ratchet": {
            "ratchet_private": _h(initial_ratchet_private),
            "ratchet_public": _h(p.x25519_public(initial_ratchet_private)),
            "dh": _h(dh0),
            "root_key": _h(root0),
            "sending_chain_key": _h(chain0),
        },
        "messages": messages,
        "ratchet_steps": steps,
        "delivery_order": [
            "bob receives message 1 (creates his session, stores the skipped key of message 0)",
            "bob receives message 0 (from the skipped key)",
            "alice receives messages 2 and 3",
            "bob receives message 4",
        ],
        "franking": {
            "server_secret": _h(server_secret),
            "commitment": _h(e4.commitment),
            "room": ROOM,
            "sender": ALICE_DEVICE,
            "recipient": BOB_DEVICE,
            "timestamp_ms": timestamp,
            "tag_input": _h(tag_input),
            "tag": _h(
                server_tag(server_secret, e4.commitment, ROOM, ALICE_DEVICE, BOB_DEVICE, timestamp)
            ),
        },
        "domain_signature": {
            "public_key": _h(alice.public_key),
            "domain": login_domain.decode(),
            "payload": _h(login_payload),
            "signed_message": _h(domain_message(login_domain, login_payload)),
            "signature": _h(sign_with_domain(alice, login_domain, login_payload)),
        },
        "safety_number": {
            "alice_fingerprint": displayable_fingerprint(alice.public_key, ALICE_DEVICE.encode()),
            "bob_fingerprint": displayable_fingerprint(bob.public_key, BOB_DEVICE.encode()),
            "number": number,
            "display": format_safety_number(number),
        },
        "statements": _statements(alice, bob.public_key),
        "envelope_rejections": envelope_rejections(m0["envelope"]),
        "relay": relay_transcript(
            room=ROOM,
            me=BOB_DEVICE,
            peer=ALICE_DEVICE,
            outgoing=[(m["message_id"], m["envelope"]) for m in (m2, m3)],
            incoming=[(m["message_id"], m["envelope"]) for m in (m0, m1)],
        ),
        "rng_draws": {
            "alice": [_h(d) for d in rng_a.draws],
            "bob": [_h(d) for d in rng_b.draws],
        },
    }


def main() -> None:
    # ASCII only: the rejection table holds lone surrogates, which have no UTF-8 form.
    json.dump(build_vectors(), sys.stdout, indent=2, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
