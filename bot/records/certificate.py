"""/intyg: a certificate of a volunteer's hours for an employer or for compensation of lost
income ("utan att du behöver lida någon ekonomisk förlust").

It lists the year's interventions and exercises with date, time on site and hours, signed with
the organisation's name and contact. On purpose it carries nothing else: no briefing, no place,
no kind of incident, nobody supported – an employer needs the hours, not the story.

`compute_certificate` is a pure function of the rows storage hands over; `render_html` turns it
into a self-contained page to print or forward, `summary_text` into a chat message.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.dates import format_date
from babel.numbers import format_decimal

from bot.config import Settings
from bot.i18n import Translator
from storage.certificates import AssignmentFacts

__all__ = ["Certificate", "CertificateLine", "compute_certificate", "render_html",
           "summary_text"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:45rem;padding:0 1rem;color:#1d1d1f;line-height:1.45}
table{border-collapse:collapse;margin:1rem 0;width:100%}
th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f5f7}
.sign{margin-top:2.5rem}.muted{color:#57606a;font-size:.9rem}
"""


@dataclass(frozen=True, slots=True)
class CertificateLine:
    """One row of the certificate."""

    code: str
    exercise: bool
    day: datetime  # when the assignment began
    on_site: tuple[datetime, datetime] | None  # from [Framme] to the end, if they pressed it
    hours: float  # from the Yes (or the shift's start) to the end
    shift: int | None = None


@dataclass(frozen=True, slots=True)
class Certificate:
    organisation: str
    contact: str | None
    member_name: str
    year: int
    issued_at: datetime
    lines: tuple[CertificateLine, ...]

    @property
    def interventions(self) -> int:
        return sum(1 for line in self.lines if not line.exercise)

    @property
    def exercises(self) -> int:
        return sum(1 for line in self.lines if line.exercise)

    @property
    def hours(self) -> float:
        return round(sum(line.hours for line in self.lines), 2)


def _hours(start: datetime, end: datetime) -> float:
    return round(max(end - start, timedelta()).total_seconds() / 3600, 2)


def compute_certificate(settings: Settings, member_name: str, year: int,
                        assignments: Sequence[AssignmentFacts],
                        issued_at: datetime) -> Certificate:
    """The certificate's rows from the member's assignments of the year."""
    lines = tuple(
        CertificateLine(
            code=item.code, exercise=item.exercise, day=item.confirmed_at,
            on_site=(item.arrived_at, item.ended_at) if item.arrived_at else None,
            hours=_hours(item.confirmed_at, item.ended_at), shift=item.shift)
        for item in sorted(assignments, key=lambda item: item.confirmed_at))
    organisation = settings.organisation
    return Certificate(organisation=organisation.name,
                       contact=organisation.contact or organisation.duty_phone,
                       member_name=member_name, year=year, issued_at=issued_at, lines=lines)


def _number(value: float, t: Translator) -> str:
    return format_decimal(value, format="#,##0.0#", locale=t.locale)


def _what(line: CertificateLine, t: Translator) -> str:
    what = t.gettext("Exercise") if line.exercise else t.gettext("Intervention")
    if line.shift is not None:
        what += " – " + t.gettext("shift {number}").format(number=line.shift)
    return f"{what} ({line.code})"


def _on_site(line: CertificateLine, t: Translator) -> str:
    if line.on_site is None:
        return "–"
    start, end = line.on_site
    return f"{t.time(start)}–{t.time(end)}"


def _day(moment: datetime, t: Translator) -> str:
    return format_date(moment.astimezone(t.timezone), "yyyy-MM-dd", locale=t.locale)


def render_html(certificate: Certificate, t: Translator) -> str:
    """The certificate as one self-contained, printable HTML page in the reader's language."""
    title = t.gettext("Certificate of assignments as a support person")
    intro = t.gettext(
        "{name} is a support person in {organisation}, the municipal crisis-support group "
        "(POSOM). In {year} {name} took part in the following interventions and exercises. The "
        "hours run from the moment they agreed to go (or the start of their shift) to the end "
        "of the assignment, travel included.").format(
            name=certificate.member_name, organisation=certificate.organisation,
            year=certificate.year)
    rows = "".join(
        f"<tr><td>{html.escape(_day(line.day, t))}</td><td>{html.escape(_what(line, t))}</td>"
        f'<td>{html.escape(_on_site(line, t))}</td><td class="n">'
        f"{html.escape(_number(line.hours, t))}</td></tr>" for line in certificate.lines)
    total = t.gettext("Total")
    headers = "".join(f"<th>{html.escape(header)}</th>" for header in (
        t.gettext("Date"), t.gettext("Assignment"), t.gettext("Time on site"),
        t.gettext("Hours")))
    sign = [html.escape(t.gettext("For {organisation}").format(
        organisation=certificate.organisation))]
    if certificate.contact:
        sign.append(html.escape(t.gettext("Contact: {contact}").format(
            contact=certificate.contact)))
    sign.append(html.escape(t.gettext("Issued {date}").format(
        date=_day(certificate.issued_at, t))))
    note = t.gettext("This certificate states times only. What happened, where, and who was "
                     "supported is confidential and is not given out.")
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{t.locale}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)} – {html.escape(certificate.member_name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(intro)}</p>",
        f"<table><thead><tr>{headers}</tr></thead>",
        f"<tbody>{rows}</tbody>",
        f'<tfoot><tr><th colspan="3">{html.escape(total)}</th>'
        f'<th class="n">{html.escape(_number(certificate.hours, t))}</th></tr></tfoot>'
        "</table>",
        f'<p class="sign">{"<br>".join(sign)}</p>',
        f'<p class="muted">{html.escape(note)}</p>',
        "</body></html>",
    ])


def summary_text(certificate: Certificate, t: Translator) -> str:
    """The certificate in one chat message: counts and hours, the page follows as a file."""
    if not certificate.lines:
        return t.gettext("{name} has no interventions or exercises in {year}.").format(
            name=certificate.member_name, year=certificate.year)
    interventions = t.ngettext("{count} intervention", "{count} interventions",
                               certificate.interventions).format(
        count=certificate.interventions)
    exercises = t.ngettext("{count} exercise", "{count} exercises",
                           certificate.exercises).format(count=certificate.exercises)
    return t.gettext("Certificate for {name}, {year}: {interventions} and {exercises}, "
                     "{hours} hours in all. The certificate for the employer follows as a file; "
                     "it shows dates and hours only.").format(
        name=certificate.member_name, year=certificate.year, interventions=interventions,
        exercises=exercises, hours=_number(certificate.hours, t))
