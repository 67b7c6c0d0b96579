"""The port through which the core reaches people, and the failures it can report.

The Telegram implementation lives with the Telegram adapters (handlers/telegram_messenger.py);
a Signal transport would add one more implementation of the same protocol.
"""

from __future__ import annotations

from typing import Protocol

from bot.delivery.messages import OutgoingMessage

__all__ = [
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
    """Flood control: try again after `seconds` (Telegram's 429 retry_after)."""

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


class Messenger(Protocol):
    """Sends, edits and deletes messages in one person's chat."""

    async def send(self, chat_id: int, message: OutgoingMessage) -> int:
        """Sends a message and returns its id in the chat."""
        ...

    async def edit(self, chat_id: int, message_id: int, message: OutgoingMessage) -> None:
        """Replaces the text and buttons of a message sent earlier."""
        ...

    async def delete(self, chat_id: int, message_id: int) -> None:
        """Deletes a message sent earlier (e.g. a location pin once the intervention is over)."""
        ...
