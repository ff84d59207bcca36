"""crypto/vectors.json is current, and replays with primitives alone (as the browser will)."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

import crypto
from crypto import Envelope, safety_number, verify_signature
from crypto import primitives as p
from crypto.vectors import build_vectors

H = bytes.fromhex
PATH = pathlib.Path(crypto.__file__).parent / "vectors.json"


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))
    return data


def test_checked_in_vectors_are_current(vectors: dict[str, Any]) -> None:
    assert build_vectors() == vectors, (
        "run: .venv/bin/python -m crypto.vectors > crypto/vectors.json"
    )


def test_x3dh_replays(vectors: dict[str, Any]) -> None:
    a, b, x = vectors["alice"], vectors["bob"], vectors["x3dh"]
    spk, opk = b["signed_prekey"], b["one_time_prekey"]
    assert p.ed25519_public_to_x25519(H(a["ed25519_public"])) == H(a["x25519_public"])
    assert p.ed25519_seed_to_x25519(H(a["ed25519_seed"])) == H(a["x25519_private"])
    verify_signature(H(b["ed25519_public"]), H(spk["signed_message"]), H(spk["signature"]))
    eph = H(x["ephemeral_private"])
    dhs = [
        p.x25519(H(a["x25519_private"]), H(spk["public"])),
        p.x25519(eph, H(b["x25519_public"])),
        p.x25519(eph, H(spk["public"])),
        p.x25519(eph, H(opk["public"])),
    ]
    # The responder's view gives the same outputs.
    assert dhs[0] == p.x25519(H(spk["private"]), H(a["x25519_public"]))
    assert [d.hex() for d in dhs] == [x["dh1"], x["dh2"], x["dh3"], x["dh4"]]
    sk = p.hkdf_sha256(
        H(x["ikm"]), salt=bytes(32), info=vectors["constants"]["x3dh_info"].encode(), length=32
    )
    assert sk.hex() == x["shared_key"]
    init = vectors["initiator_ratchet"]
    dh0 = p.x25519(H(init["ratchet_private"]), H(spk["public"]))
    out = p.hkdf_sha256(dh0, salt=sk, info=vectors["constants"]["ratchet_info"].encode(), length=64)
    assert out.hex() == init["root_key"] + init["sending_chain_key"]


def test_messages_replay(vectors: dict[str, Any]) -> None:
    info = vectors["constants"]["message_key_info"].encode()
    for m in vectors["messages"]:
        ck = H(m["chain_key"])
        assert p.hmac_sha256(ck, b"\x01").hex() == m["message_key"]
        assert p.hmac_sha256(ck, b"\x02").hex() == m["next_chain_key"]
        km = p.hkdf_sha256(H(m["message_key"]), salt=bytes(32), info=info, length=56)
        assert km.hex() == m["aead_key"] + m["aead_nonce"]
        payload = p.aead_decrypt(km[:32], km[32:], H(m["ciphertext"]), H(m["aead_ad"]))
        assert payload == H(m["franking_key"]) + m["plaintext"].encode()
        assert p.hmac_sha256(H(m["franking_key"]), m["plaintext"].encode()).hex() == m["commitment"]
        assert H(m["aead_ad"]) == H(vectors["x3dh"]["associated_data"]) + H(m["header"]) + H(
            m["envelope_ad"]
        )
        envelope = Envelope.decode(m["envelope"])
        assert envelope.ciphertext.hex() == m["ciphertext"]
        assert envelope.associated_data().hex() == m["envelope_ad"]
    ratchet_info = vectors["constants"]["ratchet_info"].encode()
    for step in vectors["ratchet_steps"]:
        remote = H(step["remote_ratchet_public"])
        dh = p.x25519(H(step["new_ratchet_private"]), remote)
        out = p.hkdf_sha256(dh, salt=H(step["root_key_mid"]), info=ratchet_info, length=64)
        assert out.hex() == step["root_key_after"] + step["sending_chain_key"]


def test_franking_signature_and_safety_number_replay(vectors: dict[str, Any]) -> None:
    f = vectors["franking"]
    assert p.hmac_sha256(H(f["server_secret"]), H(f["tag_input"])).hex() == f["tag"]
    assert (
        crypto.server_tag(
            H(f["server_secret"]),
            H(f["commitment"]),
            f["room"],
            f["sender"],
            f["recipient"],
            f["timestamp_ms"],
        ).hex()
        == f["tag"]
    )
    s = vectors["domain_signature"]
    crypto.verify_with_domain(
        H(s["public_key"]), s["domain"].encode(), H(s["payload"]), H(s["signature"])
    )
    n = vectors["safety_number"]
    assert n["number"] == safety_number(
        H(vectors["alice"]["ed25519_public"]),
        vectors["alice"]["device"],
        H(vectors["bob"]["ed25519_public"]),
        vectors["bob"]["device"],
    )
    assert sorted([n["alice_fingerprint"], n["bob_fingerprint"]]) == [
        n["number"][:30],
        n["number"][30:],
    ]
