"""Every decoder in crypto/ raises only its documented error, whatever it is given (Hypothesis).

A client parses what a hostile server (or a corrupted disk) hands it: an envelope, a prekey
bundle, a ratchet header, a stored session or ratchet state, a keystore file. Each documents
one error (``DecodeError``; a bundle also ``SignatureError``; a keystore ``KeystoreError``); a
``UnicodeEncodeError``, ``TypeError``, ``OverflowError``, ``RecursionError`` or
``AttributeError`` escaping one of them is a crash of the caller (issue 12, item 10).

Inputs are raw (any bytes, any text including lone surrogates) and *near misses*: a valid
object with one field replaced by any JSON value, or one field removed.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crypto import (
    DecodeError,
    Envelope,
    IdentityKeyPair,
    Keystore,
    KeystoreError,
    OneTimePreKey,
    PreKeyBundle,
    Session,
    SignatureError,
    SignedPreKey,
    accept_session,
    initiate_session,
)
from crypto.encoding import b64decode, canonical_json
from crypto.keystore import KEYSTORE_MAGIC, SealingKey
from crypto.primitives import ARGON2ID_MEMLIMIT_MIN, ARGON2ID_OPSLIMIT_MIN
from crypto.ratchet import DoubleRatchet, RatchetHeader

PROPS = settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Any character, lone surrogates included (Hypothesis leaves them out by default).
ANY_CHAR = st.characters(exclude_categories=())
ANY_TEXT = st.text(ANY_CHAR, max_size=200)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | ANY_TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)


def _dumps(value: Any) -> str:
    # NaN and Infinity are what Python's json writes and reads for non-finite floats.
    return json.dumps(value, allow_nan=True)


@st.composite
def near_miss(draw: st.DrawFn, valid: dict[str, Any]) -> dict[str, Any]:
    """`valid` with one (possibly nested) field replaced by any JSON value, or removed."""
    obj = copy.deepcopy(valid)
    target = obj
    while True:
        key = draw(st.sampled_from(sorted(target)))
        if isinstance(target[key], dict) and target[key] and draw(st.booleans()):
            target = target[key]
            continue
        break
    if draw(st.booleans()):
        del target[key]
    else:
        target[key] = draw(JSON)
    return obj


def _pair() -> tuple[Session, Session, PreKeyBundle]:
    alice, bob = IdentityKeyPair.generate(), IdentityKeyPair.generate()
    spk, opk = SignedPreKey.generate(bob, 1), OneTimePreKey.generate(7)
    bundle = PreKeyBundle(
        identity_key=bob.public_key, signed_prekey_id=1, signed_prekey=spk.public_key,
        signed_prekey_signature=spk.signature, one_time_prekey_id=7,
        one_time_prekey=opk.public_key,
    )  # fmt: skip
    sender = initiate_session(alice, bundle, room="room-1", device="a", peer_device="b")
    receiver, _ = accept_session(bob, spk, opk, sender.encrypt(b"hi"), device="b")
    sender.decrypt(receiver.encrypt(b"hello"))
    receiver.decrypt(sender.encrypt(b"again"))
    return sender, receiver, bundle


SENDER, RECEIVER, BUNDLE = _pair()
PREKEY_ENVELOPE = json.loads(
    initiate_session(IdentityKeyPair.generate(), BUNDLE, room="room-1", device="a", peer_device="b")
    .encrypt(b"x")
    .encode()
)
SESSION_STATE = json.loads(SENDER.to_bytes())
RATCHET_STATE = SESSION_STATE["ratchet"]
BUNDLE_JSON = BUNDLE.to_json()


# -- envelopes -------------------------------------------------------------------------------


@PROPS
@given(st.binary(max_size=300) | ANY_TEXT)
@example("\ud800")  # a lone surrogate: raised UnicodeEncodeError before the fix
@example('{"v":1,"room":"\udfff"}')
@example(b"\xed\xa0\x80")  # the same surrogate, as (invalid) UTF-8 bytes
def test_envelope_decode_raises_only_decode_error(data: bytes | str) -> None:
    with pytest.raises(DecodeError):
        Envelope.decode(data)


@PROPS
@given(near_miss(PREKEY_ENVELOPE))
def test_envelope_near_misses_raise_only_decode_error(obj: dict[str, Any]) -> None:
    try:
        wire = _dumps(obj)
    except (ValueError, RecursionError):  # pragma: no cover - JSON always dumps here
        return
    for data in (wire, wire.encode("utf-8", "surrogatepass")):
        try:
            Envelope.decode(data)
        except DecodeError:
            pass
    try:
        Envelope.from_json(json.loads(wire))
    except DecodeError:
        pass


# -- prekey bundles and ratchet headers -----------------------------------------------------


@PROPS
@given(near_miss(BUNDLE_JSON) | JSON)
@example({**BUNDLE_JSON, "spk_id": "1"})
@example({**BUNDLE_JSON, "opk_id": 2**40})
def test_bundle_parsing_raises_only_decode_or_signature_error(obj: Any) -> None:
    try:
        PreKeyBundle.from_json(obj)
    except (DecodeError, SignatureError):
        pass


@PROPS
@given(st.binary(max_size=80))
def test_ratchet_header_raises_only_decode_error(data: bytes) -> None:
    try:
        RatchetHeader.from_bytes(data)
    except DecodeError:
        pass


@PROPS
@given(JSON)
def test_b64decode_raises_only_decode_error(value: Any) -> None:
    try:
        b64decode(value, field="f", max_length=64)
    except DecodeError:
        pass


# -- stored state ----------------------------------------------------------------------------


@PROPS
@given(near_miss(RATCHET_STATE) | JSON)
@example({**RATCHET_STATE, "skipped": [["x", 1]]})
def test_ratchet_state_raises_only_decode_error(obj: Any) -> None:
    try:
        DoubleRatchet.from_json(obj)
    except DecodeError:
        pass


@PROPS
@given(near_miss(SESSION_STATE) | JSON)
@example({**SESSION_STATE, "handshake": {**SESSION_STATE["handshake"], "spk": 2**40}})
@example({**SESSION_STATE, "handshake": {**SESSION_STATE["handshake"], "opk": -1}})
def test_session_state_raises_only_decode_error(obj: Any) -> None:
    for data in (_dumps(obj).encode("utf-8", "surrogatepass"), b"[" * 100_000):
        try:
            Session.from_bytes(data)
        except DecodeError:
            pass


_KEY = SealingKey.derive("pass", opslimit=ARGON2ID_OPSLIMIT_MIN, memlimit=ARGON2ID_MEMLIMIT_MIN)
_STORE = Keystore(identity=IdentityKeyPair.generate(), sessions={"room-1": SENDER})
_STORE.signed_prekeys[1] = SignedPreKey.generate(_STORE.identity, 1)
_STORE.one_time_prekeys[7] = OneTimePreKey.generate(7)
KEYSTORE_JSON = json.loads(canonical_json(_STORE._to_json()))


def _open_sealed(plaintext: bytes) -> None:
    try:
        Keystore.open(_KEY.seal(plaintext, magic=KEYSTORE_MAGIC), "pass")
    except KeystoreError:
        pass


@PROPS
@given(near_miss(KEYSTORE_JSON) | JSON)
@example({**KEYSTORE_JSON, "sessions": []})
@example({**KEYSTORE_JSON, "sessions": {"r": 5}})
@example({**KEYSTORE_JSON, "signed_prekeys": [{"id": float("inf"), "sk": "", "sig": ""}]})
@example({**KEYSTORE_JSON, "signed_prekeys": {}})
def test_keystore_contents_raise_only_keystore_error(obj: Any) -> None:
    """Authentic (correctly sealed) but malformed contents: a bug or an old format."""
    _open_sealed(_dumps(obj).encode("utf-8", "surrogatepass"))


def test_keystore_deeply_nested_contents_raise_keystore_error() -> None:
    _open_sealed(b"[" * 100_000)


@PROPS
@given(st.binary(max_size=200))
def test_keystore_file_raises_only_keystore_error(blob: bytes) -> None:
    try:
        Keystore.open(blob, "pass")
    except KeystoreError:
        pass
