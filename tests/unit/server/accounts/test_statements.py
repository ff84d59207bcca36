from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nacl.signing import SigningKey

from server.accounts.invites import normalise_code
from server.accounts.statements import (
    b64decode,
    b64encode,
    login_message,
    parse_identity_key,
    registration_message,
    verify_login,
)
from server.errors import InvalidInput, Unauthenticated


@given(st.binary(max_size=100))
def test_b64_round_trip(raw: bytes) -> None:
    assert b64decode(b64encode(raw), field="x") == raw


@pytest.mark.parametrize("text", ["!!!!", "a", "AAB"])  # bad chars, bad length, non-canonical
def test_b64_rejects_malformed(text: str) -> None:
    with pytest.raises(InvalidInput, match="x"):
        b64decode(text, field="x")


def test_b64_checks_length() -> None:
    with pytest.raises(InvalidInput, match="32 bytes"):
        b64decode(b64encode(b"\0" * 31), field="k", length=32)


def test_identity_key_must_be_a_point() -> None:
    good = bytes(SigningKey.generate().verify_key)
    assert parse_identity_key(b64encode(good)) == good
    with pytest.raises(InvalidInput, match="Ed25519"):
        parse_identity_key(b64encode(b"\xff" * 32))


def test_messages_are_domain_separated_and_unambiguous() -> None:
    key = b"k" * 32
    reg = registration_message(origin="o", invite_code="AB", identity_key=key)
    log = login_message(origin="o", nonce=b"AB", identity_key=key)
    assert reg != log
    # Moving bytes between fields never gives the same message.
    assert login_message(origin="oA", nonce=b"B", identity_key=key) != log


def test_login_signature_must_match() -> None:
    signer = SigningKey.generate()
    key = bytes(signer.verify_key)
    message = login_message(origin="o", nonce=b"n" * 32, identity_key=key)
    signature = b64encode(signer.sign(message).signature)
    verify_login(origin="o", nonce=b"n" * 32, identity_key=key, signature_b64=signature)
    with pytest.raises(Unauthenticated):
        verify_login(origin="o2", nonce=b"n" * 32, identity_key=key, signature_b64=signature)


def test_invite_codes_normalise() -> None:
    assert normalise_code("abcd-efgh-jkmn-pqrs") == "ABCDEFGHJKMNPQRS"
    for bad in ("ABCD-EFGH-JKMN-PQR", "ABCD-EFGH-JKMN-PQRI", "ABCD EFGH JKMN PQR$"):
        with pytest.raises(InvalidInput, match="malformed"):
            normalise_code(bad)
