"""Identity keys, prekeys and the public prekey bundle.

Secrets live in objects whose ``repr`` shows only public material. Signatures are always over
a domain-separated message (:func:`domain_message`) so a signature made for one purpose can
never be replayed as another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import primitives as p
from .encoding import b64decode, b64encode, lp, u32
from .errors import DecodeError, InvalidKeyError

__all__ = [
    "SIGNED_PREKEY_DOMAIN",
    "IdentityKeyPair",
    "OneTimePreKey",
    "PreKeyBundle",
    "SignedPreKey",
    "X25519KeyPair",
    "domain_message",
    "sign_with_domain",
    "verify_signature",
    "verify_with_domain",
]

SIGNED_PREKEY_DOMAIN = b"peerhaven/v1/signed-prekey"
_MAX_KEY_ID = 0xFFFFFFFF


def _short(public_key: bytes) -> str:
    return public_key[:4].hex()


def _check_key_id(key_id: int) -> None:
    if isinstance(key_id, bool) or not isinstance(key_id, int) or not 0 <= key_id <= _MAX_KEY_ID:
        raise InvalidKeyError("key id must be an integer in [0, 2**32)")


def domain_message(domain: bytes, payload: bytes) -> bytes:
    """The exact bytes signed: ``u32be(len(domain)) || domain || payload``."""
    if not domain:
        raise ValueError("domain must not be empty")
    return lp(domain) + payload


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Verify a detached Ed25519 signature over ``message``. Raises :class:`SignatureError`."""
    p.ed25519_verify(public_key, message, signature)


def verify_with_domain(public_key: bytes, domain: bytes, payload: bytes, signature: bytes) -> None:
    """Verify a signature made by :func:`sign_with_domain`. Raises :class:`SignatureError`."""
    p.ed25519_verify(public_key, domain_message(domain, payload), signature)


def sign_with_domain(identity: IdentityKeyPair, domain: bytes, payload: bytes) -> bytes:
    """Sign ``payload`` for the purpose named by ``domain`` (e.g. ``b"peerhaven/v1/login"``)."""
    return identity.sign(domain_message(domain, payload))


@dataclass(frozen=True, repr=False)
class IdentityKeyPair:
    """A device's long-term Ed25519 identity; its X25519 form is used for X3DH."""

    seed: bytes = field(repr=False)
    public_key: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "public_key", p.ed25519_public_from_seed(self.seed))

    @classmethod
    def generate(cls, rng: p.Random = p.random_bytes) -> IdentityKeyPair:
        return cls(rng(p.ED25519_SEED_BYTES))

    def sign(self, message: bytes) -> bytes:
        return p.ed25519_sign(self.seed, message)

    @property
    def dh_private_key(self) -> bytes:
        return p.ed25519_seed_to_x25519(self.seed)

    @property
    def dh_public_key(self) -> bytes:
        return p.ed25519_public_to_x25519(self.public_key)

    def __repr__(self) -> str:
        return f"IdentityKeyPair(public_key={_short(self.public_key)}…)"


@dataclass(frozen=True, repr=False)
class X25519KeyPair:
    private_key: bytes = field(repr=False)
    public_key: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "public_key", p.x25519_public(self.private_key))

    @classmethod
    def generate(cls, rng: p.Random = p.random_bytes) -> X25519KeyPair:
        return cls(rng(p.X25519_BYTES))

    def __repr__(self) -> str:
        return f"X25519KeyPair(public_key={_short(self.public_key)}…)"


@dataclass(frozen=True, repr=False)
class SignedPreKey:
    """A medium-term X25519 prekey, signed by the identity key over
    ``domain_message(SIGNED_PREKEY_DOMAIN, u32be(key_id) || public_key)``."""

    key_id: int
    key_pair: X25519KeyPair
    signature: bytes

    @staticmethod
    def signed_payload(key_id: int, public_key: bytes) -> bytes:
        return u32(key_id) + public_key

    @classmethod
    def generate(
        cls, identity: IdentityKeyPair, key_id: int, rng: p.Random = p.random_bytes
    ) -> SignedPreKey:
        _check_key_id(key_id)
        pair = X25519KeyPair.generate(rng)
        payload = cls.signed_payload(key_id, pair.public_key)
        return cls(key_id, pair, sign_with_domain(identity, SIGNED_PREKEY_DOMAIN, payload))

    @property
    def public_key(self) -> bytes:
        return self.key_pair.public_key

    def __repr__(self) -> str:
        return f"SignedPreKey(key_id={self.key_id}, public_key={_short(self.public_key)}…)"


@dataclass(frozen=True, repr=False)
class OneTimePreKey:
    """A single-use X25519 prekey; the server hands each to at most one initiator."""

    key_id: int
    key_pair: X25519KeyPair

    @classmethod
    def generate(cls, key_id: int, rng: p.Random = p.random_bytes) -> OneTimePreKey:
        _check_key_id(key_id)
        return cls(key_id, X25519KeyPair.generate(rng))

    @property
    def public_key(self) -> bytes:
        return self.key_pair.public_key

    def __repr__(self) -> str:
        return f"OneTimePreKey(key_id={self.key_id}, public_key={_short(self.public_key)}…)"


@dataclass(frozen=True)
class PreKeyBundle:
    """What an initiator fetches for a responder device. Public data only.

    The constructor checks lengths; :meth:`verify` checks the signed-prekey signature and
    that the identity key has a valid X25519 form.
    """

    identity_key: bytes
    signed_prekey_id: int
    signed_prekey: bytes
    signed_prekey_signature: bytes
    one_time_prekey_id: int | None = None
    one_time_prekey: bytes | None = None

    def __post_init__(self) -> None:
        for name, value, size in (
            ("identity_key", self.identity_key, p.ED25519_PUBLIC_BYTES),
            ("signed_prekey", self.signed_prekey, p.X25519_BYTES),
            ("signed_prekey_signature", self.signed_prekey_signature, p.ED25519_SIGNATURE_BYTES),
        ):
            if not isinstance(value, bytes) or len(value) != size:
                raise InvalidKeyError(f"{name} must be {size} bytes")
        _check_key_id(self.signed_prekey_id)
        if (self.one_time_prekey_id is None) != (self.one_time_prekey is None):
            raise InvalidKeyError("one_time_prekey and its id go together")
        if self.one_time_prekey_id is not None:
            _check_key_id(self.one_time_prekey_id)
            otk = self.one_time_prekey
            if not isinstance(otk, bytes) or len(otk) != p.X25519_BYTES:
                raise InvalidKeyError("one_time_prekey must be 32 bytes")

    @classmethod
    def create(
        cls,
        identity: IdentityKeyPair,
        signed_prekey: SignedPreKey,
        one_time_prekey: OneTimePreKey | None = None,
    ) -> PreKeyBundle:
        return cls(
            identity_key=identity.public_key,
            signed_prekey_id=signed_prekey.key_id,
            signed_prekey=signed_prekey.public_key,
            signed_prekey_signature=signed_prekey.signature,
            one_time_prekey_id=None if one_time_prekey is None else one_time_prekey.key_id,
            one_time_prekey=None if one_time_prekey is None else one_time_prekey.public_key,
        )

    def verify(self) -> None:
        """Raises :class:`SignatureError` or :class:`InvalidKeyError`."""
        payload = SignedPreKey.signed_payload(self.signed_prekey_id, self.signed_prekey)
        verify_with_domain(
            self.identity_key, SIGNED_PREKEY_DOMAIN, payload, self.signed_prekey_signature
        )
        p.ed25519_public_to_x25519(self.identity_key)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ik": b64encode(self.identity_key),
            "spk_id": self.signed_prekey_id,
            "spk": b64encode(self.signed_prekey),
            "spk_sig": b64encode(self.signed_prekey_signature),
        }
        if self.one_time_prekey is not None:
            out["opk_id"] = self.one_time_prekey_id
            out["opk"] = b64encode(self.one_time_prekey)
        return out

    @classmethod
    def from_json(cls, data: object) -> PreKeyBundle:
        """Parse and verify a bundle. Raises :class:`DecodeError` or :class:`SignatureError`."""
        if not isinstance(data, dict):
            raise DecodeError("bundle: expected an object")
        allowed = {"ik", "spk_id", "spk", "spk_sig", "opk_id", "opk"}
        if unknown := set(data) - allowed:
            raise DecodeError(f"bundle: unknown fields {sorted(unknown)}")
        try:
            bundle = cls(
                identity_key=b64decode(data.get("ik"), field="bundle.ik", length=32, max_length=32),
                signed_prekey_id=data.get("spk_id"),  # type: ignore[arg-type]
                signed_prekey=b64decode(
                    data.get("spk"), field="bundle.spk", length=32, max_length=32
                ),
                signed_prekey_signature=b64decode(
                    data.get("spk_sig"), field="bundle.spk_sig", length=64, max_length=64
                ),
                one_time_prekey_id=data.get("opk_id"),
                one_time_prekey=None
                if "opk" not in data
                else b64decode(data["opk"], field="bundle.opk", length=32, max_length=32),
            )
        except InvalidKeyError as exc:
            raise DecodeError(f"bundle: {exc}") from None
        bundle.verify()
        return bundle
