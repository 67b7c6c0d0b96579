"""What the core asks a transport to show a person: text, buttons, a location, a document.

Transport-neutral on purpose: the Telegram messenger turns these into PTB calls, and a later
Signal messenger can turn the same objects into its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Button", "Document", "Location", "OutgoingMessage"]

MAX_TEXT = 4096  # Telegram's limit for one message: https://core.telegram.org/bots/api#sendmessage


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button; `data` is a packed callback (bot.choices), never free text."""

    text: str
    data: str


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float | None = None
    longitude: float | None = None
    title: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    filename: str
    content: bytes
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message to one person."""

    text: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()
    # Reply-keyboard choices typed for the person; `contact_button` asks Telegram to share
    # the person's own phone number.
    keyboard: tuple[tuple[str, ...], ...] = ()
    contact_button: str | None = None
    remove_keyboard: bool = False
    location: Location | None = None
    document: Document | None = None
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if len(self.text) > MAX_TEXT:
            raise ValueError(f"message text is {len(self.text)} characters, over {MAX_TEXT}")
