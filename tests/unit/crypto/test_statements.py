"""The signed statements (docs/protocol.md §12): every byte pinned by crypto/vectors.json."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

import crypto
from crypto import IdentityKeyPair, InvalidKeyError, SignatureError
from crypto.statements import (
    LOGIN_LABEL,
    REGISTER_LABEL,
    ROOM_IDENTITY_DOMAIN,
    check_identity_key,
    login_statement,
    normalise_invite_code,
    registration_statement,
    room_identity_payload,
    room_identity_statement,
    verify_statement,
)

H = bytes.fromhex
VECTORS: dict[str, Any] = json.loads(
    (pathlib.Path(crypto.__file__).parent / "vectors.json").read_text(encoding="utf-8")
)["statements"]


def test_labels() -> None:
    labels = VECTORS["labels"]
    assert REGISTER_LABEL.decode() == labels["register"] == "peerhaven/register/v1"
    assert LOGIN_LABEL.decode() == labels["login"] == "peerhaven/login/v1"
    assert ROOM_IDENTITY_DOMAIN.decode() == labels["room_identity_domain"]


def test_statements_replay() -> None:
    reg, log, room = VECTORS["registration"], VECTORS["login"], VECTORS["room_identity"]
    assert registration_statement(
        origin=reg["origin"], invite_code=reg["invite_code"], identity_key=H(reg["identity_key"])
    ) == H(reg["statement"])
    assert login_statement(
        origin=log["origin"], nonce=H(log["nonce"]), identity_key=H(log["identity_key"])
    ) == H(log["statement"])
    assert room_identity_statement(
        origin=room["origin"],
        room_id=room["room_id"],
        member_id=room["member_id"],
        room_key=H(room["room_key"]),
    ) == H(room["statement"])
    for case in (reg, log, room):
        verify_statement(H(VECTORS["signer"]), H(case["statement"]), H(case["signature"]))


def test_room_identity_statement_is_what_sign_with_domain_signs() -> None:
    room = VECTORS["room_identity"]
    payload = room_identity_payload(
        origin=room["origin"],
        room_id=room["room_id"],
        member_id=room["member_id"],
        room_key=H(room["room_key"]),
    )
    crypto.verify_with_domain(
        H(VECTORS["signer"]), ROOM_IDENTITY_DOMAIN, payload, H(room["signature"])
    )


@pytest.mark.parametrize("case", VECTORS["invite_codes"], ids=lambda c: repr(c["input"]))
def test_invite_code_normalisation(case: dict[str, str]) -> None:
    assert normalise_invite_code(case["input"]) == case["normalised"]


def test_typed_and_normalised_codes_sign_the_same_bytes() -> None:
    key = bytes(32)
    typed = registration_statement(origin="o", invite_code="ab-cd ef", identity_key=key)
    assert typed == registration_statement(origin="o", invite_code="ABCDEF", identity_key=key)


def test_fields_cannot_slide_into_each_other() -> None:
    key = bytes(32)
    assert login_statement(origin="oA", nonce=b"B", identity_key=key) != login_statement(
        origin="o", nonce=b"AB", identity_key=key
    )
    assert registration_statement(origin="o", invite_code="AB", identity_key=key) != (
        login_statement(origin="o", nonce=b"AB", identity_key=key)
    )


@pytest.mark.parametrize("part", ["statement", "signature"])
def test_a_flipped_byte_does_not_verify(part: str) -> None:
    case = VECTORS["login"]
    statement, signature = bytearray(H(case["statement"])), bytearray(H(case["signature"]))
    target = statement if part == "statement" else signature
    target[len(target) // 2] ^= 1
    with pytest.raises(SignatureError):
        verify_statement(H(VECTORS["signer"]), bytes(statement), bytes(signature))


@pytest.mark.parametrize(
    ("key", "signature"), [(bytes(31), bytes(64)), (bytes(32), bytes(63)), (b"", b"")]
)
def test_wrong_lengths_are_one_signature_error(key: bytes, signature: bytes) -> None:
    with pytest.raises(SignatureError):
        verify_statement(key, b"statement", signature)


def test_check_identity_key() -> None:
    check_identity_key(IdentityKeyPair.generate().public_key)
    with pytest.raises(InvalidKeyError):
        check_identity_key(bytes(31))
    with pytest.raises(InvalidKeyError):
        check_identity_key(bytes([2]) + bytes(31))  # not on the curve
