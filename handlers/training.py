"""Training days and meetings in chat: /training, the leaders' announcing dialogue, the answers
Kommer / Kommer inte and the roll leaders mark attendance on."""

from __future__ import annotations

from datetime import date, timedelta

from bot.choices import AttendanceMark, TrainingAnswer, TrainingChoice
from bot.delivery.messages import Choice, OutgoingMessage
from bot.services import Services
from bot.training.render import status_lines, training_line
from handlers.admin import member_id_from
from handlers.events import Command, Text
from handlers.guard import Caller
from handlers.reply import Reply

__all__ = ["TrainingHandlers"]

# /training intro ID [DATE], in English and Swedish.
INTRO_VERBS = ("intro", "introduction", "introduktion")
RECENT, AHEAD = timedelta(days=30), timedelta(days=366)


class TrainingHandlers:
    """/training and its choices."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def training(self, caller: Caller, command: Command) -> Reply:
        """/training: leaders see the trainings and announce new ones, mark attendance
        (/training ID) and record introductions (/training intro ID [DATE]); volunteers see
        their invitations and their training status."""
        if not caller.is_leader:
            return Reply([await self._own(caller)])
        args, t = command.args, caller.t
        if not args:
            return Reply([await self._overview(caller)])
        if args[0].lower() in INTRO_VERBS:
            return await self._introduction(caller, args[1:])
        training_id = member_id_from(args[0])
        if training_id is None or len(args) > 1:
            return Reply.text(t.gettext("Usage: /training, /training ID (answers and the roll) "
                                        "or /training intro MEMBER-ID [YYYY-MM-DD]"))
        if not await self.services.training.send_roll(caller.member, training_id):
            return Reply.text(t.gettext("There is no training or meeting {id}.").format(
                id=training_id))
        return Reply()

    async def _overview(self, caller: Caller) -> OutgoingMessage:
        t = caller.t
        now = self.services.clock()
        reads = self.services.training.reads
        lines = [t.gettext("Training days and meetings (the last month and ahead):")]
        trainings = await reads.between(now - RECENT, now + AHEAD)
        for training in trainings:
            people = await reads.invites(training.id)
            coming = sum(1 for invite, _ in people if invite.answer == "yes")
            there = sum(1 for invite, _ in people if invite.attended) \
                if training.starts_at <= now else None
            lines.append(training_line(training, t, coming=coming, there=there))
        if not trainings:
            lines.append(t.gettext("None."))
        lines.append("")
        lines.append(t.gettext("/training ID shows the answers and the roll; /training intro "
                               "MEMBER-ID [YYYY-MM-DD] records an introduction course done "
                               "before."))
        start = Choice(t.gettext("New training day or meeting"),
                       TrainingChoice("new", "start").pack())
        return OutgoingMessage("\n".join(lines), choices=((start,),))

    async def _own(self, caller: Caller) -> OutgoingMessage:
        t = caller.t
        training = self.services.training
        status, trained = await training.status(caller.member.id)
        lines = status_lines(status, trained, t)
        lines.append("")
        invitations = await training.reads.of_member(caller.member.id, self.services.clock())
        lines.append(t.gettext("Coming up:") if invitations else t.gettext(
            "No training day or meeting coming up for you."))
        answers = {"yes": t.gettext("coming"), "no": t.gettext("not coming")}
        for item, invite in invitations:
            answer = answers.get(invite.answer or "", t.gettext("not answered"))
            lines.append(f"{training_line(item, t)} – {answer}")
        return OutgoingMessage("\n".join(lines))

    async def _introduction(self, caller: Caller, args: tuple[str, ...]) -> Reply:
        t = caller.t
        usage = t.gettext("Usage: /training intro MEMBER-ID [YYYY-MM-DD], or - to clear it")
        member_id = member_id_from(args[0]) if args else None
        if member_id is None or len(args) > 2:
            return Reply.text(usage)
        day: date | None = self.services.clock().astimezone(
            self.services.settings.organisation.tz).date()
        if len(args) == 2:
            if args[1] in ("-", "–"):
                day = None
            else:
                try:
                    day = date.fromisoformat(args[1])
                except ValueError:
                    return Reply.text(usage)
        member = await self.services.training.set_introduction(caller.member, member_id, day)
        if member is None:
            return Reply.text(t.gettext("There is no member {id}. /roster lists them.").format(
                id=member_id))
        if day is None:
            return Reply.text(t.gettext("{name}: no introduction course recorded.").format(
                name=member.name))
        return Reply.text(t.gettext("{name}: introduction course done {date}.").format(
            name=member.name, date=day.isoformat()))

    # -- choices and the dialogue --------------------------------------------------------------

    async def choice(self, caller: Caller, choice: TrainingChoice) -> Reply:
        """A choice of the announcing dialogue (or the overview's [Ny …])."""
        dialogue = self.services.training_dialogue
        if choice.step == "new":
            return Reply.pressed(None, *await dialogue.begin(caller.member, caller.address))
        return Reply.pressed(None, *await dialogue.choose(caller.member, caller.address, choice))

    async def dialogue_text(self, caller: Caller, text: Text) -> Reply | None:
        """Typed text inside the dialogue; None if the leader has none open."""
        dialogue = self.services.training_dialogue
        if not caller.is_leader or not await dialogue.is_active(caller.address):
            return None
        return Reply(await dialogue.text(caller.member, caller.address, text.text))

    async def answer(self, caller: Caller, choice: TrainingAnswer) -> Reply:
        """[Kommer] / [Kommer inte]."""
        if caller.member is None:
            return Reply.pressed(caller.t.gettext("This invitation was not sent to you."))
        return Reply.pressed(await self.services.training.answer(
            caller.member, choice.invite_id, choice.coming, caller.t))

    async def mark(self, caller: Caller, choice: AttendanceMark) -> Reply:
        """A name pressed on the roll: there, or not."""
        return Reply.pressed(await self.services.training.mark(caller.member, choice.invite_id,
                                                               choice.attended))
