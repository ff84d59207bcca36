"""`peerhaven`: serve, migrate, seed the demo network, administer networks and invites, verify
the moderation audit log, and sign check-in intake requests."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from server import demo
from server.accounts import auth, directory, invites
from server.accounts.roles import Role
from server.checkins import signatures
from server.checkins.keys import CheckinKeys
from server.checkins.signatures import signature_header
from server.config import Settings, get_settings
from server.db import migrate
from server.db.engine import Database
from server.errors import NotFound, ServiceError
from server.federation import handshake, peering
from server.federation.gateway import Gateway
from server.moderation import audit
from server.platform.logs import protect_logs, uvicorn_log_config
from server.platform.pubsub import pubsub_from_url
from server.platform.secrets import load_server_keys
from server.platform.sessions import PubSubSessions

__all__ = ["main"]

T = TypeVar("T")


def _run_in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        try:
            async with db.session() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await db.dispose()

    return asyncio.run(run())


def _now() -> datetime:
    return datetime.now(UTC)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from server.app import uvicorn_options

    uvicorn.run(
        "server.app:create_app_from_env",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        # uvicorn kills a worker that misses its supervisor's ping for this long; its default
        # (5 s) is shorter than a worker's start on a busy host, which then restarts forever.
        timeout_worker_healthcheck=args.worker_timeout,
        log_config=uvicorn_log_config(settings.log_level),
        proxy_headers=True,
        **uvicorn_options(settings),
    )
    return 0


def cmd_migrate(_args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings.database_url)
    print("database is at the latest migration")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    if args.federated:
        print("two peered nodes; Ctrl-C stops both")
        try:
            asyncio.run(demo.run_federated(
                settings.data_dir, host=settings.host, ports=(args.port, args.port + 1),
                now=_now(), say=print,
            ))  # fmt: skip
        except KeyboardInterrupt:
            pass
        return 0
    path = settings.data_dir / "demo-invites.txt"

    keys = CheckinKeys(load_server_keys(settings).checkins_secret)
    now = _now()

    async def work(
        session: AsyncSession,
    ) -> tuple[list[demo.DemoInvite], demo.DemoCredential] | None:
        if args.if_empty and not await demo.database_is_empty(session):
            return None
        invites = await demo.seed_demo(session, now=now)
        return invites, await demo.seed_demo_credential(session, keys=keys, now=now)

    seeded = _run_in_session(settings, work)
    if seeded is None:
        print(f"database already has data; demo invite codes (if seeded here) are in {path}")
        return 0
    invites, credential = seeded
    demo.write_invites(path, invites)
    print(f"demo network seeded; invite codes (also in {path}):")
    for invite in invites:
        print(f"  {invite.institution:24} {invite.role.value:18} {invite.code}")
    print("moderation: the first moderator code is on primary duty and the second on backup, "
          "as soon as the moderator console has opened on their device.")  # fmt: skip
    curl = demo.write_checkins(settings.data_dir, credential, origin=settings.origin, now=now)
    print(f"\ncheck-ins: an integration credential for {credential.institution} "
          f"(also in {settings.data_dir / 'demo-checkins.txt'}).")  # fmt: skip
    print(f"link the staff identifier {demo.DEMO_STAFF_IDENTIFIER} as a Riverside clinician, "
          "then post a sample AdverseEvent (bash):")  # fmt: skip
    print(curl)
    return 0


def cmd_checkins_sign(args: argparse.Namespace, _settings: Settings) -> int:
    """Print the four signature headers for a body, one per line (for curl's `-H @file`)."""
    secret = os.environ.get("PEERHAVEN_INTEGRATION_SECRET", "")
    if args.secret_file:
        secret = Path(args.secret_file).read_text().strip()
    if not secret:
        raise ServiceError("give --secret-file or set PEERHAVEN_INTEGRATION_SECRET")
    body = sys.stdin.buffer.read() if args.body == "-" else Path(args.body).read_bytes()
    nonce = args.nonce or secrets.token_urlsafe(18)
    timestamp = args.timestamp if args.timestamp is not None else int(time.time())
    header = signature_header(secret, nonce=nonce, timestamp=timestamp, body=body)
    print(f"{signatures.CREDENTIAL_HEADER}: {args.credential}")
    print(f"{signatures.TIMESTAMP_HEADER}: {timestamp}")
    print(f"{signatures.NONCE_HEADER}: {nonce}")
    print(f"{signatures.SIGNATURE_HEADER}: {header}")
    return 0


def cmd_network_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(session: AsyncSession) -> str:
        network = await directory.create_network(
            session, slug=args.slug, name=args.name, now=_now()
        )
        return str(network.id)

    print(_run_in_session(settings, work))
    return 0


def cmd_institution_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(session: AsyncSession) -> str:
        network = await directory.network_by_slug(session, slug=args.network)
        if network is None:
            raise ServiceError(f"no network with slug {args.network!r}")
        institution = await directory.create_institution(
            session, network_id=network.id, slug=args.slug, name=args.name, now=_now()
        )
        return str(institution.id)

    print(_run_in_session(settings, work))
    return 0


def cmd_invite_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(session: AsyncSession) -> str:
        institution = await directory.institution_by_slug(session, slug=args.institution)
        if institution is None:
            raise ServiceError(f"no institution with slug {args.institution!r}")
        issued = await invites.create_invite(
            session,
            actor=None,
            institution_id=institution.id,
            role=Role(args.role),
            ttl=timedelta(hours=args.hours or settings.invite_ttl_hours),
            now=_now(),
            max_open=settings.max_open_invites_per_institution,
        )
        return issued.code

    print(_run_in_session(settings, work))
    return 0


def cmd_account_disable(args: argparse.Namespace, settings: Settings) -> int:
    """Disable an account and revoke its tokens, then close its sockets on every worker (through
    Redis when configured; otherwise each socket's periodic session check closes it)."""
    account_id = uuid.UUID(args.id)

    async def work(session: AsyncSession) -> None:
        await auth.disable_account(session, account_id=account_id, now=_now())

    _run_in_session(settings, work)

    async def tell() -> None:
        pubsub = pubsub_from_url(settings.redis_url)
        await pubsub.start()
        try:
            await PubSubSessions(pubsub)(account_id)
        finally:
            await pubsub.stop()

    asyncio.run(tell())
    print(f"account {account_id} disabled; its sessions are ended")
    return 0


def cmd_audit_verify(_args: argparse.Namespace, settings: Settings) -> int:
    """Walk the audit log's hash chain; exit 1 naming each entry that breaks it."""
    report = _run_in_session(settings, lambda session: audit.verify_chain(session))
    if report.intact:
        print(f"audit log intact: {report.entries} entries, head {report.head.hex()}")
        print("(record the head elsewhere: a later run must find it in the chain)")
        return 0
    for problem in report.problems:
        print(f"audit log: {problem}", file=sys.stderr)
    print(f"audit log BROKEN: {len(report.problems)} problem(s) in {report.entries} entries",
          file=sys.stderr)  # fmt: skip
    return 1


def _gateway(settings: Settings) -> Gateway:
    return Gateway(settings, node_key=load_server_keys(settings).node_key, clock=_now)


def cmd_federation_node(_args: argparse.Namespace, settings: Settings) -> int:
    identity = _gateway(settings).identity
    print(f"name         {identity.name}")
    print(f"fingerprint  {identity.fingerprint}")
    return 0


def _with_gateway(settings: Settings, work: Callable[[Database, Gateway], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        gateway = _gateway(settings)
        try:
            return await work(db, gateway)
        finally:
            await gateway.close()
            await db.dispose()

    return asyncio.run(run())


async def _network_id(db: Database, slug: str) -> uuid.UUID:
    async with db.session() as session:
        network = await directory.network_by_slug(session, slug=slug)
    if network is None:
        raise NotFound(f"no network with slug {slug!r}")
    return network.id


def cmd_peer_add(args: argparse.Namespace, settings: Settings) -> int:
    async def work(db: Database, gateway: Gateway) -> str:
        peer = await handshake.peer_with(
            db, gateway.transport, network_id=await _network_id(db, args.network), url=args.url,
            fingerprint=args.fingerprint, now=_now(),
        )  # fmt: skip
        return f"{peer.id} {peer.url} {peer.status}"

    print(_with_gateway(settings, work))
    return 0


def cmd_peer_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(db: Database, _gateway: Gateway) -> list[str]:
        network_id = await _network_id(db, args.network)
        async with db.session() as session:
            found = await peering.list_peers(session, network_id=network_id)
        return [f"{p.id} {p.status:8} {p.url} {p.fingerprint}" for p in found]

    for line in _with_gateway(settings, work):
        print(line)
    return 0


def cmd_peer_revoke(args: argparse.Namespace, settings: Settings) -> int:
    async def work(db: Database, gateway: Gateway) -> str:
        network_id = await _network_id(db, args.network)
        async with db.session() as session:
            found = await peering.list_peers(session, network_id=network_id)
        match = [p for p in found if p.url == args.url.rstrip("/").lower()]
        if not match:
            raise NotFound("no such peer in this network")
        peer = await handshake.unpeer(
            db, gateway.transport, network_id=network_id, peer_id=match[0].id, now=_now()
        )
        return f"{peer.id} {peer.url} {peer.status}"

    print(_with_gateway(settings, work))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="peerhaven", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the app (settings from PEERHAVEN_*)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--worker-timeout", type=int, default=60, metavar="SECONDS",
        help="with --workers: how long a worker may miss the supervisor's ping (e.g. starting)",
    )  # fmt: skip
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="upgrade the database").set_defaults(handler=cmd_migrate)

    demo_cmd = commands.add_parser("demo", help="seed the demo network")
    demo_cmd.add_argument("--if-empty", action="store_true", help="only when the database is empty")
    demo_cmd.add_argument(
        "--federated", action="store_true",
        help="serve two peered demo nodes (data_dir/node-a on --port, node-b on --port + 1)",
    )  # fmt: skip
    demo_cmd.add_argument("--port", type=int, default=8000, help="node a's port (--federated)")
    demo_cmd.set_defaults(handler=cmd_demo)

    audit_cmd = commands.add_parser("audit", help="the moderation audit log").add_subparsers(
        dest="action", required=True
    )
    audit_cmd.add_parser(
        "verify", help="check the hash chain: detects edited, removed or reordered entries"
    ).set_defaults(handler=cmd_audit_verify)

    checkins_cmd = commands.add_parser("checkins", help="check-in integration helpers")
    checkins_sub = checkins_cmd.add_subparsers(dest="action", required=True)
    sign = checkins_sub.add_parser(
        "sign", help="print the signature headers an intake request needs (one per line)"
    )
    sign.add_argument("--credential", required=True, help="the integration credential's id")
    sign.add_argument("--secret-file", help="file holding the secret (else the environment "
                      "variable PEERHAVEN_INTEGRATION_SECRET)")  # fmt: skip
    sign.add_argument("--body", required=True, help="the exact body to send ('-': stdin)")
    sign.add_argument("--nonce", help="default: a fresh random one")
    sign.add_argument("--timestamp", type=int, help="Unix seconds; default: now")
    sign.set_defaults(handler=cmd_checkins_sign)

    admin = commands.add_parser("admin", help="operator commands").add_subparsers(
        dest="admin", required=True
    )
    network = admin.add_parser("network").add_subparsers(dest="action", required=True)
    create = network.add_parser("create", help="create a network; prints its id")
    create.add_argument("--slug", required=True)
    create.add_argument("--name", required=True)
    create.set_defaults(handler=cmd_network_create)

    institution = admin.add_parser("institution").add_subparsers(dest="action", required=True)
    create = institution.add_parser("create", help="create an institution; prints its id")
    create.add_argument("--network", required=True, help="network slug")
    create.add_argument("--slug", required=True)
    create.add_argument("--name", required=True)
    create.set_defaults(handler=cmd_institution_create)

    account = admin.add_parser("account").add_subparsers(dest="action", required=True)
    disable = account.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("--id", required=True, help="account id")
    disable.set_defaults(handler=cmd_account_disable)

    invite = admin.add_parser("invite").add_subparsers(dest="action", required=True)
    create = invite.add_parser("create", help="issue an invite code; prints it once")
    create.add_argument("--institution", required=True, help="institution slug")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--hours", type=int, help="lifetime in hours")
    create.set_defaults(handler=cmd_invite_create)

    federation = commands.add_parser("federation", help="this node and its peer nodes")
    fed = federation.add_subparsers(dest="federation", required=True)
    fed.add_parser("node", help="print this node's name and key fingerprint").set_defaults(
        handler=cmd_federation_node
    )
    peer = fed.add_parser("peer", help="the allow-list of peer nodes").add_subparsers(
        dest="action", required=True
    )
    add = peer.add_parser("add", help="peer with a node (active once it allows this node too)")
    add.add_argument("--network", required=True, help="network slug")
    add.add_argument("--url", required=True, help="the peer's origin, e.g. https://node.example")
    add.add_argument("--fingerprint", required=True, help="its key fingerprint, checked apart")
    add.set_defaults(handler=cmd_peer_add)
    listing = peer.add_parser("list", help="list the network's peers")
    listing.add_argument("--network", required=True, help="network slug")
    listing.set_defaults(handler=cmd_peer_list)
    revoke = peer.add_parser("revoke", help="revoke a peering")
    revoke.add_argument("--network", required=True, help="network slug")
    revoke.add_argument("--url", required=True)
    revoke.set_defaults(handler=cmd_peer_revoke)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    protect_logs(protocol_log_interval=settings.ws_protocol_log_interval_seconds)
    handler: Callable[[argparse.Namespace, Settings], int] = args.handler
    try:
        return handler(args, settings)
    except ServiceError as error:
        print(f"peerhaven: {error.detail}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
