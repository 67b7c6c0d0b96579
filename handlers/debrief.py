"""After the intervention: the questionnaire's choices and typed answers, and /debrief (leaders:
a call-out's follow-up; volunteers: continue their questions)."""

from __future__ import annotations

from bot.choices import DebriefAction
from bot.services import Services
from handlers.callout import activation_named
from handlers.events import Command, Text
from handlers.guard import Caller
from handlers.reply import Reply

__all__ = ["DebriefHandlers"]


class DebriefHandlers:
    """The questionnaire and /debrief."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def press(self, caller: Caller, action: DebriefAction) -> Reply:
        """A choice of a questionnaire."""
        if caller.member is None:
            return Reply.pressed(caller.t.gettext("This questionnaire was not sent to you."))
        result = await self.services.debriefs.press(caller.member, action, caller.t)
        return Reply.pressed(result.text)

    async def text(self, caller: Caller, text: Text) -> bool:
        """Typed text answering the member's open questionnaire; False if none is open."""
        return await self.services.debriefs.text(caller.member, text.text, text.message_id)

    async def debrief(self, caller: Caller, command: Command) -> Reply:
        """/debrief [CODE]: a leader's follow-up view, or a volunteer's unfinished questions."""
        t = caller.t
        debriefs = self.services.debriefs
        if not caller.is_leader:
            if not await debriefs.resume_latest(caller.member):
                return Reply.text(t.gettext(
                    "You have no questions to answer right now. Thank you!"))
            return Reply()
        if not command.args:
            return Reply([await debriefs.year(t)])
        activation = await activation_named(self.services, caller, command.args)
        if isinstance(activation, Reply):
            return activation
        return Reply(await debriefs.summary(activation, t))
