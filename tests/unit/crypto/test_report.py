"""Sealed reports (crypto/report.py): the checked-in vectors, libsodium interop, and every
tampering a server or another member could try ends in one plain error."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import nacl.public
import pytest

import crypto
from crypto import DecodeError, DecryptionError, commit, verify_signature
from crypto import primitives as p
from crypto.report import (
    MAX_RECIPIENTS,
    Report,
    ReportKeyPair,
    RevealedMessage,
    SealedReport,
    open_report,
    seal_report,
)
from crypto.report_vectors import build_report_vectors

H = bytes.fromhex
PATH = pathlib.Path(crypto.__file__).parent / "report_vectors.json"
ROOM = "room-1"


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))
    return data


def _report() -> Report:
    key = p.random_bytes(32)
    message = RevealedMessage("m-1", "member-2", b"the words", key, p.random_bytes(32))
    return Report("harassment", "a note", (message,))


def test_checked_in_vectors_are_current(vectors: dict[str, Any]) -> None:
    assert build_report_vectors() == vectors, (
        "run: .venv/bin/python -m crypto.report_vectors > crypto/report_vectors.json"
    )


def test_vectors_open_with_each_moderator_key_and_libsodium(vectors: dict[str, Any]) -> None:
    sealed = SealedReport.decode(vectors["sealed"])
    for moderator in vectors["moderators"]:
        keys = ReportKeyPair.from_private(H(moderator["x25519_private"]))
        assert keys.public_key == H(moderator["x25519_public"])
        report = open_report(sealed, room=vectors["room"], category="crisis", keys=keys)
        assert report.to_bytes().decode() == vectors["report"]["body"]
        (message,) = report.messages
        assert commit(message.franking_key, message.plaintext) == H(
            vectors["franking"]["commitment"]
        )
        # Each sealed key opens with libsodium's own crypto_box_seal_open (PyNaCl SealedBox).
        (sealed_key,) = [s for k, s in sealed.recipients if k == keys.public_key]
        box = nacl.public.SealedBox(nacl.public.PrivateKey(keys.private_key))
        assert len(box.decrypt(sealed_key)) == 32
    registration = vectors["report_key_registration"]
    verify_signature(
        H(registration["device_public"]),
        H(registration["signed_message"]),
        H(registration["signature"]),
    )


def test_seal_then_open_round_trips() -> None:
    keys = [ReportKeyPair.generate() for _ in range(3)]
    report = _report()
    sealed = SealedReport.decode(
        seal_report(report, room=ROOM, recipients=[k.public_key for k in keys]).encode()
    )
    for k in keys:
        opened = open_report(sealed, room=ROOM, category="harassment", keys=k)
        assert opened.to_bytes() == report.to_bytes()


def test_a_stranger_cannot_open() -> None:
    sealed = seal_report(_report(), room=ROOM, recipients=[ReportKeyPair.generate().public_key])
    with pytest.raises(DecryptionError):
        open_report(sealed, room=ROOM, category="harassment", keys=ReportKeyPair.generate())


@pytest.mark.parametrize(("room", "category"), [("room-2", "harassment"), (ROOM, "other")])
def test_moved_to_another_room_or_category_fails(room: str, category: str) -> None:
    keys = ReportKeyPair.generate()
    sealed = seal_report(_report(), room=ROOM, recipients=[keys.public_key])
    with pytest.raises(DecryptionError):
        open_report(sealed, room=room, category=category, keys=keys)


def test_every_flipped_ciphertext_byte_fails() -> None:
    keys = ReportKeyPair.generate()
    sealed = seal_report(_report(), room=ROOM, recipients=[keys.public_key])
    for i in range(0, len(sealed.ciphertext), 7):
        bad = bytearray(sealed.ciphertext)
        bad[i] ^= 1
        tampered = SealedReport(sealed.nonce, bytes(bad), sealed.recipients)
        with pytest.raises(DecryptionError):
            open_report(tampered, room=ROOM, category="harassment", keys=keys)
    key, sealed_key = sealed.recipients[0]
    bad_key = bytes([sealed_key[0] ^ 1]) + sealed_key[1:]
    with pytest.raises(DecryptionError):
        open_report(
            SealedReport(sealed.nonce, sealed.ciphertext, ((key, bad_key),)),
            room=ROOM,
            category="harassment",
            keys=keys,
        )


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"v":2,"nonce":"","ciphertext":"","recipients":[]}',
        '{"v":1,"nonce":"AAAA","ciphertext":"AAAA","recipients":[]}',
        42,
    ],
)
def test_malformed_wire_forms_are_refused(text: object) -> None:
    with pytest.raises(DecodeError):
        SealedReport.decode(text)


def test_oversized_and_duplicate_recipients_are_refused() -> None:
    keys = ReportKeyPair.generate()
    sealed = seal_report(_report(), room=ROOM, recipients=[keys.public_key])
    with pytest.raises(DecodeError, match="longer"):
        SealedReport.decode(sealed.encode(), max_bytes=100)
    twice = SealedReport(sealed.nonce, sealed.ciphertext, sealed.recipients * 2)
    with pytest.raises(DecodeError, match="twice"):
        SealedReport.decode(twice.encode())
    with pytest.raises(DecodeError):
        seal_report(_report(), room=ROOM, recipients=[keys.public_key] * 2)
    many = [ReportKeyPair.generate().public_key for _ in range(MAX_RECIPIENTS + 1)]
    with pytest.raises(DecodeError):
        seal_report(_report(), room=ROOM, recipients=many)


def test_reprs_show_no_content_or_key() -> None:
    keys = ReportKeyPair.generate()
    report = _report()
    shown = repr(keys) + repr(report) + repr(report.messages[0])
    assert keys.private_key.hex() not in shown and "the words" not in shown
    assert "a note" not in shown and report.messages[0].franking_key.hex() not in shown
