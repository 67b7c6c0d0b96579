"""Time as the database stores it: aware UTC datetimes written as sortable ISO 8601 text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "from_db", "system_clock", "to_db"]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Returns the current time in UTC."""
    return datetime.now(UTC)


def to_db(moment: datetime) -> str:
    """Writes an aware datetime as UTC text with a fixed width, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to storage")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_db(text: str | None) -> datetime | None:
    """Reads a time written by to_db."""
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
