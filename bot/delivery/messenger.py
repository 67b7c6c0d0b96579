"""The port through which the core reaches people, and the failures it can report.

A messenger belongs to one transport (transports/<name>/messenger.py) and speaks to people by
the id that transport knows them by. It says what it can do (`Capabilities`) and keeps its own
limits: a messenger is handed any neutral message and either shows it or raises one of the
failures below, which the outbox sender handles by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.delivery.messages import OutgoingMessage

__all__ = [
    "Capabilities",
    "DeliveryError",
    "MessageGone",
    "Messenger",
    "NotModified",
    "Rejected",
    "RetryLater",
    "TransientFailure",
    "Unreachable",
]


class DeliveryError(Exception):
    """A message could not be delivered; the subclass says what to do about it."""


class RetryLater(DeliveryError):
    """Flood control: try again after `seconds` (the time the service asked for)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class TransientFailure(DeliveryError):
    """Network error, timeout or server error: retry with backoff."""


class Unreachable(DeliveryError):
    """The person blocked the bot or never started it: stop trying, tell the leaders."""


class NotModified(DeliveryError):
    """The edit would not change the message: treat as done."""


class MessageGone(DeliveryError):
    """The message to edit or delete no longer exists."""


class Rejected(DeliveryError):
    """Any other refusal; a bug on our side, logged with the reason."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a transport can show and change; the core may adapt what it sends to it."""

    buttons: bool = True  # choices as buttons; without them, as numbered replies
    edit: bool = True  # a sent message can be changed later
    delete: bool = True  # a sent message can be taken back
    contact_request: bool = False  # a way for people to share their own phone number
    location_pins: bool = True  # a location as a map pin rather than a line of text
    receipts: bool = False  # delivery and read receipts come back


class Messenger(Protocol):
    """Sends, edits and deletes messages in one person's chat on one transport."""

    transport: str
    capabilities: Capabilities

    async def send(self, chat: str, message: OutgoingMessage) -> str:
        """Sends a message and returns its id in the chat (the transport's own, as text; a
        text longer than the transport takes is sent in parts under one id)."""
        ...

    async def edit(self, chat: str, message_id: str, message: OutgoingMessage) -> str | None:
        """Replaces the text and choices of a message sent earlier; returns the message's new
        id if the edit changed it (a transport that sends long texts in parts may add or drop
        parts), else None."""
        ...

    async def delete(self, chat: str, message_id: str) -> None:
        """Deletes a message sent earlier (e.g. a location pin once the intervention is over)."""
        ...
