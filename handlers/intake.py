"""A duty leader's choice on a request from the alarm intake: [Aktivera] [Ändra] [Avböj]."""

from __future__ import annotations

from bot.choices import IntakeDecision
from bot.services import Services
from handlers.guard import Caller
from handlers.reply import Reply

__all__ = ["IntakeHandlers"]


class IntakeHandlers:
    """The leaders' decision on intake requests."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def decide(self, caller: Caller, choice: IntakeDecision) -> Reply:
        """One press of [Aktivera], [Ändra] or [Avböj]; the first leader's choice wins."""
        decision = await self.services.intake.decide(caller.member, caller.address,
                                                     choice.intake_id, choice.verb)
        return Reply.pressed(decision.toast, *decision.messages)
