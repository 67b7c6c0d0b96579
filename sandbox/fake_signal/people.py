"""The people side of the fake daemon: a Signal user who writes, quotes, reacts and reads.

Each person's phone shows the bot's messages as the Signal apps would: an edit replaces the text
but keeps the earlier versions visible, a remote delete empties the message, and both apply
only to the bot's own messages younger than about 48 hours.
"""

from __future__ import annotations

import asyncio
import uuid as uuidlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.fake_signal.models import SignalMessage

if TYPE_CHECKING:
    from sandbox.fake_signal.server import FakeSignalDaemon

__all__ = ["FakeSignalPerson"]

Predicate = Callable[[SignalMessage], bool] | str


class FakeSignalPerson:
    """One Signal account with a 1:1 conversation with the bot."""

    def __init__(self, daemon: FakeSignalDaemon, number: str | None, name: str, *,
                 uuid: str | None = None, registered: bool = True, online: bool = True,
                 read_receipts: bool = True, hide_number: bool = False) -> None:
        self._daemon = daemon
        self.number = number
        self.uuid = uuid or str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"signal:{number or name}"))
        self.name = name
        self.registered = registered
        self.online = online  # off: no delivery receipt until come_online()
        self.read_receipts = read_receipts
        self.hide_number = hide_number  # phone-number privacy: envelopes carry no number
        self.blocked = False  # blocked the bot: sends still say SUCCESS, nothing arrives
        self.identity_changed = False  # a new safety number the daemon does not trust yet
        self.expiration = 0  # the conversation's disappearing-messages timer, in seconds
        self.messages: list[SignalMessage] = []
        self.sent: list[dict[str, Any]] = []  # every envelope this person produced
        self.ignored: list[tuple[str, int]] = []  # edits/deletes the app did not apply
        self._changed = asyncio.Event()

    # -- identity ------------------------------------------------------------------------------

    @property
    def identifiers(self) -> set[str]:
        """What the bot may address this person by: number and ACI uuid."""
        return {value for value in (self.number, self.uuid) if value}

    @property
    def safety_number(self) -> str:
        """Sixty digits in twelve groups, as listIdentities shows it."""
        digits = str(int(uuidlib.UUID(self.uuid)) % 10**60).zfill(60)
        if self.identity_changed:
            digits = digits[::-1]
        return " ".join(digits[i:i + 5] for i in range(0, 60, 5))

    # -- doing things --------------------------------------------------------------------------

    async def send(self, text: str, *, quote: SignalMessage | None = None) -> int:
        """Writes a message to the bot (a quote-reply when `quote` is given); returns its
        timestamp."""
        data: dict[str, Any] = {"message": text}
        if quote is not None:
            data["quote"] = self._daemon.quote_of(quote, self)
        return await self._daemon.incoming(self, data)

    async def reply(self, message: SignalMessage | str, text: str) -> int:
        """Quote-replies to one of the bot's messages (or the newest one containing a text)."""
        if isinstance(message, str):
            message = self.find(message)
        return await self.send(text, quote=message)

    async def react(self, message: SignalMessage | str, emoji: str, *,
                    remove: bool = False) -> int:
        """Reacts to one of the bot's messages with an emoji."""
        if isinstance(message, str):
            message = self.find(message)
        reaction = {"emoji": emoji, **self._daemon.author_fields("targetAuthor"),
                    "targetSentTimestamp": message.timestamp, "isRemove": remove}
        return await self._daemon.incoming(self, {"message": None, "reaction": reaction})

    def read_all(self) -> None:
        """Opens the chat: read receipts for every unread message (if switched on)."""
        unread = [m for m in self.messages if not m.read and not m.deleted]
        for message in unread:
            message.read = True
        if unread and self.read_receipts and not self.blocked:
            self._daemon.receipt(self, [m.timestamp for m in unread], kind="read")

    def come_online(self) -> None:
        """The phone connects again: delivery receipts for what arrived meanwhile."""
        self.online = True
        pending = [m for m in self.messages if not m.delivered]
        for message in pending:
            message.delivered = True
        if pending and not self.blocked:
            self._daemon.receipt(self, [m.timestamp for m in pending], kind="delivery")

    def block(self) -> None:
        """Blocks the bot; Signal never tells the sender (no receipts follow)."""
        self.blocked = True

    def unblock(self) -> None:
        self.blocked = False

    def change_safety_number(self) -> None:
        """Reinstalls Signal: a new identity key, untrusted by the daemon until `trust`."""
        self.identity_changed = True

    # -- what the phone shows ------------------------------------------------------------------

    @property
    def visible(self) -> list[SignalMessage]:
        """The bot's messages that were not deleted."""
        return [m for m in self.messages if not m.deleted]

    @property
    def last(self) -> SignalMessage | None:
        visible = self.visible
        return visible[-1] if visible else None

    def by_timestamp(self, timestamp: int) -> SignalMessage | None:
        return next((m for m in self.messages if m.timestamp == timestamp), None)

    def find(self, text: str) -> SignalMessage:
        """The newest visible message containing `text`."""
        for message in reversed(self.messages):
            if not message.deleted and text in message.text:
                return message
        raise AssertionError(f"{self.name} has no message with {text!r}; has: "
                             f"{[m.text[:60] for m in self.visible]}")

    def seen(self) -> str:
        """Every text this phone shows or can show (edit histories, long-text attachments)."""
        parts: list[str] = []
        for message in self.messages:
            if message.deleted:
                continue
            parts.extend(message.history)
            parts.extend(a.data.decode("utf-8", "replace") for a in message.attachments
                         if a.content_type.startswith("text/"))
        return "\n".join(parts)

    def _arrived(self) -> None:
        self._changed.set()

    async def wait_for(self, predicate: Predicate, timeout: float = 10.0) -> SignalMessage:  # noqa: ASYNC109
        """Waits for a visible message matching `predicate` (a text to find, or a function)."""
        if isinstance(predicate, str):
            wanted = predicate

            def matches(message: SignalMessage) -> bool:
                return wanted in message.text
        else:
            matches = predicate

        async def found() -> SignalMessage:
            while True:
                for message in reversed(self.messages):
                    if not message.deleted and matches(message):
                        return message
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(found(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.name} did not get {predicate!r} within {timeout}s; "
                                 f"has: {[m.text[:80] for m in self.visible]}") from None

    def __repr__(self) -> str:
        return f"FakeSignalPerson({self.name}, {self.number or self.uuid})"
