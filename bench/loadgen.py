"""An open-loop load generator for the relay, run as its own process.

Messages are scheduled at a fixed total rate, each with an *intended* send time; latency is
measured at the recipient from that intended time, so a server that stalls cannot hide its tail
(no coordinated omission). Each connection has its own send queue, so one slow socket does not
slow the schedule. Recipients acknowledge deliveries in batches every 100 ms, as a client would.

    python -m bench.loadgen PLAN.json --rate 1000 --seconds 5 > result.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram
from websockets.asyncio.client import ClientConnection, connect

from crypto import Envelope, EnvelopeType
from crypto.ratchet import RatchetHeader

__all__ = ["main"]

# The envelope travels as a JSON string inside the frame, so its quotes arrive escaped.
_ID = re.compile(r'\\"id\\":\\"[0-9a-f]{8}m([0-9]+)\\"')
ENVELOPE_CIPHERTEXT = 1024


@dataclass
class Endpoint:
    """One connection: who it is and how it sends."""

    spec: dict[str, Any]
    socket: ClientConnection | None = None
    outbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    acks: list[str] = field(default_factory=list)


class Run:
    def __init__(self, plan: dict[str, Any], rate: float, seconds: float, warmup: float) -> None:
        self.plan = plan
        self.rate = rate
        self.seconds = seconds
        self.warmup = warmup
        self.histogram = HdrHistogram(1, 120_000_000, 3)  # microseconds
        self.intended: dict[int, float] = {}
        self.received = 0
        self.measured_sent = 0
        self.errors = 0
        self.closed: dict[str, int] = {}  # close code -> connections the server closed early
        self.payload = os.urandom(ENVELOPE_CIPHERTEXT)
        # Ids must be new in every run: the relay (rightly) treats a known id as a re-send.
        self.run_id = os.urandom(4).hex()
        self.header = RatchetHeader(dh=os.urandom(32), pn=0, n=0)

    def envelope(self, sender: dict[str, Any], index: int) -> str:
        if self.plan["mode"] == "baseline":
            room, device = "00000000-0000-0000-0000-000000000000", "baseline"
        else:
            room, device = sender["room"], sender["member"]
        envelope = Envelope(
            type=EnvelopeType.MESSAGE, room=room, sender=device,
            message_id=f"{self.run_id}m{index}", header=self.header, ciphertext=self.payload,
            commitment=self.payload[:32],
        )  # fmt: skip
        return envelope.encode().decode()

    async def open(self, endpoint: Endpoint, url: str) -> None:
        socket = await connect(url, proxy=None, compression=None, max_queue=None,
                               open_timeout=60, ping_interval=None)  # fmt: skip
        spec = endpoint.spec
        if self.plan["mode"] == "baseline":
            join = {"type": "join", "name": spec["name"], "peer": spec["peer"]}
            await socket.send(json.dumps(join))
        else:
            await socket.send(json.dumps({"type": "auth", "token": spec["token"]}))
        ready = json.loads(await socket.recv())
        if ready.get("type") != "ready":
            raise RuntimeError(f"connection refused: {ready}")
        if self.plan["mode"] != "baseline":
            # As every client does after `ready` (live deliveries wait for it when the mailbox
            # holds older ones, here an earlier run's leftovers, which the generator declines).
            await socket.send(json.dumps({"type": "sync", "after": ready["cursor"]}))
        endpoint.socket = socket

    async def writer(self, endpoint: Endpoint) -> None:
        assert endpoint.socket is not None
        while True:
            frame = await endpoint.outbox.get()
            await endpoint.socket.send(frame)

    async def reader(self, endpoint: Endpoint) -> None:
        assert endpoint.socket is not None
        async for raw in endpoint.socket:
            text = raw if isinstance(raw, str) else raw.decode()
            if '"type":"deliver"' not in text:
                if '"type":"error"' in text:
                    self.errors += 1
                continue
            now = time.perf_counter()
            match = _ID.search(text)
            if match is None:
                continue
            intended = self.intended.pop(int(match.group(1)), None)
            if intended is not None:
                self.histogram.record_value(max(1, int((now - intended) * 1e6)))
                self.received += 1
            frame = json.loads(text)
            endpoint.acks.append(frame["id"])
        code = endpoint.socket.close_code
        self.closed[str(code)] = self.closed.get(str(code), 0) + 1

    async def acker(self, endpoints: list[Endpoint]) -> None:
        while True:
            await asyncio.sleep(0.1)
            for endpoint in endpoints:
                if endpoint.acks:
                    ids, endpoint.acks = endpoint.acks[:500], endpoint.acks[500:]
                    endpoint.outbox.put_nowait(json.dumps({"type": "ack", "ids": ids}))

    async def schedule(self, senders: list[Endpoint]) -> None:
        start = time.perf_counter() + 0.2
        total = int(self.rate * (self.warmup + self.seconds))
        warm = int(self.rate * self.warmup)
        for index in range(total):
            intended = start + index / self.rate
            delay = intended - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            endpoint = senders[index % len(senders)]
            if index >= warm:
                self.intended[index] = intended
                self.measured_sent += 1
            endpoint.outbox.put_nowait(
                '{"type":"send","envelope":' + json.dumps(self.envelope(endpoint.spec, index)) + "}"
            )

    async def run(self) -> dict[str, Any]:
        url = self.plan["url"]
        endpoints = [Endpoint(spec) for pair in self.plan["pairs"] for spec in pair]
        opening = asyncio.Semaphore(50)

        async def open_one(endpoint: Endpoint) -> None:
            async with opening:
                await self.open(endpoint, url)

        opened = time.perf_counter()
        await asyncio.gather(*(open_one(e) for e in endpoints))
        opened = time.perf_counter() - opened
        tasks = [asyncio.create_task(self.writer(e)) for e in endpoints]
        tasks += [asyncio.create_task(self.reader(e)) for e in endpoints]
        tasks.append(asyncio.create_task(self.acker(endpoints)))
        began = time.perf_counter()
        await self.schedule(endpoints)
        sent_for = time.perf_counter() - began
        deadline = time.perf_counter() + 10
        while self.intended and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        lost = len(self.intended)
        for task in tasks:
            task.cancel()
        closing = (e.socket.close() for e in endpoints if e.socket)
        await asyncio.gather(*closing, return_exceptions=True)
        h = self.histogram
        return {
            "rate": self.rate, "connections": len(endpoints), "sent": self.measured_sent,
            "received": self.received, "lost": lost, "errors": self.errors,
            "closed_early": self.closed,
            "send_seconds": round(sent_for, 3), "open_seconds": round(opened, 3),
            "p50_ms": h.get_value_at_percentile(50) / 1000,
            "p99_ms": h.get_value_at_percentile(99) / 1000,
            "p999_ms": h.get_value_at_percentile(99.9) / 1000,
            "max_ms": h.get_max_value() / 1000,
        }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("plan")
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args(argv)
    with open(args.plan) as handle:
        plan = json.load(handle)
    import uvloop

    result = uvloop.run(Run(plan, args.rate, args.seconds, args.warmup).run())
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
