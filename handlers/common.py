"""What every adapter needs: who sent the update, their member row, and a way to answer."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Update
from telegram.error import BadRequest

from bot.delivery.messages import OutgoingMessage
from bot.i18n import Translator
from bot.people.persons import Person, translator_for
from bot.services import Services
from storage.models import Activation, Member
from transports.telegram.messenger import TelegramMessenger

__all__ = ["Adapter", "person_of"]

logger = logging.getLogger(__name__)


def person_of(update: Update) -> Person | None:
    """The sender of an update, as the core knows people."""
    user = update.effective_user
    if user is None:
        return None
    return Person(user.id, user.first_name, user.last_name, user.username, user.language_code)


class Adapter:
    """Base for handler groups: holds the core services and the messenger used for replies."""

    def __init__(self, services: Services, messenger: TelegramMessenger) -> None:
        self.services = services
        self.messenger = messenger

    async def member_of(self, update: Update) -> Member | None:
        """The member behind the update (None for unknown people), keeping their language fresh."""
        person = person_of(update)
        if person is None:
            return None
        member = await self.services.members.by_telegram_id(person.telegram_id)
        if member is None:
            return None
        if person.language_code and member.telegram_locale != person.language_code:
            await self.services.members.note_telegram_locale(member.id, person.language_code)
        if member.unreachable:
            # They wrote to us, so messages reach them again.
            await self.services.callouts.mark_unreachable(person.telegram_id, False)
        return member

    def t(self, update: Update, member: Member | None) -> Translator:
        """The translator for whoever sent the update."""
        return translator_for(self.services.settings, member, person_of(update))

    async def reply(self, update: Update, messages: Iterable[OutgoingMessage]) -> None:
        """Sends replies into the chat the update came from, one after another."""
        chat = update.effective_chat
        if chat is None:
            return
        for message in messages:
            await self.messenger.send(chat.id, message)

    async def reply_text(self, update: Update, text: str) -> None:
        """Sends one plain reply."""
        await self.reply(update, [OutgoingMessage(text)])

    async def toast(self, update: Update, text: str | None) -> None:
        """Answers a button press; a press too old to answer is still recorded, so ignore that."""
        query = update.callback_query
        if query is None:
            return
        try:
            await query.answer(text)
        except BadRequest as error:
            if "query is too old" not in error.message.lower():
                raise
            logger.info("callback answered too late; the press itself was processed")

    async def refuse_unknown(self, update: Update) -> None:
        """The one polite line for someone the bot does not know."""
        t = self.t(update, None)
        text = self.services.enrolment.unknown_text(t)
        if update.callback_query is not None:
            await self.toast(update, text)
        else:
            await self.reply_text(update, text)

    async def activation_from_args(self, update: Update, member: Member,
                                   args: list[str]) -> Activation | None:
        """The activation named by the command's first argument, or a reply that none is."""
        code = args[0].strip()
        activation = await self.services.callouts.reads.by_code(code)
        if activation is None:
            t = self.t(update, member)
            await self.reply_text(update, t.gettext("There is no call-out {code}.").format(
                code=code))
        return activation

    async def member_or_refuse(self, update: Update) -> Member | None:
        """Returns the member; an unknown person gets the one polite line instead."""
        member = await self.member_of(update)
        if member is None:
            await self.refuse_unknown(update)
        return member

    async def leader_or_refuse(self, update: Update) -> Member | None:
        """Returns the member if they are a leader; otherwise answers why not."""
        member = await self.member_or_refuse(update)
        if member is None:
            return None
        if not member.is_leader:
            t = self.t(update, member)
            await self.reply_text(update, t.gettext("Only leaders can do that. See /help."))
            return None
        return member
