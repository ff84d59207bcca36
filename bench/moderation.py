"""Moderation: flag → moderator notification latency, with the relay idle (the baseline, same
run) and while it carries a steady message load, and escalation lateness (fired - deadline).

One Peerhaven process (production mode, SQLite by default); the relay load is `bench.loadgen`
in its own process, open loop. An on-duty primary moderator and a backup listen on the relay;
members flag rooms (crisis) one after another over HTTP. Latency is from just before the flag's
POST to the moderator's `notify` frame. Flags are left unacknowledged, so each escalates to the
backup tier at its deadline: lateness is the escalation's audit time minus (created_at +
deadline), from the database, and the backup's notification time minus the deadline (an upper
bound: measured from before the flag's POST).

    .venv/bin/python -m bench.moderation                  # 500 msg/s, 60 flags a phase
    .venv/bin/python -m bench.moderation --quick          # a smoke run
    .venv/bin/python -m bench.moderation --profile var/moderation.txt   # py-spy, loaded phase
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import select
from websockets.asyncio.client import connect

from bench.servers import Server, run_peerhaven, seed_pairs
from server.accounts import auth
from server.accounts.roles import Role
from server.db.engine import Database
from server.db.models import Account, AuditEntry, Flag, RoomMember, RotaEntry

__all__ = ["main"]

DEADLINE_SECONDS = 2.0


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _moderators(url: str, room_id: str) -> dict[str, str]:
    """A primary and a backup moderator on duty in the seeded network: their tokens."""
    db = Database(url)
    now = datetime.now(UTC)
    tokens = {}
    try:
        async with db.session() as session:
            member = (
                await session.exec(
                    select(RoomMember).where(RoomMember.room_id == uuid.UUID(room_id))
                )
            ).first()
            assert member is not None
            account = await session.get(Account, member.account_id)
            assert account is not None
            network_id = await _network(session, account)
            for tier in ("primary", "backup"):
                moderator = Account(
                    institution_id=account.institution_id, role=Role.MODERATOR.value,
                    identity_key=uuid.uuid4().bytes * 2, created_at=now,
                )  # fmt: skip
                session.add(moderator)
                await session.flush()
                session.add(RotaEntry(account_id=moderator.id, network_id=network_id, tier=tier,
                                      on_duty=True, updated_at=now))  # fmt: skip
                issued = await auth.issue_token(
                    session, account_id=moderator.id, ttl=timedelta(hours=2), now=now
                )
                tokens[tier] = issued.token
            await session.commit()
    finally:
        await db.dispose()
    return tokens


async def _network(session: Any, account: Account) -> uuid.UUID:
    from server.accounts import directory

    institution = await directory.get_institution(session, institution_id=account.institution_id)
    return institution.network_id


async def _listen(url: str, token: str, seen: dict[str, float], change: str) -> None:
    async with connect(url, proxy=None, compression=None, max_size=None) as socket:
        await socket.send(json.dumps({"type": "auth", "token": token}))
        while True:
            frame = json.loads(await socket.recv())
            if frame.get("type") == "ready":
                seen["_ready"] = time.perf_counter()
            if frame.get("type") == "notify" and frame["data"].get("change") == change:
                seen.setdefault(frame["data"]["flag"], time.perf_counter())


async def _phase(server: Server, plan: dict[str, Any], tokens: dict[str, str], flags: int,
                 gap: float) -> dict[str, Any]:  # fmt: skip
    ws = server.url  # the relay: ws://127.0.0.1:PORT/ws
    base = f"http://127.0.0.1:{server.port}"
    raised: dict[str, float] = {}
    escalated: dict[str, float] = {}
    listeners = [
        asyncio.create_task(_listen(ws, tokens["primary"], raised, "raised")),
        asyncio.create_task(_listen(ws, tokens["backup"], escalated, "escalated")),
    ]
    while "_ready" not in raised or "_ready" not in escalated:
        for task in listeners:
            if task.done():
                task.result()  # raises what ended it
        await asyncio.sleep(0.01)
    sent: dict[str, float] = {}
    answered: dict[str, float] = {}
    reads: list[float] = []
    created: dict[str, datetime] = {}
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for i in range(flags):
            member = plan["pairs"][i % len(plan["pairs"])][0]
            started = time.perf_counter()
            response = await http.post(
                f"/api/v1/rooms/{member['room']}/flags", json={"category": "crisis"},
                headers={"Authorization": f"Bearer {member['token']}"},
            )  # fmt: skip
            response.raise_for_status()
            body = response.json()
            sent[body["id"]] = started
            answered[body["id"]] = time.perf_counter()
            # The same-run baseline for the POST: a read of similar weight (membership, network,
            # keys) that takes no write lock. If it is as slow, the process, not the flag's
            # commit, is what waits.
            probe = time.perf_counter()
            (await http.get(f"/api/v1/rooms/{member['room']}/report-keys",
                            headers={"Authorization": f"Bearer {member['token']}"})
             ).raise_for_status()  # fmt: skip
            reads.append((time.perf_counter() - probe) * 1000)
            created[body["id"]] = datetime.fromisoformat(body["created_at"])
            await asyncio.sleep(gap)
        end = time.perf_counter() + DEADLINE_SECONDS + 5
        while time.perf_counter() < end and not set(sent) <= set(escalated):
            await asyncio.sleep(0.05)
    for task in listeners:
        task.cancel()
    latency = [(raised[f] - sent[f]) * 1000 for f in sent if f in raised]
    # How much of it is the POST itself (the flag's transaction and commit).
    post = [(answered[f] - sent[f]) * 1000 for f in sent]
    # The backup hears the escalation: its wall time minus the deadline (perf_counter offsets).
    heard = [(escalated[f] - sent[f] - DEADLINE_SECONDS) * 1000 for f in sent if f in escalated]
    return {"latency_ms": latency, "heard_late_ms": heard, "flags": list(sent), "post_ms": post,
            "read_ms": reads,
            "created": created, "missing": len(sent) - len(latency)}  # fmt: skip


async def _fired_lateness(url: str, flag_ids: list[str]) -> list[float]:
    """Per flag: when the escalation to the backup tier fired (its audit entry, ms) minus its
    deadline (created + the crisis deadline)."""
    db = Database(url)
    wanted = {uuid.UUID(f) for f in flag_ids}
    try:
        async with db.session() as session:
            flags = {f.id: f for f in (await session.exec(select(Flag))).all() if f.id in wanted}
            entries = (
                await session.exec(select(AuditEntry).where(AuditEntry.action == "flag.escalated"))
            ).all()
    finally:
        await db.dispose()
    late = []
    for entry in entries:
        flag = flags.get(uuid.UUID(entry.subject["flag"]))
        if flag is not None and entry.subject["tier"] == "backup":
            due = flag.created_at + timedelta(seconds=DEADLINE_SECONDS)
            late.append((entry.at - due).total_seconds() * 1000)
    return late


def _row(name: str, phase: dict[str, Any], fired: list[float]) -> str:
    lat, heard = phase["latency_ms"], phase["heard_late_ms"]
    return (f"| {name} | {len(lat)} | {_quantile(lat, 0.5):.1f} | {_quantile(lat, 0.99):.1f} | "
            f"{max(lat):.1f} | {_quantile(fired, 0.99):.0f} | {max(fired):.0f} | "
            f"{_quantile(heard, 0.99):.0f} | {_quantile(phase['post_ms'], 0.99):.0f} | "
            f"{_quantile(phase['read_ms'], 0.99):.0f} | "
            f"{phase['missing']} |")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=500.0, help="relay load, messages/s")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--flags", type=int, default=60, help="flags per phase")
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between flags")
    parser.add_argument("--database", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", type=Path,
                        help="py-spy the server in the loaded phase (raw stacks)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.flags, args.connections = 10, 40
    extra = {"PEERHAVEN_MODERATION_ACK_CRISIS_SECONDS": str(DEADLINE_SECONDS)}
    rows = []
    with run_peerhaven(database_url=args.database, extra=extra) as server, \
            tempfile.TemporaryDirectory() as tmp:  # fmt: skip
        assert server.database_url is not None
        plan = seed_pairs(server, args.connections // 2)
        plan_path = Path(tmp) / "plan.json"
        plan_path.write_text(json.dumps(plan))
        tokens = asyncio.run(_moderators(server.database_url, plan["pairs"][0][0]["room"]))
        idle = asyncio.run(_phase(server, plan, tokens, args.flags, args.gap))
        idle_fired = asyncio.run(_fired_lateness(server.database_url, idle["flags"]))
        seconds = args.flags * args.gap + DEADLINE_SECONDS + 4
        load = subprocess.Popen(
            [sys.executable, "-m", "bench.loadgen", str(plan_path), "--rate", str(args.rate),
             "--seconds", str(seconds)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(3.0)  # the generator connects and warms up
        spy = None
        if args.profile is not None:
            spy = subprocess.Popen(
                ["py-spy", "record", "--pid", str(server.process.pid), "--format", "raw",
                 "--duration", str(int(args.flags * args.gap + DEADLINE_SECONDS)),
                 "--rate", "200", "--idle", "--output", str(args.profile)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        loaded = asyncio.run(_phase(server, plan, tokens, args.flags, args.gap))
        if spy is not None:
            spy.wait(timeout=120)
        loaded_fired = asyncio.run(_fired_lateness(server.database_url, loaded["flags"]))
        out, err = load.communicate(timeout=seconds + 120)
        relay = json.loads(out) if load.returncode == 0 else {"error": err[-500:]}
    rows.append(_row("relay idle (baseline)", idle, idle_fired))
    rows.append(_row(f"relay at {args.rate:.0f} msg/s", loaded, loaded_fired))
    print("| relay | flags | notify p50 ms | notify p99 ms | notify max ms | escalation lateness "
          "p99 ms | max ms | backup hears p99 ms late | flag POST p99 ms | read GET p99 ms | "
          "not notified |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row)
    ratio = _quantile(loaded["latency_ms"], 0.99) / _quantile(idle["latency_ms"], 0.99)
    print(f"\nnotification p99 under load / idle: **{ratio:.2f}**")
    if "p99_ms" in relay:
        print(f"relay during the loaded phase: {relay['rate']:.0f} msg/s offered, "
              f"p99 {relay['p99_ms']:.1f} ms, lost {relay['lost']}")  # fmt: skip
    else:
        print(f"relay load generator: {relay}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
