"""The Telegram transport: PTB's Application built and run, updates handed to the handlers as chat
events, their replies sent back, the menus kept per person.

Long polling by default, a webhook when `telegram.webhook_url` is set. Replies to a person's own
action go straight back; everything a state change owes people goes through the outbox, whose
messenger (transports.telegram.messenger) shares PTB's rate limiter with the replies.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from telegram import Bot, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.delivery.messages import OutgoingMessage
from bot.delivery.messenger import DeliveryError, RetryLater, TransientFailure
from bot.services import Services
from bot.transport import ServiceUnreachable, TransportRefused
from handlers.chat import ChatHandlers
from handlers.events import ChatEvent, Press
from handlers.reply import Reply
from transports.telegram.menus import Menus
from transports.telegram.messenger import TRANSPORT, TelegramMessenger
from transports.telegram.updates import event_of

__all__ = ["ALLOWED_UPDATES", "TelegramTransport", "check_token", "invite_link"]

logger = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
# answerCallbackQuery: "0-200 characters" (https://core.telegram.org/bots/api#answercallbackquery)
MAX_TOAST = 200


def invite_link(settings: Settings, token: str) -> str | None:
    """The t.me deep link that opens the bot with /start TOKEN (needs telegram.bot_username)."""
    username = settings.telegram.bot_username
    # Telegram allows 64 characters in a deep-link parameter; tokens are 22.
    return f"https://t.me/{username}?start={token}" if username else None


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


class TelegramTransport:
    """Telegram through python-telegram-bot: one Application, polling or a webhook."""

    name = TRANSPORT

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.application: Application = _builder(settings).build()
        self._messenger = TelegramMessenger(self.application.bot)
        self._handlers: ChatHandlers | None = None
        self._services: Services | None = None
        self._menus: Menus | None = None

    @property
    def messenger(self) -> TelegramMessenger:
        return self._messenger

    @property
    def username(self) -> str:
        """The bot's @username, as Telegram said at `open`."""
        return self.application.bot.username

    def invite_link(self, token: str) -> str | None:
        return invite_link(self.settings, token)

    async def open(self) -> None:
        """Connects: getMe (fails here if the token is wrong)."""
        api = self.settings.telegram.api_url
        try:
            await self.application.initialize()
        except InvalidToken:
            # PTB's message quotes the token itself: say it in our own words.
            raise TransportRefused(f"telegram.token: refused by {api}") from None
        except NetworkError as error:
            raise ServiceUnreachable(f"cannot reach {api}: {_redacted(str(error), self.settings)}"
                                     ) from None

    async def serve(self, services: Services, handlers: ChatHandlers) -> None:
        """Registers the handlers and the menus, then takes updates (polling or webhook)."""
        self._handlers = handlers
        self._services = services
        self._menus = Menus(self.application.bot, self.settings, services.members)
        self.application.add_handlers(self._update_handlers())
        self.application.add_error_handler(self._error)
        await self._menus.register_defaults(await services.members.leaders())
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
        logger.info("telegram: bot started as @%s (%s)", self.username,
                    "webhook" if telegram.webhook_url else "polling")

    def _update_handlers(self) -> list[BaseHandler]:
        """Every kind of update the bot reads; each becomes one chat event (updates.event_of)."""
        private = filters.ChatType.PRIVATE
        return [
            MessageHandler(private & filters.COMMAND, self._on_update),
            MessageHandler(private & filters.CONTACT, self._on_update),
            MessageHandler(private & (filters.LOCATION | filters.VENUE), self._on_update),
            MessageHandler(private & filters.TEXT, self._on_update),
            CallbackQueryHandler(self._on_update),
            ChatMemberHandler(self._on_update, ChatMemberHandler.MY_CHAT_MEMBER),
        ]

    async def stop(self) -> None:
        """Stops polling (or the webhook) and the handling of updates."""
        application = self.application
        if application.updater and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()

    async def close(self) -> None:
        """Closes PTB's HTTP client (after the outbox stopped sending through it)."""
        await self.application.shutdown()

    async def probe(self) -> None:
        """A cheap call proving Telegram answers (getMe), for the health check when idle."""
        await self.application.bot.get_me()

    def updates_waiting(self) -> int:
        """Updates fetched from Telegram and not handed to a handler yet."""
        return self.application.update_queue.qsize()

    # -- one update -----------------------------------------------------------------------------

    async def _on_update(self, update: Update, context: Context) -> None:
        """An update in: its chat event to the handlers, their reply back."""
        event = event_of(update)
        if event is None:
            return
        await self._deliver(update, event, await self._handlers.handle(event))

    async def _error(self, update: object, context: Context) -> None:
        """The one error handler: log with traceback, tell the person something went wrong."""
        logger.error("error while handling an update", exc_info=context.error)
        event = event_of(update) if isinstance(update, Update) else None
        if event is None or self._handlers is None:
            return
        try:
            await self._deliver(update, event, self._handlers.failure(event))
        except Exception:
            logger.exception("could not tell the person about the error")

    async def _deliver(self, update: Update, event: ChatEvent, reply: Reply) -> None:
        """Sends a reply into the chat the update came from: the toast first, then messages."""
        chat = event.sender.address.id
        for message_id in reply.retire:
            try:
                await self._messenger.clear_choices(chat, message_id)
            except DeliveryError as error:  # cosmetic: the old buttons answer "no longer valid"
                logger.info("could not take the buttons off a message: %s", error)
        messages = list(reply.messages)
        if isinstance(event, Press):
            await self._answer_press(update, reply.toast)
        elif reply.toast:
            messages.insert(0, OutgoingMessage(reply.toast))
        sent = await self._send_all(event, messages)
        if reply.sent is not None:
            await reply.sent(sent[len(sent) - len(reply.messages):])
        if reply.profile_changed is not None:
            await self._menus.refresh_for(reply.profile_changed)
        for address in reply.forgotten:
            await self._menus.forget(address)

    async def _send_all(self, event: ChatEvent, messages: list[OutgoingMessage],
                        ) -> list[str | None]:
        """Sends the reply's messages in order; returns their ids.

        A flood wait or a network failure does not lose the reply: that message and the ones
        after it go to the outbox (urgent lane), which sends them when Telegram allows, in order,
        like any message a state change owes (their ids are then None here). Their text is
        emptied there once they are out (storage.outbox.REPLY_REF): a reply such as the /activate
        preview carries the whole briefing, and the bot keeps no text of its direct replies.
        """
        address = event.sender.address
        sent: list[str | None] = []
        for index, message in enumerate(messages):
            try:
                sent.append(await self._messenger.send(address.id, message))
            except (RetryLater, TransientFailure) as failure:
                wait = failure.seconds if isinstance(failure, RetryLater) else 1.0
                rest = messages[index:]
                logger.warning("telegram: reply not sent now (%s); %d message(s) handed to the "
                               "outbox", failure, len(rest))
                await self._services.sender.defer(address, rest, wait)
                sent.extend([None] * len(rest))
                break
        return sent

    @staticmethod
    async def _answer_press(update: Update, text: str | None) -> None:
        """Answers a button press; a press too old to answer was still handled, so ignore that."""
        query = update.callback_query
        if text is not None and len(text) > MAX_TOAST:
            text = text[:MAX_TOAST - 1] + "…"  # Telegram refuses a longer answer
        try:
            await query.answer(text)
        except BadRequest as error:
            if "query is too old" not in error.message.lower():
                raise
            logger.info("callback answered too late; the press itself was processed")


def _redacted(text: str, settings: Settings) -> str:
    """The text with the bot token masked, for any message that might quote it."""
    token = settings.telegram.token.get_secret_value() if settings.telegram.token else ""
    return text.replace(token, "***") if token else text


async def check_token(settings: Settings) -> str:
    """Asks Telegram who the token belongs to (getMe); returns the bot's @username.

    Raises TransportRefused or ServiceUnreachable, worded without the token.
    """
    token = settings.telegram.token.get_secret_value()
    api = settings.telegram.api_url
    try:
        async with Bot(token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot") as bot:
            return bot.username
    except InvalidToken:
        raise TransportRefused(f"telegram.token: refused by {api}") from None
    except NetworkError as error:
        raise ServiceUnreachable(f"cannot reach {api}: {_redacted(str(error), settings)}"
                                 ) from None
    except TelegramError as error:
        raise TransportRefused(f"telegram.token: refused by {api}: "
                               f"{_redacted(str(error), settings)}") from None
