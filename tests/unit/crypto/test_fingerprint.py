from __future__ import annotations

from crypto import IdentityKeyPair, format_safety_number, safety_number

H = bytes.fromhex


def test_libsignal_vector() -> None:
    """libsignal fingerprint.rs / test_fingerprint.c: 5200 iterations, version 0."""
    alice = H("0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868")
    bob = H("05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b")
    expected = "300354477692869396892869876765458257569162576843440918079131"
    assert safety_number(alice, "+14152222222", bob, "+14153333333") == expected
    assert safety_number(bob, "+14153333333", alice, "+14152222222") == expected


def test_symmetric_and_formatted() -> None:
    a, b = IdentityKeyPair(bytes(32)), IdentityKeyPair(bytes([1]) * 32)
    number = safety_number(a.public_key, "dev-a", b.public_key, "dev-b", iterations=10)
    assert number == safety_number(b.public_key, "dev-b", a.public_key, "dev-a", iterations=10)
    assert len(number) == 60 and number.isdigit()
    groups = format_safety_number(number).split(" ")
    assert len(groups) == 12 and all(len(g) == 5 for g in groups)
    other = safety_number(a.public_key, "dev-a", a.public_key, "dev-b", iterations=10)
    assert other != number
