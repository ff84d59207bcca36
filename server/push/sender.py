"""Sending pushes: encrypt the fixed notice of a kind to each of an account's subscriptions
(`pywebpush`: RFC 8291 aes128gcm, VAPID RFC 8292) and POST it to the push service.

`PushSender.push` never blocks the caller and never raises: a push is a hint, the truth stays
in the API and the mailbox. Sends run as tasks that `stop()` cancels. A push service answering
404 or 410 means the subscription is gone; it is deleted. Logs name subscription ids, never an
endpoint (an endpoint is a capability URL).

"New message" is sent only when a delivery is still unacknowledged after
`push_message_delay_seconds` (a recipient with the app open has acked it by then, and its page
shows its own notice when hidden), and at most once per `push_message_cooldown_seconds` per
account. The checks are one sweep per process, not a task per recipient: recipients wait in
arrival order, and each wake-up asks the database once which of those whose delay is over still
have an unacknowledged delivery and a subscription (a busy relay costs one query per wake-up,
not one per recipient; most recipients have no subscription at all). In one process; with several
workers each keeps its own cooldown.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import sqlalchemy as sa
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush_async
from sqlmodel import col, select

from crypto.encoding import b64encode
from server.config import Settings
from server.db.engine import Database
from server.db.models import MailboxEntry, PushSubscription
from server.push import subscriptions
from server.push.kinds import PushKind, payload

__all__ = ["GONE", "PushSender", "vapid_subject"]

log = logging.getLogger(__name__)

GONE = frozenset({404, 410})


def vapid_subject(settings: Settings) -> str:
    """The VAPID `sub` claim: the configured contact, else the public origin when https."""
    if settings.vapid_subject:
        return settings.vapid_subject
    if urlsplit(settings.origin).scheme == "https":
        return settings.origin
    return "mailto:push@peerhaven.invalid"


class PushSender:
    """Sends content-free pushes for an app. Build once; `stop()` on shutdown."""

    def __init__(
        self,
        db: Database,
        *,
        settings: Settings,
        vapid_private_key: bytes,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._settings = settings
        self._vapid = Vapid02.from_raw(b64encode(vapid_private_key).encode())
        self._clock = clock
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_message: dict[uuid.UUID, float] = {}
        self._pruned_at = time.monotonic()
        self._waiting: dict[uuid.UUID, float] = {}  # recipient → when stored (arrival order)
        self._sweeper: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"PushSender(tasks={len(self._tasks)})"

    def push(self, account_id: uuid.UUID, kind: PushKind) -> None:
        """Send `kind`'s notice to every subscription of the account, in the background."""
        if self._settings.push_enabled:
            self._spawn(self.send(account_id, kind))

    def message_stored(self, recipient_id: uuid.UUID, delivery_id: uuid.UUID) -> None:
        """A delivery (`delivery_id`) was stored for `recipient_id`: push "New message" if the
        account still has an unacknowledged delivery after the delay."""
        if not self._settings.push_enabled or recipient_id in self._waiting:
            return
        now = time.monotonic()
        last = self._last_message.get(recipient_id)
        if last is not None and now - last < self._settings.push_message_cooldown_seconds:
            return
        self._waiting[recipient_id] = now
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        self._waiting.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sweep(self) -> None:
        """Until nobody waits: sleep until the oldest waiter's delay is over, then check every
        waiter whose delay is over with one query and push to those still unread."""
        delay = self._settings.push_message_delay_seconds
        while self._waiting:
            oldest = next(iter(self._waiting.values()))
            await asyncio.sleep(max(0.0, oldest + delay - time.monotonic()))
            now = time.monotonic()
            due = [who for who, stored in self._waiting.items() if stored + delay <= now]
            try:
                unread = await self._unread_with_subscription(due)
            except Exception as exc:  # a hint must never take the sweep down
                log.warning("push: unread check failed (%s)", type(exc).__name__)
                unread = set()
            for who in due:
                del self._waiting[who]
            cooldown = self._settings.push_message_cooldown_seconds
            if now - self._pruned_at >= cooldown:  # forget cooled accounts, once per cooldown
                self._pruned_at = now
                self._last_message = {
                    who: at for who, at in self._last_message.items() if now - at < cooldown
                }
            for who in unread:
                self._last_message[who] = now
                self._spawn(self.send(who, PushKind.MESSAGE))

    async def _unread_with_subscription(self, accounts: list[uuid.UUID]) -> set[uuid.UUID]:
        """Those of `accounts` with an unacknowledged delivery and at least one subscription."""
        if not accounts:
            return set()
        unread = sa.exists().where(
            col(MailboxEntry.recipient_id) == col(PushSubscription.account_id)
        )
        async with self._db.session() as session:
            found = await session.exec(
                select(PushSubscription.account_id)
                .where(col(PushSubscription.account_id).in_(accounts), unread)
                .distinct()
            )
            return set(found.all())

    async def send(self, account_id: uuid.UUID, kind: PushKind) -> int:
        """Send now and wait; returns how many push services accepted it. Never raises."""
        try:
            async with self._db.session() as session:
                targets = await subscriptions.list_for(session, account_id=account_id)
            if not targets:
                return 0
            results = await asyncio.gather(*(self._send_one(t, kind) for t in targets))
            gone = [t.id for t, status in zip(targets, results, strict=True) if status in GONE]
            if gone:
                async with self._db.session() as session:
                    await subscriptions.delete_gone(session, subscription_ids=gone)
                    await session.commit()
                log.info("push: %s subscriptions gone, removed", len(gone))
            return sum(1 for status in results if status is not None and status < 300)
        except Exception as exc:  # a hint must never take a caller down
            log.warning("push %s to account %s failed (%s)", kind.value, account_id,
                        type(exc).__name__)  # fmt: skip
            return 0

    async def _send_one(self, target: PushSubscription, kind: PushKind) -> int | None:
        """The push service's status code, or None when it could not be reached."""
        if self._http is None:
            self._http = aiohttp.ClientSession()
        info = {
            "endpoint": target.endpoint,
            "keys": {"p256dh": b64encode(target.p256dh), "auth": b64encode(target.auth)},
        }
        try:
            response = await webpush_async(
                info,
                data=payload(kind).decode(),
                vapid_private_key=self._vapid,
                vapid_claims={"sub": vapid_subject(self._settings)},
                ttl=self._settings.push_ttl_seconds,
                timeout=aiohttp.ClientTimeout(total=self._settings.push_timeout_seconds),
                headers={"Urgency": "high"},
                aiohttp_session=self._http,
            )
        except WebPushException as exc:
            status: int | None = exc.status_code
            if status not in GONE:
                log.warning("push to subscription %s refused (%s)", target.id, status)
            return status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("push to subscription %s failed (%s)", target.id, type(exc).__name__)
            return None
        status_code = getattr(response, "status", None)
        return int(status_code) if status_code is not None else None
