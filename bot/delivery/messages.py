"""What the core asks a transport to show a person: text, choices, a location, a document.

Transport-neutral on purpose: a transport with buttons shows the choices as buttons, one
without them as numbered replies; what a transport can do and its limits (length, rate) live in
its messenger, never here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["PART_LENGTH", "Choice", "Document", "Location", "OutgoingMessage", "split_text",
           "text_parts"]

# Long lists (an audit trail, the roster, a follow-up summary) are cut at line boundaries into
# parts of at most this many characters, a size people can read; a transport whose own limit is
# smaller splits a part further.
PART_LENGTH = 4000


@dataclass(frozen=True, slots=True)
class Choice:
    """One thing a person can choose under a message.

    `id` is a packed action from bot.choices (ids, never free text, at most 64 bytes so that
    every transport can carry it); `label` is what the person reads.
    """

    label: str
    id: str


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
    """One message to one person.

    `choices` are rows of choices under the text. `suggestions` are answers the person may type
    (a transport may offer them as a reply keyboard); `request_contact` is the label of a way to
    share one's own phone number, for transports that have one; `clear_suggestions` takes away
    suggestions offered earlier.
    """

    text: str = ""
    choices: tuple[tuple[Choice, ...], ...] = ()
    suggestions: tuple[str, ...] = ()
    request_contact: str | None = None
    clear_suggestions: bool = False
    location: Location | None = None
    document: Document | None = None


def text_parts(lines: Sequence[str], limit: int = PART_LENGTH) -> list[str]:
    """Lines packed into as few parts of at most `limit` characters as they fit in; a single
    line longer than that is cut with "…"."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = line if len(line) <= limit else line[:limit - 1] + "…"
        if current and size + len(line) + 1 > limit:
            parts.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        parts.append("\n".join(current))
    return parts


def split_text(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """The whole text in as few parts of at most `limit` (as `size` measures) as it fits in.

    For a transport's messenger, whose service refuses longer messages: the text is cut at line
    boundaries, so the first line (the headline) opens the first part and nothing is lost; a
    single line longer than `limit` is cut after its last space that fits (or inside a word as
    long as that). Blank lines at a cut are dropped, since a service refuses an empty message.
    """
    if size(text) <= limit:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for line in text.split("\n"):
        for piece in _line_pieces(line, limit, size):
            added = size(piece) + (1 if current else 0)
            if current and used + added > limit:
                parts.append("\n".join(current))
                current, used, added = [], 0, size(piece)
            current.append(piece)
            used += added
    parts.append("\n".join(current))
    return [part.strip("\n") for part in parts if part.strip()]


def _line_pieces(line: str, limit: int, size: Callable[[str], int]) -> list[str]:
    """One line cut into pieces of at most `limit`, after a space where there is one."""
    pieces: list[str] = []
    while size(line) > limit:
        end, used, space = 0, 0, -1
        for index, character in enumerate(line):
            used += size(character)
            if used > limit:
                break
            end = index + 1
            if character == " ":
                space = end
        cut = space if space > 0 else max(end, 1)
        pieces.append(line[:cut].rstrip(" ") or line[:cut])
        line = line[cut:]
    pieces.append(line)
    return pieces
