"""The only module that talks to libsodium (through PyNaCl); everything else builds on these.

Functions validate lengths and translate library errors into :mod:`crypto.errors`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import nacl.bindings as _b
import nacl.exceptions
import nacl.pwhash
import nacl.utils

from .errors import DecryptionError, InvalidKeyError, SignatureError

__all__ = [
    "AEAD_KEY_BYTES",
    "AEAD_NONCE_BYTES",
    "AEAD_TAG_BYTES",
    "ARGON2ID_MEMLIMIT_MIN",
    "ARGON2ID_MEMLIMIT_MODERATE",
    "ARGON2ID_OPSLIMIT_MIN",
    "ARGON2ID_OPSLIMIT_MODERATE",
    "ED25519_PUBLIC_BYTES",
    "ED25519_SEED_BYTES",
    "ED25519_SIGNATURE_BYTES",
    "SEALED_BOX_OVERHEAD",
    "X25519_BYTES",
    "Random",
    "aead_decrypt",
    "aead_encrypt",
    "argon2id",
    "constant_time_equal",
    "crypto_box_seal",
    "crypto_box_seal_open",
    "ed25519_public_from_seed",
    "ed25519_public_to_x25519",
    "ed25519_seed_to_x25519",
    "ed25519_sign",
    "ed25519_verify",
    "hkdf_sha256",
    "hmac_sha256",
    "random_bytes",
    "sha512",
    "x25519",
    "x25519_public",
]

Random = Callable[[int], bytes]
"""Source of randomness: ``rng(n)`` returns ``n`` bytes. Defaults to :func:`random_bytes`."""

X25519_BYTES = 32
ED25519_SEED_BYTES = 32
ED25519_PUBLIC_BYTES = 32
ED25519_SIGNATURE_BYTES = 64
AEAD_KEY_BYTES = 32
AEAD_NONCE_BYTES = 24
AEAD_TAG_BYTES = 16
_HASH_BYTES = 32
SEALED_BOX_OVERHEAD = 48  # ephemeral public key (32) + Poly1305 tag (16)
ARGON2ID_OPSLIMIT_MIN: int = nacl.pwhash.argon2id.OPSLIMIT_MIN
ARGON2ID_MEMLIMIT_MIN: int = nacl.pwhash.argon2id.MEMLIMIT_MIN
ARGON2ID_OPSLIMIT_MODERATE: int = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
ARGON2ID_MEMLIMIT_MODERATE: int = nacl.pwhash.argon2id.MEMLIMIT_MODERATE


def random_bytes(size: int) -> bytes:
    """Cryptographically secure random bytes (libsodium ``randombytes_buf``)."""
    return nacl.utils.random(size)


def _check_len(name: str, value: bytes, size: int) -> None:
    if not isinstance(value, bytes) or len(value) != size:
        raise InvalidKeyError(f"{name} must be {size} bytes")


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def sha512(data: bytes) -> bytes:
    return hashlib.sha512(data).digest()


def hkdf_sha256(ikm: bytes, *, salt: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869). An empty ``salt`` means 32 zero bytes, as the RFC says."""
    if not 0 < length <= 255 * _HASH_BYTES:
        raise ValueError("HKDF output length out of range")
    prk = hmac_sha256(salt or bytes(_HASH_BYTES), ikm)
    okm = b""
    block = b""
    counter = 1
    while len(okm) < length:
        block = hmac_sha256(prk, block + info + bytes([counter]))
        okm += block
        counter += 1
    return okm[:length]


def x25519_public(private_key: bytes) -> bytes:
    _check_len("X25519 private key", private_key, X25519_BYTES)
    return _b.crypto_scalarmult_base(private_key)


def x25519(private_key: bytes, public_key: bytes) -> bytes:
    """X25519 (RFC 7748). Raises :class:`InvalidKeyError` for a low-order peer key.

    libsodium refuses an all-zero result, which is exactly what every low-order point
    yields with a clamped scalar; we check again here so the rule does not depend on it.
    """
    _check_len("X25519 private key", private_key, X25519_BYTES)
    _check_len("X25519 public key", public_key, X25519_BYTES)
    try:
        shared = _b.crypto_scalarmult(private_key, public_key)
    except nacl.exceptions.CryptoError:
        raise InvalidKeyError("low-order public key") from None
    if constant_time_equal(shared, bytes(X25519_BYTES)):
        raise InvalidKeyError("low-order public key")
    return shared


def ed25519_public_from_seed(seed: bytes) -> bytes:
    _check_len("Ed25519 seed", seed, ED25519_SEED_BYTES)
    public, _secret = _b.crypto_sign_seed_keypair(seed)
    return public


def ed25519_sign(seed: bytes, message: bytes) -> bytes:
    """Detached Ed25519 signature (RFC 8032) by the key derived from ``seed``."""
    _check_len("Ed25519 seed", seed, ED25519_SEED_BYTES)
    _public, secret = _b.crypto_sign_seed_keypair(seed)
    return _b.crypto_sign(message, secret)[:ED25519_SIGNATURE_BYTES]


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Raises :class:`SignatureError` unless ``signature`` is valid (libsodium strict checks)."""
    if not isinstance(public_key, bytes) or len(public_key) != ED25519_PUBLIC_BYTES:
        raise SignatureError("public key must be 32 bytes")
    if not isinstance(signature, bytes) or len(signature) != ED25519_SIGNATURE_BYTES:
        raise SignatureError("signature must be 64 bytes")
    try:
        _b.crypto_sign_open(signature + message, public_key)
    except nacl.exceptions.CryptoError:
        raise SignatureError() from None


def ed25519_public_to_x25519(public_key: bytes) -> bytes:
    """The X25519 form of an Ed25519 public key (``crypto_sign_ed25519_pk_to_curve25519``)."""
    _check_len("Ed25519 public key", public_key, ED25519_PUBLIC_BYTES)
    try:
        return _b.crypto_sign_ed25519_pk_to_curve25519(public_key)
    except nacl.exceptions.CryptoError:
        raise InvalidKeyError("Ed25519 public key is not a valid point") from None


def ed25519_seed_to_x25519(seed: bytes) -> bytes:
    """The X25519 private key of an Ed25519 seed (``crypto_sign_ed25519_sk_to_curve25519``)."""
    _check_len("Ed25519 seed", seed, ED25519_SEED_BYTES)
    _public, secret = _b.crypto_sign_seed_keypair(seed)
    return _b.crypto_sign_ed25519_sk_to_curve25519(secret)


def aead_encrypt(key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    """XChaCha20-Poly1305-IETF; returns ciphertext with the 16-byte tag appended."""
    _check_len("AEAD key", key, AEAD_KEY_BYTES)
    _check_len("AEAD nonce", nonce, AEAD_NONCE_BYTES)
    return _b.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associated_data, nonce, key)


def aead_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, associated_data: bytes) -> bytes:
    """Raises :class:`DecryptionError` (no detail) if authentication fails."""
    _check_len("AEAD key", key, AEAD_KEY_BYTES)
    _check_len("AEAD nonce", nonce, AEAD_NONCE_BYTES)
    if len(ciphertext) < AEAD_TAG_BYTES:
        raise DecryptionError()
    try:
        return _b.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ciphertext, associated_data, nonce, key
        )
    except nacl.exceptions.CryptoError:
        raise DecryptionError() from None


def argon2id(passphrase: bytes, salt: bytes, *, opslimit: int, memlimit: int) -> bytes:
    """A 32-byte key from a passphrase (libsodium ``crypto_pwhash``, Argon2id v1.3)."""
    return nacl.pwhash.argon2id.kdf(
        AEAD_KEY_BYTES, passphrase, salt, opslimit=opslimit, memlimit=memlimit
    )


def crypto_box_seal(message: bytes, public_key: bytes, *, rng: Random = random_bytes) -> bytes:
    """libsodium's sealed box to an X25519 public key: anonymous, only the key holder opens it.

    ``epk || crypto_box(message, nonce = BLAKE2b-192(epk || pk), pk, esk)`` with a fresh
    ephemeral key ``esk = rng(32)``; built from ``crypto_box`` so that a fixed ``rng`` gives test
    vectors, byte for byte what ``crypto_box_seal`` makes (and ``crypto_box_seal_open`` opens).
    """
    _check_len("X25519 public key", public_key, X25519_BYTES)
    ephemeral_secret = rng(X25519_BYTES)
    _check_len("ephemeral key", ephemeral_secret, X25519_BYTES)
    ephemeral_public = _b.crypto_scalarmult_base(ephemeral_secret)
    nonce = _b.crypto_generichash_blake2b_salt_personal(
        ephemeral_public + public_key, digest_size=_b.crypto_box_NONCEBYTES
    )
    try:
        boxed = _b.crypto_box(message, nonce, public_key, ephemeral_secret)
    except nacl.exceptions.CryptoError:
        raise InvalidKeyError("unusable X25519 public key") from None
    return ephemeral_public + boxed


def crypto_box_seal_open(sealed: bytes, public_key: bytes, private_key: bytes) -> bytes:
    """Open a sealed box; raises :class:`DecryptionError` (no detail) if it was not for us."""
    _check_len("X25519 public key", public_key, X25519_BYTES)
    _check_len("X25519 private key", private_key, X25519_BYTES)
    if len(sealed) < SEALED_BOX_OVERHEAD:
        raise DecryptionError()
    try:
        return _b.crypto_box_seal_open(sealed, public_key, private_key)
    except nacl.exceptions.CryptoError:
        raise DecryptionError() from None
