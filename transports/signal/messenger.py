"""The Messenger port over signal-cli's JSON-RPC, and Signal's failures by name.

A message id is the sender's millisecond timestamp (signal-cli's `timestamp` of the send);
a message split into parts has the id "ts1,ts2". Results come per recipient inside a normal
result or, when nobody got it, inside the error (-1, -4 untrusted identity, -5 rate limit):
each `type` maps onto the port's failures. An edit is `send` with `editTimestamp` of the
original; the Signal apps show an edited message's earlier versions, so a briefing is never
edited down: at its end it is deleted for everyone (`remoteDelete`) and a short note is sent.
The apps apply edits and deletes only to our own messages within about 48 hours: a later edit
becomes a short new message, a later delete is skipped.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bot import choices as codec
from bot.config import Settings
from bot.delivery.messages import OutgoingMessage
from bot.delivery.messenger import (
    Capabilities,
    MessageGone,
    Rejected,
    RetryLater,
    TransientFailure,
    Unreachable,
)
from bot.i18n import Translator
from storage.chat_memory import ChatMemory
from storage.clock import Clock
from storage.models import Address
from transports.signal.client import (
    INTERNAL_ERROR,
    IO_ERROR,
    RATE_LIMITED,
    DaemonUnreachable,
    SignalClient,
    SignalRpcError,
)
from transports.signal.render import render
from transports.signal.watch import DaemonWatch

__all__ = ["TRANSPORT", "SignalMessenger"]

logger = logging.getLogger(__name__)

TRANSPORT = "signal"
DELETE_WINDOW = timedelta(hours=48)
# When Signal rate-limits without saying for how long, and when it wants a captcha solved.
DEFAULT_RETRY = 60.0
PROOF_RETRY = 300.0

Hook = Callable[[Address], Awaitable[None]]


class SignalMessenger:
    """Sends, edits and deletes through the daemon, paced and translated into the port."""

    transport = TRANSPORT
    capabilities = Capabilities(buttons=False, edit=True, delete=True, contact_request=False,
                                location_pins=False, receipts=True)

    def __init__(self, client: SignalClient, settings: Settings, watch: DaemonWatch,
                 clock: Clock) -> None:
        self.client = client
        self.settings = settings.signal
        self.watch = watch
        self.clock = clock
        # Signal's rate, declared for the outbox (one message per 1/rate seconds; 0 = unpaced).
        self.max_messages_per_second = self.settings.max_messages_per_second
        self._pace = asyncio.Lock()
        self._next_slot = 0.0
        self._attached = asyncio.Event()
        self.memory: ChatMemory | None = None
        self._translator: Callable[[Address], Awaitable[Translator]] | None = None
        # Told when a person's safety number changed, or Signal wants a captcha solved.
        self.on_identity_changed: Hook | None = None
        self.on_proof_required: Callable[[], Awaitable[None]] | None = None
        # Parts of a split message already out, so a retry does not send them twice.
        self._partial: dict[tuple[str, str], list[str]] = {}
        self._timer_set: set[str] = set()

    def attach(self, memory: ChatMemory,
               translator_of: Callable[[Address], Awaitable[Translator]]) -> None:
        """Gives the messenger its chat memory once the database is open; sends wait for it."""
        self.memory = memory
        self._translator = translator_of
        self._attached.set()

    # -- the port ------------------------------------------------------------------------------

    async def send(self, chat: str, message: OutgoingMessage) -> str:
        """Sends a message (split if needed); returns its id, "ts" or "ts1,ts2"."""
        await self._attached.wait()
        address = Address(TRANSPORT, chat)
        rendered = render(message, await self._translator(address),
                          can_share_number=chat.startswith("+"))
        await self._set_timer(chat)
        key = (chat, hashlib.sha256(repr((rendered.parts, rendered.attachment)).encode())
               .hexdigest())
        done = self._partial.setdefault(key, [])
        for index, part in enumerate(rendered.parts):
            if index < len(done):
                continue  # went out before a failure on a later part
            params: dict[str, Any] = {"recipient": [chat]}
            if part:
                params["message"] = part
            if index == 0 and rendered.attachment:
                params["attachment"] = [rendered.attachment]
            done.append(await self._send(chat, params))
        del self._partial[key]
        message_id = ",".join(done)
        if rendered.family is not None:
            await self.memory.remember(address, message_id, done, rendered.family,
                                       rendered.title, rendered.offers, self.clock())
        return message_id

    async def edit(self, chat: str, message_id: str, message: OutgoingMessage) -> None:
        """Changes a message: in place while the apps accept it, else a short new message."""
        await self._attached.wait()
        address = Address(TRANSPORT, chat)
        parts = message_id.split(",")
        age = self._age(parts[0])
        families = await self.memory.families_of(address, message_id)
        was_briefing = any(family.startswith("m1:") for family in families)
        stays_briefing = any(isinstance(codec.parse(choice.id), codec.MissionAction)
                             for row in message.choices for choice in row)
        await self.memory.close(address, message_id, self.clock())
        if was_briefing and not stays_briefing:
            # Signal keeps an edited message's history: take the briefing back, then say so.
            if age <= DELETE_WINDOW:
                await self._delete_parts(chat, parts)
            await self.send(chat, message)
            return
        if age > self.settings.edit_window:
            await self.send(chat, message)
            return
        rendered = render(message, await self._translator(address),
                          can_share_number=chat.startswith("+"))
        for index, part_id in enumerate(parts):
            if index >= len(rendered.parts):
                await self._delete_parts(chat, [part_id])
                continue
            params: dict[str, Any] = {"recipient": [chat], "message": rendered.parts[index] or
                                      "…", "editTimestamp": int(part_id)}
            await self._send(chat, params)
        for extra in rendered.parts[len(parts):]:
            await self._send(chat, {"recipient": [chat], "message": extra})
        if rendered.family is not None:
            await self.memory.remember(address, message_id, parts, rendered.family,
                                       rendered.title, rendered.offers, self.clock())

    async def delete(self, chat: str, message_id: str) -> None:
        """Deletes a message for everyone (the apps honour it within about 48 hours)."""
        await self._attached.wait()
        parts = message_id.split(",")
        if self._age(parts[0]) > DELETE_WINDOW:
            raise MessageGone("older than 48 hours: the Signal apps ignore the delete")
        await self._delete_parts(chat, parts)
        await self.memory.close(Address(TRANSPORT, chat), message_id, self.clock())

    # -- calls ---------------------------------------------------------------------------------

    def _age(self, part_id: str) -> timedelta:
        sent = datetime.fromtimestamp(int(part_id) / 1000, tz=self.clock().tzinfo)
        return self.clock() - sent

    async def _delete_parts(self, chat: str, parts: list[str]) -> None:
        for part_id in parts:
            await self._send(chat, {"recipient": [chat], "targetTimestamp": int(part_id)},
                             method="remoteDelete")

    async def _set_timer(self, chat: str) -> None:
        """Sets the conversation's disappearing-messages timer once (a backstop on phones)."""
        seconds = int(self.settings.expire_messages_after.total_seconds())
        if seconds <= 0 or chat in self._timer_set:
            return
        try:
            await self.client.call("updateContact", {"recipient": chat, "expiration": seconds})
        except (SignalRpcError, DaemonUnreachable) as error:
            logger.warning("signal: could not set the message timer: %s", error)
            return
        self._timer_set.add(chat)

    async def _paced(self) -> None:
        """Waits for the next sending slot (one message per 1/rate seconds)."""
        rate = self.max_messages_per_second
        if rate <= 0:
            return
        async with self._pace:
            now = time.monotonic()
            wait = self._next_slot - now
            self._next_slot = max(now, self._next_slot) + 1 / rate
        if wait > 0:
            await asyncio.sleep(wait)

    async def _send(self, chat: str, params: dict[str, Any], *, method: str = "send",
                    trusted: bool = False) -> str:
        """One send-like call; returns the message timestamp or raises the port's failure."""
        await self._paced()
        try:
            result = await self.client.call(method, params)
        except DaemonUnreachable as error:
            self.watch.failed(str(error))
            if error.sent:
                raise TransientFailure(str(error)) from None
            # Nothing went out: wait and try again for as long as the daemon is down.
            raise RetryLater(self.watch.backoff()) from None
        except SignalRpcError as error:
            self.watch.answered()
            if error.response is None:
                raise _failure_of(error) from None
            result = error.response
        else:
            self.watch.answered()
        [outcome] = result.get("results") or [{"type": "SUCCESS"}]
        kind = outcome.get("type")
        if kind == "SUCCESS":
            return str(result["timestamp"])
        address = Address(TRANSPORT, chat)
        if kind == "UNREGISTERED_FAILURE":
            raise Unreachable("not registered on Signal")
        if kind == "IDENTITY_FAILURE":
            if self.on_identity_changed is not None:
                await self.on_identity_changed(address)
            if self.settings.identity_change == "trust" and not trusted:
                await self._trust(chat)
                return await self._send(chat, params, method=method, trusted=True)
            raise Unreachable("safety number changed; not trusted yet")
        if kind == "RATE_LIMIT_FAILURE":
            seconds = float(outcome.get("retryAfterSeconds") or DEFAULT_RETRY)
            if outcome.get("token"):
                if self.on_proof_required is not None:
                    await self.on_proof_required()
                seconds = max(seconds, PROOF_RETRY)
            raise RetryLater(seconds)
        raise TransientFailure(f"{kind}")

    async def _trust(self, chat: str) -> None:
        """Trusts a person's new identity key (signal.identity_change = "trust")."""
        try:
            await self.client.call("trust", {"recipient": chat, "trustAllKnownKeys": True})
        except SignalRpcError as error:
            raise Rejected(f"trust failed: {error.message}") from None
        except DaemonUnreachable as error:
            raise TransientFailure(str(error)) from None
        logger.warning("signal: trusted a changed safety number (signal.identity_change)")


def _failure_of(error: SignalRpcError) -> Exception:
    """A whole-call error without per-recipient results, as the port's failure."""
    if error.code == RATE_LIMITED:
        return RetryLater(DEFAULT_RETRY)
    if error.code in (IO_ERROR, INTERNAL_ERROR):
        # signal-cli wraps network trouble (IOException) in these.
        return TransientFailure(error.message)
    return Rejected(f"{error.code} {error.message}")
