"""What the handlers hand back to the transport an event came from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.delivery.messages import OutgoingMessage
from storage.models import Address, Member

__all__ = ["Reply", "SentHook"]

# Told the transport's ids of the reply's messages once they were sent (None for a message the
# transport could not send at once and left to the outbox).
SentHook = Callable[[list[str | None]], Awaitable[None]]


@dataclass(slots=True)
class Reply:
    """The answer to one event, sent by the transport into the chat it came from.

    `toast` is the short answer to a press (a pop-up where the transport has one, else a short
    message). `profile_changed` names a member whose role or language changed, for transports
    that keep per-person menus; `forgotten` lists addresses whose per-chat state the transport
    should drop (an erased member). `retire` names messages in this chat (by the transport's
    id) whose choices are used up: the transport takes them off before sending the reply.
    `sent` is called with the ids of the messages once they are out (e.g. so that a dialogue
    can retire its question when it is answered).
    """

    messages: list[OutgoingMessage] = field(default_factory=list)
    toast: str | None = None
    profile_changed: Member | None = None
    forgotten: tuple[Address, ...] = ()
    retire: tuple[str, ...] = ()
    sent: SentHook | None = None

    @classmethod
    def text(cls, text: str) -> Reply:
        """One plain message."""
        return cls([OutgoingMessage(text)])

    @classmethod
    def pressed(cls, toast: str | None, *messages: OutgoingMessage) -> Reply:
        """The answer to a press: a toast (None: just acknowledged), then any messages."""
        return cls(list(messages), toast=toast)
