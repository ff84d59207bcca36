"""What a push may say, and which subscriptions are accepted, without a server."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.errors import InvalidInput
from server.push import subscriptions
from server.push.kinds import NOTICES, PushKind, payload


def test_every_payload_is_a_fixed_notice_with_nothing_else() -> None:
    for kind in PushKind:
        body = json.loads(payload(kind))
        assert body == {"kind": kind.value, "title": "Peerhaven", "body": NOTICES[kind]}
    assert NOTICES[PushKind.OFFER] == "You have a new request for support"
    assert NOTICES[PushKind.MESSAGE] == "New message"


def _point() -> bytes:
    return (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


@pytest.mark.parametrize(
    "endpoint",
    ["http://push.example/x", "ftp://push.example/x", "https://user:pw@push.example/x",
     "https:///nohost", "https://push.example/" + "a" * 2100],
)  # fmt: skip
def test_endpoints_other_than_plain_https_are_refused(endpoint: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        subscriptions._check_endpoint(endpoint, https_only=True)
    assert "push.example" not in str(caught.value)


def test_http_is_allowed_only_when_https_is_not_required() -> None:
    subscriptions._check_endpoint("http://127.0.0.1:9/push", https_only=False)
    subscriptions._check_endpoint("https://push.example/x", https_only=True)


def test_keys_must_be_a_p256_point_and_16_auth_bytes() -> None:
    point = _point()
    subscriptions._check_keys(point, b"a" * 16)
    compressed = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    )
    for p256dh, auth in [(point, b"a" * 15), (compressed, b"a" * 16),
                         (b"\x04" + b"\x01" * 64, b"a" * 16)]:  # fmt: skip
        with pytest.raises(InvalidInput):
            subscriptions._check_keys(p256dh, auth)


def test_a_flag_notice_pushes_only_when_a_moderator_must_act() -> None:
    from server.push.notifier import push_kind

    assert push_kind("flag", {"change": "raised"}) is PushKind.FLAG
    assert push_kind("flag", {"change": "escalated"}) is PushKind.FLAG
    for change in ("claimed", "acknowledged", "resolved", None):
        assert push_kind("flag", {"change": change}) is None
    assert push_kind("offer", {}) is PushKind.OFFER
    assert push_kind("room", {}) is None
    assert NOTICES[PushKind.FLAG] == "A report needs a moderator"
