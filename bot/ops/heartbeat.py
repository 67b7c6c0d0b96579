"""The dead man's switch: a request to an outside monitor every minute while the bot is healthy.

The convention of Healthchecks.io (`https://hc-ping.com/<uuid>`) and of Uptime Kuma's push
monitors (`https://kuma.example/api/push/<token>`): the monitor expects a request within its
period and pages someone when they stop. The bot's own watchdog dies with the bot; this does not.
A sick bot (a failing health check) sends nothing, so the monitor pages for it too. The URL is a
secret (anyone holding it can report the bot alive): it is never logged, only its host.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from urllib.parse import urlsplit

import aiohttp

from bot.ops.background import Background
from bot.ops.health import Health

__all__ = ["Heartbeat"]

logger = logging.getLogger(__name__)

MAX_REQUEST_TIME = 10.0


class Heartbeat(Background):
    """Sends the heartbeat every `every` while every health check passes."""

    def __init__(self, url: str, every: timedelta, health: Health) -> None:
        self._url = url
        self.host = urlsplit(url).hostname or "?"
        self.every = every.total_seconds()
        self.health = health
        self.sent = 0
        self.skipped = 0
        self._failing: str | None = None

    def start(self) -> None:
        """Sends the first heartbeat now and then one every `every`."""
        self._launch(self._run(), "heartbeat")

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=min(self.every, MAX_REQUEST_TIME))
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                await self.beat(session)
                await asyncio.sleep(self.every)

    async def beat(self, session: aiohttp.ClientSession) -> bool:
        """One heartbeat if healthy; True if the monitor took it."""
        report = await self.health.run()
        if not report.ok:
            self.skipped += 1
            self._note(f"not sent, the bot is sick ({'; '.join(report.problems)})")
            return False
        try:
            async with session.get(self._url) as response:
                if response.status >= 300:
                    self._note(f"{self.host} answered HTTP {response.status}")
                    return False
        except (aiohttp.ClientError, TimeoutError) as error:
            self._note(f"{self.host} not reached ({type(error).__name__})")
            return False
        self.sent += 1
        self._note(None)
        return True

    def _note(self, problem: str | None) -> None:
        """Logs a change between working and failing once, not every minute."""
        if problem != self._failing:
            if problem is None:
                logger.info("heartbeat: %s takes the heartbeats again", self.host)
            else:
                logger.warning("heartbeat: %s", problem)
        self._failing = problem
