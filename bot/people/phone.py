"""Phone numbers in one form (+46701234567), so a roster row and a shared contact match."""

from __future__ import annotations

import re

__all__ = ["normalise_phone"]

_SEPARATORS = re.compile(r"[\s\-().]")


def normalise_phone(raw: str, country_code: str = "46") -> str:
    """Turns "070-123 45 67", "0046 70…" or Telegram's "46701234567" into "+46701234567".

    Raises ValueError when what is left is not a plausible phone number.
    """
    compact = _SEPARATORS.sub("", raw.strip())
    if compact.startswith("+"):
        digits = compact[1:]
    elif compact.startswith("00"):
        digits = compact[2:]
    elif compact.startswith("0"):
        digits = country_code + compact[1:]
    else:
        # Telegram sends shared contacts without the plus sign: "46701234567".
        digits = compact
    if not (digits.isascii() and digits.isdigit()) or not 8 <= len(digits) <= 15:
        raise ValueError(f"not a phone number: {raw!r}")
    return "+" + digits
