"""Check-in keys (server.checkins.keys): per-institution link keys, normalised identifiers,
sealed credential secrets, and no key material in a repr."""

from __future__ import annotations

import uuid

import pytest

from server.checkins.keys import CheckinKeys, normalise_identifier
from server.errors import InvalidInput, ServiceError

KEYS = CheckinKeys(b"k" * 32)
A, B = uuid.UUID(int=1), uuid.UUID(int=2)


def test_the_same_identifier_hashes_apart_across_institutions_and_secrets() -> None:
    assert KEYS.staff_hash(A, "E-1001") == KEYS.staff_hash(A, " e-1001 ")
    assert KEYS.staff_hash(A, "E-1001") != KEYS.staff_hash(B, "E-1001")
    assert KEYS.staff_hash(A, "E-1001") != CheckinKeys(b"j" * 32).staff_hash(A, "E-1001")
    # Separate domains: a team named like a staff number is a different hash.
    assert KEYS.team_hash(A, "E-1001") != KEYS.staff_hash(A, "E-1001")
    assert KEYS.link_key(A) != KEYS.link_key(B) and len(KEYS.link_key(A)) == 32


@pytest.mark.parametrize("bad", ["", "   ", "x" * 65, "a\tb", "a\nb"])
def test_unusable_identifiers_are_refused_without_quoting(bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_identifier(bad)
    assert bad.strip() == "" or bad not in refused.value.detail


def test_fullwidth_and_case_variants_normalise_together() -> None:
    assert normalise_identifier("\uff25\uff2d\uff30\uff11\uff12") == normalise_identifier("emp12")


def test_sealed_secrets_open_only_for_their_credential_and_secret() -> None:
    sealed = KEYS.seal(A, b"phs_secret")
    assert b"phs_secret" not in sealed
    assert KEYS.unseal(A, sealed) == b"phs_secret"
    with pytest.raises(ServiceError):
        KEYS.unseal(B, sealed)
    with pytest.raises(ServiceError):
        CheckinKeys(b"j" * 32).unseal(A, sealed)


def test_repr_shows_no_key() -> None:
    assert "kkkk" not in repr(KEYS) and "redacted" in repr(KEYS)
