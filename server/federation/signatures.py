"""Server-to-server request signatures: RFC 9421 HTTP Message Signatures over Ed25519, with an
RFC 9530 `Content-Digest` (sha-256) of the body, through the `http-message-signatures` library.

Every request covers `@method`, `@target-uri` and `content-digest`, and carries the `created`,
`nonce`, `keyid` (the signer's fingerprint) and `alg` parameters under the label `peerhaven`.
This module is pure: it signs, and it verifies against a key the caller looked up. Freshness
(`created` within the window) is checked here with the caller's clock; replay (a nonce seen
before) is the caller's, who persists nonces (`server.federation.peering`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from http_message_signatures.structures import CaseInsensitiveDict

from server.errors import Unauthenticated
from server.federation.node import NodeIdentity

__all__ = ["COVERED", "LABEL", "SignatureRefused", "Verified", "sign_request", "verify_request"]

LABEL = "peerhaven"
TAG = "peerhaven-federation"
COVERED = ("@method", "@target-uri", "content-digest")


class SignatureRefused(Unauthenticated):
    """A missing, malformed, stale, unknown-key or non-verifying signature (HTTP 401). `detail`
    names the class of failure, never the request's content."""


@dataclass
class _Message:
    method: str
    url: str
    headers: CaseInsensitiveDict = field(default_factory=CaseInsensitiveDict)


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(
        self,
        *,
        private: NodeIdentity | None = None,
        public: Callable[[str], bytes | None] | None = None,
    ) -> None:
        self._private = private
        self._public = public
        self.asked: list[str] = []

    def resolve_private_key(self, key_id: str) -> object:
        assert self._private is not None and key_id == self._private.fingerprint
        return self._private.private_key

    def resolve_public_key(self, key_id: str) -> object:
        self.asked.append(key_id)
        raw = self._public(key_id) if self._public is not None else None
        return None if raw is None else Ed25519PublicKey.from_public_bytes(raw)


def sign_request(
    identity: NodeIdentity, *, method: str, url: str, body: bytes, now: datetime
) -> dict[str, str]:
    """The headers (`Content-Digest`, `Signature-Input`, `Signature`) that sign this request."""
    message = _Message(method.upper(), url)
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(private=identity)
    )
    signer.sign(
        message,
        key_id=identity.fingerprint,
        created=now,
        nonce=secrets.token_urlsafe(18),
        label=LABEL,
        tag=TAG,
        covered_component_ids=COVERED,
        body=body,
    )
    return dict(message.headers.items())


@dataclass(frozen=True)
class Verified:
    """A signature that verified: whose key (`keyid`), its nonce and creation time."""

    keyid: str
    nonce: str
    created: datetime


def _param(result: object, name: str) -> object:
    return getattr(result, "parameters", {}).get(name)


def verify_request(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    key_for: Callable[[str], bytes | None],
    now: datetime,
    window: timedelta,
) -> Verified:
    """Check the `peerhaven` signature of a request received at `url` (this node's own view of
    its target URI). `key_for(keyid)` returns the pinned raw key or None.

    SignatureRefused when the signature is missing or malformed, lacks a covered component, a
    nonce or `created`, is outside `window` of `now`, names a key `key_for` does not know, does
    not verify, or the body does not match its signed digest.
    """
    message = _Message(method.upper(), url, CaseInsensitiveDict(headers))  # type: ignore[no-untyped-call]
    resolver = _OneKey(public=key_for)
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
    # Freshness is checked below against the app's clock, not the library's.
    verifier.max_clock_skew = timedelta(days=3650)
    try:
        (result,) = verifier.verify(
            message, max_age=None, expect_tag=TAG, require_components=COVERED, body=body
        )
    except (InvalidSignature, HTTPMessageSignaturesException, ValueError) as error:
        if resolver.asked and key_for(resolver.asked[-1]) is None:
            raise SignatureRefused("the signing key is not a pinned peer key") from None
        raise SignatureRefused(f"the signature does not verify ({_kind(error)})") from None
    keyid, nonce, created = (_param(result, name) for name in ("keyid", "nonce", "created"))
    if not isinstance(nonce, str) or not 8 <= len(nonce) <= 128:
        raise SignatureRefused("the signature has no usable nonce")
    if not isinstance(keyid, str) or not isinstance(created, int):
        raise SignatureRefused("the signature lacks keyid or created")
    signed_at = datetime.fromtimestamp(created, tz=now.tzinfo)
    if abs(now - signed_at) > window:
        raise SignatureRefused("the signature is outside the accepted time window")
    return Verified(keyid=keyid, nonce=nonce, created=signed_at)


def _kind(error: Exception) -> str:
    """A short class of failure that never quotes the request."""
    text = str(error).lower()
    if "digest" in text:
        return "content digest mismatch"
    if "expected" in text and "header" in text:
        return "no signature"
    return "invalid signature"
