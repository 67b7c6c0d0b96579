"""Plain records the fake keeps: what a person saw, what the bot called, and API refusals."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApiCall",
    "ApiError",
    "Button",
    "ChatMessage",
    "Contact",
    "Document",
    "Stats",
    "Venue",
]


class ApiError(Exception):
    """A Telegram refusal: HTTP status, Telegram's description, optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram answers with."""
        body: dict[str, Any] = {"ok": False, "error_code": self.status,
                                "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass(frozen=True, slots=True)
class Button:
    """One inline button as the person sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Venue:
    """A venue the bot sent."""

    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact card (sent by the bot or shared by a person)."""

    phone_number: str
    first_name: str
    last_name: str | None = None
    user_id: int | None = None
    vcard: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A file the bot uploaded (or re-sent by file_id), with its bytes."""

    filename: str
    data: bytes
    caption: str | None
    mime_type: str | None
    file_id: str
    file_unique_id: str

    @property
    def bytes(self) -> bytes:
        """The file content (alias of `data`)."""
        return self.data


@dataclass(slots=True, eq=False)
class ChatMessage:
    """A message the bot sent into a person's private chat, in its current state."""

    message_id: int
    chat_id: int
    date: int
    kind: str  # "text", "location", "venue", "contact" or "document"
    text: str | None = None
    raw_text: str | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    inline_markup: dict[str, Any] | None = None
    reply_keyboard: list[list[str]] | None = None
    request_contact: bool = False
    keyboard_buttons: list[list[dict[str, Any]]] | None = field(default=None, repr=False)
    one_time_keyboard: bool = False
    remove_keyboard: bool = False
    force_reply: bool = False
    location: tuple[float, float] | None = None
    venue: Venue | None = None
    contact: Contact | None = None
    document: Document | None = None
    caption: str | None = None
    reply_to_message_id: int | None = None
    silent: bool = False
    edits: list[str | None] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False

    @property
    def buttons(self) -> list[list[Button]]:
        """Rows of inline buttons currently attached (empty when none)."""
        if not self.inline_markup:
            return []
        return [[Button(b.get("text", ""), b.get("callback_data"), b.get("url")) for b in row]
                for row in self.inline_markup.get("inline_keyboard", [])]

    @property
    def button_texts(self) -> list[str]:
        """All inline button texts, row by row."""
        return [b.text for row in self.buttons for b in row]

    @property
    def content(self) -> str | None:
        """The text, or the caption of a document."""
        return self.text if self.text is not None else self.caption

    def find_button(self, text: str | None = None,
                    callback_data: str | None = None) -> Button | None:
        """The first callback button with that text and/or callback data."""
        for row in self.buttons:
            for button in row:
                if button.callback_data is None:
                    continue
                if text is not None and button.text != text:
                    continue
                if callback_data is not None and button.callback_data != callback_data:
                    continue
                return button
        return None

    def summary(self) -> str:
        """A one-line-ish human description of the content."""
        if self.kind == "text":
            return self.text or ""
        if self.kind == "location" and self.location:
            return f"📍 location {self.location[0]:.5f}, {self.location[1]:.5f}"
        if self.kind == "venue" and self.venue:
            v = self.venue
            return f"📍 {v.title}, {v.address} ({v.latitude:.5f}, {v.longitude:.5f})"
        if self.kind == "contact" and self.contact:
            c = self.contact
            name = " ".join(p for p in (c.first_name, c.last_name) if p)
            return f"👤 {name} {c.phone_number}"
        if self.kind == "document" and self.document:
            d = self.document
            line = f"📎 {d.filename} ({len(d.data)} bytes)"
            return f"{line} {self.caption}" if self.caption else line
        return f"<{self.kind}>"

    def __repr__(self) -> str:
        flags = " deleted" if self.deleted else ""
        return (f"ChatMessage(#{self.message_id} to {self.chat_id}{flags}: "
                f"{self.summary()!r} buttons={self.button_texts})")


@dataclass(slots=True)
class ApiCall:
    """One HTTP call the bot made: method, decoded params, chat, time, HTTP status."""

    method: str
    params: dict[str, Any]
    chat_id: int | str | None
    time: float
    status: int = 200
    description: str | None = None

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.params.items() if k != "document"}
        params = json.dumps(shown, default=repr, ensure_ascii=False)[:120]
        return f"ApiCall({self.method} chat={self.chat_id} -> {self.status} {params})"


@dataclass(slots=True)
class Stats:
    """Counters for the benchmark: requests, statuses, 429s."""

    requests: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    flood_429s: int = 0  # every 429 answered, from flood_limit() or fail("429")
    limiter_429s: int = 0  # the subset produced by flood_limit()
    injected_faults: int = 0
    messages_delivered: int = 0
    updates_produced: int = 0
