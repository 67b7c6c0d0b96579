"""Reading "/away 3d" or "/away 2026-12-24" into the moment a volunteer is available again."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.durations import parse_duration

__all__ = ["parse_away"]

MAX_AWAY = timedelta(days=366)


def parse_away(text: str, now: datetime, timezone: ZoneInfo) -> datetime:
    """A duration counts from now; a date means away through that whole day (local time).

    Raises ValueError for anything else, for a date in the past, or for more than a year.
    """
    value = text.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        duration = parse_duration(value)
        if duration > MAX_AWAY:
            raise ValueError("more than a year") from None
        until = now + duration
    else:
        if (day - now.astimezone(timezone).date()).days > MAX_AWAY.days:
            # Before adding a day: 9999-12-31 plus one would overflow.
            raise ValueError("more than a year") from None
        until = datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone)
    if until <= now:
        raise ValueError("in the past")
    if until - now > MAX_AWAY:
        raise ValueError("more than a year")
    return until
