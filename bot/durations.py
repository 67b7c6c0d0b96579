"""Durations written the way people write them in config and chat: "30s", "5m", "2h", "7d", "4w"."""

from __future__ import annotations

import math
import re
from datetime import timedelta

__all__ = ["MAX_DURATION", "format_duration", "parse_duration"]

# Far longer than anything the bot needs, yet far inside what a timedelta and a time stored from
# now can hold (year 9999), so "/away 99999999999d" is refused instead of overflowing; each use
# has its own, tighter limit (an invite 30 days, /away a year).
MAX_DURATION = timedelta(days=1_000_000)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")


def parse_duration(text: str) -> timedelta:
    """Turns "1h30m", "2h" or "45s" into a timedelta; raises ValueError on anything else."""
    compact = text.strip().lower().replace(" ", "")
    if not compact or _PART.sub("", compact):
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 5m, 2h, 7d, 4w)")
    seconds = sum(float(number) * _UNITS[unit] for number, unit in _PART.findall(compact))
    if not math.isfinite(seconds) or seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"too long: {text!r}")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """Writes a timedelta back in the compact form parse_duration reads ("1h30m")."""
    remaining = int(value.total_seconds())
    if remaining == 0:
        return "0s"
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        count, remaining = divmod(remaining, _UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
