"""Reading a moment a leader types: "2026-12-05 18:00", "18:00" (the next one), "imorgon 9:00".

Used where a leader plans ahead (a training day, the first shift at a support centre). Times are
local to the organisation; the result is an aware datetime. Anything else is a ValueError, which
the dialogues answer with an example.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["parse_moment"]

_CLOCK = r"(?:kl\.?\s*)?(\d{1,2})(?:[:.](\d{2}))?"
_DATED = re.compile(rf"^(\d{{4}}-\d{{2}}-\d{{2}})(?:\s+|t){_CLOCK}$")
_TIMED = re.compile(rf"^(?:(idag|today|imorgon|i morgon|tomorrow)\s+)?{_CLOCK}$")
_NOW = ("nu", "now")


def _clock(hours: str, minutes: str | None) -> time:
    if not (hours.isdecimal() and (minutes is None or minutes.isdecimal())):
        raise ValueError("not a time")
    return time(int(hours), int(minutes or 0))  # ValueError for 25:00


def parse_moment(text: str, now: datetime, timezone: ZoneInfo) -> datetime:
    """The moment `text` names, never in the past; ValueError if it names none."""
    value = " ".join(text.strip().lower().split())
    if value in _NOW:
        return now
    local_now = now.astimezone(timezone)
    dated = _DATED.match(value)
    if dated:
        moment = datetime.combine(date.fromisoformat(dated.group(1)),
                                  _clock(dated.group(2), dated.group(3)), tzinfo=timezone)
    else:
        timed = _TIMED.match(value)
        if not timed:
            raise ValueError("not a moment")
        day = local_now.date()
        if timed.group(1) in ("imorgon", "i morgon", "tomorrow"):
            day += timedelta(days=1)
        moment = datetime.combine(day, _clock(timed.group(2), timed.group(3)), tzinfo=timezone)
        if timed.group(1) is None and moment < local_now - timedelta(minutes=1):
            moment += timedelta(days=1)  # "18:00" at 19:00 means tomorrow
    if moment < local_now - timedelta(minutes=1):
        raise ValueError("in the past")
    return moment
