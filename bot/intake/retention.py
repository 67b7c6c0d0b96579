"""How long an intake request keeps what it holds about people when it did not become a call-out.

A request that became a call-out is purged with it, a retention period after the call-out ended
(bot.people.privacy; storage.privacy.purge_activation takes the requester's name and phone too).
One that did not (declined, or never decided) gets a durable deadline when it arrives, due the
area's retention period (`retention.sensitive_after`, or `retention.per_area`) after its arrival:

- a declined request kept no briefing or place already; the requester's name and phone go then;
- a request still waiting then (nobody decided it, or a leader took it to change it and never
  sent it) is closed as declined by nobody: the leaders' messages lose their choices, the
  requester's status becomes final, and its briefing, place, name and phone are deleted.

The messages and callbacks that quoted the requester are emptied as well. At start-up every such
request without its deadline gets one (again), so a changed period or a database from before
this rule is caught up, like the call-outs' purges.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.config import Settings
from bot.deadlines import DeadlineRunner
from storage import privacy as sql
from storage.audit import append_audit
from storage.clock import Clock
from storage.database import Database
from storage.deadlines import add_deadline
from storage.intake import (
    RETENTION_DEADLINE,
    IntakeRecord,
    cancel_intake_deadlines,
    expire_intake,
    intake_by_id,
)
from storage.models import Deadline
from storage.sql import Connection

__all__ = ["IntakeRetention"]

logger = logging.getLogger(__name__)

# Tells the leaders what became of a request (IntakeService._show_leaders): record, how, now.
ShowLeaders = Callable[[Connection, IntakeRecord, str, datetime], Awaitable[None]]


class IntakeRetention:
    """The purge deadline of each intake request that did not become a call-out."""

    def __init__(self, settings: Settings, database: Database, clock: Clock,
                 runner: DeadlineRunner, show_leaders: ShowLeaders) -> None:
        self.settings = settings
        self.db = database
        self.clock = clock
        self.runner = runner
        self.show_leaders = show_leaders
        # Told after a purge committed (the privacy service checkpoints the WAL, so the deleted
        # text leaves the -wal file too; set by build_services).
        self.purged: Callable[[], None] = lambda: None
        runner.register(RETENTION_DEADLINE, self._purge_due)

    def _due(self, area: str, arrived: datetime) -> datetime:
        return arrived + self.settings.retention.sensitive_after_for(area)

    async def schedule(self, tx: Connection, record: IntakeRecord,
                       now: datetime) -> Deadline:
        """The purge of a request that has just arrived (a no-op if it becomes a call-out)."""
        return await add_deadline(tx, RETENTION_DEADLINE,
                                  self._due(record.call_out.area, record.created_at), now,
                                  intake_id=record.id)

    async def sync(self) -> list[Deadline]:
        """Gives every request that did not become a call-out and is not purged its deadline at
        the configured time; returns the deadlines added or moved (to arm)."""
        async with self.db.transaction() as tx:
            wanted = {request.id: self._due(request.area, request.created_at)
                      for request in await sql.intakes_unpurged(tx)}
            added = await sql.sync_purge_deadlines(tx, RETENTION_DEADLINE, wanted, self.clock(),
                                                   by="intake_id")
        if added:
            logger.info("intake purge deadlines added or moved count=%d", len(added))
        return added

    async def _purge_due(self, tx: Connection, deadline: Deadline,
                         now: datetime) -> list[Deadline]:
        """The retention period of a request is over: close it if still waiting, then delete
        its details about people."""
        record = await intake_by_id(tx, deadline.intake_id)
        if record is None or record.state == "activated" or record.purged_at is not None:
            return []  # a call-out's request is purged with the call-out
        expired = await expire_intake(tx, record.id, now)
        if expired:
            await cancel_intake_deadlines(tx, record.id)
            await append_audit(tx, now, "system", "intake.expired", intake=record.id,
                               caller=record.caller_name)
        scrubbed = await sql.purge_intake(tx, record.id, now)
        await append_audit(tx, now, "system", "intake.purged", intake=record.id,
                           outbox_rows=scrubbed or 0)
        if expired:
            # Read again: the leaders are shown the request without the requester's name.
            await self.show_leaders(tx, await intake_by_id(tx, record.id), "expired", now)
        logger.info("intake %d event=purged expired=%s outbox_rows=%d", record.id, expired,
                    scrubbed or 0)
        self.purged()
        return []
