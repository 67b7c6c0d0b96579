"""The one entry point of every transport: a chat event in, a reply out.

Each event passes the guard (who is this, in which language, may they do it) and goes to the
handler of its feature. The table of commands below is the whole command surface of the bot;
who may use each command comes from handlers.commands, the same table the menus and /help show.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from bot import choices
from bot.delivery.messages import OutgoingMessage
from bot.people.persons import translator_for
from bot.services import Services
from handlers.admin import AdminHandlers
from handlers.callout import CalloutHandlers
from handlers.certificate import CertificateHandlers
from handlers.commands import access_of
from handlers.debrief import DebriefHandlers
from handlers.enrolment import EnrolmentHandlers, InviteLinks
from handlers.events import (
    ChatEvent,
    Command,
    Press,
    Reachability,
    SharedContact,
    SharedLocation,
    Text,
    cleaned,
)
from handlers.guard import Access, Caller, Guard
from handlers.intake import IntakeHandlers
from handlers.reply import Reply
from handlers.training import TrainingHandlers
from storage.database import StorageFault

__all__ = ["ChatHandlers"]

logger = logging.getLogger(__name__)

CommandHandler = Callable[[Caller, Command], Awaitable[Reply]]


class ChatHandlers:
    """Routes each chat event, after the guard, to the handler of its feature."""

    def __init__(self, services: Services, invite_links: InviteLinks = lambda token: []) -> None:
        self.services = services
        self.guard = Guard(services)
        self.enrolment = EnrolmentHandlers(services, invite_links)
        self.callout = CalloutHandlers(services)
        self.admin = AdminHandlers(services)
        self.debrief = DebriefHandlers(services)
        self.certificate = CertificateHandlers(services)
        self.training = TrainingHandlers(services)
        self.intake = IntakeHandlers(services)
        self.commands: dict[str, CommandHandler] = {
            "start": self.enrolment.start,
            "help": self.enrolment.help,
            "me": self.enrolment.me,
            "language": self.enrolment.language,
            "invite": self.enrolment.invite,
            "activate": self.callout.activate,
            "status": self.callout.status,
            "close": self.callout.close,
            "cancel": self.callout.cancel,
            "debrief": self.debrief.debrief,
            "away": self.callout.away,
            "back": self.callout.back,
            "report": self.admin.report,
            "audit": self.admin.audit,
            "roster": self.admin.roster,
            "remove": self.admin.remove,
            "mydata": self.admin.mydata,
            "intyg": self.certificate.intyg,
            "training": self.training.training,
        }

    async def handle(self, event: ChatEvent) -> Reply:
        """Answers one event; raises only for faults on our side (see `failure`)."""
        event = cleaned(event)
        if isinstance(event, Press):
            return await self._press_or_keep(event)
        try:
            return await self._handle(event)
        except StorageFault:
            # Named and told to the leaders by the storage watch; the person hears it plainly.
            t = translator_for(self.services.settings, None, event.sender)
            return Reply.text(t.gettext("The bot cannot save anything right now; the leaders "
                                        "have been told. Please try again in a few minutes."))

    async def _handle(self, event: ChatEvent) -> Reply:
        if isinstance(event, Reachability):
            return await self._reachability(event)
        caller = await self.guard.identify(event.sender)
        match event:
            case Command():
                return await self._command(caller, event)
            case Press():
                return await self._press(caller, event)
            case Text():
                return await self._text(caller, event)
            case SharedLocation():
                return (self.guard.refusal(caller, "member")
                        or await self.callout.location(caller, event))
            case SharedContact():
                return await self.enrolment.contact(caller, event)
        raise TypeError(f"unknown chat event {event!r}")

    async def _press_or_keep(self, event: Press) -> Reply:
        """A press, or "received" if the database cannot save it now: it is then kept and tried
        again (bot.kept_presses), and the person gets the real outcome as a message."""
        kept = self.services.kept_presses
        address = event.sender.address
        if kept.has(address, event.choice):
            return Reply.pressed(self._received(event))
        if not kept.waiting:
            try:
                return await self._handle(event)
            except StorageFault:
                pass  # named and told to the leaders by the storage watch
        # Behind presses already kept, a new one waits its turn: first pressed, first decided.
        kept.keep(address, event.choice, lambda: self._outcome(event),
                  lambda: [OutgoingMessage(self._not_saved(event))])
        return Reply.pressed(self._received(event))

    async def _outcome(self, event: Press) -> list[OutgoingMessage]:
        """A kept press tried again: what the person would have seen, as messages."""
        reply = await self._handle(event)
        toast = [OutgoingMessage(reply.toast)] if reply.toast else []
        return toast + reply.messages

    def _received(self, event: Press) -> str:
        t = translator_for(self.services.settings, None, event.sender)
        return t.gettext("Received. We are saving it and will tell you here in a moment.")

    def _not_saved(self, event: Press) -> str:
        settings = self.services.settings
        t = translator_for(settings, None, event.sender)
        text = t.gettext("Your press could not be saved: the bot cannot store anything right "
                         "now, and the leaders have been told. Please press again in a few "
                         "minutes.")
        phone = settings.organisation.duty_phone
        if phone:
            text += " " + t.gettext("If it is urgent, call the duty leader: {phone}.").format(
                phone=phone)
        return text

    def failure(self, event: ChatEvent) -> Reply:
        """What the person is told when handling their event failed on our side."""
        t = translator_for(self.services.settings, None, event.sender)
        text = t.gettext("Something went wrong on our side. Please try again; if it keeps "
                         "happening, call the duty leader.")
        return Reply.pressed(text) if isinstance(event, Press) else Reply.text(text)

    async def _command(self, caller: Caller, command: Command) -> Reply:
        handler = self.commands.get(command.name)
        if handler is None:
            return (self.guard.refusal(caller, "member")
                    or Reply.text(caller.t.gettext("Unknown command. /help lists what you can "
                                                   "do.")))
        refused = self.guard.refusal(caller, access_of(command.name))
        return refused or await handler(caller, command)

    async def _press(self, caller: Caller, press: Press) -> Reply:
        """Parses the choice through the one codec and hands it to its feature."""
        choice = choices.parse(press.choice)
        handler: Callable[[Caller, object], Awaitable[Reply]]
        access: Access
        match choice:
            case choices.Answer():
                handler, access = self.callout.answer, "anyone"
            case choices.MissionAction():
                handler, access = self.callout.mission, "anyone"
            case choices.DebriefAction():
                handler, access = self.debrief.press, "anyone"
            case choices.EnrolChoice():
                handler, access = self.enrolment.choice, "anyone"
            case choices.LanguageChoice():
                handler, access = self.enrolment.language_chosen, "member"
            case choices.HoldAction():
                handler, access = self.callout.hold_action, "leader"
            case choices.StatusAction():
                handler, access = self.callout.status_action, "leader"
            case choices.ActivateChoice():
                # The dialogue takes the choices off the message pressed, so it needs its id.
                handler = functools.partial(self.callout.activate_choice,
                                            pressed=press.message_id)
                access = "leader"
            case choices.RemoveConfirm():
                handler, access = self.admin.remove_confirm, "leader"
            case choices.ShiftTake():
                handler, access = self.callout.shifts.take, "anyone"
            case choices.ShiftMission():
                handler, access = self.callout.shifts.mission, "anyone"
            case choices.CentreAction():
                handler, access = self.callout.shifts.centre, "leader"
            case choices.TrainingAnswer():
                handler, access = self.training.answer, "anyone"
            case choices.TrainingChoice():
                handler, access = self.training.choice, "leader"
            case choices.AttendanceMark():
                handler, access = self.training.mark, "leader"
            case choices.IntakeDecision():
                handler, access = self.intake.decide, "leader"
            case _:
                return Reply.pressed(caller.t.gettext("This button is no longer valid."))
        return self.guard.refusal(caller, access, pressed=True) or await handler(caller, choice)

    async def _text(self, caller: Caller, text: Text) -> Reply:
        """Typed text: an answer inside a dialogue, else a hint."""
        enrolling = await self.enrolment.text(caller, text)
        if enrolling is not None:
            return enrolling
        refused = self.guard.refusal(caller, "member")
        if refused:
            return refused
        activating = await self.callout.dialogue_text(caller, text)
        if activating is not None:
            return activating
        announcing = await self.training.dialogue_text(caller, text)
        if announcing is not None:
            return announcing
        # After the leader's /activate dialogue: a volunteer answering a questionnaire.
        if await self.debrief.text(caller, text):
            return Reply()
        return Reply.text(caller.t.gettext("I did not understand that. /help lists what you "
                                           "can do."))

    async def _reachability(self, event: Reachability) -> Reply:
        """The transport says a person blocked (or unblocked) the bot: mark them (un)reachable."""
        caller = await self.guard.identify(event.sender, wrote=False)
        if caller.member is not None:
            await self.services.callouts.mark_unreachable(event.sender.address, event.blocked)
        return Reply()
