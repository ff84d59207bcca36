"""The check-ins' keys, all derived from the server's check-ins secret (never in the database).

* **Link key**, one per institution: HKDF-SHA256(checkins_secret, info = domain ‖ institution
  id). Derived rather than stored so that no per-institution key sits in the database beside
  the hashes it protects: staff identifiers are short (an employee number has perhaps 10^6
  values), so whoever holds a link key can test every identifier, and a database dump must not
  be enough to do that. One key per institution so equal numbers at two institutions neither
  collide nor link. Rotating the secret unlinks everyone (they link again).
* **Seal key**, one: seals integration-credential secrets at rest (XChaCha20-Poly1305), because
  verifying an HMAC needs the secret itself, which a hash cannot give back.
"""

from __future__ import annotations

import functools
import unicodedata
import uuid
from dataclasses import dataclass

from crypto.errors import DecryptionError
from crypto.primitives import (
    AEAD_NONCE_BYTES,
    aead_decrypt,
    aead_encrypt,
    hkdf_sha256,
    hmac_sha256,
    random_bytes,
)
from server.errors import InvalidInput, ServiceError

__all__ = ["MAX_IDENTIFIER_CHARS", "CheckinKeys", "normalise_identifier"]

_LINK_INFO = b"peerhaven/checkins/link-key/v1|"
_SEAL_INFO = b"peerhaven/checkins/credential-seal/v1"
MAX_IDENTIFIER_CHARS = 64


# Derived once per (secret, purpose) and kept for the process: the intake hashes every named
# identifier under its institution's link key, and a request builds a fresh `CheckinKeys`. The
# cache holds only what the secret (already in memory) yields; bounded by institutions.
@functools.lru_cache(maxsize=4096)
def _derive(secret: bytes, info: bytes) -> bytes:
    return hkdf_sha256(secret, salt=b"", info=info, length=32)


def normalise_identifier(text: str, *, what: str = "staff identifier") -> str:
    """The form that is hashed: NFKC, trimmed, case-folded. InvalidInput if empty or too long
    (the message never quotes it)."""
    if not isinstance(text, str):
        raise InvalidInput(f"the {what} must be a string")
    cleaned = unicodedata.normalize("NFKC", text).strip().casefold()
    if not 1 <= len(cleaned) <= MAX_IDENTIFIER_CHARS or not cleaned.isprintable():
        raise InvalidInput(f"the {what} must be 1-{MAX_IDENTIFIER_CHARS} printable characters")
    return cleaned


@dataclass(frozen=True, repr=False)
class CheckinKeys:
    """Key derivation over the check-ins secret. `repr` never shows it."""

    secret: bytes

    def __repr__(self) -> str:
        return "CheckinKeys(<redacted>)"

    def link_key(self, institution_id: uuid.UUID) -> bytes:
        return _derive(self.secret, _LINK_INFO + institution_id.bytes)

    def _keyed(self, institution_id: uuid.UUID, kind: bytes, value: str) -> bytes:
        return hmac_sha256(self.link_key(institution_id), kind + b"|" + value.encode())

    def staff_hash(self, institution_id: uuid.UUID, identifier: str) -> bytes:
        """HMAC-SHA256 of the normalised staff identifier under the institution's link key."""
        return self._keyed(institution_id, b"staff", normalise_identifier(identifier))

    def team_hash(self, institution_id: uuid.UUID, team: str) -> bytes:
        return self._keyed(institution_id, b"team", normalise_identifier(team, what="team"))

    def event_key(self, institution_id: uuid.UUID, identity: str) -> bytes:
        """What an AdverseEvent's identifier is stored as (to refuse duplicates, nothing else)."""
        return self._keyed(institution_id, b"event", identity)

    def _seal_key(self) -> bytes:
        return _derive(self.secret, _SEAL_INFO)

    def seal(self, credential_id: uuid.UUID, secret: bytes) -> bytes:
        nonce = random_bytes(AEAD_NONCE_BYTES)
        return nonce + aead_encrypt(self._seal_key(), nonce, secret, credential_id.bytes)

    def unseal(self, credential_id: uuid.UUID, sealed: bytes) -> bytes:
        """ServiceError if the seal does not open (the check-ins secret changed)."""
        nonce, body = sealed[:AEAD_NONCE_BYTES], sealed[AEAD_NONCE_BYTES:]
        try:
            return aead_decrypt(self._seal_key(), nonce, body, credential_id.bytes)
        except DecryptionError:
            raise ServiceError("an integration credential cannot be opened") from None
