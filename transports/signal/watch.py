"""Whether the signal-cli daemon answers: since when it does not, and how long to wait before
the next try (doubling up to a cap, so a daemon that is down is retried for as long as it
takes without hammering it)."""

from __future__ import annotations

from datetime import datetime

from storage.clock import Clock

__all__ = ["DaemonWatch"]

BACKOFF_CAP = 30.0


class DaemonWatch:
    """Shared by the messenger and the event stream: every call reports how it went."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.down_since: datetime | None = None
        self.reason = ""
        self.failures = 0

    def failed(self, reason: str) -> None:
        """A call could not reach the daemon."""
        if self.down_since is None:
            self.down_since = self.clock()
        self.reason = reason
        self.failures += 1

    def answered(self) -> None:
        """The daemon answered (even with an error of its own): it is up."""
        self.down_since = None
        self.failures = 0

    def backoff(self) -> float:
        """Seconds to wait before the next try: 1, 2, 4, … 30."""
        return min(2.0 ** max(self.failures - 1, 0), BACKOFF_CAP)
