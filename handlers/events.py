"""What a transport hands the handlers: the few things people do in a chat.

Every transport turns its own updates (Telegram's Update, a Signal envelope) into one of these,
with the sender as a `Person` at an address; nothing here knows which transport it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.people.persons import Person
from bot.typed import clean_line, clean_text

__all__ = ["ChatEvent", "Command", "Press", "Reachability", "SharedContact", "SharedLocation",
           "Text", "cleaned"]


@dataclass(frozen=True, slots=True)
class Command:
    """A command such as /status 2026-014: its name without the slash, and its arguments."""

    sender: Person
    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Press:
    """A choice pressed under a message (or picked by its number): its packed id, and the
    transport's id of the message it was under, when the transport knows it."""

    sender: Person
    choice: str
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class Text:
    """Typed text that is not a command. `message_id` grows with each message in the chat, when
    the transport has one, so a message delivered twice can be recognised."""

    sender: Person
    text: str
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class SharedLocation:
    """A location pin, or a named place with an address; `message_id` as for Text."""

    sender: Person
    latitude: float
    longitude: float
    title: str | None = None
    address: str | None = None
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class SharedContact:
    """A shared phone number; `own` when the transport vouches that it is the sender's own."""

    sender: Person
    phone: str
    own: bool


@dataclass(frozen=True, slots=True)
class Reachability:
    """The transport says the person blocked the bot (or unblocked it)."""

    sender: Person
    blocked: bool


ChatEvent = Command | Press | Text | SharedLocation | SharedContact | Reachability


def cleaned(event: ChatEvent) -> ChatEvent:
    """The event with everything the person typed (and the name their app shows) cleaned of
    control characters and invisible marks (bot.typed), before any handler reads it."""
    sender = replace(event.sender, display_name=clean_line(event.sender.display_name))
    match event:
        case Command():
            args = tuple(arg for arg in map(clean_line, event.args) if arg)
            return replace(event, sender=sender, args=args)
        case Text():
            return replace(event, sender=sender, text=clean_text(event.text))
        case SharedLocation():
            return replace(event, sender=sender,
                           title=clean_line(event.title or "") or None,
                           address=clean_line(event.address or "") or None)
        case SharedContact():
            return replace(event, sender=sender, phone=clean_line(event.phone))
    return replace(event, sender=sender)
