"""`Operations`: the service parts of one running bot, started after the core and stopped
before it: the run record and its lease, the restart line to the leaders, the health checks,
the metrics endpoint, the heartbeat, scheduled backups, and probes that keep each transport's
"last successful call" fresh while nothing else is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta

from bot.config import Settings
from bot.ops.backups import ScheduledBackups
from bot.ops.comeback import tell_leaders_we_are_back
from bot.ops.health import Health, LoopWatch, TransportCalls
from bot.ops.heartbeat import Heartbeat
from bot.ops.metrics import Metrics
from bot.ops.replication import Replicator
from bot.ops.server import OpsServer
from bot.services import Services
from bot.transport import Transport
from bot.version import VERSION
from storage.clock import Clock
from storage.service_runs import ServiceRun, ServiceRuns

__all__ = ["Operations"]

logger = logging.getLogger(__name__)

# The database check writes at most this often, however often /healthz is asked.
DATABASE_CHECK_EVERY = 2.0


class Operations:
    """The service parts around one running bot."""

    def __init__(self, settings: Settings, services: Services, transports: Sequence[Transport],
                 clock: Clock, *, metrics: Metrics, calls: TransportCalls,
                 replicator: Replicator | None = None) -> None:
        self.settings = settings
        self.services = services
        self.transports = list(transports)
        self.clock = clock
        self.metrics = metrics
        self.calls = calls
        self.replicator = replicator
        self.runs = ServiceRuns(services.database)
        self.instance = uuid.uuid4().hex
        self.previous: ServiceRun | None = None
        self.health = Health()
        self.loop_watch = LoopWatch()
        self.server: OpsServer | None = None
        self.heartbeat: Heartbeat | None = None
        self.backups: ScheduledBackups | None = None
        self._housekeeping: asyncio.Task | None = None
        self._last_write = 0.0

    # -- start-up ------------------------------------------------------------------------------

    async def begin(self) -> None:
        """Records this run and, after a restart, queues the line to the leaders (before the
        sender starts, while the counts still say what the outage left behind)."""
        now = self.clock()
        figures = await self.runs.figures(now, now)
        self.previous = await self.runs.begin(self.instance, VERSION, socket.gethostname(), now)
        self._last_write = time.monotonic()
        if self.previous is not None:
            await tell_leaders_we_are_back(self.services.database, self.services.callouts.out,
                                           self.previous, figures, now)

    async def _storage_problems(self) -> str | None:
        """The storage faults the storage watch sees now (full, I/O, locked, low space)."""
        problems = self.services.storage.problems()
        return "; ".join(f"{problem.kind} since {problem.since:%H:%M:%S}: {problem.detail}"
                         for problem in problems) or None

    async def start(self) -> None:
        """Registers the health checks and starts the endpoint, heartbeat, backups and lease."""
        settings = self.settings
        self.loop_watch.start()
        self.health.add("event_loop", self.loop_watch.check)
        self.health.add("database", self._database_writable)
        self.health.add("storage", self._storage_problems)
        for transport in self.transports:
            self.health.add(f"transport:{transport.name}", self._transport_check(transport.name))
            waiting = getattr(transport, "updates_waiting", None)
            if waiting is not None:
                self.metrics.watch_updates_waiting(transport.name, waiting)
        if self.replicator is not None:
            self.health.add("replication", self.replicator.check)
        if settings.backup.folder is not None:
            self.backups = ScheduledBackups(settings.storage.path, settings.backup.folder,
                                            settings.backup.every, settings.backup_keep)
            self.health.add("backups", self.backups.check)
            self.backups.start()
        self._housekeeping = asyncio.create_task(self._keep_house(), name="housekeeping")
        if settings.health.enabled:
            self.server = OpsServer(self.health, self.metrics, self._before_scrape,
                                    settings.health.listen, settings.health.port)
            await self.server.start()
        if settings.heartbeat.url is not None:
            self.heartbeat = Heartbeat(settings.heartbeat.url.get_secret_value(),
                                       settings.heartbeat.every, self.health)
            self.heartbeat.start()

    async def stop(self) -> None:
        """Stops the heartbeat first (a monitor should notice a bot that does not come back),
        then the rest."""
        if self.heartbeat is not None:
            await self.heartbeat.stop()
        if self.backups is not None:
            await self.backups.stop()
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            await asyncio.gather(self._housekeeping, return_exceptions=True)
            self._housekeeping = None
        if self.server is not None:
            await self.server.stop()
        await self.loop_watch.stop()

    async def end(self) -> None:
        """Marks the run as stopped cleanly (the last write before the database closes)."""
        with contextlib.suppress(Exception):
            await self.runs.end(self.instance, self.clock())

    # -- the parts -----------------------------------------------------------------------------

    @property
    def lease_every(self) -> float:
        """How often the run's lease is refreshed: well inside the standby's takeover time."""
        return max(self.settings.replication.takeover_after.total_seconds() / 4, 0.5)

    @property
    def probe_every(self) -> float:
        """How long a transport may go without a call before it is probed."""
        return max(self.settings.health.transport_silent_after.total_seconds() / 5, 1.0)

    async def _keep_house(self) -> None:
        """Refreshes the lease and probes idle transports, on their own rhythms."""
        next_lease = next_probe = 0.0
        while True:
            now = time.monotonic()
            if now >= next_lease:
                try:
                    await self._touch()
                except Exception as error:
                    logger.warning("lease: cannot write to the database: %s", error)
                next_lease = now + self.lease_every
            if now >= next_probe:
                await self._probe_idle_transports()
                next_probe = now + self.probe_every
            await asyncio.sleep(max(min(next_lease, next_probe) - time.monotonic(), 0.05))

    async def _touch(self) -> None:
        await self.runs.touch(self.instance, self.clock())
        self._last_write = time.monotonic()

    async def _probe_idle_transports(self) -> None:
        for transport in self.transports:
            silent = self.calls.silent_for(transport.name)
            probe = getattr(transport, "probe", None)
            if probe is None or (silent is not None and silent < self.probe_every):
                continue
            try:
                await probe()
            except Exception as error:
                logger.warning("%s: probe failed: %s", transport.name, type(error).__name__)
            else:
                self.calls.ok(transport.name)

    async def _database_writable(self) -> str | None:
        """Health: a committed write (the lease) went through just now."""
        if time.monotonic() - self._last_write > DATABASE_CHECK_EVERY:
            await self._touch()
        return None

    def _transport_check(self, name: str):
        limit = self.settings.health.transport_silent_after.total_seconds()

        async def recent_call() -> str | None:
            silent = self.calls.silent_for(name)
            if silent is None:
                return "no successful call yet"
            if silent > limit:
                return f"no successful call for {timedelta(seconds=int(silent))}"
            return None

        return recent_call

    async def _before_scrape(self) -> None:
        await self.metrics.refresh(self.runs, self.clock(), self.calls, self.loop_watch.lag)
