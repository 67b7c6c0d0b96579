"""What a transport hands the handlers: the few things people do in a chat.

Every transport turns its own updates (Telegram's Update, a Signal envelope) into one of these,
with the sender as a `Person` at an address; nothing here knows which transport it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.people.persons import Person

__all__ = ["ChatEvent", "Command", "Press", "Reachability", "SharedContact", "SharedLocation",
           "Text"]


@dataclass(frozen=True, slots=True)
class Command:
    """A command such as /status 2026-014: its name without the slash, and its arguments."""

    sender: Person
    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Press:
    """A choice pressed under a message (or picked by its number): its packed id."""

    sender: Person
    choice: str


@dataclass(frozen=True, slots=True)
class Text:
    """Typed text that is not a command. `message_id` grows with each message in the chat, when
    the transport has one, so a message delivered twice can be recognised."""

    sender: Person
    text: str
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class SharedLocation:
    """A location pin, or a named place with an address."""

    sender: Person
    latitude: float
    longitude: float
    title: str | None = None
    address: str | None = None


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
