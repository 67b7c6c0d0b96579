"""Who is talking to the bot, independent of the transport, and how to speak to them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.i18n import Translator, resolve_locale, translator
from storage.models import Address, Member

__all__ = ["Person", "locale_of", "translator_for"]


@dataclass(frozen=True, slots=True)
class Person:
    """The sender of a chat event as the transport reports them (member or not)."""

    address: Address
    display_name: str = ""  # the name the transport shows for them, e.g. "Anna Andersson"
    language_code: str | None = None  # the language their app reports, e.g. "sv" or "en-GB"


def locale_of(settings: Settings, member: Member | None, person: Person | None = None) -> str:
    """The language to use: the member's choice, else what their app reports, else the
    organisation's default."""
    chosen = member.locale if member else None
    reported = person.language_code if person and person.language_code else (
        member.reported_locale if member else None)
    return resolve_locale(chosen, reported, settings.organisation.default_locale)


def translator_for(settings: Settings, member: Member | None,
                   person: Person | None = None) -> Translator:
    """Returns the translator for a member or an unknown person."""
    return translator(locale_of(settings, member, person), settings.organisation.timezone)
