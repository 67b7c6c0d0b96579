"""The bot writes first: a roster member whose row says `transport=signal` gets a greeting at
their number ("POSOM X vill nå dig här vid larm – svara JA för att ansluta"), and their "JA"
connects them. Signal lets a bot write to anyone with a number, and the number is the identity,
so no invite link and no shared contact are needed."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.delivery.messages import OutgoingMessage
from bot.delivery.payload import encode
from bot.i18n import Translator
from bot.people.persons import translator_for
from bot.people.roster import RosterRow
from storage.invitations import invite_directly
from storage.members import MemberStore
from storage.models import Address, Member
from storage.outbox import enqueue

__all__ = ["YES_WORDS", "greeting", "import_roster", "invitation_address"]

# What counts as "JA" (the greeting asks for it in the person's language).
YES_WORDS = frozenset({"ja", "j", "jo", "yes", "y"})


def invitation_address(row: RosterRow) -> Address | None:
    """Where the bot writes first to a roster row, if its transport allows that."""
    if row.transport == "signal" and row.member.phone:
        return Address("signal", row.member.phone)
    return None


def greeting(settings: Settings, t: Translator) -> OutgoingMessage:
    """The first message to a person on the roster."""
    return OutgoingMessage(t.gettext(
        "{organisation} wants to reach you here when there is a call-out – reply YES to "
        "connect.").format(organisation=settings.organisation.name) + "\n" + t.gettext(
        "If this is not meant for you, just ignore it."))


async def import_roster(settings: Settings, members: MemberStore, rows: list[RosterRow], *,
                        actor: str, now: datetime) -> int:
    """Adds the roster in one transaction and queues a greeting to every row the bot may
    write to first; returns how many members were added."""

    async def each(tx, member: Member, index: int) -> None:
        address = invitation_address(rows[index])
        if address is None:
            return
        await invite_directly(tx, member.id, address, now)
        message = greeting(settings, translator_for(settings, member))
        await enqueue(tx, address=address, payload=encode(message), now=now,
                      ref=f"invitation:{member.id}")

    return await members.import_roster([row.member for row in rows], actor=actor, now=now,
                                       each=each)
