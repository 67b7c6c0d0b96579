"""Reading a roster CSV (name, phone, area, gender, role, locale, transport, skills) into members
to pre-register.

The whole file is checked before anything is stored: the first bad row is reported with its line
number and nothing is imported, so a half-imported roster never has to be cleaned up by hand.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from bot.callout.skills import parse_skills
from bot.config import Settings
from bot.people.phone import normalise_phone
from bot.typed import MAX_NAME, clean_line, clean_name
from storage.members import NewMember
from storage.models import Gender, Role

__all__ = ["COLUMNS", "TRANSPORTS", "RosterError", "RosterRow", "parse_roster", "read_roster"]

COLUMNS = ("name", "phone", "area", "gender", "role", "locale", "transport", "skills")
# Where the person is reached: empty = they connect themselves (e.g. /start in Telegram);
# "signal" = the bot writes first to their number on Signal and their "JA" connects them.
TRANSPORTS = ("", "telegram", "signal")

_GENDERS: dict[str, Gender] = {
    "kvinna": "female", "k": "female", "female": "female", "f": "female", "woman": "female",
    "man": "male", "m": "male", "male": "male",
    "annat": "other", "other": "other", "a": "other",
    "": "undisclosed", "-": "undisclosed", "vill ej ange": "undisclosed",
    "undisclosed": "undisclosed",
}
_ROLES: dict[str, Role] = {
    "": "volunteer", "volunteer": "volunteer", "stödperson": "volunteer", "stodperson": "volunteer",
    "resursperson": "volunteer",
    "leader": "leader", "ledare": "leader", "ledning": "leader", "ledningsgrupp": "leader",
}


@dataclass(frozen=True, slots=True)
class RosterRow:
    line: int
    member: NewMember
    transport: str | None = None  # "signal": the bot writes first to the number


class RosterError(Exception):
    """A roster file that cannot be imported; the message names the line."""


def read_roster(path: Path, settings: Settings) -> list[RosterRow]:
    """Reads and checks a roster file (UTF-8, comma or semicolon separated)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RosterError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise RosterError(f"{path}: not UTF-8 text (save the file as CSV UTF-8)") from None
    return parse_roster(text, settings, source=str(path))


def _delimiter(header: str) -> str:
    """The separator of the file: the one of , ; and tab the header line uses most (outside
    quotes); a comma when it uses none (a file with one column)."""
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {delimiter: unquoted.count(delimiter) for delimiter in ",;\t"}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def parse_roster(text: str, settings: Settings, source: str = "roster") -> list[RosterRow]:
    """Checks every row and returns the members; raises RosterError naming the first bad line.

    The file is read as RFC 4180 says and Excel writes it (a quote inside a quoted field is
    doubled), with the separator the header line uses.
    """
    header_line = text.splitlines()[0] if text else ""
    reader = csv.reader(io.StringIO(text), csv.excel, delimiter=_delimiter(header_line))
    try:
        header = [clean_line(column).lower() for column in next(reader)]
    except StopIteration:
        raise RosterError(f"{source}: the file is empty") from None
    missing = [column for column in ("name", "phone") if column not in header]
    unknown = [column for column in header if column not in COLUMNS]
    if missing or unknown:
        problem = (f"missing column(s) {', '.join(missing)}" if missing
                   else f"unknown column(s) {', '.join(unknown)}")
        raise RosterError(f"{source}: line 1: {problem}; expected {', '.join(COLUMNS)}")

    areas = {area.key: area.key for area in settings.areas}
    areas.update({area.name.lower(): area.key for area in settings.areas})
    members: list[RosterRow] = []
    seen_phones: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise RosterError(f"{source}: line {line}: expected {len(header)} columns, "
                              f"found {len(row)}")
        values = {column: clean_line(cell) for column, cell in zip(header, row, strict=True)}

        def bad(what: str, line: int = line) -> RosterError:
            return RosterError(f"{source}: line {line}: {what}")

        if not row[header.index("name")].strip():
            raise bad("name is empty")
        name = clean_name(values["name"])
        if name is None:
            raise bad(f"the name must be 2–{MAX_NAME} characters and have a letter")
        try:
            phone = normalise_phone(values["phone"])
        except ValueError:
            raise bad(f"phone {values['phone']!r} is not a phone number") from None
        if phone in seen_phones:
            raise bad(f"phone {phone} is already on line {seen_phones[phone]}")
        seen_phones[phone] = line
        area_text = values.get("area", "")
        area = areas.get(area_text.lower()) if area_text else None
        if area_text and area is None:
            raise bad(f"unknown area {area_text!r} (known: {', '.join(settings.area_keys)})")
        gender = _GENDERS.get(values.get("gender", "").lower())
        if gender is None:
            raise bad(f"gender {values['gender']!r} is not one of kvinna, man, annat, vill ej ange")
        role = _ROLES.get(values.get("role", "").lower())
        if role is None:
            raise bad(f"role {values['role']!r} is not volunteer or leader")
        locale = values.get("locale", "").lower() or None
        if locale not in (None, "sv", "en"):
            raise bad(f"locale {values['locale']!r} is not sv or en")
        transport = values.get("transport", "").lower()
        if transport not in TRANSPORTS:
            raise bad(f"transport {values['transport']!r} is not telegram or signal")
        try:  # "arabiska|finska", or keys; separated by | , ; / or +
            skills = parse_skills(settings, values.get("skills", ""))
        except ValueError as unknown:
            raise bad(f"unknown skill {str(unknown)!r} (known: "
                      f"{', '.join(skill.key for skill in settings.skills) or 'none'})") from None
        members.append(RosterRow(line, NewMember(name=name, role=role, phone=phone,
                                                 area=area, gender=gender, locale=locale,
                                                 skills=skills),
                                 transport or None))
    if not members:
        raise RosterError(f"{source}: no members in the file")
    return members
