"""The core objects one running bot shares, built once by the composition root (bot.app)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.callout.dialogue import ActivationDialogue
from bot.callout.service import CalloutService
from bot.config import Settings
from bot.deadlines import ClockWatch, DeadlineRunner
from bot.debrief.service import DebriefService
from bot.delivery.router import MessengerRouter
from bot.delivery.sender import OutboxSender
from bot.intake.callbacks import CallbackSender
from bot.intake.service import IntakeService
from bot.kept_presses import KeptPresses
from bot.people.enrolment import EnrolmentService
from bot.people.privacy import PrivacyService
from bot.people.roster_admin import RosterAdmin
from bot.records.service import CertificateService, ReportService
from bot.shifts.service import ShiftService
from bot.storage_health import StorageWatch
from bot.timekeeping import SYSTEM_TIME, SteadyClock, TimeSource
from bot.training.dialogue import TrainingDialogue
from bot.training.service import TrainingService
from storage.audit import AuditReads
from storage.clock import Clock
from storage.database import Database
from storage.dialogues import DialogueStore
from storage.members import MemberStore
from storage.outbox import OutboxStore
from storage.skills import SkillReads

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
    skills: SkillReads
    certificates: CertificateService
    training: TrainingService
    training_dialogue: TrainingDialogue
    shifts: ShiftService
    intake: IntakeService
    callbacks: CallbackSender
    # Storage faults and clock steps (issue 17): the storage watch's report() is for /healthz.
    router: MessengerRouter
    storage: StorageWatch
    kept_presses: KeptPresses
    clock_watch: ClockWatch | None = None

    async def start(self) -> None:
        """Makes the configured admins leaders, starts delivering (what a crash left unsent
        first) and arms every pending deadline."""
        for admin in self.settings.admin_addresses:
            await self.members.ensure_admin(admin, now=self.clock())
        await self.sender.start()
        await self.deadlines.start()
        await self.privacy.start()
        await self.storage.start()
        self.deadlines.every(self.settings.callout.watchdog_every,
                             self.callouts.escalation.watchdog, "watchdog")
        if self.clock_watch is not None:
            self.deadlines.every(self.settings.callout.watchdog_every, self.clock_watch.check,
                                 "clock-watch")
        if self.settings.intake.enabled:
            await self.callbacks.start()

    async def stop(self, grace: float = 0.0) -> None:
        """Stops the timers and the sender (letting work in hand end for up to `grace`
        seconds); what is pending stays in the database."""
        await self.callbacks.stop()
        await self.kept_presses.stop()
        await self.deadlines.stop(grace)
        await self.sender.stop(grace)


def build_services(settings: Settings, database: Database, router: MessengerRouter,
                   clock: Clock, *, sender_workers: int = 8,
                   time: TimeSource | None = None) -> Services:
    """Wires the core around an open database and the messengers of the running transports.

    Timers count on `time` (by default the source of a SteadyClock, else the system's); only a
    SteadyClock can follow a wall-clock step, so only then is there a clock watch.
    """
    if time is None:
        time = clock.source if isinstance(clock, SteadyClock) else SYSTEM_TIME
    members = MemberStore(database)
    dialogues = DialogueStore(database)
    sender = OutboxSender(OutboxStore(database), router, clock, workers=sender_workers)
    deadlines = DeadlineRunner(database, clock, time=time)
    deadlines.after_fire.append(sender.wake)
    callouts = CalloutService(settings, database, clock, sender.wake, deadlines)
    debriefs = DebriefService(settings, database, clock, callouts.out, deadlines, sender.wake)
    callouts.on_closed.append(debriefs.on_closed)
    sender.on_unreachable = callouts.mark_unreachable
    privacy = PrivacyService(settings, database, clock, deadlines)
    privacy.wake_sender = sender.wake
    # Sensitive details are purged a retention period after a call-out ends, either way.
    callouts.on_closed.append(privacy.schedule_purge)
    callouts.on_cancelled.append(privacy.schedule_purge)
    roster = RosterAdmin(settings, database, members, privacy, clock)
    # A paused member is not asked, and their open requests are stood down at once.
    roster.on_paused.append(callouts.stand_down_paused)
    training = TrainingService(settings, database, clock, callouts.out, deadlines, sender.wake)
    # A support centre in shifts hooks into the call-out service (its shifts, its request).
    shifts = ShiftService(settings, database, clock, callouts, debriefs, deadlines, sender.wake)
    certificates = CertificateService(settings, database, clock)
    certificates.sources.append(shifts.reads.assignments)
    activation = ActivationDialogue(settings, dialogues, callouts, clock)
    intake = IntakeService(settings, database, clock, callouts, activation, deadlines)
    # A request that did not become a call-out is purged on its own (bot.intake.retention).
    privacy.catch_ups.append(intake.retention.sync)
    intake.retention.purged = privacy.checkpoint_soon
    callbacks = CallbackSender(database, clock, intake.status)
    intake.on_change.append(callbacks.poke)
    # Every commit that owes people messages may change what a requester follows.
    sender.on_wake.append(intake.changed)
    return Services(
        settings=settings, clock=clock, database=database, members=members, dialogues=dialogues,
        enrolment=EnrolmentService(settings, members, dialogues, clock), callouts=callouts,
        activation=activation, debriefs=debriefs,
        sender=sender, deadlines=deadlines, privacy=privacy,
        roster=roster,
        reports=ReportService(settings, database, clock), audit=AuditReads(database),
        router=router,
        storage=StorageWatch(settings, database, members, router, clock, deadlines.timers),
        kept_presses=KeptPresses(router, time, settings.storage.retry_presses_for),
        clock_watch=(ClockWatch(database, clock, deadlines)
                     if isinstance(clock, SteadyClock) else None),
        skills=SkillReads(database), certificates=certificates, training=training,
        training_dialogue=TrainingDialogue(settings, dialogues, training, clock), shifts=shifts,
        intake=intake, callbacks=callbacks,
    )
