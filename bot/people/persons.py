"""Who is talking to the bot, independent of the transport, and how to speak to them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.i18n import Translator, resolve_locale, translator
from storage.models import Member

__all__ = ["Person", "locale_of", "translator_for"]


@dataclass(frozen=True, slots=True)
class Person:
    """The sender of an update as the transport reports them."""

    telegram_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


def locale_of(settings: Settings, member: Member | None, person: Person | None = None) -> str:
    """The language to use: the member's choice, else Telegram's language, else the default."""
    chosen = member.locale if member else None
    reported = person.language_code if person and person.language_code else (
        member.telegram_locale if member else None)
    return resolve_locale(chosen, reported, settings.organisation.default_locale)


def translator_for(settings: Settings, member: Member | None,
                   person: Person | None = None) -> Translator:
    """Returns the translator for a member or an unknown person."""
    return translator(locale_of(settings, member, person), settings.organisation.timezone)
