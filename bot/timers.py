"""Timers that count on the monotonic clock: run a coroutine after a delay, whatever the wall
clock does meanwhile.

One task sleeps until the earliest timer is due (or a new, earlier one is set) and starts each due
job as its own task, earliest first. The time source is injected (bot.timekeeping), so a test
moves time by hand instead of waiting. A sleep is never longer than `MAX_NAP`: should the machine
be suspended, or a test's time jump, the timers catch up within that long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.timekeeping import TimeSource

__all__ = ["Job", "MonotonicTimers"]

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
MAX_NAP = 60.0


class MonotonicTimers:
    """Named one-shot timers; setting a name again replaces its timer."""

    def __init__(self, time: TimeSource) -> None:
        self.time = time
        self._due: dict[str, tuple[float, int, Job]] = {}
        self._order = 0  # ties on the due time run in the order they were set
        self._wake = asyncio.Event()
        self._loop: asyncio.Task | None = None
        self._running: set[asyncio.Task] = set()

    @property
    def started(self) -> bool:
        """Whether the timers are running (set timers wait for `start` otherwise)."""
        return self._loop is not None

    def start(self) -> None:
        """Starts counting."""
        if self._loop is None:
            self._loop = asyncio.create_task(self._run(), name="timers")

    async def stop(self, grace: float = 0.0) -> None:
        """Stops counting (no job starts any more), lets jobs still running end for up to
        `grace` seconds, then cancels the rest; set timers are forgotten."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        if grace > 0 and self._running:
            await asyncio.wait(set(self._running), timeout=grace)
        tasks = list(self._running)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop = None
        self._due.clear()
        self._running.clear()

    def set(self, name: str, delay: float, job: Job) -> None:
        """Runs job once `delay` seconds from now have passed on the monotonic clock."""
        self._order += 1
        self._due[name] = (self.time.monotonic() + max(delay, 0.0), self._order, job)
        self._wake.set()

    def cancel(self, name: str) -> None:
        """Forgets a timer (a job already running goes on)."""
        self._due.pop(name, None)

    def names(self) -> list[str]:
        """The names of the timers still to run."""
        return list(self._due)

    def remaining(self, name: str) -> float | None:
        """Seconds until a timer is due (None if there is no such timer)."""
        entry = self._due.get(name)
        return None if entry is None else entry[0] - self.time.monotonic()

    async def idle(self) -> None:
        """Returns once no timer is due and no job is running (for tests and the demo)."""
        # Polled: jobs start timers of their own, so "idle" is a condition, not one event.
        while self._running or self._overdue():  # noqa: ASYNC110
            await asyncio.sleep(0.005)

    def _overdue(self) -> bool:
        now = self.time.monotonic()
        return any(when <= now for when, _, _ in self._due.values())

    async def _run(self) -> None:
        while True:
            now = self.time.monotonic()
            due = sorted((when, order, name) for name, (when, order, _) in self._due.items()
                         if when <= now)
            for _, _, name in due:
                _, _, job = self._due.pop(name)
                task = asyncio.create_task(self._guarded(name, job), name=f"timer {name}")
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            upcoming = min((when for when, _, _ in self._due.values()), default=None)
            self._wake.clear()
            nap = MAX_NAP if upcoming is None else min(max(upcoming - now, 0.0), MAX_NAP)
            await self._sleep_or_wake(nap)

    async def _sleep_or_wake(self, seconds: float) -> None:
        waits = {asyncio.ensure_future(self._wake.wait()),
                 asyncio.ensure_future(self.time.sleep(seconds))}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    @staticmethod
    async def _guarded(name: str, job: Job) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("timer %s failed", name)
