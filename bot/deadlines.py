"""The alarm clock for deadline rows: a monotonic timer arms each row, the row decides what happens.

Each deadline fires in one transaction with the work it triggers (`take_deadline` marks it done
there), so arming a row twice — or re-arming every pending row after a restart — acts once. An
overdue row (due while the bot was down) fires as soon as it is armed.

What a due time means. `due_at` is wall-clock UTC: "now + delay" on the bot's clock when the
row was written. While the bot runs, the row's timer counts that delay on the monotonic clock
(bot.timers), so a wall-clock step neither delays nor hastens it: a reminder set for 5 minutes
comes after 5 minutes. When the clock watch sees the wall clock step by Δ, it moves every pending
due time (and the other times of running call-outs, storage.clock_steps) by Δ, so the row still
says when it will fire by the clock as it now reads, a restart arms the same remaining delay, and
the log says how far the clock moved. A step while the bot is down cannot be seen: after such a
restart a row fires when the wall clock reaches its due time (an overdue row at once).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiosqlite

from bot.timekeeping import STEP_TOLERANCE, SYSTEM_TIME, SteadyClock, TimeSource
from bot.timers import MonotonicTimers
from storage.clock import Clock
from storage.clock_steps import shift_running_times
from storage.database import Database, StorageFault
from storage.deadlines import DeadlineStore, take_deadline
from storage.models import Deadline

__all__ = ["ClockWatch", "DeadlineHandler", "DeadlineRunner"]

logger = logging.getLogger(__name__)

# A handler does the deadline's work inside the transaction and returns new deadlines to arm.
DeadlineHandler = Callable[[aiosqlite.Connection, Deadline, datetime],
                           Awaitable[list[Deadline]]]
RETRY_AFTER_FAILURE = timedelta(seconds=30)
# A full or locked file usually comes back within seconds; try the deadline again sooner.
RETRY_AFTER_STORAGE_FAULT = timedelta(seconds=5)


def _timer_name(deadline_id: int) -> str:
    return f"deadline-{deadline_id}"


class DeadlineRunner:
    """Arms pending deadlines and runs the registered handler for each kind when due."""

    def __init__(self, database: Database, clock: Clock, *,
                 time: TimeSource = SYSTEM_TIME) -> None:
        self.db = database
        self.clock = clock
        self.store = DeadlineStore(database)
        self.timers = MonotonicTimers(time)
        self.handlers: dict[str, DeadlineHandler] = {}
        self.after_fire: list[Callable[[], None]] = []

    def register(self, kind: str, handler: DeadlineHandler) -> None:
        """Says which coroutine does the work of a kind of deadline."""
        self.handlers[kind] = handler

    async def start(self) -> int:
        """Starts the timers and arms every pending deadline; returns how many."""
        self.timers.start()
        armed = await self.rearm()
        if armed:
            logger.info("deadlines re-armed count=%d", armed)
        return armed

    async def rearm(self) -> int:
        """Arms every pending row again from its due time and the bot's clock now."""
        pending = await self.store.pending()
        now = self.clock()
        for deadline in pending:
            self.arm(deadline, delay=deadline.due_at - now)
        return len(pending)

    def armed_count(self) -> int:
        """How many deadline rows are armed right now."""
        return sum(1 for name in self.timers.names() if name.startswith("deadline-"))

    def every(self, interval: timedelta, job: Callable[[], Awaitable[None]], name: str) -> None:
        """Runs a coroutine at a fixed interval of elapsed time (the watchdog)."""
        seconds = interval.total_seconds()

        async def tick() -> None:
            try:
                await job()
            except StorageFault as fault:  # told to the leaders by the storage watch
                logger.warning("%s skipped: the database is %s", name, fault.kind)
            finally:
                # The next run counts from the end of this one: never two at once.
                self.timers.set(name, seconds, tick)

        self.timers.set(name, seconds, tick)

    async def stop(self, grace: float = 0.0) -> None:
        """Stops arming and lets a deadline firing right now finish (for up to `grace`
        seconds); pending rows stay in the database for the next start."""
        await self.timers.stop(grace)

    def arm(self, deadline: Deadline, *, delay: timedelta | None = None) -> None:
        """Arms a row just written: it fires once the delay it was set with has passed.

        The delay is the row's own (due_at - created_at, both read from one clock), not due_at
        against the wall clock now, so a step between writing and arming changes nothing.
        """
        if not self.timers.started:
            return  # not started: start() arms every pending row
        if delay is None:
            delay = deadline.delay if deadline.delay is not None else (
                deadline.due_at - self.clock())
        self.timers.set(_timer_name(deadline.id), delay.total_seconds(),
                        lambda: self.fire(deadline.id))

    async def fire(self, deadline_id: int) -> None:
        """Runs a due deadline once (a row already done or cancelled does nothing)."""
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
        except StorageFault as fault:
            # Rolled back: the row is still pending. The leaders hear of the fault itself.
            logger.warning("deadline %d not run (%s); retrying in %ss", deadline_id, fault.kind,
                           RETRY_AFTER_STORAGE_FAULT.total_seconds())
            self._retry(deadline_id, RETRY_AFTER_STORAGE_FAULT)
            return
        except Exception:
            # The transaction rolled back, so the row is still pending: try again shortly.
            logger.exception("deadline %d failed; retrying in %ss", deadline_id,
                             RETRY_AFTER_FAILURE.total_seconds())
            self._retry(deadline_id, RETRY_AFTER_FAILURE)
            return
        logger.info("deadline fired id=%d kind=%s activation=%s", deadline.id, deadline.kind,
                    deadline.activation_id)
        for follow_up in follow_ups:
            self.arm(follow_up)
        for callback in self.after_fire:
            callback()

    def _retry(self, deadline_id: int, after: timedelta) -> None:
        if self.timers.started:
            self.timers.set(_timer_name(deadline_id), after.total_seconds(),
                            lambda: self.fire(deadline_id))


class ClockWatch:
    """Notices a wall-clock step and moves what is still running by it (see the module doc)."""

    def __init__(self, database: Database, clock: SteadyClock, runner: DeadlineRunner, *,
                 tolerance: timedelta = STEP_TOLERANCE) -> None:
        self.db = database
        self.clock = clock
        self.runner = runner
        self.tolerance = tolerance
        # A step the bot's clock has followed but the rows have not (their write failed).
        self._owed = timedelta()

    async def check(self) -> timedelta | None:
        """Compares the wall and the monotonic clock; after a step, applies it. Returns the
        step applied, or None."""
        if abs(self.clock.moved()) <= self.tolerance and not self._owed:
            return None
        # Follow first, then queue for the write lock in the same step (nothing awaited in
        # between): every writer that read the old "now" is already queued ahead of the shift
        # (asyncio.Lock is first come, first served), and every "now" read after this is on the
        # new scale. A writer that reads "now" and awaits something else before its
        # transaction can still land one row on the old scale; its timer is right anyway
        # (armed from its own delay), only a restart before it fires would be off by the step.
        step = self.clock.follow() + self._owed
        self._owed = step
        try:
            async with self.db.transaction() as tx:
                moved = await shift_running_times(tx, step)
        except StorageFault as fault:
            logger.warning("wall clock stepped %+.1fs; moving the stored times failed (%s), "
                           "trying again at the next check", step.total_seconds(), fault.kind)
            return None
        self._owed = timedelta()
        rearmed = await self.runner.rearm()
        logger.warning("wall clock stepped %+.1fs (monotonic clock unchanged): moved the times "
                       "of %d running call-out(s), %d pending deadline(s) re-armed on their "
                       "remaining delays", step.total_seconds(), moved["activations"], rearmed)
        return step
