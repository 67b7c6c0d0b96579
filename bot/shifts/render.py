"""What people read about a support centre in shifts: the request with a choice per shift, a
shift's briefing, its reminder and its end, and the leaders' shift board. Pure functions of the
rows and the reader's translations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from babel.dates import format_datetime

from bot.callout.render import (
    ACTIVATION_STATE_LABELS,
    TeamMember,
    briefing_lines,
    exercise_mark,
    headline,
    marked,
)
from bot.callout.skills import skill_labels
from bot.choices import CentreAction, ShiftMission, ShiftTake, StatusAction
from bot.config import Settings
from bot.delivery.messages import Choice, OutgoingMessage
from bot.i18n import Translator
from storage.models import Activation, Member
from storage.shifts import Place, Shift

__all__ = ["board", "centre_closed", "centre_request", "shift_briefing", "shift_ended",
           "shift_label", "shift_reminder", "shift_span"]

ShiftRow = tuple[Shift, Sequence[tuple[Place, Member]]]


def shift_span(shift: Shift, t: Translator) -> str:
    """"lör 23 nov. 18:00–22:00" in the reader's language and the organisation's time zone."""
    start = format_datetime(shift.starts_at, "EEE d MMM HH:mm", tzinfo=t.timezone,
                            locale=t.locale)
    return f"{start}–{t.time(shift.ends_at)}"


def shift_label(shift: Shift, t: Translator) -> str:
    """"Pass 2: lör 23 nov. 22:00–02:00"."""
    return t.gettext("Shift {number}: {span}").format(number=shift.number,
                                                       span=shift_span(shift, t))


def _short(shift: Shift, t: Translator) -> str:
    """A choice's label: "Pass 2 22:00–02:00"."""
    return t.gettext("Shift {number} {start}–{end}").format(
        number=shift.number, start=t.time(shift.starts_at), end=t.time(shift.ends_at))


def centre_request(settings: Settings, activation: Activation, request_id: int,
                   shifts: Sequence[tuple[Shift, int]], mine: Sequence[tuple[Place, Shift]],
                   t: Translator, *, reminder: bool = False) -> OutgoingMessage:
    """The request to staff a support centre: the shifts with how full they are, a choice per
    shift still to come, and [Inget pass passar] until the volunteer has one."""
    first = "🚨 " + headline(settings, activation, t)
    if reminder:
        first = "⏰ " + t.gettext("Reminder – shifts still to staff.") + "\n" + first
    lines = [first, activation.summary]
    if activation.required_skills:
        lines.append(t.gettext("Especially needed: {skills}.").format(
            skills=skill_labels(settings, activation.required_skills, t)))
    lines.append(t.ngettext("Staffed in shifts of {count} support person – choose the shifts "
                            "you can take:", "Staffed in shifts of {count} support persons – "
                            "choose the shifts you can take:", activation.needed).format(
        count=activation.needed))
    held = {shift.id: place for place, shift in mine}
    rows: list[tuple[Choice, ...]] = []
    for shift, confirmed in shifts:
        line = f"• {shift_label(shift, t)} ({confirmed}/{shift.needed})"
        place = held.get(shift.id)
        if place is not None:
            line += " – " + (t.gettext("yours") if place.state == "confirmed"
                             else t.gettext("you are a reserve"))
        lines.append(line)
        if shift.is_active and place is None:
            rows.append((Choice(_short(shift, t), ShiftTake(request_id, shift.id).pack()),))
    if not held:
        rows.append((Choice(t.gettext("No shift suits me"), ShiftTake(request_id, 0).pack()),))
    lines += ["", t.gettext("The briefing comes before your shift starts.")]
    return OutgoingMessage(marked(activation, t, "\n".join(lines)), choices=tuple(rows))


def shift_briefing(settings: Settings, activation: Activation, shift: Shift, place: Place,
                   team: Sequence[TeamMember], leader: Member | None, t: Translator, *,
                   arrived: bool = False) -> OutgoingMessage:
    """A shift team member's briefing: the shift, the briefing, the place, the shift's team."""
    lines = ["📋 " + headline(settings, activation, t), shift_label(shift, t),
             t.gettext("You have this shift. Briefing:"),
             *briefing_lines(settings, activation, team, leader, t,
                             team_heading=t.gettext("Team this shift:"))]
    actions = [] if arrived else [Choice(t.gettext("Arrived"),
                                         ShiftMission(place.id, "arrived").pack())]
    actions.append(Choice(t.gettext("Can't come after all"),
                          ShiftMission(place.id, "withdraw").pack()))
    return OutgoingMessage(marked(activation, t, "\n".join(lines)), choices=(tuple(actions),))


def shift_reminder(settings: Settings, activation: Activation, shift: Shift,
                   t: Translator) -> OutgoingMessage:
    """An hour before: your shift starts soon."""
    return OutgoingMessage(marked(activation, t, "⏰ " + t.gettext(
        "{code}: your shift {number} starts at {time}. The briefing is above.").format(
            code=activation.code, number=shift.number, time=t.time(shift.starts_at))))


def shift_ended(settings: Settings, activation: Activation, shift: Shift, how: str,
                t: Translator) -> OutgoingMessage:
    """What a shift briefing is edited down to (no briefing, no address), or a reserve told."""
    texts = {
        "ended": t.gettext("{code}: shift {number} is over. Thank you for your effort!"),
        "cancelled": t.gettext("{code}: shift {number} is cancelled – you are not needed. "
                               "Thank you."),
        "withdrawn": t.gettext("{code}: you have left shift {number}. Thank you for telling "
                               "us."),
        "stood_down": t.gettext("{code}: shift {number} is over – the reserves were not "
                                "needed. Thank you!"),
    }
    return OutgoingMessage(marked(activation, t, texts[how].format(code=activation.code,
                                                                  number=shift.number)))


def centre_closed(settings: Settings, activation: Activation, t: Translator) -> OutgoingMessage:
    """What the request of someone who took a shift says once the centre is closed."""
    return OutgoingMessage(marked(activation, t, headline(settings, activation, t) + "\n" +
                                  t.gettext("The support centre is closed. Thank you for "
                                            "taking part!")))


def board(settings: Settings, activation: Activation, rows: Sequence[ShiftRow],
          counts: dict[str, int], now: datetime, t: Translator) -> OutgoingMessage:
    """/status CODE of a support centre: each shift with its team and reserves, the answers,
    and the leaders' choices."""
    lines = [headline(settings, activation, t),
             t.gettext("Support centre in shifts. State: {state}. Started {time}.").format(
                 state=t.gettext(ACTIVATION_STATE_LABELS[activation.state]),
                 time=t.short_datetime(activation.created_at, now))]
    for shift, places in rows:
        team = [member.name for place, member in places if place.state == "confirmed"]
        reserves = [member.name for place, member in places if place.state == "reserve"]
        mark = {"staffed": "✅", "open": "⏳", "ended": "✔️", "cancelled": "✖️"}[shift.state]
        line = f"{mark} {shift_label(shift, t)}: {len(team)}/{shift.needed}"
        if team:
            line += " – " + ", ".join(team)
        if reserves:
            line += " " + t.gettext("(reserves: {names})").format(names=", ".join(reserves))
        lines.append(line)
    lines.append("")
    lines.append(t.gettext("Asked: {asked}. Took a shift: {took}. No shift suits them: "
                           "{declined}. No answer yet: {pending}.").format(
        asked=sum(counts.values()), took=counts.get("reserve", 0),
        declined=counts.get("declined", 0), pending=counts.get("pending", 0)))
    choices: tuple[tuple[Choice, ...], ...] = ()
    if activation.is_active:
        choices = ((Choice(t.gettext("Add a shift"), CentreAction(activation.id, "add").pack()),
                    Choice(t.gettext("Refresh"), CentreAction(activation.id, "refresh").pack())),
                   (Choice(t.gettext("Close the centre"),
                           CentreAction(activation.id, "close").pack()),
                    Choice(t.gettext("Cancel call-out"),
                           StatusAction(activation.id, "cancel").pack())))
        if activation.state == "open":
            choices += ((Choice(t.gettext("Ask everyone"),
                                StatusAction(activation.id, "widen").pack()),),)
    text = "\n".join(lines)
    if activation.exercise:
        text = f"{exercise_mark(t)}\n{text}"
    return OutgoingMessage(text, choices=choices)
