"""Data protection: the retention purge, a member's erasure, /mydata and the archive export.

- **Retention.** When a call-out ends (closed or cancelled) a durable `purge_sensitive` deadline
  is added in the same transaction, due `retention.sensitive_after` later (or the area's own
  period from `retention.per_area`, each municipality's gallringsbeslut). When it fires, the
  briefing, address, location and free-text debrief answers are deleted; the statistics stay.
  At start-up every ended call-out that is not purged gets its deadline (again), so a changed
  period or a database from before this feature is caught up.
- **Erasure.** A member's personal fields are emptied and the row kept under a placeholder name
  ("Raderad 17"), so the anonymous statistics keep counting; the audit log holds ids only.
- **Intake requests** that did not become a call-out keep the requester's name and phone (and,
  while nobody decides them, the briefing) for the same period from their arrival
  (bot.intake.retention); one that did is purged with its call-out.
- **Drafts.** A dialogue left unfinished (an abandoned /activate with its typed briefing, a
  stranger's /start) is deleted `retention.drafts_after` after its last step, and the messages
  the leader typed in it are deleted from their chat (checked every hour).
- **Direct replies** a transport handed to the outbox (a flood wait) keep no text once
  delivered; one that failed is emptied by the same hourly check.
- After a purge or an erasure the WAL is checkpointed, so with `secure_delete` the text is gone
  from the database file and the -wal file alike.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import aiosqlite

from bot.config import Settings
from bot.deadlines import DeadlineRunner
from bot.delivery.messages import Document
from bot.i18n import N_, translator
from storage import privacy as sql
from storage.audit import append_audit
from storage.clock import Clock, to_db
from storage.database import Database
from storage.deadlines import add_deadline
from storage.dialogues import purge_dialogues
from storage.members import member_in
from storage.models import Activation, Deadline, Member, Request
from storage.outbox import enqueue

__all__ = ["PURGE", "Erasure", "PrivacyService", "placeholder_name"]

logger = logging.getLogger(__name__)
Connection = aiosqlite.Connection

PURGE = "purge_sensitive"
REMOVED_NAME = N_("Removed {id}")
DRAFT_CHECK_EVERY = timedelta(hours=1)
# A direct reply that failed is emptied only this long after it was written: a reroute to the
# member's other transport copies the failed row right after it failed.
FAILED_REPLY_KEPT = timedelta(hours=1)


def placeholder_name(settings: Settings, member_id: int) -> str:
    """The name an erased member's row keeps, in the organisation's language ("Raderad 17")."""
    t = translator(settings.organisation.default_locale, settings.organisation.timezone)
    return t.gettext(REMOVED_NAME).format(id=member_id)


@dataclass(frozen=True, slots=True)
class Erasure:
    """The outcome of an erasure request; `refusal` says why nothing was done."""

    done: bool
    refusal: Literal["unknown", "busy", "last_leader"] | None = None
    member_id: int | None = None
    busy_on: str | None = None  # with "busy": the code of the running call-out


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(type(value))


def to_json(data: Any) -> bytes:
    """Pretty UTF-8 JSON for people and archives."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False,
                      default=_json_default).encode("utf-8")


class PrivacyService:
    """Retention, erasure and data access, each change one transaction with its audit row."""

    def __init__(self, settings: Settings, database: Database, clock: Clock,
                 runner: DeadlineRunner) -> None:
        self.settings = settings
        self.db = database
        self.clock = clock
        self.runner = runner
        self._checkpoint_due = False
        self._checkpoint_task: asyncio.Task | None = None
        # Told when messages were queued (the outbox sender's wake; set by build_services).
        self.wake_sender: Callable[[], None] = lambda: None
        # Other purge deadlines to catch up on at start-up (the intake's; set by build_services).
        self.catch_ups: list[Callable[[], Awaitable[list[Deadline]]]] = []
        runner.register(PURGE, self._purge_due)
        runner.after_fire.append(self._after_fire)

    # -- retention ---------------------------------------------------------------------------

    def _due(self, area: str, ended_at: datetime) -> datetime:
        return ended_at + self.settings.retention.sensitive_after_for(area)

    async def schedule_purge(self, tx: Connection, activation: Activation,
                             team: list[tuple[Request, Member]], now: datetime) -> list[Deadline]:
        """CalloutService hook (close and cancel): the purge of this call-out's details."""
        ended = activation.closed_at or activation.cancelled_at or now
        return [await add_deadline(tx, PURGE, self._due(activation.area, ended), now,
                                   activation_id=activation.id)]

    async def sync_purges(self) -> list[Deadline]:
        """Gives every ended, unpurged call-out a purge deadline at its configured time."""
        async with self.db.transaction() as tx:
            wanted = {ended.id: self._due(ended.area, ended.ended_at)
                      for ended in await sql.ended_unpurged(tx)}
            added = await sql.sync_purge_deadlines(tx, PURGE, wanted, self.clock())
        if added:
            logger.info("purge deadlines added or moved count=%d", len(added))
        return added

    async def start(self) -> None:
        """At start-up (after the runner started): catch up on purge deadlines and arm them,
        purge stale drafts, and check for them every hour from now on."""
        for deadline in await self.sync_purges():
            self.runner.arm(deadline)
        for catch_up in self.catch_ups:
            for deadline in await catch_up():
                self.runner.arm(deadline)
        await self._purge_drafts_job()
        self.runner.every(DRAFT_CHECK_EVERY, self._purge_drafts_job, "purge-drafts")

    async def _purge_drafts_job(self) -> None:
        await self.purge_drafts()
        await self.forget_failed_replies()

    async def forget_failed_replies(self) -> int:
        """Empties direct replies handed to the outbox that no transport took (a delivered one
        keeps no text already); returns how many."""
        async with self.db.transaction() as tx:
            emptied = await sql.forget_failed_replies(tx, self.clock() - FAILED_REPLY_KEPT)
        if emptied:
            logger.info("failed replies emptied count=%d", emptied)
            await self.checkpoint()
        return emptied

    def checkpoint_soon(self) -> None:
        """Another service's purge committed inside a deadline: checkpoint after it fired."""
        self._checkpoint_due = True

    async def purge_drafts(self) -> int:
        """Deletes unfinished dialogues older than retention.drafts_after, and the messages a
        leader typed in them (their typed briefing) from their chat; returns how many."""
        now = self.clock()
        async with self.db.transaction() as tx:
            purged = await purge_dialogues(tx, now - self.settings.retention.drafts_after)
            for dialogue in purged:
                for message_id in dialogue.data.get("typed", ()):
                    await enqueue(tx, address=dialogue.address, op="delete", now=now,
                                  payload=json.dumps({"message_id": message_id}))
            if purged:
                await append_audit(tx, now, "system", "drafts.purged", count=len(purged))
        if purged:
            logger.info("drafts purged count=%d", len(purged))
            self.wake_sender()
            await self.checkpoint()  # the typed briefing leaves the -wal file too
        return len(purged)

    async def _purge_due(self, tx: Connection, deadline: Deadline,
                         now: datetime) -> list[Deadline]:
        if await self.purge(tx, deadline.activation_id, now, actor="system"):
            self._checkpoint_due = True
        return []

    async def purge(self, tx: Connection, activation_id: int, now: datetime, *,
                    actor: str) -> bool:
        """Deletes one ended call-out's sensitive details inside the transaction."""
        counts = await sql.purge_activation(tx, activation_id, now)
        if counts is None:
            return False
        await append_audit(tx, now, actor, "activation.purged", activation_id,
                           outbox_rows=counts.outbox_rows, debrief_rows=counts.debrief_rows)
        logger.info("activation id=%d event=purged outbox_rows=%d debrief_rows=%d",
                    activation_id, counts.outbox_rows, counts.debrief_rows)
        return True

    def _after_fire(self) -> None:
        if self._checkpoint_due:
            self._checkpoint_due = False
            # Keep a reference until done: the event loop holds tasks only weakly.
            self._checkpoint_task = asyncio.get_running_loop().create_task(self.checkpoint())

    async def checkpoint(self) -> bool:
        """Moves the WAL into the file and truncates it, so deleted text leaves the -wal too."""
        done = await self.db.checkpoint()
        if not done:
            logger.warning("WAL checkpoint after a purge was blocked by a reader; the next "
                           "checkpoint completes it")
        return done

    # -- people's rights ---------------------------------------------------------------------

    async def erase(self, member_id: int, *, actor: str) -> Erasure:
        """Erases a member's personal data; refused while they are on a running call-out or
        when they are the last active leader."""
        now = self.clock()
        async with self.db.transaction() as tx:
            member = await member_in(tx, member_id)
            if member is None or member.status == "removed":
                return Erasure(False, "unknown")
            busy = await sql.busy_on(tx, member_id)
            if busy:
                return Erasure(False, "busy", member_id, busy_on=busy)
            if member.is_leader and member.status == "active" and \
                    await sql.count_active_leaders(tx, besides=member_id) == 0:
                return Erasure(False, "last_leader", member_id)
            await sql.erase_member(tx, member_id, placeholder_name(self.settings, member_id),
                                   now)
            await append_audit(tx, now, actor, "member.removed", member_id=member_id)
        logger.info("member %d erased by %s", member_id, actor)
        await self.checkpoint()
        return Erasure(True, member_id=member_id)

    async def my_data(self, member: Member) -> Document:
        """Everything stored about the member, as a JSON document; the access is audited."""
        now = self.clock()
        data = {"generated_at": to_db(now), "organisation": self.settings.organisation.name,
                **await sql.member_data(self.db, member.id)}
        async with self.db.transaction() as tx:
            await append_audit(tx, now, f"member:{member.id}", "member.data_sent",
                               member_id=member.id)
        return Document(f"mydata-{member.id}.json", to_json(data))

    async def archive(self, year: int, *, actor: str) -> bytes:
        """Everything about the year's call-outs for the municipal archive (JSON), audited."""
        now = self.clock()
        zone = self.settings.organisation.tz
        data = {"generated_at": to_db(now), "organisation": self.settings.organisation.name,
                **await sql.archive_year(self.db, year,
                                         since=datetime(year, 1, 1, tzinfo=zone),
                                         until=datetime(year + 1, 1, 1, tzinfo=zone))}
        async with self.db.transaction() as tx:
            await append_audit(tx, now, actor, "archive.exported", year=year,
                               activations=len(data["activations"]))
        return to_json(data)
