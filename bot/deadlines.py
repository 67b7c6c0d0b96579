"""The alarm clock for deadline rows: APScheduler arms each row, the row decides what happens.

Each deadline fires in one transaction with the work it triggers (`take_deadline` marks it done
there), so arming a row twice — or re-arming every pending row after a restart — acts once. An
overdue row (due while the bot was down) fires as soon as it is armed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import aiosqlite
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from storage.clock import Clock
from storage.database import Database
from storage.deadlines import DeadlineStore, take_deadline
from storage.models import Deadline

__all__ = ["DeadlineHandler", "DeadlineRunner"]

logger = logging.getLogger(__name__)

# A handler does the deadline's work inside the transaction and returns new deadlines to arm.
DeadlineHandler = Callable[[aiosqlite.Connection, Deadline, datetime],
                           Awaitable[list[Deadline]]]
RETRY_AFTER_FAILURE = timedelta(seconds=30)


class DeadlineRunner:
    """Arms pending deadlines and runs the registered handler for each kind when due."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.db = database
        self.clock = clock
        self.store = DeadlineStore(database)
        self.handlers: dict[str, DeadlineHandler] = {}
        self.after_fire: list[Callable[[], None]] = []
        self._scheduler: AsyncIOScheduler | None = None
        self._firing = 0  # deadlines doing their work right now (a stop lets them finish)
        self._idle = asyncio.Event()
        self._idle.set()

    def register(self, kind: str, handler: DeadlineHandler) -> None:
        """Says which coroutine does the work of a kind of deadline."""
        self.handlers[kind] = handler

    async def start(self) -> int:
        """Starts the scheduler and arms every pending deadline; returns how many."""
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._scheduler.start()
        pending = await self.store.pending()
        for deadline in pending:
            self.arm(deadline)
        if pending:
            logger.info("deadlines re-armed count=%d", len(pending))
        return len(pending)

    def armed_count(self) -> int:
        """How many deadline rows are armed in the scheduler right now."""
        if self._scheduler is None:
            return 0
        return sum(1 for job in self._scheduler.get_jobs() if job.id.startswith("deadline-"))

    def every(self, interval: timedelta, job: Callable[[], Awaitable[None]], name: str) -> None:
        """Runs a coroutine at a fixed interval (the watchdog)."""
        self._scheduler.add_job(job, "interval", seconds=interval.total_seconds(), id=name,
                                replace_existing=True, coalesce=True, max_instances=1)

    async def stop(self, grace: float = 0.0) -> None:
        """Stops arming and lets a deadline firing right now finish (for up to `grace`
        seconds); pending rows stay in the database for the next start."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
            await asyncio.sleep(0)
        if grace > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace):
                    await self._idle.wait()

    def arm(self, deadline: Deadline, *, delay: timedelta | None = None) -> None:
        """Schedules a row to fire at its due time (our clock may be offset from the wall)."""
        if self._scheduler is None:
            return  # not started: start() arms every pending row
        wait = delay if delay is not None else deadline.due_at - self.clock()
        run_at = datetime.now(UTC) + max(wait, timedelta())
        self._scheduler.add_job(
            self.fire, DateTrigger(run_at), args=[deadline.id], id=f"deadline-{deadline.id}",
            replace_existing=True, misfire_grace_time=None, coalesce=True)

    async def fire(self, deadline_id: int) -> None:
        """Runs a due deadline once (a row already done or cancelled does nothing)."""
        self._firing += 1
        self._idle.clear()
        try:
            await self._fire(deadline_id)
        finally:
            self._firing -= 1
            if not self._firing:
                self._idle.set()

    async def _fire(self, deadline_id: int) -> None:
        now = self.clock()
        try:
            async with self.db.transaction() as tx:
                deadline = await take_deadline(tx, deadline_id, now)
                if deadline is None:
                    return
                handler = self.handlers.get(deadline.kind)
                if handler is None:
                    logger.error("deadline %d has unknown kind %r", deadline.id, deadline.kind)
                    return
                follow_ups = await handler(tx, deadline, now)
        except Exception:
            # The transaction rolled back, so the row is still pending: try again shortly.
            logger.exception("deadline %d failed; retrying in %ss", deadline_id,
                             RETRY_AFTER_FAILURE.total_seconds())
            if self._scheduler is not None:
                self._scheduler.add_job(
                    self.fire, DateTrigger(datetime.now(UTC) + RETRY_AFTER_FAILURE),
                    args=[deadline_id], id=f"deadline-{deadline_id}", replace_existing=True,
                    misfire_grace_time=None)
            return
        logger.info("deadline fired id=%d kind=%s activation=%s", deadline.id, deadline.kind,
                    deadline.activation_id)
        for follow_up in follow_ups:
            self.arm(follow_up)
        for callback in self.after_fire:
            callback()
