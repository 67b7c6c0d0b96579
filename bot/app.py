"""The composition root: builds the PTB Application, the storage, the outbox sender and the
handlers (in one ordered list), and owns start-up and shutdown. The only core module that imports
Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from urllib.parse import urlsplit

from telegram import Bot, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.logs import quiet_token_carrying_loggers
from bot.services import Services, build_services
from handlers.admin import AdminHandlers
from handlers.callout import CalloutHandlers
from handlers.debrief import DebriefHandlers
from handlers.enrolment import EnrolmentHandlers
from handlers.routing import Router
from storage.clock import Clock, system_clock
from storage.database import Database
from transports.telegram.menus import Menus
from transports.telegram.messenger import TelegramMessenger

__all__ = ["BotRuntime", "check_token"]

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]


def _builder(settings: Settings) -> ApplicationBuilder:
    token = settings.telegram.token.get_secret_value() if settings.telegram.token else ""
    api = settings.telegram.api_url
    builder = (ApplicationBuilder().token(token)
               .base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")
               # Presses from many volunteers are handled at once; the database lock keeps the
               # decisions atomic.
               .concurrent_updates(64)
               .connection_pool_size(16)
               .read_timeout(settings.telegram.request_timeout)
               .write_timeout(settings.telegram.request_timeout)
               .connect_timeout(settings.telegram.request_timeout))
    rate = settings.telegram.max_messages_per_second
    if rate > 0:
        # max_retries=0: a 429 comes back to the outbox, which waits the time Telegram asks
        # without holding a worker (https://core.telegram.org/bots/faq#broadcasting-to-users).
        # One message per 1/rate seconds, not `rate` per second: a bucket of `rate` would let
        # bursts of twice the rate through at a second's boundary, and Telegram answers 429.
        builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=1,
                                                      overall_time_period=1 / rate,
                                                      max_retries=0))
    return builder


def _handlers(services: Services, messenger: TelegramMessenger,
              menus: Menus) -> tuple[list[BaseHandler], Router]:
    """Every handler in the order PTB tries them (the first match in a group wins)."""
    enrolment = EnrolmentHandlers(services, messenger, menus)
    callout = CalloutHandlers(services, messenger)
    admin = AdminHandlers(services, messenger, menus)
    debrief = DebriefHandlers(services, messenger)
    router = Router(services, messenger, enrolment, callout, admin, debrief)
    private = filters.ChatType.PRIVATE
    commands = {
        "start": enrolment.start,
        "help": enrolment.help,
        "me": enrolment.me,
        "language": enrolment.language,
        "invite": enrolment.invite,
        "activate": callout.activate,
        "status": callout.status,
        "close": callout.close,
        "cancel": callout.cancel,
        "debrief": debrief.debrief,
        "away": callout.away,
        "back": callout.back,
        "report": admin.report,
        "audit": admin.audit,
        "roster": admin.roster,
        "remove": admin.remove,
        "mydata": admin.mydata,
    }
    handlers: list[BaseHandler] = [
        CommandHandler(name, callback, filters=private) for name, callback in commands.items()
    ]
    handlers += [
        MessageHandler(private & filters.CONTACT, enrolment.contact),
        MessageHandler(private & (filters.LOCATION | filters.VENUE), callout.location),
        CallbackQueryHandler(router.button),
        ChatMemberHandler(router.chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, router.text),
        # Must stay last: any command not matched above.
        MessageHandler(private & filters.COMMAND, router.unknown_command),
    ]
    return handlers, router


class BotRuntime:
    """One running bot: open → serve → stop, usable from `posom run`, tests and the demo."""

    def __init__(self, settings: Settings, *, clock: Clock = system_clock,
                 sender_workers: int = 8) -> None:
        self.settings = settings
        self.clock = clock
        self.sender_workers = sender_workers
        quiet_token_carrying_loggers()  # whoever embeds the bot: never log the token
        self.application: Application | None = None
        self.database: Database | None = None
        self.services: Services | None = None

    async def start(self) -> None:
        """Opens the database, connects to Telegram, re-sends what is owed, takes updates."""
        try:
            await self._start()
        except BaseException:
            # A refused token or an unreachable server must not leave the database open
            # (its thread would keep the process alive).
            await self.stop()
            raise

    async def _start(self) -> None:
        self.database = await Database.open(self.settings.storage.path)
        self.application = _builder(self.settings).build()
        await self.application.initialize()  # getMe: fails here if the token is wrong
        messenger = TelegramMessenger(self.application.bot)
        self.services = await build_services(self.settings, self.database, messenger,
                                             self.clock, sender_workers=self.sender_workers)
        menus = Menus(self.application.bot, self.settings)
        handlers, router = _handlers(self.services, messenger, menus)
        self.application.add_handlers(handlers)
        self.application.add_error_handler(router.error)
        await menus.register_defaults(await self.services.members.leaders())
        await self.services.start()
        await self.application.start()
        telegram = self.settings.telegram
        if telegram.webhook_url:
            # PTB's server refuses any request without the secret token header (403).
            await self.application.updater.start_webhook(
                listen=telegram.webhook_listen, port=telegram.webhook_port,
                url_path=urlsplit(telegram.webhook_url).path.lstrip("/"),
                webhook_url=telegram.webhook_url,
                secret_token=telegram.webhook_secret_token.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        else:
            # Never drop pending updates: a Yes pressed while the bot was down must count.
            await self.application.updater.start_polling(
                poll_interval=0, timeout=telegram.poll_timeout,
                allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        logger.info("bot started as @%s (%s)", self.application.bot.username,
                    "webhook" if telegram.webhook_url else "polling")

    async def stop(self) -> None:
        """Stops polling and the sender, then closes Telegram and the database."""
        if self.application is not None:
            if self.application.updater and self.application.updater.running:
                await self.application.updater.stop()
            if self.application.running:
                await self.application.stop()
        if self.services is not None:
            await self.services.stop()
        if self.application is not None:
            await self.application.shutdown()
        if self.database is not None:
            await self.database.close()
        self.application = self.services = self.database = None

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


async def check_token(settings: Settings) -> str:
    """Asks Telegram who the token belongs to (getMe); returns the bot's @username."""
    token = settings.telegram.token.get_secret_value()
    api = settings.telegram.api_url
    async with Bot(token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot") as bot:
        return bot.username
