"""One background task that runs until stopped: the base of the heartbeat, the scheduled
backups and the event-loop watch."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine

__all__ = ["Background"]


class Background:
    """Starts one task and cancels it on `stop` (safe to stop twice, or never started)."""

    _task: asyncio.Task | None = None

    def _launch(self, work: Coroutine, name: str) -> None:
        self._task = asyncio.create_task(work, name=name)

    async def stop(self) -> None:
        """Cancels the task and waits until it has ended."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
