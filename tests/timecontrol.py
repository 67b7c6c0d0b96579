"""A time source the test moves by hand: elapsed time and the wall clock, separately.

`advance` is time passing (both clocks move, every timer due by then fires); `step_wall` is
someone setting the wall clock (only the wall moves, as an NTP step or a hand-set clock does).
Nothing waits for real time: the bot's timers sleep on this source.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta


class ControlledTime:
    """Implements bot.timekeeping.TimeSource for tests."""

    def __init__(self, wall: datetime | None = None) -> None:
        self._wall = wall or datetime(2026, 11, 23, 2, 47, tzinfo=UTC)
        self._monotonic = 1000.0
        self._sleepers: list[tuple[float, asyncio.Future]] = []

    def wall(self) -> datetime:
        return self._wall

    def monotonic(self) -> float:
        return self._monotonic

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        woken = asyncio.get_running_loop().create_future()
        entry = (self._monotonic + seconds, woken)
        self._sleepers.append(entry)
        try:
            await woken
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)

    def advance(self, **kwargs: float) -> None:
        """Lets time pass: the wall and the monotonic clock move together."""
        span = timedelta(**kwargs)
        self._wall += span
        self._monotonic += span.total_seconds()
        for until, woken in list(self._sleepers):
            if until <= self._monotonic and not woken.done():
                woken.set_result(None)

    def step_wall(self, **kwargs: float) -> None:
        """Sets the wall clock forward or back; no time passes."""
        self._wall += timedelta(**kwargs)
