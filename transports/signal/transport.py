"""The Signal transport: signal-cli's HTTP daemon, its event stream read as chat events for the
handlers, their replies sent back, and the upkeep a Signal chat needs.

One long-lived Server-Sent Events stream (`--receive-mode=on-connection` keeps what arrives
while it is closed at the Signal server), reopened at once when it breaks and with growing
pauses while the daemon is down; leaders hear about an outage within `signal.down_alert_after`.
Each envelope is handled once (an envelope seen on two streams around a reconnect, or again
after a restart, is recognised), in order per sender, concurrently across senders. A request
that got no delivery receipt within `signal.fallback_after` is also sent to the member's other
transport, if they are linked on one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any

from bot.config import Settings
from bot.delivery.messages import OutgoingMessage
from bot.delivery.messenger import DeliveryError
from bot.delivery.notices import LeaderNotices
from bot.i18n import Translator
from bot.people.persons import translator_for
from bot.services import Services
from bot.transport import TransportRefused
from handlers.chat import ChatHandlers
from handlers.events import ChatEvent
from storage.chat_memory import ChatMemory
from storage.clock import system_clock
from storage.fallback import FallbackStore
from storage.models import Address
from storage.outages import Outage, OutageStore
from transports.signal.client import DaemonUnreachable, SignalClient, SignalRpcError
from transports.signal.envelopes import Ambiguous, EnvelopeReader, Ignored, UntrustedSender
from transports.signal.messenger import TRANSPORT, SignalMessenger
from transports.signal.watch import DaemonWatch

__all__ = ["SignalTransport", "check_daemon"]

logger = logging.getLogger(__name__)

FALLBACK_EVERY = 5.0  # seconds between looks for requests without a delivery receipt
WATCH_EVERY = 1.0
ENVELOPE_MEMORY = timedelta(days=7)


class SignalTransport:
    """Signal through a signal-cli daemon: one account, one event stream."""

    name = TRANSPORT

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        config = settings.signal
        self.client = SignalClient(config.url, config.account or "",
                                   timeout=config.request_timeout)
        self.watch = DaemonWatch(system_clock)
        self._messenger = SignalMessenger(self.client, settings, self.watch, system_clock)
        self._tasks: list[asyncio.Task] = []
        self._handling: set[asyncio.Task] = set()
        self._senders: defaultdict[Address, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._opened = False
        self._outage: Outage | None = None
        self._identity_told: set[Address] = set()
        self.services: Services | None = None
        self.handlers: ChatHandlers | None = None
        self.connected = asyncio.Event()  # the event stream is open (for tests and the demo)

    @property
    def messenger(self) -> SignalMessenger:
        return self._messenger

    def invite_link(self, token: str) -> str | None:
        """signal.me opens a chat with the bot's number; the person then writes START TOKEN."""
        return f"https://signal.me/#p/{self.settings.signal.account}"

    # -- life ----------------------------------------------------------------------------------

    async def open(self) -> None:
        """Checks the daemon and its account. A daemon that is down is not fatal: the bot
        starts, keeps trying, and tells the leaders; a wrong account is (TransportRefused)."""
        try:
            await self._connect()
        except DaemonUnreachable as error:
            self.watch.failed(str(error))
            logger.warning("signal: daemon not reachable at start-up (%s); retrying", error)

    async def _connect(self) -> None:
        version = await check_daemon(self.client, self.settings)
        self._opened = True
        logger.info("signal: signal-cli %s at %s (%s-account mode)", version,
                    self.settings.signal.url,
                    "multi" if self.client.multi_account else "single")

    async def probe(self) -> None:
        """A cheap call proving the daemon answers (GET /api/v1/check), for the health check
        while nobody writes."""
        await self.client.check()

    async def serve(self, services: Services, handlers: ChatHandlers) -> None:
        """Starts reading the event stream and the upkeep tasks."""
        self.services, self.handlers = services, handlers
        clock = services.clock
        self.watch.clock = clock
        self._messenger.clock = clock
        self.memory = ChatMemory(services.database)
        self.outages = OutageStore(services.database)
        self.fallback = FallbackStore(services.database)
        self.notices = LeaderNotices(services.settings, services.database, clock,
                                     services.sender.wake)
        self.reader = EnvelopeReader(self.settings.signal.account, self.memory, clock)
        self._messenger.attach(self.memory, self._translator_of)
        self._messenger.on_identity_changed = self._identity_changed
        self._messenger.on_proof_required = self.notices.proof_required
        self._outage = next((outage for outage in await self.outages.current()
                             if outage.transport == TRANSPORT), None)
        await self.memory.forget_envelopes(clock() - ENVELOPE_MEMORY)
        self._tasks = [asyncio.create_task(self._listen(), name="signal-events"),
                       asyncio.create_task(self._watch(), name="signal-watch")]
        if self.settings.signal.fallback_after > timedelta(0):
            self._tasks.append(asyncio.create_task(self._fall_back(), name="signal-fallback"))

    async def stop(self) -> None:
        """Stops reading events; what is being handled finishes."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._handling:
            await asyncio.gather(*self._handling, return_exceptions=True)
        self.connected.clear()

    async def close(self) -> None:
        await self.client.close()

    # -- the event stream ----------------------------------------------------------------------

    async def _listen(self) -> None:
        """Keeps one event stream open for as long as the bot runs."""
        while True:
            try:
                if not self._opened:
                    await self._connect()
                async with self.client.events() as events:
                    self.watch.answered()
                    self.connected.set()
                    async for data in events:
                        self._dispatch(data)
                logger.info("signal: event stream ended; reconnecting")
            except DaemonUnreachable as error:
                self.watch.failed(str(error))
                self.connected.clear()
                await asyncio.sleep(self.watch.backoff())
                continue
            except TransportRefused as refused:
                logger.error("signal: %s", refused)
                await asyncio.sleep(30)
                continue
            except SignalRpcError as error:
                logger.error("signal: the daemon refused the start-up checks: %s", error)
                await asyncio.sleep(self.watch.backoff())
                continue
            self.connected.clear()
            await asyncio.sleep(0.2)

    def _dispatch(self, data: dict[str, Any]) -> None:
        """Handles one event in its own task (in order for each sender)."""
        if data.get("account") not in (None, self.settings.signal.account):
            logger.error("signal: an event for another account was ignored (signal.account)")
            return
        task = asyncio.create_task(self._on_event(data))
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)

    async def _on_event(self, data: dict[str, Any]) -> None:
        envelope = data.get("envelope") or {}
        key = envelope.get("sourceUuid") or envelope.get("sourceNumber") or ""
        async with self._senders[key]:
            try:
                reading = await self.reader.read(data)
                await self._act(reading)
            except Exception:
                logger.exception("signal: error while handling an event")

    async def _act(self, reading: Any) -> None:
        if isinstance(reading, Ignored):
            if reading.hint and reading.sender is not None:
                t = await self._translator_of(reading.sender.address)
                await self._say(reading.sender.address, t.gettext(
                    "To answer, write the number of your choice (or react 👍 / 👎 to a "
                    "request)."))
            return
        if isinstance(reading, UntrustedSender):
            await self._identity_changed(reading.sender.address)
            if self.settings.signal.identity_change == "trust":
                # The daemon then decrypts the waiting message and sends it again.
                with contextlib.suppress(SignalRpcError, DaemonUnreachable):
                    await self.client.call("trust", {"recipient": reading.sender.address.id,
                                                     "trustAllKnownKeys": True})
            return
        if isinstance(reading, Ambiguous):
            t = await self._translator_of(reading.sender.address)
            lines = [t.gettext("That answer fits more than one message:")]
            lines += [f"• {title}" for title in reading.titles]
            lines.append(t.gettext("Reply to the message you mean (swipe it, or press and hold "
                                   "→ Reply) with your answer."))
            await self._say(reading.sender.address, "\n".join(lines))
            return
        await self._handle(reading)

    async def _handle(self, event: ChatEvent) -> None:
        """An event in: its reply back (the toast as a short message first)."""
        try:
            reply = await self.handlers.handle(event)
        except Exception:
            logger.exception("signal: error while handling an event")
            reply = self.handlers.failure(event)
        address = event.sender.address
        if reply.toast:
            await self._say(address, reply.toast)
        for message in reply.messages:
            await self._send(address, message)

    async def _say(self, address: Address, text: str) -> None:
        await self._send(address, OutgoingMessage(text))

    async def _send(self, address: Address, message: OutgoingMessage) -> None:
        try:
            await self._messenger.send(address.id, message)
        except DeliveryError as error:
            logger.warning("signal: a reply could not be sent: %s", error)

    async def _translator_of(self, address: Address) -> Translator:
        member = await self.services.members.by_address(address)
        return translator_for(self.settings, member)

    # -- upkeep --------------------------------------------------------------------------------

    async def _identity_changed(self, address: Address) -> None:
        """Tells the leaders once (per run of the bot) that a member's safety number changed."""
        member = await self.services.members.by_address(address)
        if member is None or address in self._identity_told:
            return
        self._identity_told.add(address)
        logger.warning("signal: safety number changed for member %d", member.id)
        await self.notices.identity_changed(member.name,
                                            self.settings.signal.identity_change == "trust")

    async def _watch(self) -> None:
        """Tells the leaders when the daemon has been down for `down_alert_after`, and when it
        is back; once an hour forgets old envelopes and strangers' numbers."""
        tidied = self.services.clock()
        while True:
            await asyncio.sleep(WATCH_EVERY)
            try:
                await self._check_outage()
                now = self.services.clock()
                if now - tidied >= timedelta(hours=1):
                    tidied = now
                    await self.memory.forget_envelopes(now - ENVELOPE_MEMORY)
            except Exception:
                logger.exception("signal: outage check failed")

    async def _check_outage(self) -> None:
        now = self.services.clock()
        since = self.watch.down_since
        if since is not None and self._outage is None \
                and now - since >= self.settings.signal.down_alert_after:
            outage = await self.outages.begin(TRANSPORT, self.watch.reason, since)
            self._outage = outage
            logger.error("signal: daemon at %s down since %s: %s", self.settings.signal.url,
                         since.isoformat(timespec="seconds"), self.watch.reason)
            if await self.outages.noticed(outage.id, now):
                await self.notices.service_down(TRANSPORT, since)
        elif since is None and self._outage is not None:
            ended = await self.outages.end(TRANSPORT, now)
            self._outage = None
            if ended is not None:
                logger.info("signal: daemon back after %s", now - ended.since)
                await self.notices.service_back(TRANSPORT, now - ended.since)

    async def _fall_back(self) -> None:
        """Sends requests nobody's phone confirmed to the member's other transport too."""
        while True:
            await asyncio.sleep(FALLBACK_EVERY)
            try:
                now = self.services.clock()
                moved = await self.fallback.resend_unconfirmed(
                    TRANSPORT, now - self.settings.signal.fallback_after, now)
                if moved:
                    logger.warning("signal: %d request(s) without a delivery receipt sent "
                                   "through another transport too", moved)
                    self.services.sender.wake()
            except Exception:
                logger.exception("signal: fallback check failed")


async def check_daemon(client: SignalClient, settings: Settings) -> str:
    """GET /api/v1/check, `version` and the account: returns the daemon's version.

    Raises DaemonUnreachable, or TransportRefused when a multi-account daemon does not serve
    `signal.account`.
    """
    await client.check()
    version = (await client.call("version") or {}).get("version", "unknown")
    accounts = await client.detect_mode()
    account = settings.signal.account
    if client.multi_account and account not in accounts:
        raise TransportRefused(f"signal.account: {account} is not an account of the daemon at "
                               f"{settings.signal.url} (it has {', '.join(accounts) or 'none'})")
    return version
