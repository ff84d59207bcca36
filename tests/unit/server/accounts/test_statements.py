from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nacl.signing import SigningKey

from crypto.encoding import b64encode
from crypto.statements import login_statement, registration_statement, room_identity_statement
from server.accounts.invites import normalise_code
from server.accounts.statements import (
    b64decode,
    parse_identity_key,
    verify_login,
    verify_registration,
    verify_room_identity,
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


def test_b64_tolerates_trailing_padding_and_never_quotes_input() -> None:
    assert b64decode(b64encode(b"ab") + "==", field="x") == b"ab"
    with pytest.raises(InvalidInput) as caught:
        b64decode("secret-looking!!", field="x")
    assert "secret" not in caught.value.detail


def test_login_signature_must_match() -> None:
    signer = SigningKey.generate()
    key = bytes(signer.verify_key)
    message = login_statement(origin="o", nonce=b"n" * 32, identity_key=key)
    signature = b64encode(signer.sign(message).signature)
    verify_login(origin="o", nonce=b"n" * 32, identity_key=key, signature_b64=signature)
    with pytest.raises(Unauthenticated):
        verify_login(origin="o2", nonce=b"n" * 32, identity_key=key, signature_b64=signature)


def test_invite_codes_normalise() -> None:
    assert normalise_code("abcd-efgh-jkmn-pqrs") == "ABCDEFGHJKMNPQRS"
    for bad in ("ABCD-EFGH-JKMN-PQR", "ABCD-EFGH-JKMN-PQRI", "ABCD EFGH JKMN PQR$"):
        with pytest.raises(InvalidInput, match="malformed"):
            normalise_code(bad)


def test_registration_and_room_identity_signatures_must_match() -> None:
    signer = SigningKey.generate()
    key = bytes(signer.verify_key)
    statement = registration_statement(origin="o", invite_code="ABCD", identity_key=key)
    good = b64encode(signer.sign(statement).signature)
    verify_registration(origin="o", invite_code="ABCD", identity_key=key, signature_b64=good)
    with pytest.raises(InvalidInput, match="signature"):
        verify_registration(origin="o", invite_code="ABCE", identity_key=key, signature_b64=good)
    room, member, room_key = uuid.UUID(int=1), uuid.UUID(int=2), bytes(range(32))
    statement = room_identity_statement(
        origin="o", room_id=str(room), member_id=str(member), room_key=room_key
    )
    good = b64encode(signer.sign(statement).signature)
    verify_room_identity(device_key=key, origin="o", room_id=room, member_id=member,
                         room_key=room_key, signature_b64=good)  # fmt: skip
    with pytest.raises(InvalidInput, match="signature"):
        verify_room_identity(device_key=key, origin="o", room_id=member, member_id=room,
                             room_key=room_key, signature_b64=good)  # fmt: skip
