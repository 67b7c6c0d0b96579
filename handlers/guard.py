"""The one guard every event passes: who is this (stranger, volunteer or leader), in which
language do we answer, and what do they get when they may not do something.

It also owns a small promise of the transports: someone who writes to us can be reached again,
and the language their app reports is remembered for messages sent to them later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.i18n import Translator
from bot.people.persons import Person, translator_for
from bot.services import Services
from handlers.reply import Reply
from storage.models import Address, Member

__all__ = ["Access", "Caller", "Guard"]

# Who may do something: anybody (e.g. /start with an invite), any member, or leaders only.
Access = Literal["anyone", "member", "leader"]


@dataclass(frozen=True, slots=True)
class Caller:
    """The sender of an event with their member row (None for a stranger) and translations."""

    person: Person
    member: Member | None
    t: Translator

    @property
    def address(self) -> Address:
        return self.person.address

    @property
    def is_leader(self) -> bool:
        return self.member is not None and self.member.is_leader


class Guard:
    """Identifies callers and answers those who may not do what they asked."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def identify(self, person: Person, *, wrote: bool = True) -> Caller:
        """The caller behind an event; `wrote` (they sent us something) marks them reachable."""
        members = self.services.members
        member = await members.by_address(person.address)
        if member is not None:
            here = member.address == person.address
            if person.language_code and (not here or
                                         member.reported_locale != person.language_code):
                await members.note_reported_locale(person.address, person.language_code)
            if wrote and (member.unreachable or not here):
                # They wrote to us, so messages reach them again.
                await self.services.callouts.mark_unreachable(person.address, False)
        return Caller(person, member, translator_for(self.services.settings, member, person))

    def stranger(self, caller: Caller, *, pressed: bool = False) -> Reply:
        """The one polite line for someone the bot does not know."""
        text = self.services.enrolment.unknown_text(caller.t)
        return Reply.pressed(text) if pressed else Reply.text(text)

    def refusal(self, caller: Caller, access: Access, *, pressed: bool = False) -> Reply | None:
        """What the caller is told if they lack `access`, else None."""
        if access == "anyone" or (access == "member" and caller.member is not None):
            return None
        if caller.member is None and not (pressed and access == "leader"):
            return self.stranger(caller, pressed=pressed)
        if caller.is_leader:
            return None
        if pressed:
            return Reply.pressed(caller.t.gettext("Only leaders can do that."))
        return Reply.text(caller.t.gettext("Only leaders can do that. See /help."))
