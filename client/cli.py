"""A terminal client: `python -m client --server URL --keys DIR COMMAND …`.

Each command logs in with the device key (kept in DIR, sealed under the passphrase from
`PEERHAVEN_PASSPHRASE` or a prompt) and prints the server's answer as JSON. `chat` is
interactive: ask for support or accept an offer, then talk end-to-end encrypted through the
relay (type /help inside). `start` and `answer` complete X3DH by hand, without the relay.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from client.api import Peerhaven
from client.chat import Chat
from client.connection import RelayClient
from client.errors import ApiError
from client.keyfolder import KeyFolder
from crypto import CryptoError, Envelope
from crypto import primitives as p

__all__ = ["main"]

KDF = {
    "moderate": (p.ARGON2ID_OPSLIMIT_MODERATE, p.ARGON2ID_MEMLIMIT_MODERATE),
    "insecure-minimum": (p.ARGON2ID_OPSLIMIT_MIN, p.ARGON2ID_MEMLIMIT_MIN),  # tests only
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m client", description=__doc__)
    parser.add_argument("--server", default="http://127.0.0.1:8000")
    parser.add_argument(
        "--origin",
        default=None,
        help="the deployment's public origin, if --server is another address of it; "
        "what logins sign (default: the origin of --server)",
    )
    parser.add_argument("--keys", type=Path, required=True, help="folder for sealed keystores")
    parser.add_argument(
        "--kdf",
        choices=sorted(KDF),
        default="moderate",
        help="Argon2id strength of keystores written now (the minimum is for tests only)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    register = commands.add_parser("register", help="redeem an invite code")
    register.add_argument("code")
    commands.add_parser("me", help="your account")
    profile = commands.add_parser("profile", help="set your profile")
    profile.add_argument("--specialty", required=True)
    profile.add_argument("--years", type=int, required=True)
    profile.add_argument("--stage", required=True, help="e.g. resident, mid-career, senior")
    profile.add_argument("--languages", default="en", help="comma-separated ISO 639-1 codes")
    profile.add_argument("--time-zone", default="UTC")
    supporter = commands.add_parser("supporter-profile", help="set expertise and caps")
    supporter.add_argument("--topics", default="", help="comma-separated topic codes")
    supporter.add_argument("--concurrent", type=int, default=2)
    supporter.add_argument("--weekly", type=int, default=3)
    available = commands.add_parser("available", help="toggle availability")
    available.add_argument("state", choices=["on", "off"])
    ask = commands.add_parser("ask", help="ask for support")
    ask.add_argument("topics", nargs="+")
    ask.add_argument("--urgency", default="routine", choices=["routine", "soon", "urgent"])
    for name in ("status", "cancel"):
        commands.add_parser(name, help=f"{name} a request").add_argument("target")
    commands.add_parser("offers", help="your pending offers")
    for name in ("accept", "decline"):
        commands.add_parser(name, help=f"{name} an offer").add_argument("target")
    commands.add_parser("rooms", help="your rooms")
    for name in ("join", "start", "safety-number", "leave", "close", "block"):
        commands.add_parser(name, help=f"{name} (a room)").add_argument("target")
    answer = commands.add_parser("answer", help="accept the peer's first envelope")
    answer.add_argument("target")
    answer.add_argument("envelope", help="the `envelope` string printed by the peer's `start`")
    chat = commands.add_parser("chat", help="interactive end-to-end encrypted chat (/help inside)")
    chat.add_argument("--room", help="enter this room at once")
    return parser


async def _stdin_lines() -> AsyncIterator[str]:
    """Lines typed on stdin, read by a thread so the event loop keeps receiving."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def put(line: str | None) -> None:
        try:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        except RuntimeError:  # the loop has finished
            pass

    def read() -> None:
        for line in sys.stdin:
            put(line)
        put(None)

    threading.Thread(target=read, name="stdin", daemon=True).start()
    while (line := await lines.get()) is not None:
        yield line


async def _chat(client: Peerhaven, room: str | None) -> int:
    def write(line: str) -> None:
        print(line, flush=True)

    async with RelayClient(client) as relay:
        return await Chat(client, relay, write).run(_stdin_lines(), room=room)


def _run(client: Peerhaven, args: argparse.Namespace) -> Any:
    command = args.command
    if command == "register":
        return client.register(args.code)
    client.login()
    simple = {
        "me": client.me,
        "offers": client.offers,
        "rooms": client.rooms,
    }
    if command in simple:
        return simple[command]()
    if command == "profile":
        return client.set_profile(
            specialty=args.specialty,
            years_experience=args.years,
            career_stage=args.stage,
            languages=[code for code in args.languages.split(",") if code],
            time_zone=args.time_zone,
        )
    if command == "supporter-profile":
        return client.set_supporter_profile(
            topic_expertise=[t for t in args.topics.split(",") if t],
            concurrent_cap=args.concurrent,
            weekly_cap=args.weekly,
        )
    if command == "available":
        return client.set_available(args.state == "on")
    if command == "ask":
        return client.request_support(args.topics, urgency=args.urgency)
    by_id = {
        "status": client.request_status,
        "cancel": client.cancel_request,
        "accept": client.accept_offer,
        "decline": client.decline_offer,
        "join": client.join_room,
        "leave": client.leave_room,
        "close": client.close_room,
        "block": client.block_peer,
    }
    if command in by_id:
        return by_id[command](args.target)
    if command == "safety-number":
        return {"safety_number": client.safety_number(args.target)}
    if command == "start":
        session = client.start_session(args.target)
        return {"envelope": session.encrypt(b"hello").encode().decode("ascii")}
    if command == "answer":
        _session, message = client.accept_session(args.target, Envelope.decode(args.envelope))
        return {"established": True, "first_message": message.plaintext.decode("utf-8", "replace")}
    raise AssertionError(command)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    passphrase = os.environ.get("PEERHAVEN_PASSPHRASE") or getpass.getpass("Keystore passphrase: ")
    opslimit, memlimit = KDF[args.kdf]
    keys = KeyFolder(args.keys, passphrase, opslimit=opslimit, memlimit=memlimit)
    with Peerhaven(args.server, keys=keys, origin=args.origin) as client:
        try:
            if args.command == "chat":
                client.login()
                return asyncio.run(_chat(client, args.room))
            result = _run(client, args)
        except ApiError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except (CryptoError, RuntimeError, ValueError) as exc:
            print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130
    print(json.dumps(result, indent=2))
    return 0
