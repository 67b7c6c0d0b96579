"""What people type, made safe to keep and to show to others.

Everything typed reaches other people's phones (a summary in 300 requests, a name in a team
list), so control characters (NUL and the like), invisible format marks (zero-width spaces,
right-to-left overrides, byte-order marks) and unpaired surrogates are removed before anything
reads it; a name must also have at least one letter. The zero-width joiner and non-joiner stay:
they belong to emoji sequences and to some scripts.
"""

from __future__ import annotations

import unicodedata

__all__ = ["MAX_NAME", "clean_line", "clean_name", "clean_text", "has_letters"]

MAX_NAME = 80  # characters of a member's name (enrolment, roster import)

_KEPT_FORMAT = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner
_DROPPED = frozenset(("Cc", "Cf", "Cs", "Co"))  # controls, format marks, surrogates, private use
_LINE_BREAKS = ("\r\n", "\r", "\u2028", "\u2029", "\x85", "\v", "\f")


def clean_text(text: str) -> str:
    """The text without invisible and control characters; line breaks of any kind become
    "\\n" and tabs spaces. Nothing else changes (the caller strips if it wants)."""
    for line_break in _LINE_BREAKS:
        text = text.replace(line_break, "\n")
    text = text.replace("\t", " ")
    return "".join(character for character in text
                   if character == "\n" or character in _KEPT_FORMAT
                   or unicodedata.category(character) not in _DROPPED)


def clean_line(text: str) -> str:
    """One line of typed text: cleaned, line breaks and runs of spaces made single spaces."""
    return " ".join(clean_text(text).split())


def has_letters(text: str) -> bool:
    """True if the text has at least one letter (of any script)."""
    return any(unicodedata.category(character).startswith("L") for character in text)


def clean_name(text: str) -> str | None:
    """A person's name as typed or imported: one clean line of 2 to 80 characters with a
    letter in it, else None."""
    name = clean_line(text)
    if not 2 <= len(name) <= MAX_NAME or not has_letters(name):
        return None
    return name
