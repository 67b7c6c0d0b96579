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
from bot.services import Services, build_services
from bot.transport import Transport
from handlers.chat import ChatHandlers
from storage.clock import Clock, system_clock
from storage.database import Database

__all__ = ["BotRuntime", "configured_transports"]

logger = logging.getLogger(__name__)


def configured_transports(settings: Settings) -> list[Transport]:
    """One transport per chat service the config switches on."""
    from transports.telegram.transport import TelegramTransport

    return [TelegramTransport(settings)]


class BotRuntime:
    """One running bot: open → serve → stop, usable from `posom run`, tests and the demo."""

    def __init__(self, settings: Settings, *, clock: Clock = system_clock,
                 sender_workers: int = 8) -> None:
        self.settings = settings
        self.clock = clock
        self.sender_workers = sender_workers
        quiet_token_carrying_loggers()  # whoever embeds the bot: never log the token
        self.transports: list[Transport] = []
        self.database: Database | None = None
        self.services: Services | None = None
        self.handlers: ChatHandlers | None = None
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
        self.database = await Database.open(self.settings.storage.path)
        self.transports = configured_transports(self.settings)
        for transport in self.transports:
            await transport.open()
        router = MessengerRouter(transport.messenger for transport in self.transports)
        self.services = build_services(self.settings, self.database, router, self.clock,
                                       sender_workers=self.sender_workers)
        self.handlers = ChatHandlers(self.services, self._invite_links)
        await self.services.start()
        for transport in self.transports:
            await transport.serve(self.services, self.handlers)
        if self.settings.intake.enabled:
            from intake.server import IntakeServer

            self.intake = IntakeServer(self.services)
            await self.intake.start()
        logger.info("bot started (%s)", ", ".join(transport.name for transport in self.transports))

    def _invite_links(self, token: str) -> list[str]:
        return [link for transport in self.transports
                if (link := transport.invite_link(token)) is not None]

    async def stop(self) -> None:
        """Stops taking updates and the sender, then closes the transports and the database."""
        if self.intake is not None:
            await self.intake.stop()
            self.intake = None
        for transport in self.transports:
            await transport.stop()
        if self.services is not None:
            await self.services.stop()
        for transport in self.transports:
            await transport.close()
        if self.database is not None:
            await self.database.close()
        self.transports = []
        self.services = self.database = self.handlers = None

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
