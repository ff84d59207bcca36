"""The SDK: one `Peerhaven` object per device, speaking the HTTP API with httpx.

Methods return the server's JSON (dicts) and raise :class:`ApiError` for problem details. Key
material never leaves the :class:`KeyFolder` except as public keys and signatures.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import httpx

from client.conversation import Conversation, add_one_time_prekeys
from client.errors import ApiError, OriginMismatch
from client.keyfolder import KeyFolder
from client.ledger import FrankedMessage
from crypto import (
    Envelope,
    IdentityKeyPair,
    Keystore,
    OneTimePreKey,
    PreKeyBundle,
    ReceivedMessage,
    Session,
    SignedPreKey,
    commit,
    sign_with_domain,
)
from crypto.encoding import b64decode, b64encode
from crypto.moderators import Roster
from crypto.report import (
    REPORT_KEY_DOMAIN,
    Report,
    RevealedMessage,
    SealedReport,
    open_report,
    report_key_payload,
    seal_report,
)
from crypto.statements import login_statement, registration_statement, room_identity_statement

__all__ = ["Peerhaven", "origin_of"]

Json = dict[str, Any]
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str | httpx.URL) -> str:
    """The origin (RFC 6454) of `url`, serialised as a browser does: ``scheme://host[:port]``,
    lower case, without a default port, path or trailing slash. Raises `ValueError` for a URL
    that is not absolute http(s)."""
    parsed = httpx.URL(url)
    if parsed.scheme not in _DEFAULT_PORTS or not parsed.host:
        raise ValueError("the server address must be an absolute http(s) URL")
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    port = parsed.port
    suffix = "" if port is None or port == _DEFAULT_PORTS[parsed.scheme] else f":{port}"
    return f"{parsed.scheme}://{host}{suffix}"


def _room(room_id: str | uuid.UUID) -> str:
    return str(uuid.UUID(str(room_id)))  # canonical, and safe as a file name


class Peerhaven:
    """A device talking to one Peerhaven server."""

    def __init__(
        self,
        base_url: str,
        *,
        keys: KeyFolder,
        http: httpx.Client | None = None,
        origin: str | None = None,
    ) -> None:
        """`origin`: the deployment's public origin, when `base_url` is another address of it
        (an internal one, behind the load balancer); by default the origin of `base_url`."""
        self.keys = keys
        self.http = http or httpx.Client(base_url=base_url, timeout=30.0)
        # What this device signs into login, registration and room-identity statements: what
        # it was configured with, never what a server says (docs/protocol.md §12).
        self.origin = origin_of(origin or base_url)
        self._token: str | None = None

    def __repr__(self) -> str:
        return f"Peerhaven({str(self.http.base_url)!r}, logged_in={self._token is not None})"

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Peerhaven:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- plumbing ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, json: Any = None, *, auth: bool = True) -> Any:
        headers = {}
        if auth:
            if self._token is None:
                raise RuntimeError("log in first")
            headers["Authorization"] = f"Bearer {self._token}"
        response = self.http.request(method, path, json=json, headers=headers)
        if response.is_success:
            return response.json() if response.content else None
        try:
            problem = response.json()
            title, detail = str(problem.get("title", "")), str(problem.get("detail", ""))
        except ValueError:
            title, detail = response.reason_phrase, response.text[:200]
        raise ApiError(response.status_code, title, detail)

    @property
    def token(self) -> str:
        """The bearer token of the last :meth:`login` (for the relay's `auth` frame)."""
        if self._token is None:
            raise RuntimeError("log in first")
        return self._token

    @property
    def relay_url(self) -> str:
        """The WebSocket address of the relay: `ws(s)://host/ws`."""
        base = self.http.base_url
        scheme = "wss" if base.scheme == "https" else "ws"
        return str(base.copy_with(scheme=scheme, path=base.path.rstrip("/") + "/ws"))

    @property
    def device(self) -> IdentityKeyPair:
        return self.keys.device().identity

    # -- account -----------------------------------------------------------------------------

    def _challenge(self) -> Json:
        """A login challenge, refused (before anything is signed) unless it is for
        :attr:`origin`. Raises :class:`OriginMismatch` or `ApiError`."""
        challenge: Json = self._call(
            "POST",
            "/api/v1/auth/challenges",
            {"identity_key": b64encode(self.device.public_key)},
            auth=False,
        )
        if challenge.get("origin") != self.origin:
            raise OriginMismatch()
        return challenge

    def register(self, invite_code: str, *, origin: str | None = None) -> Json:
        """Redeem an invite with this device's identity key (made on first use).

        The statement binds :attr:`origin`; a server whose challenge names another origin is
        refused with :class:`OriginMismatch` before anything is signed. `origin` (the earlier
        API) may only repeat :attr:`origin`; configure another one in the constructor.
        """
        identity = self.device
        if origin is not None and origin_of(origin) != self.origin:
            raise OriginMismatch()
        self._challenge()
        message = registration_statement(
            origin=self.origin, invite_code=invite_code, identity_key=identity.public_key
        )
        body = {
            "invite_code": invite_code,
            "identity_key": b64encode(identity.public_key),
            "signature": b64encode(identity.sign(message)),
        }
        me: Json = self._call("POST", "/api/v1/accounts", body, auth=False)
        return me

    def login(self) -> Json:
        """Challenge-response login with the device key; keeps the bearer token in memory.

        Raises :class:`OriginMismatch` (nothing signed) for a challenge for another origin."""
        identity = self.device
        challenge = self._challenge()
        message = login_statement(
            origin=self.origin,
            nonce=b64decode(challenge["nonce"], field="nonce", max_length=64),
            identity_key=identity.public_key,
        )
        token = self._call(
            "POST",
            "/api/v1/auth/tokens",
            {
                "challenge_id": challenge["challenge_id"],
                "signature": b64encode(identity.sign(message)),
            },
            auth=False,
        )
        self._token = token["token"]
        me: Json = token["me"]
        return me

    def me(self) -> Json:
        found: Json = self._call("GET", "/api/v1/me")
        return found

    # -- profiles ----------------------------------------------------------------------------

    def set_profile(
        self,
        *,
        specialty: str,
        years_experience: int,
        career_stage: str,
        languages: list[str],
        time_zone: str,
    ) -> Json:
        body = {
            "specialty": specialty,
            "years_experience": years_experience,
            "career_stage": career_stage,
            "languages": languages,
            "time_zone": time_zone,
        }
        found: Json = self._call("PUT", "/api/v1/profile", body)
        return found

    def set_supporter_profile(
        self,
        *,
        topic_expertise: list[str],
        concurrent_cap: int = 2,
        weekly_cap: int = 3,
        available: bool = True,
        daily_hours: list[tuple[int, int]] | None = None,
    ) -> Json:
        body = {
            "topic_expertise": topic_expertise,
            "concurrent_cap": concurrent_cap,
            "weekly_cap": weekly_cap,
            "available": available,
            "daily_hours": [{"start": a, "end": b} for a, b in daily_hours or []],
        }
        found: Json = self._call("PUT", "/api/v1/supporter-profile", body)
        return found

    def set_available(self, available: bool) -> Json:
        found: Json = self._call(
            "PUT", "/api/v1/supporter-profile/availability", {"available": available}
        )
        return found

    # -- requests and offers -----------------------------------------------------------------

    def request_support(
        self,
        topics: list[str],
        *,
        urgency: str = "routine",
        languages: list[str] | None = None,
        same_specialty_only: bool = False,
    ) -> Json:
        body = {
            "topics": topics,
            "urgency": urgency,
            "languages": languages,
            "same_specialty_only": same_specialty_only,
        }
        found: Json = self._call("POST", "/api/v1/support-requests", body)
        return found

    def request_status(self, request_id: str) -> Json:
        found: Json = self._call("GET", f"/api/v1/support-requests/{uuid.UUID(request_id)}")
        return found

    # -- check-ins ---------------------------------------------------------------------------

    def link_staff_identifier(self, staff_identifier: str, *, team: str | None = None) -> Json:
        """Opt in to check-ins: the server keeps only a keyed hash of the identifier (and team)."""
        body: Json = {"staff_identifier": staff_identifier}
        if team is not None:
            body["team"] = team
        found: Json = self._call("PUT", "/api/v1/checkins/link", body)
        return found

    def checkin_link(self) -> Json:
        found: Json = self._call("GET", "/api/v1/checkins/link")
        return found

    def unlink_staff_identifier(self) -> Json:
        found: Json = self._call("DELETE", "/api/v1/checkins/link")
        return found

    def checkins(self) -> list[Json]:
        """Check-ins offered to this account and waiting for an answer."""
        found: list[Json] = self._call("GET", "/api/v1/checkins")
        return found

    def answer_checkin(self, checkin_id: str, answer: str) -> Json:
        """`answer` is "accept" ("Talk to a peer"), "snooze" ("Not now") or "decline"."""
        if answer not in ("accept", "snooze", "decline"):
            raise ValueError("answer must be accept, snooze or decline")
        found: Json = self._call("POST", f"/api/v1/checkins/{uuid.UUID(checkin_id)}/{answer}")
        return found

    def cancel_request(self, request_id: str) -> Json:
        found: Json = self._call("POST", f"/api/v1/support-requests/{uuid.UUID(request_id)}/cancel")
        return found

    def offers(self) -> list[Json]:
        found: list[Json] = self._call("GET", "/api/v1/offers")
        return found

    def accept_offer(self, offer_id: str) -> Json:
        room: Json = self._call("POST", f"/api/v1/offers/{uuid.UUID(offer_id)}/accept")
        return room

    def decline_offer(self, offer_id: str) -> Json:
        found: Json = self._call("POST", f"/api/v1/offers/{uuid.UUID(offer_id)}/decline")
        return found

    # -- rooms and sessions ------------------------------------------------------------------

    def room(self, room_id: str) -> Json:
        found: Json = self._call("GET", f"/api/v1/rooms/{_room(room_id)}")
        return found

    def rooms(self) -> list[Json]:
        found: list[Json] = self._call("GET", "/api/v1/rooms")
        return found

    def join_room(self, room_id: str, *, one_time_prekeys: int = 10) -> Json:
        """Make a fresh room identity, register it under the device key, upload prekeys.

        The room keystore is saved before anything is sent, so a retry after a network error
        re-uses the same keys.
        """
        room_id = _room(room_id)
        if self._token is None:
            raise RuntimeError("log in first")
        details = self.room(room_id)
        store = self.keys.room(room_id)
        if store is None:
            identity = IdentityKeyPair.generate()
            store = Keystore(identity=identity)
            store.signed_prekeys[1] = SignedPreKey.generate(identity, 1)
            for key_id in range(1, one_time_prekeys + 1):
                store.one_time_prekeys[key_id] = OneTimePreKey.generate(key_id)
            self.keys.save_room(room_id, store)
        room_key = store.identity.public_key
        if details["me"]["identity_key"] is None:
            statement = room_identity_statement(
                origin=self.origin,
                room_id=room_id,
                member_id=details["me"]["member_id"],
                room_key=room_key,
            )
            details = self._call(
                "PUT",
                f"/api/v1/rooms/{room_id}/identity",
                {
                    "identity_key": b64encode(room_key),
                    "signature": b64encode(self.device.sign(statement)),
                },
            )
            spk = store.signed_prekeys[1]
            self._call(
                "POST",
                f"/api/v1/rooms/{room_id}/prekeys",
                {
                    "signed_prekey": {
                        "key_id": spk.key_id,
                        "public_key": b64encode(spk.public_key),
                        "signature": b64encode(spk.signature),
                    },
                    "one_time_prekeys": [
                        {"key_id": k.key_id, "public_key": b64encode(k.public_key)}
                        for k in store.one_time_prekeys.values()
                    ],
                },
            )
        return details

    def upload_one_time_prekeys(self, room_id: str, keys: Sequence[OneTimePreKey]) -> int:
        """Upload the public halves of `keys` (already saved in the room keystore); returns how
        many unclaimed one-time prekeys the server now holds for this member.

        Raises `ApiError` 409 when an id was used before (draw new keys), 422 beyond the limit.
        """
        answer = self._call(
            "POST",
            f"/api/v1/rooms/{_room(room_id)}/prekeys",
            {
                "one_time_prekeys": [
                    {"key_id": k.key_id, "public_key": b64encode(k.public_key)} for k in keys
                ]
            },
        )
        available: int = answer["one_time_prekeys_available"]
        return available

    def top_up_prekeys(self, room_id: str, *, available: int, target: int = 10) -> int:
        """Answer a `prekeys_low` notification without a relay client: make `target - available`
        one-time prekeys, save them, upload them. Returns the server's new count.

        Not for a room a running `RelayClient` has open (it keeps the keystore in memory and
        tops up by itself).
        """
        room_id = _room(room_id)
        store = self._room_store(room_id)
        fresh = add_one_time_prekeys(store, max(0, target - available))
        if not fresh:
            return available
        self.keys.save_room(room_id, store)
        return self.upload_one_time_prekeys(room_id, fresh)

    def claim_peer_bundle(self, room_id: str) -> tuple[str, PreKeyBundle]:
        """Claim the peer's prekey bundle: (member id, bundle). It carries one of the peer's
        one-time prekeys while they have one left, and none after that (X3DH with three DH).

        Raises `SignatureError` for a bundle whose signed prekey does not verify.
        """
        claimed = self._call("POST", f"/api/v1/rooms/{_room(room_id)}/peer-bundle")
        return str(claimed["member_id"]), PreKeyBundle.from_json(claimed["bundle"])

    def conversation(self, room_id: str) -> Conversation:
        """The room as the relay client sees it: this device's room keys, its sessions and the
        pinned key of the peer. Persist with ``keys.save_room`` after a change."""
        room_id = _room(room_id)
        store = self._room_store(room_id)
        details = self.room(room_id)
        peer = details["peer"]
        return Conversation(
            room_id, str(details["me"]["member_id"]), str(peer["member_id"]), peer["handle"], store
        )

    def start_session(self, room_id: str) -> Session:
        """Fetch (and so claim) the peer's bundle, verify it, and start X3DH as the initiator.

        Raises `crypto.IdentityKeyChanged` for a bundle whose identity key is not the one pinned
        in this room (the offered key is saved; see :meth:`accept_key_change`)."""
        conversation = self.conversation(room_id)
        peer, bundle = self.claim_peer_bundle(conversation.room)
        if peer != conversation.peer:
            raise RuntimeError("the bundle is not the room peer's")
        try:
            session = conversation.start(bundle)
        finally:
            self.keys.save_room(conversation.room, conversation.keys)
        return session

    def accept_session(self, room_id: str, envelope: Envelope) -> tuple[Session, ReceivedMessage]:
        """Answer the peer's first (prekey) message; the used one-time prekey is deleted.

        Raises `crypto.IdentityKeyChanged` for a handshake whose identity key is not the one
        pinned in this room, or another `CryptoError`."""
        if envelope.x3dh is None:
            raise ValueError("not a prekey message")
        conversation = self.conversation(room_id)
        try:
            message = conversation.decrypt(envelope)
        finally:
            self.keys.save_room(conversation.room, conversation.keys)
        session = conversation.session
        assert session is not None
        return session, message

    def session(self, room_id: str) -> Session | None:
        return self._room_store(_room(room_id)).sessions.get(_room(room_id))

    def safety_number(self, room_id: str) -> str:
        """The 60-digit number both members see for this room: of the keys the current session
        uses, never the key the server's room view claims. Raises `RuntimeError` before a
        session exists."""
        number = self.conversation(room_id).safety_number()
        if number is None:
            raise RuntimeError("no session in this room yet: the safety number comes with it")
        return number

    def accept_key_change(self, room_id: str) -> None:
        """The user compared the safety number again and accepts the peer's new key."""
        conversation = self.conversation(room_id)
        conversation.accept_key_change()
        self.keys.save_room(conversation.room, conversation.keys)

    def mark_verified(self, room_id: str) -> None:
        """The user compared the safety number out of band; a key change clears it."""
        conversation = self.conversation(room_id)
        conversation.mark_verified()
        self.keys.save_room(conversation.room, conversation.keys)

    def _room_store(self, room_id: str) -> Keystore:
        store = self.keys.room(room_id)
        if store is None:
            raise RuntimeError("join the room first")
        return store

    def leave_room(self, room_id: str) -> Json:
        found: Json = self._call("POST", f"/api/v1/rooms/{_room(room_id)}/leave")
        return found

    def close_room(self, room_id: str) -> Json:
        found: Json = self._call("POST", f"/api/v1/rooms/{_room(room_id)}/close")
        return found

    def block_peer(self, room_id: str) -> Json:
        found: Json = self._call("POST", f"/api/v1/rooms/{_room(room_id)}/block")
        return found

    # -- moderation: flags (members) -----------------------------------------------------------

    def report_keys(self, room_id: str) -> Roster:
        """The moderator report keys this device will seal a report from this room to: each
        statement's signature checked and its device key pinned (:mod:`crypto.moderators`).
        A forged or malformed statement, or a moderator device not pinned before, is left out
        (and counted)."""
        found = self._call("GET", f"/api/v1/rooms/{_room(room_id)}/report-keys")
        pins = self.keys.moderator_pins()
        roster = pins.check_json(found.get("moderators", []), origin=self.origin)
        self.keys.save_moderator_pins(pins)
        return roster

    def accept_new_moderators(self) -> None:
        """The member accepts the new moderator devices the last `report_keys` refused."""
        pins = self.keys.moderator_pins()
        pins.accept_offered()
        self.keys.save_moderator_pins(pins)

    def flag_room(
        self,
        room_id: str,
        category: str,
        *,
        note: str = "",
        reveal: list[FrankedMessage] | None = None,
    ) -> Json:
        """Flag a room. The note and revealed messages (from the relay ledger) are sealed to the
        network's moderators this device trusts (`report_keys`); with none, the flag goes
        without a report (a flag is never held back).
        Returns the flag with the crisis resources to show at once."""
        room_id = _room(room_id)
        keys = list(self.report_keys(room_id).report_keys)
        sealed = None
        if keys:
            messages = tuple(
                RevealedMessage(m.delivery_id, m.sender, m.plaintext, m.franking_key,
                                b64decode(m.tag, field="tag", length=32, max_length=32))
                for m in reveal or []
            )  # fmt: skip
            report = Report(category=category, note=note, messages=messages)
            sealed = seal_report(report, room=room_id, recipients=keys).encode()
        body = {"category": category, "sealed_report": sealed}
        found: Json = self._call("POST", f"/api/v1/rooms/{room_id}/flags", body)
        return found

    # -- moderation: the moderator's side ------------------------------------------------------

    def register_report_key(self) -> Json:
        """Register this device's report key (made and kept in the key folder on first use)."""
        keys = self.keys.report_key()
        payload = report_key_payload(origin=self.origin, report_key=keys.public_key)
        body = {
            "public_key": b64encode(keys.public_key),
            "signature": b64encode(sign_with_domain(self.device, REPORT_KEY_DOMAIN, payload)),
        }
        found: Json = self._call("PUT", "/api/v1/moderation/report-key", body)
        return found

    def set_duty(self, on_duty: bool, *, tier: str = "primary") -> list[Json]:
        found: list[Json] = self._call(
            "PUT", "/api/v1/moderation/rota/me", {"on_duty": on_duty, "tier": tier}
        )
        return found

    def rota(self) -> list[Json]:
        found: list[Json] = self._call("GET", "/api/v1/moderation/rota")
        return found

    def flags(self, *, include_resolved: bool = False) -> list[Json]:
        """The network's queue: severity first, then oldest first."""
        query = "?include_resolved=true" if include_resolved else ""
        found: list[Json] = self._call("GET", f"/api/v1/moderation/flags{query}")
        return found

    def flag(self, flag_id: str) -> Json:
        found: Json = self._call("GET", f"/api/v1/moderation/flags/{uuid.UUID(flag_id)}")
        return found

    def _flag_step(self, flag_id: str, step: str, body: Any = None) -> Any:
        return self._call("POST", f"/api/v1/moderation/flags/{uuid.UUID(flag_id)}/{step}", body)

    def claim_flag(self, flag_id: str) -> Json:
        found: Json = self._flag_step(flag_id, "claim")
        return found

    def acknowledge_flag(self, flag_id: str) -> Json:
        found: Json = self._flag_step(flag_id, "acknowledge")
        return found

    def resolve_flag(self, flag_id: str, outcome: str) -> Json:
        found: Json = self._flag_step(flag_id, "resolve", {"outcome": outcome})
        return found

    def read_report(self, flag: Json) -> Report:
        """Open a flag's sealed report with this device's report key.

        Raises `DecryptionError` if it was not sealed to this device or was altered, and
        `ValueError` when the flag carries no report."""
        if not flag.get("sealed_report"):
            raise ValueError("this flag has no report")
        sealed = SealedReport.decode(flag["sealed_report"])
        return open_report(sealed, room=str(flag["room_id"]), category=str(flag["category"]),
                           keys=self.keys.report_key())  # fmt: skip

    def verify_report(self, flag_id: str, report: Report) -> list[Json]:
        """Ask the server whether each revealed message is what was delivered: only the
        recomputed commitments leave this device, never the text or the franking keys."""
        body = {
            "messages": [
                {"message_id": m.id, "commitment": b64encode(commit(m.franking_key, m.plaintext))}
                for m in report.messages
            ]
        }
        found: list[Json] = self._flag_step(flag_id, "verify", body)
        return found

    def open_private_room(self, flag_id: str) -> Json:
        """A private room with the member who flagged; join it like any room."""
        found: Json = self._flag_step(flag_id, "private-room")
        return found

    def close_flagged_room(self, flag_id: str) -> Json:
        found: Json = self._flag_step(flag_id, "close-room")
        return found

    def suspend_member(self, flag_id: str, member_id: str) -> Json:
        found: Json = self._flag_step(flag_id, "suspend", {"member_id": str(uuid.UUID(member_id))})
        return found
