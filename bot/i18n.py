"""Translations and local formatting: gettext catalogs from locales/, dates and times by babel.

Every text a person reads is looked up through a `Translator` for that person's language. The
source strings (msgids) are English; the Swedish and English catalogs are both complete, which a
test checks, so a missing translation is a failing build rather than English text at 03:00.
"""

from __future__ import annotations

import gettext
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time, format_timedelta

__all__ = ["LOCALES", "N_", "Translator", "resolve_locale", "translator"]

LOCALES = ("sv", "en")
DOMAIN = "messages"


def N_(message: str) -> str:
    """Marks a string for extraction where it is translated later (module-level tables)."""
    return message


def _locale_dirs() -> list[Path]:
    package = Path(__file__).resolve().parent
    # A built wheel carries the compiled catalogs inside `bot`; an editable install or a source
    # checkout has them beside the .po files (compiled by the build hook, or `pybabel compile`).
    return [package / "locales", package.parent / "locales"]


@cache
def _catalog(locale: str) -> gettext.NullTranslations:
    for directory in _locale_dirs():
        if (directory / locale / "LC_MESSAGES" / f"{DOMAIN}.mo").exists():
            return gettext.translation(DOMAIN, directory, languages=[locale])
    if locale == "en":
        return gettext.NullTranslations()  # msgids are English
    raise FileNotFoundError(
        f"no compiled catalog for {locale!r}; reinstall (pip install -e .) or run "
        "`pybabel compile -d locales -D messages`"
    )


class Translator:
    """One language's texts and formats."""

    def __init__(self, locale: str, timezone: ZoneInfo) -> None:
        self.locale = locale
        self.timezone = timezone
        self._catalog = _catalog(locale)

    def gettext(self, message: str) -> str:
        """Returns the translation of message."""
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """Returns the translation of singular/plural for count."""
        return self._catalog.ngettext(singular, plural, count)

    def datetime(self, moment: datetime) -> str:
        """Formats a moment in the organisation's time zone, e.g. "23 nov. 2026 03:14"."""
        return self._zoned(moment, format_datetime(moment, "d MMM y HH:mm",
                                                   tzinfo=self.timezone, locale=self.locale))

    def time(self, moment: datetime) -> str:
        """Formats the clock time in the organisation's time zone, e.g. "03:14"."""
        return self._zoned(moment, format_time(moment, "HH:mm", tzinfo=self.timezone,
                                               locale=self.locale))

    def short_datetime(self, moment: datetime, now: datetime) -> str:
        """Formats a moment as a time if it is today, else as a date and time."""
        local, today = moment.astimezone(self.timezone), now.astimezone(self.timezone)
        if local.date() == today.date():
            return self.time(moment)
        return self._zoned(moment, format_datetime(moment, "d MMM HH:mm", tzinfo=self.timezone,
                                                   locale=self.locale))

    def _zoned(self, moment: datetime, shown: str) -> str:
        """Adds the zone to a time in the hour that occurs twice (the night summer time ends):
        "02:58" alone would name two moments an hour apart."""
        local = moment.astimezone(self.timezone)
        other = local.replace(fold=1 - local.fold)
        if other.utcoffset() == local.utcoffset():
            return shown
        if local.dst():
            # Translators: a clock time in the night hour that occurs twice when summer time
            # ends, before the clocks go back; {zone} is the zone's abbreviation, e.g. CEST.
            text = self.gettext("{time} summer time ({zone})")
        else:
            # Translators: the same clock time after the clocks went back; {zone} e.g. CET.
            text = self.gettext("{time} standard time ({zone})")
        return text.format(time=shown, zone=local.tzname())

    def duration(self, span: timedelta) -> str:
        """Formats a span the way people say it, e.g. "4 minuter"; never a negative one."""
        span = max(span, timedelta())
        seconds = span.total_seconds()
        if seconds < 60:
            return format_timedelta(span, threshold=1, granularity="second", locale=self.locale)
        return format_timedelta(span, threshold=1.5, granularity="minute", locale=self.locale)


@cache
def translator(locale: str, timezone: str = "Europe/Stockholm") -> Translator:
    """Returns the (cached) translator for a locale and time zone."""
    return Translator(locale if locale in LOCALES else "en", ZoneInfo(timezone))


def resolve_locale(chosen: str | None, reported: str | None, default: str) -> str:
    """Picks a person's language: their /language choice, else what their app reports, else
    the default."""
    if chosen in LOCALES:
        return chosen
    if reported:
        base = reported.split("-")[0].split("_")[0].lower()
        if base in LOCALES:
            return base
    return default
