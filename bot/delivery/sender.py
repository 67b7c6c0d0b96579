"""The outbox sender: delivers what state changes owe people, urgent lane first.

Rows are written by the call-out service in the same transaction as the change. Workers claim the
most urgent due row (briefings, alerts and edits before the broadcast fan-out), hand it to the
messenger of its address's transport (through the router) and record that transport's message
id. Expected delivery failures have names
(bot.delivery.messenger); a 429 waits the time the service asks, a network failure retries with
backoff, a person who blocked the bot is marked unreachable and the rest goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.delivery.messages import OutgoingMessage
from bot.delivery.messenger import (
    DeliveryError,
    MessageGone,
    NotModified,
    RetryLater,
    TransientFailure,
    Unreachable,
)
from bot.delivery.payload import decode, encode
from bot.delivery.router import MessengerRouter
from storage.clock import Clock
from storage.database import StorageFault
from storage.models import Address
from storage.outbox import OutboxRow, OutboxStore

__all__ = ["OutboxSender"]

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_CAP = timedelta(minutes=2)
EDIT_WAIT = timedelta(milliseconds=300)
# While the database refuses writes (bot.storage_health tells the leaders), how often to try
# again to claim a row or to record what happened to one.
STORAGE_RETRY = 2.0


class OutboxSender:
    """Drains the outbox with a few concurrent workers (one message in flight per chat)."""

    def __init__(self, store: OutboxStore, router: MessengerRouter, clock: Clock, *,
                 on_unreachable: Callable[[Address], Awaitable[None]] | None = None,
                 workers: int = 8, idle_poll: float = 1.0) -> None:
        self.store = _RecordingUntilSaved(store)
        self.router = router
        self.clock = clock
        self.on_unreachable = on_unreachable
        self.worker_count = workers
        self.idle_poll = idle_poll
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        # Also told of every commit that owes people messages (e.g. the intake, whose
        # requesters follow the call-outs those commits change).
        self.on_wake: list[Callable[[], None]] = []

    def wake(self) -> None:
        """Tells the workers new rows were committed."""
        self._wake.set()
        for observer in self.on_wake:
            observer()

    async def defer(self, address: Address, messages: list[OutgoingMessage],
                    wait: float) -> None:
        """Takes over messages a transport could not send at once (a direct reply that met a
        flood wait or a network failure): urgent lane, in order, due after `wait` seconds."""
        now = self.clock()
        await self.store.defer(address, [encode(message) for message in messages],
                               not_before=now + timedelta(seconds=wait), now=now)
        self.wake()

    async def start(self) -> None:
        """Puts crash-interrupted rows back and starts the workers."""
        released = await self.store.release_in_flight()
        if released:
            logger.warning("outbox: %d message(s) interrupted by a restart will be sent again",
                           released)
        self._tasks = [asyncio.create_task(self._work(index), name=f"outbox-{index}")
                       for index in range(self.worker_count)]
        self.wake()

    async def stop(self, grace: float = 0.0) -> None:
        """Stops claiming rows, lets the deliveries in flight end for up to `grace` seconds,
        then stops the workers; a row cut short is released at the next start."""
        self._stopping = True
        self._wake.set()
        if grace > 0 and self._tasks:
            await asyncio.wait(self._tasks, timeout=grace)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def drain(self, limit: float = 30.0) -> None:
        """Waits until nothing is pending or in flight (for tests, the demo and shutdown)."""
        async with asyncio.timeout(limit):
            while await self.store.pending_count():
                self.wake()
                await asyncio.sleep(0.02)

    async def _work(self, index: int) -> None:
        while not self._stopping:
            try:
                row = await self.store.claim_next(self.clock())
            except StorageFault as fault:
                logger.debug("outbox: cannot claim while the database is %s", fault.kind)
                await asyncio.sleep(STORAGE_RETRY)
                continue
            except Exception:
                logger.exception("outbox: claiming failed")
                await asyncio.sleep(self.idle_poll)
                continue
            if row is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.idle_poll):
                        await self._wake.wait()
                continue
            # Other workers may have idled while this one was busy: let one of them look too.
            self._wake.set()
            await self._deliver(row)

    async def _deliver(self, row: OutboxRow) -> None:
        now = self.clock()
        try:
            if row.op == "send":
                message_id = await self.router.send(row.address, decode(row.payload))
                await self.store.mark_sent(row.id, message_id, self.clock())
            elif row.target_ref is None:
                # The row names the message itself (e.g. the request a reminder replaces).
                message_id = str(json.loads(row.payload)["message_id"])
                await self.router.delete(row.address, message_id)
                await self.store.mark_sent(row.id, message_id, self.clock())
            else:
                where, message_id, target_address = await self.store.target_of(row.target_ref)
                if where == "waiting":
                    # The message to change is still on its way; come back shortly.
                    await self.store.retry_later(row.id, now + EDIT_WAIT, None,
                                                 count_attempt=False)
                    return
                if where == "gone" or message_id is None:
                    await self.store.mark_done(row.id, "skipped", "nothing to edit")
                    return
                if row.op == "edit":
                    changed = await self.router.edit(target_address, message_id,
                                                     decode(row.payload))
                    if changed is not None:
                        # Sent in parts and now in more or fewer: later edits must see them all.
                        await self.store.retarget(row.target_ref, message_id, changed)
                        message_id = changed
                else:
                    await self.router.delete(target_address, message_id)
                await self.store.mark_sent(row.id, message_id, self.clock())
        except RetryLater as exc:
            logger.warning("outbox: flood control, retrying row %d in %.1fs", row.id, exc.seconds)
            await self.store.retry_later(row.id, now + timedelta(seconds=exc.seconds), str(exc),
                                         count_attempt=False)
            return
        except NotModified:
            await self.store.mark_sent(row.id, None, self.clock())
            return
        except MessageGone as exc:
            await self.store.mark_done(row.id, "skipped", str(exc))
            return
        except Unreachable as exc:
            logger.warning("outbox: row %d: %s unreachable (%s)", row.id, row.address.transport,
                           exc)
            await self.store.mark_done(row.id, "failed", str(exc))
            if self.on_unreachable is not None:
                await self.on_unreachable(row.address)
            if row.op == "send" and (other := await self.store.reroute(row)) is not None:
                # Linked on another transport too: the message goes there instead.
                logger.info("outbox: row %d sent again through %s", row.id, other.transport)
                self.wake()
            return
        except TransientFailure as exc:
            if row.attempts >= MAX_ATTEMPTS:
                logger.error("outbox: giving up on row %d after %d attempts: %s", row.id,
                             row.attempts, exc)
                await self.store.mark_done(row.id, "failed", str(exc))
                return
            delay = min(timedelta(seconds=2 ** (row.attempts - 1)), BACKOFF_CAP)
            logger.warning("outbox: row %d failed (%s), retry in %ss", row.id, exc,
                           delay.total_seconds())
            await self.store.retry_later(row.id, now + delay, str(exc))
            return
        except DeliveryError as exc:
            logger.error("outbox: row %d refused: %s", row.id, exc)
            await self.store.mark_done(row.id, "failed", str(exc))
            return
        except Exception:
            logger.exception("outbox: unexpected failure on row %d", row.id)
            await self.store.mark_done(row.id, "failed", "unexpected error")


class _RecordingUntilSaved:
    """The outbox store, except that recording what happened to a row is tried until the
    database takes it: a message sent but not recorded as sent would be sent again after a
    restart, and a row left claimed holds back every later message to that person."""

    def __init__(self, store: OutboxStore) -> None:
        self._store = store

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    async def mark_sent(self, *args, **kwargs) -> None:
        await self._until_saved(self._store.mark_sent, *args, **kwargs)

    async def mark_done(self, *args, **kwargs) -> None:
        await self._until_saved(self._store.mark_done, *args, **kwargs)

    async def retry_later(self, *args, **kwargs) -> None:
        await self._until_saved(self._store.retry_later, *args, **kwargs)

    @staticmethod
    async def _until_saved(write: Callable[..., Awaitable[None]], *args, **kwargs) -> None:
        while True:
            try:
                await write(*args, **kwargs)
                return
            except StorageFault as fault:
                logger.warning("outbox: cannot record a row while the database is %s",
                               fault.kind)
                await asyncio.sleep(STORAGE_RETRY)
