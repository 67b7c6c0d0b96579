"""What the handlers hand back to the transport an event came from."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.delivery.messages import OutgoingMessage
from storage.models import Address, Member

__all__ = ["Reply"]


@dataclass(slots=True)
class Reply:
    """The answer to one event, sent by the transport into the chat it came from.

    `toast` is the short answer to a press (a pop-up where the transport has one, else a short
    message). `profile_changed` names a member whose role or language changed, for transports
    that keep per-person menus; `forgotten` lists addresses whose per-chat state the transport
    should drop (an erased member).
    """

    messages: list[OutgoingMessage] = field(default_factory=list)
    toast: str | None = None
    profile_changed: Member | None = None
    forgotten: tuple[Address, ...] = ()

    @classmethod
    def text(cls, text: str) -> Reply:
        """One plain message."""
        return cls([OutgoingMessage(text)])

    @classmethod
    def pressed(cls, toast: str | None, *messages: OutgoingMessage) -> Reply:
        """The answer to a press: a toast (None: just acknowledged), then any messages."""
        return cls(list(messages), toast=toast)
