"""Presses the database could not save right away (file full, locked, failing), kept and tried
again for a bounded time, so that a volunteer at 03:00 need not be the one who retries.

The person was already told "received" (the chat handlers answer the press at once); when a try
succeeds they get the real outcome as a message, and if the time runs out they are told plainly
that it was not saved and what to do. Never a silent loss, never a false "confirmed": the outcome
is what the core answered once the change was committed.

Presses are tried one at a time in the order they came, and while any is kept a new press joins
the back of the line, so a Yes pressed first is still decided first when the file takes writes
again. The same press arriving twice (the person pressed again, or the transport delivered the
update again) is kept once.

Kept in memory only, so a crash loses what is kept. Telegram's redelivery does not cover it:
Telegram sends an update again only while the bot has not confirmed it, and polling confirms a
batch with the next getUpdates, right after handing it over (PTB's webhook server answers 200 as
soon as an update is queued), so a press the bot has answered "received" is not sent again. What
redelivery does cover is a crash between fetching a batch and the next poll; such a press comes
again and is handled like any other (the same press kept twice is kept once). On a clean stop
every kept press gets its "not saved, please press again", so nobody is left waiting in silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.delivery.messages import OutgoingMessage
from bot.delivery.router import MessengerRouter
from bot.timekeeping import TimeSource
from storage.database import StorageFault
from storage.models import Address

__all__ = ["KeptPresses"]

logger = logging.getLogger(__name__)

Attempt = Callable[[], Awaitable[list[OutgoingMessage]]]
RETRY_EVERY = timedelta(seconds=2)


@dataclass(slots=True)
class _Kept:
    key: tuple[str, str]
    address: Address
    attempt: Attempt
    not_saved: Callable[[], list[OutgoingMessage]]
    until: float  # monotonic seconds


class KeptPresses:
    """A line of presses waiting for the database, tried again until saved or out of time."""

    def __init__(self, router: MessengerRouter, time: TimeSource, retry_for: timedelta, *,
                 retry_every: timedelta = RETRY_EVERY) -> None:
        self.router = router
        self.time = time
        self.retry_for = retry_for
        self.retry_every = retry_every
        self._line: list[_Kept] = []
        self._worker: asyncio.Task | None = None

    @property
    def waiting(self) -> bool:
        """Whether any press is kept (a new press then joins the line)."""
        return bool(self._line)

    def __len__(self) -> int:
        return len(self._line)

    def has(self, address: Address, choice: str) -> bool:
        """Whether this press (this person, this choice) is already kept."""
        return any(kept.key == (str(address), choice) for kept in self._line)

    def keep(self, address: Address, choice: str, attempt: Attempt,
             not_saved: Callable[[], list[OutgoingMessage]]) -> bool:
        """Keeps a press to try again; False if the same press is kept already."""
        if self.has(address, choice):
            return False
        until = self.time.monotonic() + self.retry_for.total_seconds()
        self._line.append(_Kept((str(address), choice), address, attempt, not_saved, until))
        logger.warning("press kept until the database takes writes (kept=%d)", len(self._line))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name="kept-presses")
        return True

    async def idle(self) -> None:
        """Returns once no press is kept (for tests)."""
        while self._line:  # noqa: ASYNC110 - polled by tests; the line changes in many places
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        """Stops trying; each kept press is told it was not saved."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        line, self._line = self._line, []
        for kept in line:
            await self._send(kept, kept.not_saved())

    async def _work(self) -> None:
        while self._line:
            kept = self._line[0]
            try:
                outcome = await kept.attempt()
            except StorageFault as fault:
                if self.time.monotonic() >= kept.until:
                    logger.error("kept press not saved in %ss (%s); the person is told",
                                 self.retry_for.total_seconds(), fault.kind)
                    self._line.pop(0)
                    await self._send(kept, kept.not_saved())
                else:
                    await self.time.sleep(self.retry_every.total_seconds())
                continue
            except Exception:
                logger.exception("kept press failed")
                self._line.pop(0)
                await self._send(kept, kept.not_saved())
                continue
            self._line.pop(0)
            logger.info("kept press saved (still kept=%d)", len(self._line))
            await self._send(kept, outcome)

    async def _send(self, kept: _Kept, messages: list[OutgoingMessage]) -> None:
        for message in messages:
            try:
                await self.router.send(kept.address, message)
            except Exception as error:
                logger.warning("could not send a kept press's outcome: %s", error)
