"""`peerhaven`: serve, migrate, seed the demo network, administer networks and invites, and
verify the moderation audit log."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from server import demo
from server.accounts import auth, directory, invites
from server.accounts.roles import Role
from server.config import Settings, get_settings
from server.db import migrate
from server.db.engine import Database
from server.errors import ServiceError
from server.moderation import audit
from server.platform.logs import protect_logs, uvicorn_log_config
from server.platform.pubsub import pubsub_from_url
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
    path = settings.data_dir / "demo-invites.txt"

    async def work(session: AsyncSession) -> list[demo.DemoInvite] | None:
        if args.if_empty and not await demo.database_is_empty(session):
            return None
        return await demo.seed_demo(session, now=_now())

    seeded = _run_in_session(settings, work)
    if seeded is None:
        print(f"database already has data; demo invite codes (if seeded here) are in {path}")
        return 0
    demo.write_invites(path, seeded)
    print(f"demo network seeded; invite codes (also in {path}):")
    for invite in seeded:
        print(f"  {invite.institution:24} {invite.role.value:18} {invite.code}")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="peerhaven", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the app (settings from PEERHAVEN_*)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="upgrade the database").set_defaults(handler=cmd_migrate)

    demo_cmd = commands.add_parser("demo", help="seed the demo network")
    demo_cmd.add_argument("--if-empty", action="store_true", help="only when the database is empty")
    demo_cmd.set_defaults(handler=cmd_demo)

    audit_cmd = commands.add_parser("audit", help="the moderation audit log").add_subparsers(
        dest="action", required=True
    )
    audit_cmd.add_parser(
        "verify", help="check the hash chain: detects edited, removed or reordered entries"
    ).set_defaults(handler=cmd_audit_verify)

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
