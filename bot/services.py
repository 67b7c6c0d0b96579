"""The core objects one running bot shares, built once by the composition root (bot.app)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.callout.dialogue import ActivationDialogue
from bot.callout.service import CalloutService
from bot.config import Settings
from bot.deadlines import DeadlineRunner
from bot.debrief.service import DebriefService
from bot.delivery.router import MessengerRouter
from bot.delivery.sender import OutboxSender
from bot.intake.callbacks import CallbackSender
from bot.intake.service import IntakeService
from bot.people.enrolment import EnrolmentService
from bot.people.privacy import PrivacyService
from bot.people.roster_admin import RosterAdmin
from bot.records.service import ReportService
from storage.audit import AuditReads
from storage.clock import Clock
from storage.database import Database
from storage.dialogues import DialogueStore
from storage.members import MemberStore
from storage.outbox import OutboxStore

__all__ = ["Services"]


@dataclass(slots=True)
class Services:
    settings: Settings
    clock: Clock
    database: Database
    members: MemberStore
    dialogues: DialogueStore
    enrolment: EnrolmentService
    callouts: CalloutService
    activation: ActivationDialogue
    debriefs: DebriefService
    sender: OutboxSender
    deadlines: DeadlineRunner
    privacy: PrivacyService
    roster: RosterAdmin
    reports: ReportService
    audit: AuditReads
    intake: IntakeService
    callbacks: CallbackSender

    async def start(self) -> None:
        """Makes the configured admins leaders, starts delivering (what a crash left unsent
        first) and arms every pending deadline."""
        for admin in self.settings.admin_addresses:
            await self.members.ensure_admin(admin, now=self.clock())
        await self.sender.start()
        await self.deadlines.start()
        await self.privacy.start()
        self.deadlines.every(self.settings.callout.watchdog_every,
                             self.callouts.escalation.watchdog, "watchdog")
        if self.settings.intake.enabled:
            await self.callbacks.start()

    async def stop(self) -> None:
        """Stops the timers and the sender; what is pending stays in the database."""
        await self.callbacks.stop()
        await self.deadlines.stop()
        await self.sender.stop()


def build_services(settings: Settings, database: Database, router: MessengerRouter,
                         clock: Clock, *, sender_workers: int = 8) -> Services:
    """Wires the core around an open database and the messengers of the running transports."""
    members = MemberStore(database)
    dialogues = DialogueStore(database)
    sender = OutboxSender(OutboxStore(database), router, clock, workers=sender_workers)
    deadlines = DeadlineRunner(database, clock)
    deadlines.after_fire.append(sender.wake)
    callouts = CalloutService(settings, database, clock, sender.wake, deadlines)
    debriefs = DebriefService(settings, database, clock, callouts.out, deadlines, sender.wake)
    callouts.on_closed.append(debriefs.on_closed)
    sender.on_unreachable = callouts.mark_unreachable
    privacy = PrivacyService(settings, database, clock, deadlines)
    # Sensitive details are purged a retention period after a call-out ends, either way.
    callouts.on_closed.append(privacy.schedule_purge)
    callouts.on_cancelled.append(privacy.schedule_purge)
    activation = ActivationDialogue(settings, dialogues, callouts, clock)
    intake = IntakeService(settings, database, clock, callouts, activation, deadlines)
    callbacks = CallbackSender(database, clock, intake.status)
    intake.on_change.append(callbacks.poke)
    # Every commit that owes people messages may change what a requester follows.
    sender.on_wake.append(intake.changed)
    return Services(
        settings=settings, clock=clock, database=database, members=members, dialogues=dialogues,
        enrolment=EnrolmentService(settings, members, dialogues, clock), callouts=callouts,
        activation=activation, debriefs=debriefs,
        sender=sender, deadlines=deadlines, privacy=privacy,
        roster=RosterAdmin(settings, database, members, privacy, clock),
        reports=ReportService(settings, database, clock), audit=AuditReads(database),
        intake=intake, callbacks=callbacks,
    )
