"""The call-out in chat: /activate and its dialogue, answers, mission choices, /status, /close,
/cancel, /away and /back."""

from __future__ import annotations

from dataclasses import replace

from bot.callout.dialogue import DialogueReply
from bot.callout.render import status_detail, status_overview
from bot.callout.skills import requirement_lines
from bot.choices import ActivateChoice, Answer, HoldAction, MissionAction, StatusAction
from bot.delivery.messages import Choice, OutgoingMessage
from bot.people.availability import parse_away
from bot.services import Services
from handlers.events import Command, SharedLocation, Text
from handlers.guard import Caller
from handlers.reply import Reply
from handlers.shifts import ShiftHandlers
from storage.chat_memory import ChatMemory
from storage.models import Activation, Member
from storage.outages import OutageStore

__all__ = ["CalloutHandlers", "activation_named"]


async def activation_named(services: Services, caller: Caller,
                           args: tuple[str, ...]) -> Activation | Reply:
    """The activation the command's first argument names, or the reply that there is none."""
    code = args[0].strip()
    activation = await services.callouts.reads.by_code(code)
    if activation is None:
        return Reply.text(caller.t.gettext("There is no call-out {code}.").format(code=code))
    return activation


class CalloutHandlers:
    """Call-out commands and choices."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.shifts = ShiftHandlers(services)

    # -- /activate -----------------------------------------------------------------------------

    def _dialogue(self, caller: Caller, reply: DialogueReply) -> Reply:
        """The dialogue's answer: used-up choices taken off, and the question's id noted."""
        activation = self.services.activation
        step = reply.step

        async def asked(message_ids: list[str | None]) -> None:
            if step is not None:
                await activation.asked(caller.address, step, message_ids)

        return Reply(list(reply.messages), retire=reply.retire, sent=asked)

    async def activate(self, caller: Caller, command: Command) -> Reply:
        """/activate: starts the leader's call-out dialogue."""
        reply = await self.services.activation.begin(caller.member, caller.address)
        return self._dialogue(caller, reply)

    async def activate_choice(self, caller: Caller, choice: ActivateChoice,
                              pressed: str | None = None) -> Reply:
        """A choice inside the /activate dialogue (`pressed`: the message it was under)."""
        reply = await self.services.activation.choose(caller.member, caller.address, choice,
                                                      pressed)
        return self._dialogue(caller, reply)

    async def dialogue_text(self, caller: Caller, text: Text) -> Reply | None:
        """Typed text inside /activate; None if the leader has no such dialogue open."""
        if not caller.is_leader or not await self.services.activation.is_active(caller.address):
            return None
        reply = await self.services.activation.text(caller.member, caller.address, text.text,
                                                    text.message_id)
        return self._dialogue(caller, reply)

    async def location(self, caller: Caller, shared: SharedLocation) -> Reply:
        """A shared location or place: the location step of /activate."""
        reply = await self.services.activation.location(
            caller.member, caller.address, shared.latitude, shared.longitude, shared.title,
            shared.address, shared.message_id)
        return self._dialogue(caller, reply)

    # -- answers and mission choices -----------------------------------------------------------

    async def answer(self, caller: Caller, choice: Answer) -> Reply:
        """[Ja, jag kan] / [Nej] on a request."""
        if caller.member is None:
            return Reply.pressed(caller.t.gettext("This request was not sent to you."))
        result = await self.services.callouts.answer(caller.member, choice.request_id,
                                                     choice.yes, caller.t)
        return Reply.pressed(result.text)

    async def mission(self, caller: Caller, action: MissionAction) -> Reply:
        """[Framme] / [Avslutad] / [Kan inte ändå] under a briefing."""
        if caller.member is None:
            return Reply.pressed(caller.t.gettext("This request was not sent to you."))
        result = await self.services.callouts.mission(caller.member, action.request_id,
                                                      action.verb, caller.t)
        return Reply.pressed(result.text)

    # -- /status -------------------------------------------------------------------------------

    async def status(self, caller: Caller, command: Command) -> Reply:
        """/status [CODE]: leaders see the call-outs, volunteers their own state."""
        if not caller.is_leader:
            return Reply([await self._volunteer_status(caller)])
        if command.args:
            activation = await activation_named(self.services, caller, command.args)
            if isinstance(activation, Reply):
                return activation
            return Reply([await self._detail(caller, activation)])
        return Reply([await self._overview(caller)])

    async def _overview(self, caller: Caller) -> OutgoingMessage:
        reads = self.services.callouts.reads
        running = await reads.running()
        centres = await self.services.shifts.reads.centre_ids([a.id for a in running])
        rows = []
        for activation in running:
            counts = await reads.state_counts(activation.id)
            if activation.id in centres:  # a support centre counts places on its shifts
                taken, needed = await self.services.shifts.reads.totals(activation.id)
                activation, counts = replace(activation, needed=needed), {
                    **counts, "confirmed": taken}
            rows.append((activation, counts, await reads.unreachable_count(activation.id)))
        now = self.services.clock()
        overview = status_overview(self.services.settings, rows, await reads.readiness(now),
                                   now, caller.t)
        outages = await OutageStore(self.services.database).current()
        if not outages:
            return overview
        t = caller.t
        lines = ["⚠️ " + t.gettext("{service} cannot be reached since {time}; its messages "
                                   "wait.").format(service=outage.transport.capitalize(),
                                                   time=t.short_datetime(outage.since, now))
                 for outage in outages]
        return OutgoingMessage("\n".join([*lines, "", overview.text]), choices=overview.choices)

    async def _detail(self, caller: Caller, activation: Activation) -> OutgoingMessage:
        if await self.services.shifts.is_centre(activation.id):
            return await self.services.shifts.board(activation, caller.t)
        reads = self.services.callouts.reads
        people = await reads.requests_with_members(activation.id)
        team = [member for request, member in people if request.state == "confirmed"]
        notes: list[str] = []
        if activation.required_skills:  # which skill asked for is brought, which still open
            skills = await self.services.skills.of(member.id for member in team)
            notes = requirement_lines(self.services.settings, activation,
                                      [(member, skills[member.id]) for member in team], caller.t)
        receipts = await ChatMemory(self.services.database).request_receipts(activation.id)
        return status_detail(self.services.settings, activation, people,
                             await reads.unreachable_count(activation.id),
                             self.services.clock(), caller.t, receipts, notes=notes)

    async def _volunteer_status(self, caller: Caller) -> OutgoingMessage:
        member, t = caller.member, caller.t
        now = self.services.clock()
        assignments = await self.services.callouts.reads.assignments(member.id)
        going = any(request.state == "confirmed" for request, _ in assignments)
        if member.status == "paused":
            lines = [t.gettext("You are paused: you are not asked until a leader resumes you.")]
        elif member.away_until and member.away_until > now:
            lines = [t.gettext("You are away until {time}. /back makes you available.").format(
                time=t.datetime(member.away_until))]
        elif going:
            lines = [t.gettext("You are confirmed on a call-out, so you are not asked for "
                               "others until it ends.")]
        else:
            lines = [t.gettext("You are available. /away 3d marks you away.")]
        for request, activation in assignments:
            if await self.services.shifts.is_centre(activation.id):
                lines.append(self.services.callouts.headline(activation, t))
                lines += await self.shifts.own_lines(caller, activation)
                continue
            state = (t.gettext("you are confirmed") if request.state == "confirmed"
                     else t.gettext("you are a reserve"))
            lines.append(f"{self.services.callouts.headline(activation, t)} – {state}")
        if not assignments:
            lines.append(t.gettext("You have no assignment right now."))
        return OutgoingMessage("\n".join(lines))

    async def status_action(self, caller: Caller, action: StatusAction) -> Reply:
        """Choices under /status CODE and the alerts: close, cancel (asks first), refresh, go
        with the confirmed, ask everyone."""
        t, leader = caller.t, caller.member
        callouts = self.services.callouts
        activation = await callouts.reads.by_id(action.activation_id)
        if activation is None:
            return Reply.pressed(t.gettext("That call-out no longer exists."))
        if action.verb == "refresh":
            return Reply.pressed(None, await self._detail(caller, activation))
        if action.verb == "cancel":
            confirm = ((Choice(t.gettext("Yes, cancel {code}").format(code=activation.code),
                               StatusAction(activation.id, "cancel_yes").pack()),),)
            return Reply.pressed(None, OutgoingMessage(t.gettext(
                "Cancel {code}? Everyone, the confirmed too, will be stood down.").format(
                    code=activation.code), choices=confirm))
        if action.verb == "cancel_yes":
            return Reply.pressed((await callouts.cancel(leader, activation.id)).text)
        if action.verb == "go":
            return Reply.pressed((await callouts.go_with_confirmed(leader, activation.id)).text)
        if action.verb == "widen":
            return Reply.pressed(await callouts.escalation.widen(leader, activation.id))
        return Reply.pressed((await callouts.close(leader, activation.id)).text)

    async def hold_action(self, caller: Caller, action: HoldAction) -> Reply:
        """A leader's [Bekräfta nu] for a volunteer held for a mixed pair."""
        result = await self.services.callouts.confirm_hold(caller.member, action.request_id)
        return Reply.pressed(result.text)

    # -- /close, /cancel -----------------------------------------------------------------------

    async def close(self, caller: Caller, command: Command) -> Reply:
        """/close CODE: ends an intervention."""
        if not command.args:
            return Reply.text(caller.t.gettext("Usage: /close CODE"))
        activation = await activation_named(self.services, caller, command.args)
        if isinstance(activation, Reply):
            return activation
        if await self.services.shifts.is_centre(activation.id):
            return Reply.text(await self.services.shifts.close(caller.member, activation.id))
        return Reply.text((await self.services.callouts.close(caller.member, activation.id)).text)

    async def cancel(self, caller: Caller, command: Command) -> Reply:
        """/cancel CODE calls off a call-out; /cancel alone leaves the /activate dialogue."""
        activation_dialogue = self.services.activation
        if not command.args:
            if await activation_dialogue.is_active(caller.address):
                reply = await activation_dialogue.abort(caller.member, caller.address)
                return self._dialogue(caller, reply)
            return Reply.text(caller.t.gettext("Usage: /cancel CODE"))
        activation = await activation_named(self.services, caller, command.args)
        if isinstance(activation, Reply):
            return activation
        return Reply.text((await self.services.callouts.cancel(caller.member, activation.id)).text)

    # -- availability --------------------------------------------------------------------------

    async def away(self, caller: Caller, command: Command) -> Reply:
        """/away 3d or /away 2026-12-24: not asked until then."""
        t = caller.t
        usage = t.gettext("Usage: /away 3d, /away 12h or /away 2026-12-24 (through that day).")
        if not command.args:
            return Reply.text(usage)
        try:
            until = parse_away(" ".join(command.args), self.services.clock(),
                               self.services.settings.organisation.tz)
        except ValueError:
            return Reply.text(usage)
        await self.services.callouts.set_away(caller.member, until)
        return Reply.text(t.gettext(
            "You are away until {time}. You will not be asked until then. /back ends it "
            "early.").format(time=t.datetime(until)))

    async def back(self, caller: Caller, command: Command) -> Reply:
        """/back: available again."""
        member: Member = caller.member
        await self.services.callouts.set_away(member, None)
        return Reply.text(caller.t.gettext("Welcome back – you are available again."))
