"""Peerhaven's end-to-end encryption protocol, client side (sans-I/O, on libsodium).

The server imports only :func:`verify_signature`, :func:`verify_with_domain`,
:func:`server_tag` and :func:`verify_report` (plain bytes in, exception out), and the shared
specs: :mod:`crypto.statements` (what a device signs, invite-code normalisation),
:mod:`crypto.encoding` (base64url, length prefixes) and :mod:`crypto.relay` (the relay's error
and close codes).
Clients use :func:`initiate_session`, :func:`accept_session`, :class:`Session`,
:class:`Envelope`, :func:`safety_number`, :class:`Keystore` and :class:`PeerPin` (the peer's
pinned key). See ``docs/protocol.md``.
"""

from .envelope import (
    ENVELOPE_VERSION,
    MAX_ENVELOPE_BYTES,
    MAX_PLAINTEXT_BYTES,
    Envelope,
    EnvelopeType,
)
from .errors import (
    CryptoError,
    DecodeError,
    DecryptionError,
    FrankingError,
    IdentityKeyChanged,
    InvalidKeyError,
    KeystoreError,
    LimitError,
    ReplayError,
    ReportError,
    SignatureError,
    SkippedMessageLimitError,
)
from .fingerprint import format_safety_number, safety_number
from .franking import commit, server_tag, verify_commitment, verify_report
from .keys import (
    SIGNED_PREKEY_DOMAIN,
    IdentityKeyPair,
    OneTimePreKey,
    PreKeyBundle,
    SignedPreKey,
    sign_with_domain,
    verify_signature,
    verify_with_domain,
)
from .keystore import Keystore
from .pinning import PeerPin
from .session import ReceivedMessage, Session, accept_session, initiate_session

__all__ = [
    "ENVELOPE_VERSION",
    "MAX_ENVELOPE_BYTES",
    "MAX_PLAINTEXT_BYTES",
    "SIGNED_PREKEY_DOMAIN",
    "CryptoError",
    "DecodeError",
    "DecryptionError",
    "Envelope",
    "EnvelopeType",
    "FrankingError",
    "IdentityKeyChanged",
    "IdentityKeyPair",
    "InvalidKeyError",
    "Keystore",
    "KeystoreError",
    "LimitError",
    "OneTimePreKey",
    "PeerPin",
    "PreKeyBundle",
    "ReceivedMessage",
    "ReplayError",
    "ReportError",
    "Session",
    "SignatureError",
    "SignedPreKey",
    "SkippedMessageLimitError",
    "accept_session",
    "commit",
    "format_safety_number",
    "initiate_session",
    "safety_number",
    "server_tag",
    "sign_with_domain",
    "verify_commitment",
    "verify_report",
    "verify_signature",
    "verify_with_domain",
]
