"""Training days and meetings as a service: announce, answer, remind, mark attendance, and each
member's training status.

Each event is one transaction under the write lock, with its audit row and the messages it owes
in the outbox. Invitations and reminders go in the broadcast lane, behind any call-out's
briefings. The reminder and the leader's prompt to mark attendance are deadline rows
(bot.deadlines), whose `step` carries the training's id (they belong to no call-out).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from bot.callout.outbound import Outbound
from bot.config import Settings
from bot.deadlines import DeadlineRunner
from bot.delivery.messages import OutgoingMessage
from bot.delivery.payload import encode
from bot.i18n import Translator
from bot.training.render import invitation, reminder, roll
from bot.training.rules import is_trained, reminded, status_from
from storage.audit import append_audit
from storage.clock import Clock
from storage.database import Database
from storage.deadlines import add_deadline
from storage.members import leaders_in, member_in
from storage.models import Deadline, Member
from storage.outbox import BROADCAST_LANE, enqueue
from storage.sql import Connection
from storage.training import (
    NewTraining,
    Training,
    TrainingFacts,
    TrainingReads,
    TrainingStatus,
    add_invite,
    answer_invite,
    insert_training,
    invite_by_id,
    invitees,
    manual_status,
    mark_attendance,
    set_manual_status,
    training_by_id,
    training_invites,
)

__all__ = ["Announced", "TrainingService", "invitation_ref", "roll_ref"]

logger = logging.getLogger(__name__)

REMINDER, ROLL = "training_reminder", "training_roll"
# The broadcast lane is served by position: a call-out's fan-out (positions 0, 1, 2, …) goes
# out before any invitation queued at the same time.
BEHIND_CALL_OUTS = 1_000_000


def invitation_ref(invite_id: int) -> str:
    """The outbox ref of an invitation (its answer edits it)."""
    return f"training:{invite_id}"


def roll_ref(training_id: int, leader_id: int) -> str:
    """The outbox ref of the roll a leader marks attendance on (each mark edits it)."""
    return f"training-roll:{training_id}:{leader_id}"


@dataclass(frozen=True, slots=True)
class Announced:
    training: Training
    invited: int


class TrainingService:
    """Announces trainings and meetings and keeps their answers and attendance."""

    def __init__(self, settings: Settings, database: Database, clock: Clock,
                 outbound: Outbound, runner: DeadlineRunner,
                 wake_sender: Callable[[], None]) -> None:
        self.settings = settings
        self.db = database
        self.clock = clock
        self.out = outbound
        self.runner = runner
        self.wake_sender = wake_sender
        self.reads = TrainingReads(database)
        runner.register(REMINDER, self._remind)
        runner.register(ROLL, self._prompt_roll)

    def _done(self, arms: list[Deadline]) -> None:
        for deadline in arms:
            self.runner.arm(deadline)
        self.wake_sender()

    # -- announcing ----------------------------------------------------------------------------

    async def announce(self, leader: Member, new: NewTraining) -> Announced:
        """Stores the training, invites every active member of its areas (everyone without
        areas), and plans the reminder and the prompt to mark attendance."""
        now = self.clock()
        config = self.settings.training
        async with self.db.transaction() as tx:
            training = await insert_training(tx, new, created_by=leader.id, now=now)
            people = await invitees(tx, new.areas)
            for position, member in enumerate(people):
                invite_id = await add_invite(tx, training.id, member.id)
                invite = await invite_by_id(tx, invite_id)
                await self._broadcast(tx, member, invitation(
                    self.settings, training, invite, self.out.t(member)), now,
                    ref=invitation_ref(invite_id), position=position)
            arms = []
            if config.reminder_before and training.starts_at - config.reminder_before > now:
                arms.append(await add_deadline(tx, REMINDER,
                                               training.starts_at - config.reminder_before, now,
                                               step=training.id))
            if config.mark_after:
                arms.append(await add_deadline(tx, ROLL, training.starts_at + config.mark_after,
                                               now, step=training.id))
            await append_audit(tx, now, f"member:{leader.id}", "training.announced",
                               training_id=training.id, kind=training.kind, invited=len(people))
        logger.info("training %d event=announced kind=%s invited=%d", training.id, training.kind,
                    len(people))
        self._done(arms)
        return Announced(training, len(people))

    async def _broadcast(self, tx: Connection, member: Member, message: OutgoingMessage,
                         now: datetime, *, ref: str | None = None, position: int = 0) -> None:
        """Queues a message in the broadcast lane, behind every call-out's requests: a training
        never delays a briefing, nor a request to go out now."""
        if member.address is not None:
            await enqueue(tx, address=member.address, payload=encode(message), now=now,
                          lane=BROADCAST_LANE, ref=ref, position=BEHIND_CALL_OUTS + position)

    # -- answers -------------------------------------------------------------------------------

    async def answer(self, member: Member, invite_id: int, coming: bool,
                     presser_t: Translator) -> str:
        """[Kommer] / [Kommer inte]: stores the answer and shows it in the invitation."""
        now = self.clock()
        t = self.out.t(member)
        async with self.db.transaction() as tx:
            invite = await invite_by_id(tx, invite_id)
            if invite is None or invite.member_id != member.id:
                return presser_t.gettext("This invitation was not sent to you.")
            training = await training_by_id(tx, invite.training_id)
            if training.starts_at <= now:
                return t.gettext("This has already taken place.")
            answer = "yes" if coming else "no"
            if not await answer_invite(tx, invite.id, answer, now):
                return t.gettext("You have already answered.")
            invite = await invite_by_id(tx, invite.id)
            await self.out.edit(tx, member, invitation_ref(invite.id),
                                invitation(self.settings, training, invite, t), now)
            await append_audit(tx, now, f"member:{member.id}", "training.answered",
                               training_id=training.id, answer=answer)
        self.wake_sender()
        return t.gettext("Thank you – see you there!") if coming \
            else t.gettext("Thank you for telling us.")

    # -- deadlines -----------------------------------------------------------------------------

    async def _remind(self, tx: Connection, deadline: Deadline, now: datetime) -> list[Deadline]:
        """The day before: a reminder to those coming and to those who have not answered."""
        training = await training_by_id(tx, deadline.step)
        if training is None or training.starts_at <= now:
            return []
        people = await training_invites(tx, training.id)
        members = {invite.id: member for invite, member in people}
        targets = reminded(invite for invite, _ in people)
        for position, invite in enumerate(targets):
            member = members[invite.id]
            if member.status != "active":
                continue
            await self._broadcast(tx, member, reminder(self.settings, training, invite,
                                                       self.out.t(member)), now,
                                  ref=invitation_ref(invite.id), position=position)
        await append_audit(tx, now, "system", "training.reminded", training_id=training.id,
                           reminded=len(targets))
        logger.info("training %d event=reminder reminded=%d", training.id, len(targets))
        return []

    async def _prompt_roll(self, tx: Connection, deadline: Deadline,
                           now: datetime) -> list[Deadline]:
        """After the start: the leader who announced it gets the roll to mark attendance (every
        leader, if they are no longer one)."""
        training = await training_by_id(tx, deadline.step)
        if training is None:
            return []
        creator = await member_in(tx, training.created_by) if training.created_by else None
        leaders = [creator] if creator is not None and creator.is_leader \
            and creator.status == "active" and creator.address else await leaders_in(tx)
        for leader in leaders:
            await self._queue_roll(tx, training, leader, now)
        return []

    # -- attendance ----------------------------------------------------------------------------

    async def send_roll(self, leader: Member, training_id: int) -> bool:
        """/training ID: the roll to this leader; False if there is no such training."""
        now = self.clock()
        async with self.db.transaction() as tx:
            training = await training_by_id(tx, training_id)
            if training is None:
                return False
            await self._queue_roll(tx, training, leader, now)
        self.wake_sender()
        return True

    async def _queue_roll(self, tx: Connection, training: Training, leader: Member,
                          now: datetime) -> None:
        people = await training_invites(tx, training.id)
        await self.out.send(tx, leader, roll(self.settings, training, people,
                                             self.out.t(leader)), now,
                            ref=roll_ref(training.id, leader.id))

    async def mark(self, leader: Member, invite_id: int, attended: bool) -> str:
        """Marks one person there (or not) and shows the roll anew."""
        now = self.clock()
        t = self.out.t(leader)
        async with self.db.transaction() as tx:
            invite = await invite_by_id(tx, invite_id)
            if invite is None:
                return t.gettext("This button is no longer valid.")
            training = await training_by_id(tx, invite.training_id)
            if training.starts_at > now:
                return t.gettext("Attendance can be marked once it has begun.")
            if await mark_attendance(tx, invite.id, attended, now):
                await append_audit(tx, now, f"member:{leader.id}", "training.attendance",
                                   training_id=training.id, member_id=invite.member_id,
                                   attended=attended)
            people = await training_invites(tx, training.id)
            await self.out.edit(tx, leader, roll_ref(training.id, leader.id),
                                roll(self.settings, training, people, t), now)
        self.wake_sender()
        return t.gettext("Marked as there.") if attended else t.gettext("Marked as not there.")

    # -- status --------------------------------------------------------------------------------

    async def status(self, member_id: int) -> tuple[TrainingStatus, bool]:
        """A member's training status and whether they count as trained today."""
        facts = (await self.reads.facts()).get(member_id, TrainingFacts())
        return self._judge(facts)

    def _judge(self, facts: TrainingFacts) -> tuple[TrainingStatus, bool]:
        tz = self.settings.organisation.tz
        status = status_from(facts, tz, self.clock())
        today = self.clock().astimezone(tz).date()
        return status, is_trained(status, today, self.settings.training.refresh_within)

    async def set_introduction(self, leader: Member, member_id: int,
                               day: date | None) -> Member | None:
        """Records a member's introduction done before the bot (None clears it); returns the
        member, or None if there is no such member."""
        now = self.clock()
        async with self.db.transaction() as tx:
            member = await member_in(tx, member_id)
            if member is None or member.status == "removed":
                return None
            manual = await manual_status(tx, member.id)
            await set_manual_status(tx, member.id, TrainingStatus(day, manual.last_training_on))
            await append_audit(tx, now, f"member:{leader.id}", "training.introduction_set",
                               member_id=member.id, cleared=day is None)
        return member
