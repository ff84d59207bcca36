"""The relay frame transcript: what each end of ``/ws`` must say and understand (§13).

Written into ``crypto/vectors.json`` as ``relay`` by :mod:`crypto.vectors`. Everything here is
written down by hand, as a specification: nothing is computed by running a client or the server.
Replayed by ``tests/unit/crypto/test_relay_transcript.py`` (client frames against the server's
parser), ``tests/unit/client/test_transcript.py`` (the Python client) and
``web/tests/transcript.test.mjs`` (the browser's frames, codes and delivery machine).

Sections of ``relay``::

    close_codes    [{"name": "NORMAL", "code": 1000}, …]        crypto.relay.CloseCode
    error_codes    [{"code": "malformed", "final": true}, …]   crypto.relay.ErrorCode, and
                                                                 whether it ends a ``send``
    max_ack_ids    500                                          ids one ``ack`` may carry
    client_frames  [{"name", "frame": <raw text>, "parses_as": <type>}     the server accepts
                    | {"name", "frame", "error": "malformed"}]             or answers an error
                   "built": true marks the exact text a client writes for that frame
    server_frames  [{"name", "frame": <raw text>, "parsed": {…}}   what a client must extract
                    | {"name", "frame", "refused": true}]          refused, without crashing
    scenarios      [{"name", "room", "outbox": [{"id","room","envelope"}], "cursor": N,
                     "steps": [STEP, …]}]

``parsed`` uses the wire names (``accepted`` → ``client_id``, ``ts``; ``deliver`` → ``id``,
``seq``, ``room``, ``sender``, ``envelope``, ``ts``, ``tag``; ``error`` → ``code``, ``message``,
``ref``; ``notify`` → ``event``, ``data``; ``ready``/``synced`` → ``cursor``); unknown fields
are ignored.

A scenario is one client's delivery state machine (``client.relay.Relay``, ``web/app/
delivery.js``) for one account that knows ``room`` (its member id there is the vectors' Bob,
its peer Alice), starting with ``outbox`` (not yet accepted, in order) and ``cursor``. A
``STEP`` is one input and what must follow once the client has stored what it must store::

    {"connect": <token>} | {"receive": <raw server frame>} | {"lost": true}
    "writes":  the frames written, as JSON values, in order
    "events":  what the user is told, in order:
               ["connected", cursor]        ["synced", cursor]      ["notify", event]
               ["accepted", envelope id]    ["failed", envelope id, code]   (a final error)
               ["error", code, ref]         (any other error frame; ref may be null)
               ["received", delivery id, envelope id]   (stored, then shown: once)
               ["undecryptable", delivery id, reason]   (recorded and acknowledged)
               ["violation"]                (a frame the client refuses; nothing changes)
    "outbox":  envelope ids still waiting for ``accepted``, in order

Storing a delivery happens before its ``ack`` leaves; a scenario's decryption always succeeds
(what is decrypted is the vectors' business, not the relay's).
"""

from __future__ import annotations

import json
from typing import Any

from .relay import FINAL_SEND_ERRORS, MAX_ACK_IDS, CloseCode, ErrorCode

__all__ = ["relay_transcript"]

Json = dict[str, Any]

_D1 = "5f0c2a4e-8f55-4a36-9d6e-0d9a3c1b7e01"
_D2 = "5f0c2a4e-8f55-4a36-9d6e-0d9a3c1b7e02"
_D3 = "5f0c2a4e-8f55-4a36-9d6e-0d9a3c1b7e03"
_D4 = "5f0c2a4e-8f55-4a36-9d6e-0d9a3c1b7e04"
_SERVER_ID = "a3c1b7e0-0d9a-4a36-9d6e-5f0c2a4e8f55"
_TS = "2026-11-26T00:00:00Z"
_TAG = "c2VydmVyIHRhZyBmb3IgdGhlIHRyYW5zY3JpcHQ"


def _text(obj: Json) -> str:
    # The clients' byte form: insertion order, no spaces (json.dumps / JSON.stringify).
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _client_frames(envelope: str) -> list[Json]:
    ok, bad = "parses_as", "error"
    uuid_list = [_D1, _D2]
    return [
        {"name": "auth", "frame": _text({"type": "auth", "token": "ph1_token"}), ok: "auth",
         "built": True},
        {"name": "auth with an empty token", "frame": _text({"type": "auth", "token": ""}),
         bad: "malformed"},
        {"name": "auth with a token over 256 characters",
         "frame": _text({"type": "auth", "token": "t" * 257}), bad: "malformed"},
        {"name": "auth without a token", "frame": _text({"type": "auth"}), bad: "malformed"},
        {"name": "send", "frame": _text({"type": "send", "envelope": envelope}), ok: "send",
         "built": True},
        {"name": "send with an empty envelope", "frame": _text({"type": "send", "envelope": ""}),
         bad: "malformed"},
        {"name": "send with the envelope as an object",
         "frame": _text({"type": "send", "envelope": json.loads(envelope)}), bad: "malformed"},
        {"name": "send with an unknown field",
         "frame": _text({"type": "send", "envelope": envelope, "room": "r"}), bad: "malformed"},
        {"name": "ack", "frame": _text({"type": "ack", "ids": uuid_list}), ok: "ack",
         "built": True},
        {"name": "ack without ids", "frame": _text({"type": "ack", "ids": []}), bad: "malformed"},
        {"name": "ack with more than 500 ids",
         "frame": _text({"type": "ack", "ids": [_D1] * (MAX_ACK_IDS + 1)}), bad: "malformed"},
        {"name": "ack with an id that is not a UUID",
         "frame": _text({"type": "ack", "ids": ["d1"]}), bad: "malformed"},
        {"name": "sync", "frame": _text({"type": "sync", "after": 7}), ok: "sync", "built": True},
        {"name": "sync from 0 by default", "frame": _text({"type": "sync"}), ok: "sync"},
        {"name": "sync after a negative cursor", "frame": _text({"type": "sync", "after": -1}),
         bad: "malformed"},
        {"name": "sync with the cursor as a string",
         "frame": _text({"type": "sync", "after": "7"}), bad: "malformed"},
        {"name": "ping", "frame": _text({"type": "ping"}), ok: "ping", "built": True},
        {"name": "ping with an unknown field", "frame": _text({"type": "ping", "x": 1}),
         bad: "malformed"},
        {"name": "unknown type", "frame": _text({"type": "hello"}), bad: "malformed"},
        {"name": "type in upper case", "frame": _text({"type": "PING"}), bad: "malformed"},
        {"name": "no type", "frame": "{}", bad: "malformed"},
        {"name": "not JSON", "frame": "nope", bad: "malformed"},
        {"name": "a JSON array", "frame": "[]", bad: "malformed"},
        {"name": "a server frame sent by a client", "frame": _text({"type": "ready", "cursor": 0}),
         bad: "malformed"},
    ]  # fmt: skip


def _deliver(delivery_id: str, seq: int, room: str, sender: str, envelope: str) -> str:
    return _text(
        {"type": "deliver", "id": delivery_id, "seq": seq, "room": room, "sender": sender,
         "envelope": envelope, "ts": _TS, "tag": _TAG}
    )  # fmt: skip


def _server_frames(room: str, sender: str, envelope: str) -> list[Json]:
    deliver = {"type": "deliver", "id": _D1, "seq": 4, "room": room, "sender": sender,
               "envelope": envelope, "ts": _TS, "tag": _TAG}  # fmt: skip
    accepted = {"type": "accepted", "client_id": "S765QNrqu_2J_QF2YStbFQ", "id": _SERVER_ID,
                "ts": _TS}  # fmt: skip
    return [
        {"name": "ready", "frame": _text({"type": "ready", "cursor": 3}),
         "parsed": {"type": "ready", "cursor": 3}},
        {"name": "accepted", "frame": _text(accepted),
         "parsed": {"type": "accepted", "client_id": accepted["client_id"], "ts": _TS}},
        {"name": "accepted naming the envelope only by id (older servers)",
         "frame": _text({"type": "accepted", "id": "abc", "ts": "t"}),
         "parsed": {"type": "accepted", "client_id": "abc", "ts": "t"}},
        {"name": "deliver", "frame": _text(deliver), "parsed": deliver},
        {"name": "deliver with a field this client does not know",
         "frame": _text(deliver | {"later": "ignored"}), "parsed": deliver},
        {"name": "synced", "frame": _text({"type": "synced", "cursor": 0}),
         "parsed": {"type": "synced", "cursor": 0}},
        {"name": "notify", "frame": _text({"type": "notify", "event": "room",
                                           "data": {"room": room}}),
         "parsed": {"type": "notify", "event": "room", "data": {"room": room}}},
        {"name": "notify without data", "frame": _text({"type": "notify", "event": "offer"}),
         "parsed": {"type": "notify", "event": "offer", "data": {}}},
        {"name": "pong", "frame": _text({"type": "pong"}), "parsed": {"type": "pong"}},
        {"name": "error without ref",
         "frame": _text({"type": "error", "code": "malformed", "message": "m"}),
         "parsed": {"type": "error", "code": "malformed", "message": "m", "ref": None}},
        {"name": "error answering a send",
         "frame": _text({"type": "error", "code": "room_closed", "message": "closed",
                         "ref": "S765QNrqu_2J_QF2YStbFQ"}),
         "parsed": {"type": "error", "code": "room_closed", "message": "closed",
                    "ref": "S765QNrqu_2J_QF2YStbFQ"}},
        {"name": "not JSON", "frame": "nope", "refused": True},
        {"name": "a JSON array", "frame": "[]", "refused": True},
        {"name": "a JSON string", "frame": '"ready"', "refused": True},
        {"name": "unknown type", "frame": _text({"type": "what"}), "refused": True},
        {"name": "ready without cursor", "frame": _text({"type": "ready"}), "refused": True},
        {"name": "ready with a negative cursor", "frame": _text({"type": "ready", "cursor": -1}),
         "refused": True},
        {"name": "ready with a boolean cursor",
         "frame": _text({"type": "ready", "cursor": True}), "refused": True},
        {"name": "ready with a string cursor", "frame": _text({"type": "ready", "cursor": "3"}),
         "refused": True},
        {"name": "deliver with an empty envelope", "frame": _text(deliver | {"envelope": ""}),
         "refused": True},
        {"name": "deliver without tag",
         "frame": _text({k: v for k, v in deliver.items() if k != "tag"}), "refused": True},
        {"name": "deliver with seq as a string", "frame": _text(deliver | {"seq": "4"}),
         "refused": True},
        {"name": "accepted without any id", "frame": _text({"type": "accepted", "ts": "t"}),
         "refused": True},
        {"name": "error without code", "frame": _text({"type": "error", "message": "m"}),
         "refused": True},
    ]  # fmt: skip


def _scenarios(room: str, me: str, peer: str, outgoing: list[tuple[str, str]],
               incoming: list[tuple[str, str]]) -> list[Json]:  # fmt: skip
    (m0, e0), (m1, e1) = outgoing
    (i0, f0), (i1, f1) = incoming
    outbox = [{"id": m0, "room": room, "envelope": e0}, {"id": m1, "room": room, "envelope": e1}]
    auth = {"type": "auth", "token": "ph1_token"}
    connect = {"connect": "ph1_token", "writes": [auth], "events": []}

    def ready(cursor: int, writes: list[Json], outbox_ids: list[str]) -> Json:
        return {"receive": _text({"type": "ready", "cursor": cursor}), "writes": writes,
                "events": [["connected", cursor]], "outbox": outbox_ids}  # fmt: skip

    def accepted(message_id: str) -> str:
        return _text({"type": "accepted", "client_id": message_id, "id": _SERVER_ID, "ts": _TS})

    def error(code: str, ref: str | None) -> str:
        frame: Json = {"type": "error", "code": code, "message": "for people"}
        return _text(frame if ref is None else frame | {"ref": ref})

    def send(envelope: str) -> Json:
        return {"type": "send", "envelope": envelope}

    def sync(after: int) -> Json:
        return {"type": "sync", "after": after}

    def ack(*ids: str) -> Json:
        return {"type": "ack", "ids": list(ids)}

    lost: Json = {"lost": True, "writes": [], "events": []}
    return [
        {
            "name": "the outbox is sent in order after ready, and again after a reconnect",
            "room": room, "me": me, "peer": peer, "outbox": outbox, "cursor": 0,
            "steps": [
                connect,
                ready(7, [sync(0), send(e0), send(e1)], [m0, m1]),
                {"receive": accepted(m0), "writes": [], "events": [["accepted", m0]],
                 "outbox": [m1]},
                {"receive": accepted(m0), "writes": [], "events": [], "outbox": [m1]},
                lost,
                connect,
                ready(7, [sync(0), send(e1)], [m1]),
                {"receive": accepted(m1), "writes": [], "events": [["accepted", m1]],
                 "outbox": []},
            ],
        },
        {
            "name": "a final error ends a send; any other is retried after the next ready",
            "room": room, "me": me, "peer": peer, "outbox": outbox, "cursor": 0,
            "steps": [
                connect,
                ready(0, [sync(0), send(e0), send(e1)], [m0, m1]),
                {"receive": error("unavailable", m0), "writes": [],
                 "events": [["error", "unavailable", m0]], "outbox": [m0, m1]},
                {"receive": error("a_code_from_a_newer_server", m0), "writes": [],
                 "events": [["error", "a_code_from_a_newer_server", m0]], "outbox": [m0, m1]},
                {"receive": error("room_closed", m1), "writes": [],
                 "events": [["failed", m1, "room_closed"]], "outbox": [m0]},
                {"receive": error("too_large", "not-in-the-outbox"), "writes": [],
                 "events": [["error", "too_large", "not-in-the-outbox"]], "outbox": [m0]},
                {"receive": error("malformed", None), "writes": [],
                 "events": [["error", "malformed", None]], "outbox": [m0]},
                lost,
                connect,
                ready(0, [sync(0), send(e0)], [m0]),
            ],
        },
        {
            "name": "a delivery is acknowledged once stored, and shown once",
            "room": room, "me": me, "peer": peer, "outbox": [], "cursor": 0,
            "steps": [
                connect,
                ready(2, [sync(0)], []),
                {"receive": _deliver(_D1, 1, room, peer, f0), "writes": [ack(_D1)],
                 "events": [["received", _D1, i0]]},
                {"receive": _deliver(_D1, 1, room, peer, f0), "writes": [ack(_D1)],
                 "events": []},
                {"receive": _deliver(_D2, 2, room, peer, f0), "writes": [ack(_D2)],
                 "events": []},
                {"receive": _deliver(_D3, 3, room, peer, f1), "writes": [ack(_D3)],
                 "events": [["received", _D3, i1]]},
                {"receive": _text({"type": "synced", "cursor": 3}), "writes": [],
                 "events": [["synced", 3]]},
                lost,
                connect,
                ready(3, [sync(3)], []),
                {"receive": _deliver(_D3, 3, room, peer, f1), "writes": [ack(_D3)],
                 "events": []},
            ],
        },
        {
            "name": "a delivery that cannot be used is recorded and acknowledged, not shown",
            "room": room, "me": me, "peer": peer, "outbox": [], "cursor": 0,
            "steps": [
                connect,
                ready(0, [sync(0)], []),
                {"receive": _deliver(_D1, 1, room, "someone-else", f0), "writes": [ack(_D1)],
                 "events": [["undecryptable", _D1, "MismatchedEnvelope"]]},
                {"receive": _deliver(_D2, 2, room, peer, "{}"), "writes": [ack(_D2)],
                 "events": [["undecryptable", _D2, "DecodeError"]]},
                {"receive": _deliver(_D2, 2, room, peer, "{}"), "writes": [ack(_D2)],
                 "events": []},
                {"receive": _deliver(_D4, 4, room, peer, f0), "writes": [ack(_D4)],
                 "events": [["received", _D4, i0]]},
            ],
        },
        {
            "name": "frames out of place are refused and change nothing",
            "room": room, "me": me, "peer": peer, "outbox": outbox[:1], "cursor": 0,
            "steps": [
                connect,
                {"receive": accepted(m0), "writes": [], "events": [["violation"]],
                 "outbox": [m0]},
                {"receive": "nope", "writes": [], "events": [["violation"]]},
                ready(0, [sync(0), send(e0)], [m0]),
                {"receive": _text({"type": "ready", "cursor": 0}), "writes": [],
                 "events": [["violation"]]},
                {"receive": _text({"type": "notify", "event": "offer", "data": {}}),
                 "writes": [], "events": [["notify", "offer"]]},
                {"receive": _text({"type": "pong"}), "writes": [], "events": []},
            ],
        },
    ]  # fmt: skip


def relay_transcript(
    *, room: str, me: str, peer: str, outgoing: list[tuple[str, str]],
    incoming: list[tuple[str, str]],
) -> Json:  # fmt: skip
    """The ``relay`` section. ``outgoing``: two (envelope id, encoded envelope) this account
    made in ``room``; ``incoming``: two the peer made for it (the first of type ``prekey``)."""
    return {
        "close_codes": [{"name": code.name, "code": int(code)} for code in CloseCode],
        "error_codes": [
            {"code": str(code), "final": code in FINAL_SEND_ERRORS} for code in ErrorCode
        ],
        "max_ack_ids": MAX_ACK_IDS,
        "client_frames": _client_frames(outgoing[0][1]),
        "server_frames": _server_frames(room, peer, incoming[0][1]),
        "scenarios": _scenarios(room, me, peer, outgoing, incoming),
    }
