"""Cross-node delivery against local delivery, in the same run; and catch-up after an outage.

Two Peerhaven nodes run as their own processes (`peerhaven serve`, SQLite each, peered by the
`peerhaven federation` CLI). The Python SDK makes two pairs: a local pair (clinician and supporter
both on node A) and a cross-node pair (a clinician on A whose request is forwarded to a
supporter on B). Then one process drives them at the WebSocket protocol level with opaque
1 KiB envelopes (the server never decrypts, so client crypto is not what is measured): both
pairs at once, interleaved, half the total rate each, on an open-loop schedule; latency is the
intended send time → `deliver` at the recipient (one clock). Then, in the same run, node B is
stopped, the cross-node clinician sends a backlog that node A accepts, node B comes back after
the outage, and the catch-up is the time from B's return until every envelope has arrived; the
run checks each arrived exactly once and in send order (and counts any duplicate for a second
after the last).

    .venv/bin/python -m bench.federation                 # 200 msg/s for 20 s; 10,000 after 30 s
    .venv/bin/python -m bench.federation --quick         # a smoke run
    .venv/bin/python -m bench.federation --rate 200 --seconds 30 --backlog 2000 --outage 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

from client import KeyFolder, Peerhaven
from crypto import Envelope, EnvelopeType
from crypto.primitives import ARGON2ID_MEMLIMIT_MIN, ARGON2ID_OPSLIMIT_MIN
from crypto.ratchet import RatchetHeader

__all__ = ["main"]

FAST = {
    "PEERHAVEN_FEDERATION_AVAILABILITY_SECONDS": "0.5",
    "PEERHAVEN_FEDERATION_OUTBOX_SECONDS": "0.5",
    "PEERHAVEN_FEDERATION_RETRY_BASE_SECONDS": "0.2",
    "PEERHAVEN_FEDERATION_RETRY_MAX_SECONDS": "2",
    "PEERHAVEN_FEDERATION_OUTBOX_BATCH": "200",
    "PEERHAVEN_LOG_LEVEL": "WARNING",
    "PEERHAVEN_WS_MESSAGES_PER_SECOND": "10000",
    "PEERHAVEN_WS_BURST": "100000",
    "PEERHAVEN_SQLITE_SYNCHRONOUS": "NORMAL",
    "PEERHAVEN_WS_CONNECTIONS_PER_ACCOUNT": "100",
}
# A socket waits for each send's commit before it reads the next frame: senders spread over
# several sockets, as many clients would, so commits group (as in bench.relay).
SOCKETS_PER_SENDER = 16


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Node:
    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        folder.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            **FAST,
            "PEERHAVEN_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'node.db'}",
            "PEERHAVEN_DATA_DIR": str(folder),
            "PEERHAVEN_PUBLIC_ORIGIN": self.url,
            "PEERHAVEN_PORT": str(self.port),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "server.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return out.stdout.strip()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"node {self.name} did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def fingerprint(self) -> str:
        return self.cli("federation", "node").split()[-1]

    def seed(self) -> None:
        self.cli("migrate")
        self.cli("admin", "network", "create", "--slug", f"{self.name}-net", "--name", self.name)
        for key in ("1", "2"):
            self.cli(
                "admin",
                "institution",
                "create",
                "--network",
                f"{self.name}-net",
                "--slug",
                f"{self.name}-{key}",
                "--name",
                f"{self.name} {key}",
            )

    def person(self, folder: Path, role: str, institution: str, languages: list[str]) -> Peerhaven:
        code = self.cli(
            "admin",
            "invite",
            "create",
            "--institution",
            f"{self.name}-{institution}",
            "--role",
            role,
        )
        keys = KeyFolder(
            folder,
            "a long enough passphrase",
            opslimit=ARGON2ID_OPSLIMIT_MIN,
            memlimit=ARGON2ID_MEMLIMIT_MIN,
        )
        api = Peerhaven(self.url, keys=keys)
        api.register(code, origin=self.url)
        api.login()
        stage = "senior" if role == "supporter" else "resident"
        api.set_profile(
            specialty="207P00000X",
            years_experience=15 if role == "supporter" else 4,
            career_stage=stage,
            languages=languages,
            time_zone="UTC",
        )
        if role == "supporter":
            api.set_supporter_profile(topic_expertise=["adverse-event"])
        return api


@contextmanager
def nodes(tmp: Path) -> Iterator[tuple[Node, Node]]:
    a, b = Node("alpha", tmp / "a"), Node("beta", tmp / "b")
    with ExitStack() as stack:
        for n in (a, b):
            n.seed()
            n.start()
            stack.callback(n.stop)
        a.cli(
            "federation",
            "peer",
            "add",
            "--network",
            "alpha-net",
            "--url",
            b.url,
            "--fingerprint",
            b.fingerprint(),
        )
        b.cli(
            "federation",
            "peer",
            "add",
            "--network",
            "beta-net",
            "--url",
            a.url,
            "--fingerprint",
            a.fingerprint(),
        )
        yield a, b


def pair(asker: Peerhaven, helper: Peerhaven, *, wait: float = 30) -> str:
    request = asker.request_support(["adverse-event"])
    deadline = time.monotonic() + wait
    while not (offers := helper.offers()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no offer reached the supporter (request {request['status']})")
        time.sleep(0.2)
    room: str = helper.accept_offer(offers[0]["id"])["id"]
    while asker.request_status(request["id"])["status"] != "matched":
        if time.monotonic() > deadline:
            raise RuntimeError("the room did not reach the requester's node")
        time.sleep(0.1)
    helper.join_room(room)
    asker.join_room(room)
    return room


@dataclass
class Side:
    """One end of a pair at the wire: its token, its room member id and a socket."""

    url: str
    token: str
    member: str
    room: str
    socket: ClientConnection | None = None
    seen: list[float] = field(default_factory=list)
    # (envelope index, delivery id) as delivered: the wire may repeat a delivery (at least
    # once, e.g. a sync after the server's own push on connect); a second delivery id for one
    # envelope would be a real duplicate.
    order: list[tuple[int, str]] = field(default_factory=list)
    extra: list[ClientConnection] = field(default_factory=list)


class Wire:
    """Envelopes at the protocol level (the server never decrypts; clients' crypto is not what
    is measured): ids carry the index, the schedule's intended send time is the start."""

    def __init__(self) -> None:
        self.run = os.urandom(4).hex()
        self.payload = os.urandom(1024)
        self.header = RatchetHeader(dh=os.urandom(32), pn=0, n=0)
        self.intended: dict[int, float] = {}

    def frame(self, side: Side, index: int) -> str:
        envelope = Envelope(
            type=EnvelopeType.MESSAGE,
            room=side.room,
            sender=side.member,
            message_id=f"{self.run}m{index}",
            header=self.header,
            ciphertext=self.payload,
            commitment=self.payload[:32],
        )
        return json.dumps({"type": "send", "envelope": envelope.encode().decode()})


_ID = re.compile(r'\\"id\\":\\"[0-9a-f]{8}m([0-9]+)\\"')


async def _connect(side: Side) -> ClientConnection:
    ws_url = side.url.replace("http://", "ws://") + "/ws"
    socket = await connect(
        ws_url, proxy=None, compression=None, max_queue=None, open_timeout=30, ping_interval=None
    )
    await socket.send(json.dumps({"type": "auth", "token": side.token}))
    ready = json.loads(await socket.recv())
    if ready.get("type") != "ready":
        raise RuntimeError("the relay refused the connection")
    return socket


async def _open(side: Side, sockets: int = 1) -> None:
    side.socket = await _connect(side)
    side.extra = [side.socket, *[await _connect(side) for _ in range(sockets - 1)]]


async def _read(side: Side, wire: Wire, expected: int) -> None:
    assert side.socket is not None
    acks: list[str] = []
    async for raw in side.socket:
        text = raw if isinstance(raw, str) else raw.decode()
        if '"type":"deliver"' not in text:
            continue
        now = time.perf_counter()
        match = _ID.search(text)
        delivery = json.loads(text)["id"]
        if match is not None:
            side.order.append((int(match.group(1)), delivery))
        if match is not None and (intended := wire.intended.pop(int(match.group(1)), None)):
            side.seen.append(now - intended)
        acks.append(delivery)
        if len(acks) >= 50 or len(side.seen) >= expected:
            await side.socket.send(json.dumps({"type": "ack", "ids": acks}))
            acks = []
        if len(side.seen) >= expected:
            return


def _sides(asker: Peerhaven, helper: Peerhaven, room: str) -> tuple[Side, Side]:
    mine = asker.room(room)["me"]["member_id"]
    theirs = helper.room(room)["me"]["member_id"]
    return (
        Side(str(asker.http.base_url), asker.token, mine, room),
        Side(str(helper.http.base_url), helper.token, theirs, room),
    )


async def measure(
    pairs: dict[str, tuple[Side, Side]], rate: float, seconds: float
) -> dict[str, list[float]]:
    """All pairs at once, `rate` envelopes per second in total, interleaved."""
    wire = Wire()
    for sender, receiver in pairs.values():
        await _open(sender, SOCKETS_PER_SENDER)
        await _open(receiver)
    total = int(rate * seconds)
    per_pair = total // len(pairs)
    readers = [asyncio.create_task(_read(r, wire, per_pair)) for _, r in pairs.values()]
    names = list(pairs)
    start = time.perf_counter() + 0.2
    for index in range(per_pair * len(pairs)):
        intended = start + index / rate
        if (pause := intended - time.perf_counter()) > 0:
            await asyncio.sleep(pause)
        sender = pairs[names[index % len(names)]][0]
        wire.intended[index] = intended
        socket = sender.extra[(index // len(names)) % len(sender.extra)]
        await socket.send(wire.frame(sender, index))
    await asyncio.wait_for(asyncio.gather(*readers), 120)
    for sender, receiver in pairs.values():
        for side in (sender, receiver):
            for socket in side.extra:
                await socket.close()
    return {name: receiver.seen for name, (_, receiver) in pairs.items()}


@dataclass(frozen=True)
class CatchUp:
    took: float  # seconds from node B's return (its start-up included) to the last envelope
    sent: float  # seconds node A took to accept the backlog
    received: int  # distinct envelopes that arrived
    in_order: bool  # first arrivals in send order
    duplicates: int  # envelopes delivered under more than one delivery id (stored twice)
    repeats: int  # wire re-deliveries of a delivery id already seen (at least once, harmless)


async def _extra(side: Side, seconds: float) -> None:
    """Delivers that still arrive within `seconds`, into `side.order`."""
    assert side.socket is not None
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            async for raw in side.socket:
                text = raw if isinstance(raw, str) else raw.decode()
                if '"type":"deliver"' in text and (match := _ID.search(text)):
                    side.order.append((int(match.group(1)), json.loads(text)["id"]))


async def catch_up(b: Node, sender: Side, receiver: Side, backlog: int, outage: float) -> CatchUp:
    """Stop B, send `backlog` envelopes (accepted by A), keep B down for `outage` s in all,
    start B, and read until every envelope arrived."""
    wire = Wire()
    await _open(sender, SOCKETS_PER_SENDER)
    await asyncio.to_thread(b.stop)
    down = time.perf_counter()

    async def accepted(socket: ClientConnection, n: int) -> None:
        while n:
            n -= '"type":"accepted"' in str(await socket.recv())

    # Answers are read while sending, so the sockets stay responsive (keepalive pings).
    shares = [len(range(i, backlog, len(sender.extra))) for i in range(len(sender.extra))]
    readers = [
        asyncio.create_task(accepted(s, n)) for s, n in zip(sender.extra, shares, strict=True)
    ]
    for index in range(backlog):
        wire.intended[index] = time.perf_counter()
        await sender.extra[index % len(sender.extra)].send(wire.frame(sender, index))
        if index % 100 == 99:
            await asyncio.sleep(0)
    await asyncio.gather(*readers)
    sent = time.perf_counter() - down
    await asyncio.sleep(max(0.0, outage - sent))
    await asyncio.to_thread(b.start)
    back = time.perf_counter()
    receiver.seen, receiver.order = [], []
    await _open(receiver)
    assert receiver.socket is not None
    await receiver.socket.send(json.dumps({"type": "sync", "after": 0}))
    await asyncio.wait_for(_read(receiver, wire, backlog), 300)
    took = time.perf_counter() - back
    await _extra(receiver, 1.0)
    first = list(dict.fromkeys(index for index, _ in receiver.order))
    stored: dict[int, set[str]] = {}
    for index, delivery in receiver.order:
        stored.setdefault(index, set()).add(delivery)
    duplicates = sum(1 for ids in stored.values() if len(ids) > 1)
    for socket in (*sender.extra, receiver.socket):
        await socket.close()
    return CatchUp(
        took=took, sent=sent, received=len(first), in_order=first == list(range(backlog)),
        duplicates=duplicates, repeats=len(receiver.order) - len(first) - duplicates,
    )  # fmt: skip


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--outage", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.backlog, args.outage = 3.0, 200, 2.0
    with tempfile.TemporaryDirectory(prefix="peerhaven-fed-") as tmp, nodes(Path(tmp)) as (a, b):
        people = Path(tmp) / "people"
        local = (
            a.person(people / "l1", "clinician", "1", ["en"]),
            a.person(people / "l2", "supporter", "2", ["en"]),
        )
        cross = (
            a.person(people / "c1", "clinician", "2", ["de"]),
            b.person(people / "c2", "supporter", "1", ["de"]),
        )
        time.sleep(1.5)  # availability counts reach node A
        pairs = {"local": _sides(*local, pair(*local)), "cross-node": _sides(*cross, pair(*cross))}
        result = asyncio.run(measure(pairs, args.rate, args.seconds))
        caught = asyncio.run(catch_up(b, *pairs["cross-node"], args.backlog, args.outage))
        for api in (*local, *cross):
            api.close()
    print(
        f"{args.rate:.0f} msg/s in total for {args.seconds:.0f} s, half local, half cross-node, "
        "interleaved; latency from the intended send time to `deliver` at the recipient.\n"
    )
    print("| path | messages | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for name, values in result.items():
        print(
            f"| {name} | {len(values)} | {_pct(values, 0.5):.1f} | {_pct(values, 0.99):.1f} "
            f"| {max(values) * 1000:.1f} |"
        )
    ratio = _pct(result["cross-node"], 0.99) / _pct(result["local"], 0.99)
    mean = statistics.mean(result["cross-node"]) / statistics.mean(result["local"])
    print(f"\ncross-node / local: p99 {ratio:.2f}x, mean {mean:.2f}x\n")
    print(
        f"catch-up: {args.backlog} envelopes accepted by node A while node B was down "
        f"({args.outage:.0f} s outage; accepting them took {caught.sent:.1f} s); "
        f"{caught.received} arrived {caught.took:.2f} s after node B was back (its start-up "
        f"included), {caught.received / caught.took:.0f} envelopes/s; in order: "
        f"{'yes' if caught.in_order else 'NO'}; stored twice: {caught.duplicates}; wire "
        f"re-deliveries (same delivery id, dropped by clients): {caught.repeats}."
    )
    return 0 if caught.in_order and not caught.duplicates else 1


if __name__ == "__main__":
    sys.exit(main())
