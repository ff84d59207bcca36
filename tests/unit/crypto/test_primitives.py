"""Known-answer tests: RFC 5869, RFC 7748, RFC 8032, libsignal's chain-key vector."""

from __future__ import annotations

import pytest

from crypto import primitives as p
from crypto.errors import DecryptionError, InvalidKeyError, SignatureError
from crypto.ratchet import kdf_ck

H = bytes.fromhex


class TestHKDF:
    """RFC 5869 Appendix A."""

    def test_case_1(self) -> None:
        okm = p.hkdf_sha256(
            H("0b" * 22),
            salt=H("000102030405060708090a0b0c"),
            info=H("f0f1f2f3f4f5f6f7f8f9"),
            length=42,
        )
        assert okm == H(
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        )

    def test_case_2_long_inputs(self) -> None:
        okm = p.hkdf_sha256(
            bytes(range(0x00, 0x50)),
            salt=bytes(range(0x60, 0xB0)),
            info=bytes(range(0xB0, 0x100)),
            length=82,
        )
        assert okm == H(
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87"
        )

    def test_case_3_empty_salt_and_info(self) -> None:
        okm = p.hkdf_sha256(H("0b" * 22), salt=b"", info=b"", length=42)
        assert okm == H(
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        )


class TestX25519:
    """RFC 7748 §5.2 and §6.1."""

    def test_scalar_mult_vector(self) -> None:
        out = p.x25519(
            H("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
            H("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
        )
        assert out == H("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")

    def test_iterated(self) -> None:
        k = u = H("09" + "00" * 31)
        results = {}
        for i in range(1, 1001):
            k, u = p.x25519(k, u), k
            results[i] = k
        assert results[1] == H("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")
        assert results[1000] == H(
            "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"
        )

    def test_diffie_hellman(self) -> None:
        a = H("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        b = H("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
        a_pub, b_pub = p.x25519_public(a), p.x25519_public(b)
        assert a_pub == H("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        assert b_pub == H("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        shared = H("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        assert p.x25519(a, b_pub) == shared == p.x25519(b, a_pub)

    @pytest.mark.parametrize(
        "point",
        [
            "00" * 32,
            "01" + "00" * 31,
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            "ec" + "ff" * 30 + "7f",
            "ed" + "ff" * 30 + "7f",
            "ee" + "ff" * 30 + "7f",
        ],
    )
    def test_low_order_points_rejected(self, point: str) -> None:
        with pytest.raises(InvalidKeyError):
            p.x25519(H("77" * 32), H(point))

    def test_wrong_length_rejected(self) -> None:
        with pytest.raises(InvalidKeyError):
            p.x25519(bytes(31), bytes(32))


class TestEd25519:
    """RFC 8032 §7.1, tests 1 and 2."""

    @pytest.mark.parametrize(
        ("seed", "public", "message", "signature"),
        [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
        ],
    )
    def test_vectors(self, seed: str, public: str, message: str, signature: str) -> None:
        assert p.ed25519_public_from_seed(H(seed)) == H(public)
        assert p.ed25519_sign(H(seed), H(message)) == H(signature)
        p.ed25519_verify(H(public), H(message), H(signature))

    def test_tampered_signature_rejected(self) -> None:
        seed = bytes(32)
        sig = bytearray(p.ed25519_sign(seed, b"msg"))
        sig[0] ^= 1
        with pytest.raises(SignatureError):
            p.ed25519_verify(p.ed25519_public_from_seed(seed), b"msg", bytes(sig))

    def test_x25519_form_agrees(self) -> None:
        a, b = H("11" * 32), H("22" * 32)
        a_x = p.ed25519_public_to_x25519(p.ed25519_public_from_seed(a))
        b_x = p.ed25519_public_to_x25519(p.ed25519_public_from_seed(b))
        assert p.x25519(p.ed25519_seed_to_x25519(a), b_x) == p.x25519(
            p.ed25519_seed_to_x25519(b), a_x
        )


class TestAEAD:
    def test_round_trip_and_tamper(self) -> None:
        key, nonce = bytes(32), bytes(24)
        ct = p.aead_encrypt(key, nonce, b"secret", b"ad")
        assert p.aead_decrypt(key, nonce, ct, b"ad") == b"secret"
        with pytest.raises(DecryptionError) as info:
            p.aead_decrypt(key, nonce, ct, b"AD")
        assert str(info.value) == "message could not be decrypted"
        with pytest.raises(DecryptionError):
            p.aead_decrypt(key, nonce, ct[:10], b"ad")


def test_libsignal_chain_key_vector() -> None:
    """libsignal rust/protocol/src/ratchet/keys.rs ``test_chain_key_derivation``: same
    KDF_CK; libsignal then expands the message key seed with HKDF("WhisperMessageKeys")."""
    seed = H("8ab72d6f4cc5ac0d387eaf463378ddb28edd07385b1cb01250c715982e7ad48f")
    next_chain_key, message_key_seed = kdf_ck(seed)
    assert next_chain_key == H("28e8f8fee54b801eef7c5cfb2f17f32c7b334485bbb70fac6ec10342a246d15d")
    derived = p.hkdf_sha256(message_key_seed, salt=b"", info=b"WhisperMessageKeys", length=80)
    assert derived[:32] == H("bf51e9d75e0e31031051f82a2491ffc084fa298b7793bd9db620056febf45217")
    assert derived[32:64] == H("c6c77d6a73a354337a56435e34607dfe48e3ace14e77314dc6abc172e7a7030b")
