"""The one exception tree of :mod:`crypto`.

::

    CryptoError
     ├── DecodeError            malformed input (envelope, bundle, state); the message says what
     ├── SignatureError         an Ed25519 signature did not verify
     ├── InvalidKeyError        a key of the wrong length, or a low-order / all-zero DH result
     ├── LimitError             a size or count limit was exceeded
     │    └── SkippedMessageLimitError  (also a DecryptionError)
     ├── DecryptionError        a message could not be decrypted; carries no detail
     │    ├── ReplayError       the message key was already used (or is gone)
     │    ├── FrankingError     authentic message whose franking commitment does not verify
     │    └── SkippedMessageLimitError
     ├── ReportError            a franking report does not match its server tag
     └── KeystoreError          wrong passphrase or corrupted keystore

Decryption failures deliberately say nothing about *why* authentication failed: which field was
altered, which key was tried, or how far a chain got is information an attacker could use.
"""

from __future__ import annotations

__all__ = [
    "CryptoError",
    "DecodeError",
    "DecryptionError",
    "FrankingError",
    "IdentityKeyChanged",
    "InvalidKeyError",
    "KeystoreError",
    "LimitError",
    "ReplayError",
    "ReportError",
    "SignatureError",
    "SkippedMessageLimitError",
]


class CryptoError(Exception):
    """Base class of every error raised by :mod:`crypto`."""


class DecodeError(CryptoError):
    """Input is malformed: wrong type, length, encoding, unknown version or over a size limit."""


class SignatureError(CryptoError):
    """A signature did not verify."""

    def __init__(self, message: str = "signature verification failed") -> None:
        super().__init__(message)


class InvalidKeyError(CryptoError):
    """A key has the wrong length or yields a low-order (all-zero) Diffie-Hellman result."""


class LimitError(CryptoError):
    """A size or count limit was exceeded; nothing was changed."""


class DecryptionError(CryptoError):
    """A message could not be decrypted. Deliberately carries no detail."""

    def __init__(self, message: str = "message could not be decrypted") -> None:
        super().__init__(message)


class ReplayError(DecryptionError):
    """The message key for this message was already used or discarded (replay or duplicate)."""

    def __init__(self, message: str = "message already received") -> None:
        super().__init__(message)


class FrankingError(DecryptionError):
    """The message authenticated but its franking commitment does not match its plaintext.

    The message is discarded; the ratchet has consumed its key, as for any authentic message.
    """

    def __init__(self, message: str = "franking commitment does not verify") -> None:
        super().__init__(message)


class SkippedMessageLimitError(LimitError, DecryptionError):
    """Accepting the message would store more skipped message keys than allowed.

    Raised before any expensive work and without changing the session.
    """

    def __init__(self, message: str = "too many skipped messages") -> None:
        super().__init__(message)


class ReportError(CryptoError):
    """A reported message (plaintext + franking key) does not match its server tag."""

    def __init__(self, message: str = "report does not match the franking tag") -> None:
        super().__init__(message)


class IdentityKeyChanged(CryptoError):
    """A bundle or handshake names another identity key than the one pinned for the peer.

    Nothing was created and no prekey was used; the pin now records the key as *offered*
    (:class:`crypto.pinning.PeerPin`), for the user to compare the safety number and decide.
    """

    def __init__(self, message: str = "the peer's identity key changed") -> None:
        super().__init__(message)


class KeystoreError(CryptoError):
    """The keystore could not be opened: wrong passphrase, or the file is corrupted."""
