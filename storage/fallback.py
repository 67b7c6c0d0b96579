"""Requests whose phone never confirmed them: sent again through the member's other transport.

A Signal request with no delivery receipt after `signal.fallback_after` (phone off, Signal
uninstalled, or the bot blocked, which Signal never reports) is queued once more, as the same
neutral message under the same ref, to each other reachable address of the member, while the
request is still unanswered. Later edits (stand-down) then change the newest copy.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.clock import to_db
from storage.database import Database

__all__ = ["FallbackStore"]

# Requests older than this are not moved any more (the call-out has long moved on).
HORIZON = timedelta(hours=12)

_RESEND = """
INSERT INTO outbox (lane, position, address, op, payload, ref, created_at)
SELECT o.lane, 0, a.transport || ':' || a.address, 'send', o.payload, o.ref, :now
FROM outbox AS o
JOIN requests AS r ON o.ref = 'request:' || r.id
JOIN member_addresses AS a ON a.member_id = r.member_id
WHERE o.state = 'sent' AND o.op = 'send' AND o.address LIKE :prefix
  AND o.sent_at <= :cutoff AND o.sent_at >= :horizon
  AND r.state = 'pending'
  AND a.transport != :transport AND a.reachable = 1
  AND NOT EXISTS (
      SELECT 1 FROM message_receipts AS rc
      WHERE rc.address = o.address AND rc.delivered_at IS NOT NULL
        AND rc.message_id = substr(o.message_id, 1, instr(o.message_id || ',', ',') - 1))
  AND NOT EXISTS (
      SELECT 1 FROM outbox AS copy
      WHERE copy.ref = o.ref AND copy.address = a.transport || ':' || a.address)
"""


class FallbackStore:
    """Finds and re-queues unconfirmed requests, one transaction per look."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def resend_unconfirmed(self, transport: str, cutoff: datetime,
                                 now: datetime) -> int:
        """Queues the copies; returns how many."""
        async with self.db.transaction() as connection:
            cursor = await connection.execute(_RESEND, {
                "prefix": f"{transport}:%", "transport": transport, "cutoff": to_db(cutoff),
                "horizon": to_db(now - HORIZON), "now": to_db(now)})
            return cursor.rowcount
