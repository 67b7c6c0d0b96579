"""Two clocks, kept apart: the wall clock people read, and the monotonic clock timers count on.

The wall clock (UTC) can jump: an NTP step, a hand-set clock, a virtual machine restored from a
snapshot. The monotonic clock never jumps; it only counts seconds. So every timer counts its
delay on the monotonic clock (bot.deadlines), and the bot's own "now" (`SteadyClock`) is the wall
clock as it read at the last anchoring, carried forward by the monotonic clock. When the two
disagree by more than a couple of seconds the wall clock has stepped; the clock watch
(bot.deadlines.ClockWatch) then moves the stored times of everything still running by the same
step and anchors the bot's clock to the wall again, so durations stay right and no timer moves.

`TimeSource` is the seam tests use: a source the test moves by hand (tests/timecontrol.py)
replaces both clocks and every sleep of the timers, so no test has to wait for real time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["STEP_TOLERANCE", "SYSTEM_TIME", "SteadyClock", "SystemTime", "TimeSource"]

# NTP slews the wall and the monotonic clock alike (at most 0.5 ms a second), so within a
# watchdog minute they agree to a few milliseconds; two seconds apart is a step, not a drift.
STEP_TOLERANCE = timedelta(seconds=2)


class TimeSource(Protocol):
    """Where the bot reads time and waits for it."""

    def wall(self) -> datetime:
        """The machine's wall clock as an aware UTC datetime (it may jump)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (only differences mean anything)."""

    async def sleep(self, seconds: float) -> None:
        """Returns once this many seconds have passed on the monotonic clock."""


class SystemTime:
    """The machine's clocks; asyncio's own timers already count on the monotonic clock."""

    def wall(self) -> datetime:
        """The machine's wall clock in UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Seconds since boot, suspended time included (CLOCK_BOOTTIME where there is one):
        a timer set before a suspend counts the time the machine slept, as people do."""
        return time.clock_gettime(_BOOTTIME) if _BOOTTIME is not None else time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """asyncio.sleep (the event loop's clock; after a suspend the timers' naps are short
        enough to catch up, bot.timers.MAX_NAP)."""
        await asyncio.sleep(max(seconds, 0))


_BOOTTIME = getattr(time, "CLOCK_BOOTTIME", None)
SYSTEM_TIME = SystemTime()


class SteadyClock:
    """The bot's now: the wall clock at the last anchoring plus the monotonic time since.

    Between anchorings it never jumps, so a wall-clock step cannot slip into the times written
    by a call-out half-way; the clock watch notices the step (`moved`) and anchors again
    (`follow`) together with moving the stored times of what is still running.
    """

    def __init__(self, source: TimeSource = SYSTEM_TIME) -> None:
        self.source = source
        self._anchor_wall = source.wall()
        self._anchor_monotonic = source.monotonic()

    def __call__(self) -> datetime:
        """The bot's current time (aware UTC)."""
        elapsed = self.source.monotonic() - self._anchor_monotonic
        return self._anchor_wall + timedelta(seconds=elapsed)

    def moved(self) -> timedelta:
        """How far the wall clock is from the bot's clock now (positive: the wall is ahead)."""
        return self.source.wall() - self()

    def follow(self) -> timedelta:
        """Anchors the bot's clock to the wall clock again; returns how far it moved."""
        moved = self.moved()
        self._anchor_wall = self.source.wall()
        self._anchor_monotonic = self.source.monotonic()
        return moved
