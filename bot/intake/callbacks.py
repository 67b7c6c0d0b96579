"""Callbacks: a caller who gave a callback URL gets a signed POST of the status on each change.

The follower compares each followed request's status with the last one owed (a fingerprint on the
request row) and queues a row per change in the same transaction as that fingerprint, so a
restart neither loses nor repeats one. The sender posts the rows in order per request, outside
any transaction, signed the Standard Webhooks way (webhook-id, webhook-timestamp,
webhook-signature), and retries a failure with growing pauses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.intake.keys import sign
from storage.clock import Clock
from storage.database import Database
from storage.intake import CallbackRow, IntakeStore, enqueue_callback

if TYPE_CHECKING:
    import aiohttp

__all__ = ["CallbackSender"]

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # about half an hour of retries with the pauses below
BACKOFF_CAP = timedelta(minutes=10)
IDLE_POLL = 30.0  # seconds; a change normally pokes the follower at once
TIMEOUT = 10.0  # seconds for one POST


class CallbackSender:
    """Queues a callback for every change of a followed request and delivers them."""

    def __init__(self, database: Database, clock: Clock, status_of) -> None:
        self.db = database
        self.clock = clock
        self.store = IntakeStore(database)
        self.status_of = status_of  # IntakeService.status
        self._poked = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._session: aiohttp.ClientSession | None = None

    def poke(self) -> None:
        """Something may have changed: look at the followed requests again."""
        self._poked.set()

    async def start(self) -> None:
        """Starts following and delivering (what a restart left pending first)."""
        # Imported here: only a bot with the intake switched on needs an HTTP client for it,
        # and every start-up of the others stays as quick as before.
        import aiohttp

        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT))
        self._task = asyncio.create_task(self._run(), name="intake-callbacks")
        self.poke()

    async def stop(self) -> None:
        """Stops; pending callbacks stay in the database for the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        """Follows and delivers whenever poked, or when the next retry is due."""
        while True:
            self._poked.clear()
            try:
                await self.follow()
                while await self.deliver_one():
                    pass
            except Exception:
                logger.exception("intake callbacks: a round failed")
            due = await self.store.next_callback_due()
            wait = IDLE_POLL if due is None else max(0.05, min(
                IDLE_POLL, (due - self.clock()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._poked.wait()

    async def follow(self) -> int:
        """Queues a callback for each followed request whose status changed; returns how many."""
        queued = 0
        for record in await self.store.followed():
            status = await self.status_of(record)
            fingerprint = status.fingerprint()
            if fingerprint == record.notified:
                continue
            payload = status.model_dump_json()
            async with self.db.transaction() as tx:
                await enqueue_callback(tx, record.id, payload, fingerprint, self.clock())
            queued += 1
        return queued

    async def deliver_one(self) -> bool:
        """Posts the next due callback; False when none is due."""
        row = await self.store.claim_callback(self.clock())
        if row is None:
            return False
        error = await self._post(row)
        now = self.clock()
        if error is None:
            await self.store.callback_done(row.id, "sent", now)
        elif row.attempts + 1 >= MAX_ATTEMPTS:
            logger.error("intake callback %d for request %d given up: %s", row.id,
                         row.intake_id, error)
            await self.store.callback_done(row.id, "failed", now, error)
        else:
            delay = min(timedelta(seconds=2 ** row.attempts), BACKOFF_CAP)
            logger.warning("intake callback %d failed (%s); retry in %ss", row.id, error,
                           delay.total_seconds())
            await self.store.callback_later(row.id, now + delay, error)
        return True

    async def _post(self, row: CallbackRow) -> str | None:
        """One attempt; None when the caller took it (any 2xx), else what went wrong."""
        import aiohttp

        body = row.payload.encode()
        message_id = f"posom-callback-{row.id}"
        stamp = int(time.time())
        headers = {"content-type": "application/json", "webhook-id": message_id,
                   "webhook-timestamp": str(stamp),
                   "webhook-signature": sign(row.secret, message_id, stamp, body)}
        try:
            async with self._session.post(row.url, data=body, headers=headers,
                                          allow_redirects=False) as response:
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return type(exc).__name__
        except Exception as exc:
            # Retried like any failure, so one odd URL cannot spin the sender.
            logger.exception("intake callback %d: unexpected failure", row.id)
            return type(exc).__name__
