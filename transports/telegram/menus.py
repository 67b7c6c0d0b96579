"""Command menus per language and per role (Telegram's setMyCommands with scopes)."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from bot.config import Settings
from bot.i18n import LOCALES, translator
from bot.people.persons import locale_of
from handlers.commands import commands_for
from storage.members import MemberStore
from storage.models import Address, Member, Role
from transports.telegram.messenger import TRANSPORT

__all__ = ["Menus"]

logger = logging.getLogger(__name__)


class Menus:
    """Registers the menu each person sees: volunteers' by language, leaders' per chat."""

    def __init__(self, bot: Bot, settings: Settings, members: MemberStore) -> None:
        self.bot = bot
        self.settings = settings
        self.members = members

    def _commands(self, role: Role, locale: str) -> list[BotCommand]:
        t = translator(locale, self.settings.organisation.timezone)
        return [BotCommand(command.name, t.gettext(command.description))
                for command in commands_for(role)]

    async def register_defaults(self, leaders: list[Member]) -> None:
        """The volunteers' menu in every language, and each leader's own menu."""
        scope = BotCommandScopeAllPrivateChats()
        try:
            await self.bot.set_my_commands(
                self._commands("volunteer", self.settings.organisation.default_locale),
                scope=scope)
            for locale in LOCALES:
                await self.bot.set_my_commands(self._commands("volunteer", locale), scope=scope,
                                               language_code=locale)
        except TelegramError as error:
            logger.warning("could not register command menus: %s", error)
        for leader in leaders:
            await self.refresh_for(leader)

    async def refresh_for(self, member: Member) -> None:
        """A member's own menu in their language: the leader menu, or their chosen language."""
        for address in await self.members.addresses(member.id):
            if address.transport != TRANSPORT:
                continue
            scope = BotCommandScopeChat(int(address.id))
            try:
                if member.is_leader or member.locale:
                    locale = locale_of(self.settings, member)
                    await self.bot.set_my_commands(self._commands(member.role, locale),
                                                   scope=scope)
                else:
                    await self.bot.delete_my_commands(scope=scope)
            except TelegramError as error:
                logger.warning("could not register the menu of member %d: %s", member.id, error)

    async def forget(self, address: Address) -> None:
        """Drops the chat's own menu (a member whose data was erased)."""
        if address.transport != TRANSPORT:
            return
        try:
            await self.bot.delete_my_commands(scope=BotCommandScopeChat(int(address.id)))
        except TelegramError as error:
            logger.warning("could not drop a chat's menu: %s", error)
