"""X3DH key agreement (Signal specification, revision 1) with Peerhaven's concrete choices.

    DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)   DH4 = DH(EK_A, OPK_B)
    SK  = HKDF-SHA256(salt = 32 zero bytes, IKM = 32 x 0xFF || DH1 || DH2 || DH3 [|| DH4],
                      info = X3DH_INFO, L = 32)
    AD  = IK_A || IK_B       (Ed25519 public keys, initiator first)

Identity keys take part in DH through their X25519 form. Every DH output is checked: a
low-order peer key (all-zero output) raises :class:`InvalidKeyError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import primitives as p
from .encoding import u32
from .errors import InvalidKeyError
from .keys import IdentityKeyPair, OneTimePreKey, PreKeyBundle, SignedPreKey, X25519KeyPair

__all__ = [
    "X3DH_INFO",
    "X3DHHeader",
    "X3DHResult",
    "derive_shared_key",
    "x3dh_initiate",
    "x3dh_respond",
]

X3DH_INFO = b"Peerhaven X3DH v1"


@dataclass(frozen=True)
class X3DHHeader:
    """Sent by the initiator with every message until the responder has replied."""

    identity_key: bytes
    ephemeral_key: bytes
    signed_prekey_id: int
    one_time_prekey_id: int | None = None

    def __post_init__(self) -> None:
        if len(self.identity_key) != p.ED25519_PUBLIC_BYTES:
            raise InvalidKeyError("identity_key must be 32 bytes")
        if len(self.ephemeral_key) != p.X25519_BYTES:
            raise InvalidKeyError("ephemeral_key must be 32 bytes")
        for key_id in (self.signed_prekey_id, self.one_time_prekey_id):
            if key_id is not None and not 0 <= key_id <= 0xFFFFFFFF:
                raise InvalidKeyError("key id out of range")

    def to_bytes(self) -> bytes:
        """73 bytes: ``IK (32) || EK (32) || u32be(spk_id) || flag (1) || u32be(opk_id or 0)``."""
        has_opk = self.one_time_prekey_id is not None
        return (
            self.identity_key
            + self.ephemeral_key
            + u32(self.signed_prekey_id)
            + bytes([1 if has_opk else 0])
            + u32(self.one_time_prekey_id or 0)
        )


@dataclass(frozen=True, repr=False)
class X3DHResult:
    shared_key: bytes
    associated_data: bytes
    header: X3DHHeader

    def __repr__(self) -> str:
        return f"X3DHResult(header={self.header!r})"


def derive_shared_key(dh_outputs: list[bytes]) -> bytes:
    """SK from DH1..DH3[, DH4] (see the module docstring)."""
    if len(dh_outputs) not in (3, 4):
        raise ValueError("X3DH needs three or four DH outputs")
    ikm = b"\xff" * 32 + b"".join(dh_outputs)
    return p.hkdf_sha256(ikm, salt=bytes(32), info=X3DH_INFO, length=32)


def x3dh_initiate(
    identity: IdentityKeyPair, bundle: PreKeyBundle, rng: p.Random = p.random_bytes
) -> X3DHResult:
    """Initiator side. Verifies the bundle first (raises :class:`SignatureError`)."""
    bundle.verify()
    ephemeral = X25519KeyPair.generate(rng)
    remote_ik = p.ed25519_public_to_x25519(bundle.identity_key)
    dhs = [
        p.x25519(identity.dh_private_key, bundle.signed_prekey),
        p.x25519(ephemeral.private_key, remote_ik),
        p.x25519(ephemeral.private_key, bundle.signed_prekey),
    ]
    if bundle.one_time_prekey is not None:
        dhs.append(p.x25519(ephemeral.private_key, bundle.one_time_prekey))
    header = X3DHHeader(
        identity_key=identity.public_key,
        ephemeral_key=ephemeral.public_key,
        signed_prekey_id=bundle.signed_prekey_id,
        one_time_prekey_id=bundle.one_time_prekey_id,
    )
    return X3DHResult(
        shared_key=derive_shared_key(dhs),
        associated_data=identity.public_key + bundle.identity_key,
        header=header,
    )


def x3dh_respond(
    identity: IdentityKeyPair,
    signed_prekey: SignedPreKey,
    one_time_prekey: OneTimePreKey | None,
    header: X3DHHeader,
) -> X3DHResult:
    """Responder side. The caller looks up the prekeys named in ``header`` (and deletes the
    one-time prekey once the first message has decrypted). Raises :class:`InvalidKeyError`."""
    if header.signed_prekey_id != signed_prekey.key_id:
        raise InvalidKeyError("signed prekey id does not match the header")
    if header.one_time_prekey_id != (None if one_time_prekey is None else one_time_prekey.key_id):
        raise InvalidKeyError("one-time prekey does not match the header")
    remote_ik = p.ed25519_public_to_x25519(header.identity_key)
    spk = signed_prekey.key_pair.private_key
    dhs = [
        p.x25519(spk, remote_ik),
        p.x25519(identity.dh_private_key, header.ephemeral_key),
        p.x25519(spk, header.ephemeral_key),
    ]
    if one_time_prekey is not None:
        dhs.append(p.x25519(one_time_prekey.key_pair.private_key, header.ephemeral_key))
    return X3DHResult(
        shared_key=derive_shared_key(dhs),
        associated_data=header.identity_key + identity.public_key,
        header=header,
    )
