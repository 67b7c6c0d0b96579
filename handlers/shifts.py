"""A support centre in shifts in chat: choosing shifts, [Framme] / [Kan inte ändå] under a
shift's briefing, and the leaders' shift board with [Lägg till pass] and [Avsluta]."""

from __future__ import annotations

from bot.choices import CentreAction, ShiftMission, ShiftTake
from bot.delivery.messages import Choice, OutgoingMessage
from bot.services import Services
from bot.shifts.render import shift_label
from handlers.guard import Caller
from handlers.reply import Reply
from storage.models import Activation

__all__ = ["ShiftHandlers"]


class ShiftHandlers:
    """Shift choices and the shift board."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def take(self, caller: Caller, choice: ShiftTake) -> Reply:
        """A shift chosen (or none) under a support centre's request."""
        if caller.member is None:
            return Reply.pressed(caller.t.gettext("This request was not sent to you."))
        return Reply.pressed(await self.services.shifts.take(
            caller.member, choice.request_id, choice.shift_id, caller.t))

    async def mission(self, caller: Caller, choice: ShiftMission) -> Reply:
        """[Framme] / [Kan inte ändå] under a shift's briefing."""
        if caller.member is None:
            return Reply.pressed(caller.t.gettext("This request was not sent to you."))
        return Reply.pressed(await self.services.shifts.mission(
            caller.member, choice.place_id, choice.verb, caller.t))

    async def centre(self, caller: Caller, action: CentreAction) -> Reply:
        """The board's choices: add a shift, close (asks first), refresh."""
        t, shifts = caller.t, self.services.shifts
        activation = await self.services.callouts.reads.by_id(action.activation_id)
        if activation is None:
            return Reply.pressed(t.gettext("That call-out no longer exists."))
        if action.verb == "add":
            return Reply.pressed(await shifts.add_shift(caller.member, activation.id))
        if action.verb == "close":
            confirm = ((Choice(t.gettext("Yes, close {code}").format(code=activation.code),
                               CentreAction(activation.id, "close_yes").pack()),),)
            return Reply.pressed(None, OutgoingMessage(t.gettext(
                "Close {code}? Shifts not yet begun are cancelled and their teams told.")
                .format(code=activation.code), choices=confirm))
        if action.verb == "close_yes":
            return Reply.pressed(await shifts.close(caller.member, activation.id))
        return Reply.pressed(None, await shifts.board(activation, t))

    async def is_centre(self, activation: Activation) -> bool:
        """True if the call-out is staffed in shifts."""
        return await self.services.shifts.is_centre(activation.id)

    async def own_lines(self, caller: Caller, activation: Activation) -> list[str]:
        """A volunteer's shifts on a centre, for their /status."""
        t = caller.t
        lines = []
        for place, shift in await self.services.shifts.reads.of_member(activation.id,
                                                                        caller.member.id):
            state = t.gettext("yours") if place.state == "confirmed" \
                else t.gettext("you are a reserve")
            lines.append(f"• {shift_label(shift, t)} – {state}")
        return lines
