"""Which moderator report keys a member's device seals a report to (docs/protocol.md §14.4).

The server lists each moderator's *report-key statement*: the moderator's Ed25519 device key,
the X25519 report key, and the device's signature over
``domain_message(REPORT_KEY_DOMAIN, report_key_payload(origin, report_key))`` (the bytes the
moderator signed to register it, :mod:`crypto.report`). A member's device checks every
signature and pins the moderator *device* keys, trust on first use as for a room peer
(:mod:`crypto.pinning`):

- a statement whose signature does not verify is refused (a substituted report key);
- the first roster the device sees is pinned (nothing was pinned before);
- a pinned device may present a new report key: it signed it, so the server cannot forge it;
- a device key not pinned after that is refused and kept as *offered*, never sealed to, until
  the member accepts it (:meth:`ModeratorPins.accept_offered`).

So once pinned, a server that adds a key of its own as a "moderator" cannot read a report.
What the server can still do is drop moderators (they are not sealed to) and, on the very
first use, list a key of its own (the first-use limit of every TOFU scheme; the threat model
names it). Pure: the pins are serialised by the caller (``to_json``) and kept with the device.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from .encoding import b64decode, b64encode
from .errors import DecodeError, SignatureError
from .keys import verify_with_domain
from .report import REPORT_KEY_DOMAIN, report_key_payload

__all__ = ["ModeratorKey", "ModeratorPins", "Roster"]

_KEY = 32


def _key(value: object, field_name: str, length: int = _KEY) -> bytes:
    return b64decode(value, field=field_name, length=length, max_length=length)


@dataclass(frozen=True)
class ModeratorKey:
    """One report-key statement as the server lists it (all public)."""

    device_key: bytes  # the moderator's Ed25519 device identity key
    report_key: bytes  # the X25519 key reports are sealed to
    signature: bytes  # the device's signature over the report-key statement

    @classmethod
    def from_json(cls, data: object) -> ModeratorKey:
        """Raises :class:`DecodeError`."""
        if not isinstance(data, dict) or set(data) != {"device_key", "report_key", "signature"}:
            raise DecodeError("moderator key: unexpected fields")
        return cls(
            _key(data["device_key"], "device_key"),
            _key(data["report_key"], "report_key"),
            _key(data["signature"], "signature", 64),
        )

    def verify(self, *, origin: str) -> None:
        """Raises :class:`SignatureError` unless the device key signed this report key for
        ``origin``."""
        payload = report_key_payload(origin=origin, report_key=self.report_key)
        verify_with_domain(self.device_key, REPORT_KEY_DOMAIN, payload, self.signature)


@dataclass(frozen=True)
class Roster:
    """What :meth:`ModeratorPins.check` decided: the report keys to seal to, and how many
    statements were refused (bad signature) or are new moderators waiting for the member."""

    report_keys: tuple[bytes, ...]
    forged: int = 0
    new: int = 0


@dataclass
class ModeratorPins:
    """The moderator device keys this device trusts (device key → its latest report key), and
    the new ones it refused, waiting for the member's decision."""

    pinned: dict[bytes, bytes] = field(default_factory=dict)
    offered: dict[bytes, bytes] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"ModeratorPins(pinned={len(self.pinned)}, offered={len(self.offered)})"

    def check(self, listed: list[ModeratorKey], *, origin: str) -> Roster:
        """Decide which of the server's listed statements to seal to, updating the pins."""
        valid: list[ModeratorKey] = []
        forged = 0
        for entry in listed:
            try:
                entry.verify(origin=origin)
            except SignatureError:
                forged += 1
                continue
            valid.append(entry)
        first_use = not self.pinned
        trusted: list[bytes] = []
        self.offered = {}
        for entry in valid:
            known = any(hmac.compare_digest(entry.device_key, d) for d in self.pinned)
            if known or first_use:
                self.pinned[entry.device_key] = entry.report_key
                trusted.append(entry.report_key)
            else:
                self.offered[entry.device_key] = entry.report_key
        return Roster(tuple(sorted(set(trusted))), forged=forged, new=len(self.offered))

    def check_json(self, listing: object, *, origin: str) -> Roster:
        """:meth:`check` the server's JSON list of statements; an entry that does not parse
        counts as forged (a malformed listing must never keep a flag from being sent)."""
        entries = listing if isinstance(listing, list) else []
        parsed: list[ModeratorKey] = []
        for entry in entries:
            try:
                parsed.append(ModeratorKey.from_json(entry))
            except DecodeError:
                continue
        roster = self.check(parsed, origin=origin)
        malformed = len(entries) - len(parsed) + (0 if isinstance(listing, list) else 1)
        return Roster(roster.report_keys, forged=roster.forged + malformed, new=roster.new)

    def accept_offered(self) -> None:
        """The member accepted the new moderators shown to them: pin them."""
        self.pinned.update(self.offered)
        self.offered = {}

    def to_json(self) -> dict[str, Any]:
        def listing(keys: dict[bytes, bytes]) -> list[list[str]]:
            return sorted([b64encode(d), b64encode(r)] for d, r in keys.items())

        return {"v": 1, "pinned": listing(self.pinned), "offered": listing(self.offered)}

    @classmethod
    def from_json(cls, data: object) -> ModeratorPins:
        """Raises :class:`DecodeError`."""
        if not isinstance(data, dict) or data.get("v") != 1 or set(data) != {
            "v",
            "pinned",
            "offered",
        }:
            raise DecodeError("moderator pins: malformed")

        def entries(value: object) -> dict[bytes, bytes]:
            if not isinstance(value, list) or not all(
                isinstance(e, list) and len(e) == 2 for e in value
            ):
                raise DecodeError("moderator pins: malformed")
            return {_key(d, "device_key"): _key(r, "report_key") for d, r in value}

        return cls(entries(data["pinned"]), entries(data["offered"]))
