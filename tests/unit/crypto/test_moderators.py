"""Members pin moderator report keys (crypto/moderators.py): signatures checked, device keys
pinned on first use, a substituted or added key refused; the shared vectors replay."""

from __future__ import annotations

import json
import pathlib

import pytest

import crypto
from crypto import DecodeError, IdentityKeyPair
from crypto.encoding import b64encode
from crypto.keys import domain_message
from crypto.moderators import ModeratorKey, ModeratorPins
from crypto.report import REPORT_KEY_DOMAIN, ReportKeyPair, report_key_payload

ORIGIN = "https://peerhaven.example"
VECTORS = json.loads(
    (pathlib.Path(crypto.__file__).parent / "report_vectors.json").read_text()
)["moderator_roster"]


def statement(device: IdentityKeyPair, report_key: bytes, origin: str = ORIGIN) -> ModeratorKey:
    payload = report_key_payload(origin=origin, report_key=report_key)
    return ModeratorKey(device.public_key, report_key,
                        device.sign(domain_message(REPORT_KEY_DOMAIN, payload)))  # fmt: skip


def test_the_vectors_replay() -> None:
    pins = ModeratorPins()
    for listing in VECTORS["listings"]:
        listed = [ModeratorKey.from_json(e) for e in listing["listed"]]
        roster = pins.check(listed, origin=VECTORS["origin"])
        assert [b64encode(k) for k in roster.report_keys] == listing["report_keys"]
        assert (roster.forged, roster.new) == (listing["forged"], listing["new"])


def test_first_use_pins_then_a_server_key_is_refused_until_accepted() -> None:
    a, server = IdentityKeyPair.generate(), IdentityKeyPair.generate()
    key_a, key_x = ReportKeyPair.generate().public_key, ReportKeyPair.generate().public_key
    pins = ModeratorPins()
    assert pins.check([statement(a, key_a)], origin=ORIGIN).report_keys == (key_a,)
    # Added later by the server (a valid statement by a device nobody pinned): refused.
    roster = pins.check([statement(a, key_a), statement(server, key_x)], origin=ORIGIN)
    assert roster.report_keys == (key_a,) and roster.new == 1
    # Swapped into a pinned moderator's entry (the signature cannot match): refused.
    swapped = ModeratorKey(a.public_key, key_x, statement(a, key_a).signature)
    assert pins.check([swapped], origin=ORIGIN).forged == 1
    # Made for another deployment: refused as well.
    assert pins.check([statement(a, key_x, "https://other.example")], origin=ORIGIN).forged == 1
    # A pinned device rotates its report key: it signed the new one.
    key_a2 = ReportKeyPair.generate().public_key
    assert pins.check([statement(a, key_a2)], origin=ORIGIN).report_keys == (key_a2,)
    # The member accepts the new moderator: sealed to from then on.
    pins.check([statement(a, key_a2), statement(server, key_x)], origin=ORIGIN)
    pins.accept_offered()
    both = pins.check([statement(a, key_a2), statement(server, key_x)], origin=ORIGIN)
    assert set(both.report_keys) == {key_a2, key_x} and both.new == 0


def test_pins_round_trip_and_refuse_malformed_input() -> None:
    a = IdentityKeyPair.generate()
    pins = ModeratorPins()
    pins.check([statement(a, ReportKeyPair.generate().public_key)], origin=ORIGIN)
    assert ModeratorPins.from_json(json.loads(json.dumps(pins.to_json()))) == pins
    assert "pinned=1" in repr(pins) and b64encode(a.public_key) not in repr(pins)
    for bad in ({}, {"v": 2, "pinned": [], "offered": []},
                {"v": 1, "pinned": [["x"]], "offered": []}):  # fmt: skip
        with pytest.raises(DecodeError):
            ModeratorPins.from_json(bad)
    with pytest.raises(DecodeError):
        ModeratorKey.from_json({"device_key": "AA", "report_key": "AA"})


def test_a_malformed_listing_counts_as_forged_and_never_raises() -> None:
    a = IdentityKeyPair.generate()
    key_a = ReportKeyPair.generate().public_key
    good = {"device_key": b64encode(a.public_key), "report_key": b64encode(key_a),
            "signature": b64encode(statement(a, key_a).signature)}  # fmt: skip
    pins = ModeratorPins()
    roster = pins.check_json([good, {"device_key": "x"}, 7], origin=ORIGIN)
    assert roster.report_keys == (key_a,) and roster.forged == 2
    assert ModeratorPins().check_json("not a list", origin=ORIGIN).forged == 1
