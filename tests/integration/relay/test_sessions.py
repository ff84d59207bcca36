"""An open socket ends with its session: at the token's expiry, on logout, on revocation and on
account disable, on every worker (4001). Until then, other sessions of the account stay open."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.accounts import auth
from tests.integration.flows import Flow, build_flow
from tests.integration.peers import custom_world
from tests.integration.sockets import Socket, closed_with, open_socket, token
from tests.world import World

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def still_open(socket: Socket) -> bool:
    await socket.send({"type": "ping"})
    return (await socket.expect("pong"))["type"] == "pong"


def short_token(world: World, account_id: str, seconds: float) -> str:
    async def issue(session: Any) -> str:
        issued = await auth.issue_token(
            session, account_id=uuid.UUID(account_id), ttl=timedelta(seconds=seconds),
            now=datetime.now(UTC),
        )  # fmt: skip
        return issued.token

    value: str = world.run(issue)
    return value


@SQLITE_ONLY
async def test_a_socket_closes_when_its_token_expires_even_if_it_says_nothing(
    world: World, flow: Flow
) -> None:
    account = flow.clinician.me["account_id"]
    brief = await open_socket(world.server.base_url, short_token(world, account, 1.5))
    lasting = await open_socket(world.server.base_url, token(flow.clinician))
    assert await closed_with(brief) == 4001  # no frame sent: the server's own timer
    assert await still_open(lasting)
    await lasting.close()


@SQLITE_ONLY
async def test_a_lost_end_of_session_is_caught_by_the_periodic_check(
    database_url: str, tmp_path: Path
) -> None:
    with custom_world(database_url, tmp_path, ws_session_check_seconds=0.2) as world:
        flow = build_flow(world, tmp_path)
        alice = await open_socket(world.server.base_url, token(flow.clinician))
        bob = await open_socket(world.server.base_url, token(flow.supporter))

        async def disable(session: Any) -> None:  # in the database only: nobody is told
            account = uuid.UUID(flow.clinician.me["account_id"])
            await auth.disable_account(session, account_id=account, now=datetime.now(UTC))

        world.run(disable)
        assert await closed_with(alice) == 4001
        assert await still_open(bob)
        await bob.close()
        flow.clinician.client.close()
        flow.supporter.client.close()


async def test_logout_and_disable_close_the_sockets_on_every_worker(
    two_workers: tuple[World, str], tmp_path: Path, redis_server: Any
) -> None:
    world, other_worker = two_workers
    flow = build_flow(world, tmp_path / "clients")
    first = token(flow.clinician)
    flow.clinician.client.login()  # a second session (another device, say)
    second = token(flow.clinician)
    assert first != second
    here = await open_socket(world.server.base_url, first)
    there = await open_socket(other_worker, first)
    other_session = await open_socket(other_worker, second)
    bob = await open_socket(other_worker, token(flow.supporter))

    logout = httpx.delete(f"{world.server.base_url}/api/v1/auth/tokens/current",
                          headers={"Authorization": f"Bearer {first}"})  # fmt: skip
    assert logout.status_code == 204
    assert await closed_with(here) == 4001
    assert await closed_with(there) == 4001  # the other worker heard it through Redis
    assert await still_open(other_session)  # only that token's sockets

    # The operator disables the account (the default session check is a minute away).
    env = {**os.environ, "PEERHAVEN_DATABASE_URL": world.url,
           "PEERHAVEN_REDIS_URL": redis_server.url, "PEERHAVEN_DATA_DIR": str(tmp_path / "var")}
    disabled = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server.cli", "admin", "account", "disable",
         "--id", flow.clinician.me["account_id"]],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert disabled.returncode == 0, disabled.stderr
    assert await closed_with(other_session) == 4001
    assert await still_open(bob)
    again = await open_socket(other_worker, second, ready=False)
    assert await closed_with(again) == 4001  # and it cannot come back
    await bob.close()
    flow.clinician.client.close()
    flow.supporter.client.close()
