"""The composition root: opens the storage, connects every configured transport, builds the
core around their messengers, hands the transports the chat handlers, and owns start-up and
shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.config import Settings
from bot.delivery.router import MessengerRouter
from bot.logs import quiet_token_carrying_loggers
from bot.ops.health import TransportCalls
from bot.ops.lock import WriterLock
from bot.ops.metrics import Metrics, ObservedMessenger
from bot.ops.replication import Replicator
from bot.ops.runtime import Operations
from bot.services import Services, build_services
from bot.timekeeping import SYSTEM_TIME, SteadyClock, TimeSource
from bot.transport import Transport
from bot.version import VERSION
from handlers.chat import ChatHandlers
from storage.clock import Clock
from storage.database import Database

__all__ = ["BotRuntime", "configured_transports"]

logger = logging.getLogger(__name__)


def configured_transports(settings: Settings) -> list[Transport]:
    """One transport per chat service the config switches on."""
    from transports.telegram.transport import TelegramTransport

    transports: list[Transport] = []
    if settings.telegram.token is not None:
        transports.append(TelegramTransport(settings))
    if settings.signal.enabled:
        from transports.signal.transport import SignalTransport

        transports.append(SignalTransport(settings))
    return transports


class BotRuntime:
    """One running bot: open → serve → stop, usable from `posom run`, tests and the demo."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None,
                 time: TimeSource = SYSTEM_TIME, sender_workers: int = 8) -> None:
        self.settings = settings
        # The bot's clock follows wall-clock steps only through the clock watch (a SteadyClock);
        # a plain clock given by a test is used as it is, with timers on `time`.
        self.time = time
        self.clock = clock if clock is not None else SteadyClock(time)
        self.sender_workers = sender_workers
        quiet_token_carrying_loggers()  # whoever embeds the bot: never log the token
        self.transports: list[Transport] = []
        self.database: Database | None = None
        self.services: Services | None = None
        self.handlers: ChatHandlers | None = None
        # The service side (bot.ops): counters live as long as the runtime, the rest per start.
        self.metrics = Metrics(VERSION, self.clock())
        self.calls = TransportCalls()
        self.ops: Operations | None = None
        self.replicator: Replicator | None = None
        self._lock: WriterLock | None = None
        self.intake = None  # intake.server.IntakeServer while the intake is switched on

    async def start(self) -> None:
        """Opens the database, connects the transports, re-sends what is owed, takes updates."""
        try:
            await self._start()
        except BaseException:
            # A refused token or an unreachable server must not leave the database open
            # (its thread would keep the process alive).
            await self.stop()
            raise

    async def _start(self) -> None:
        storage = self.settings.storage
        path = storage.path
        if str(path) != ":memory:":
            # One writer per database: a second bot on the same file is refused (AnotherWriter).
            self._lock = WriterLock(path)
            self._lock.acquire()
        self.database = await Database.open(path,
                                            busy_timeout=storage.busy_timeout.total_seconds())
        if self.settings.replication.replica:
            self.replicator = Replicator(self.settings, path)
            await self.replicator.start()
        self.transports = configured_transports(self.settings)
        for transport in self.transports:
            await transport.open()
            self.calls.ok(transport.name)
        router = MessengerRouter(ObservedMessenger(transport.messenger, self.metrics, self.calls)
                                 for transport in self.transports)
        self.services = build_services(self.settings, self.database, router, self.clock,
                                       sender_workers=self.sender_workers, time=self.time)
        self.handlers = ChatHandlers(self.services, self._invite_links)
        self.ops = Operations(self.settings, self.services, self.transports, self.clock,
                              metrics=self.metrics, calls=self.calls, replicator=self.replicator)
        await self.ops.begin()
        await self.services.start()
        for transport in self.transports:
            await transport.serve(self.services, self.handlers)
        await self.ops.start()
        if self.settings.intake.enabled:
            from intake.server import IntakeServer

            self.intake = IntakeServer(self.services)
            await self.intake.start()
        logger.info("bot started (%s)", ", ".join(transport.name for transport in self.transports))

    def _invite_links(self, token: str) -> list[str]:
        return [link for transport in self.transports
                if (link := transport.invite_link(token)) is not None]

    async def stop(self) -> None:
        """Stops cleanly: no more requests or updates (those in hand are handled), the timers,
        the sender (messages in flight may end, for up to service.stop_timeout), then the
        transports, the database and the replication, whose last sync carries the last
        transaction."""
        grace = self.settings.service.stop_timeout.total_seconds()
        if self.intake is not None:
            await self.intake.stop()
            self.intake = None
        if self.ops is not None:
            await self.ops.stop()
        for transport in self.transports:
            try:
                async with asyncio.timeout(grace):
                    await transport.stop()
            except TimeoutError:
                logger.warning("%s: updates still being handled after %ss; stopping anyway",
                               transport.name, grace)
        if self.services is not None:
            await self.services.stop(grace)
        for transport in self.transports:
            await transport.close()
        if self.ops is not None:
            await self.ops.end()
        if self.database is not None:
            await self.database.close(wait=grace)
        if self.replicator is not None:
            await self.replicator.stop(grace)
        if self._lock is not None:
            self._lock.release()
        self.transports = []
        self.services = self.database = self.handlers = self.ops = None
        self.replicator = self._lock = None

    async def run_until_signalled(self) -> None:
        """`posom run`: serve until SIGINT or SIGTERM."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        await self.start()
        try:
            await stop.wait()
        finally:
            logger.info("stopping")
            await self.stop()
