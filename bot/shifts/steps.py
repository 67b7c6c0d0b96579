"""The /activate steps of a call-out staffed in shifts: one call-out or shifts (for the kinds
`shifts.kinds` names), then, after the location, the first shift's start, each shift's length and
how many shifts. The answers live in the /activate dialogue's data; the dialogue asks these
functions what to ask and how to read an answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.choices import ActivateChoice
from bot.config import Settings
from bot.delivery.messages import Choice, OutgoingMessage
from bot.durations import parse_duration
from bot.i18n import Translator
from bot.when import parse_moment
from storage.clock import from_db, to_db
from storage.shifts import ShiftPlan

__all__ = ["STEPS", "choose", "missing_step", "plan_of", "preview_lines", "question", "type_in"]

STEPS = ("mode", "first_start", "shift_length", "shift_count")
LENGTHS = ("2h", "3h", "4h", "6h", "8h")
MIN_LENGTH, MAX_LENGTH = timedelta(minutes=30), timedelta(hours=24)
Data = dict[str, Any]


def offers_shifts(settings: Settings, data: Data) -> bool:
    """True if the chosen kind of incident can be staffed in shifts."""
    return data.get("kind") in settings.shifts.kinds


def missing_step(settings: Settings, data: Data, *, after_location: bool) -> str | None:
    """The shift step still to answer at this point of the dialogue, if any."""
    if not after_location:
        return "mode" if offers_shifts(settings, data) and "shifts" not in data else None
    if not data.get("shifts"):
        return None
    for step, key in (("first_start", "first_start"), ("shift_length", "shift_length"),
                      ("shift_count", "shift_count")):
        if key not in data:
            return step
    return None


def question(settings: Settings, step: str, abort: tuple[Choice, ...],
             t: Translator) -> OutgoingMessage:
    """The question of a shift step."""
    if step == "mode":
        return OutgoingMessage(t.gettext(
            "Staff it as one call-out, or in shifts (a support centre or a crisis line)?"),
            choices=((Choice(t.gettext("One call-out"), ActivateChoice("mode", "one").pack()),
                      Choice(t.gettext("In shifts"), ActivateChoice("mode", "shifts").pack())),
                     abort))
    if step == "first_start":
        return OutgoingMessage(t.gettext(
            "When does the first shift start? Press Now or write a time, e.g. 18:00 or "
            "2026-12-05 18:00."),
            choices=((Choice(t.gettext("Now"), ActivateChoice("first_start", "now").pack()),),
                     abort))
    if step == "shift_length":
        row = tuple(Choice(t.duration(parse_duration(length)),
                           ActivateChoice("shift_length", length).pack()) for length in LENGTHS)
        return OutgoingMessage(t.gettext("How long is each shift? Press one or write it, e.g. "
                                         "5h."), choices=(row, abort))
    row = tuple(Choice(str(count), ActivateChoice("shift_count", str(count)).pack())
                for count in range(1, 7))
    return OutgoingMessage(t.gettext("How many shifts? Press a number or write one (at most "
                                     "{count}); leaders can add shifts later.").format(
        count=settings.shifts.max_shifts), choices=(row, abort))


def choose(settings: Settings, step: str, value: str, data: Data, now: datetime) -> bool:
    """Takes a pressed choice of a shift step; False if it is not one."""
    if step == "mode" and value in ("one", "shifts"):
        data["shifts"] = value == "shifts"
        return True
    if step == "first_start" and value == "now":
        data["first_start"] = to_db(now)
        return True
    if step == "shift_length" and value in LENGTHS:
        data["shift_length"] = int(parse_duration(value).total_seconds())
        return True
    if step == "shift_count" and value.isdecimal() and len(value) <= 2 \
            and 1 <= int(value) <= settings.shifts.max_shifts:
        data["shift_count"] = int(value)
        return True
    return False


def type_in(settings: Settings, step: str, value: str, data: Data, now: datetime,
            t: Translator) -> str | None:
    """Takes a typed answer to a shift step; returns what to tell the leader if it is not
    one."""
    if step == "first_start":
        try:
            moment = parse_moment(value, now, settings.organisation.tz)
        except ValueError:
            return t.gettext("Please write a time, e.g. 18:00 or 2026-12-05 18:00.")
        data["first_start"] = to_db(moment)
    elif step == "shift_length":
        try:
            length = parse_duration(value)
        except ValueError:
            length = timedelta()
        if not MIN_LENGTH <= length <= MAX_LENGTH:
            return t.gettext("Please write a length from 30 minutes to 24 hours, e.g. 4h.")
        data["shift_length"] = int(length.total_seconds())
    elif step == "shift_count":
        if not (value.isdecimal() and len(value) <= 2
                and 1 <= int(value) <= settings.shifts.max_shifts):
            return t.gettext("Please give a number from 1 to {count}.").format(
                count=settings.shifts.max_shifts)
        data["shift_count"] = int(value)
    else:
        return t.gettext("Please use the buttons to answer.")
    return None


def plan_of(data: Data) -> ShiftPlan | None:
    """The shift plan the dialogue's answers make, or None for one call-out."""
    if not data.get("shifts"):
        return None
    return ShiftPlan(first_start=from_db(data["first_start"]),
                     length=timedelta(seconds=data["shift_length"]),
                     count=int(data["shift_count"]))


def preview_lines(data: Data, t: Translator) -> list[str]:
    """The preview's lines about the shifts."""
    plan = plan_of(data)
    if plan is None:
        return []
    end = plan.first_start + plan.count * plan.length
    return [t.ngettext("In shifts: {count} shift of {length} from {start} to {end}, {needed} "
                       "per shift", "In shifts: {count} shifts of {length} from {start} to "
                       "{end}, {needed} per shift", plan.count).format(
        count=plan.count, length=t.duration(plan.length), start=t.datetime(plan.first_start),
        end=t.datetime(end), needed=data["needed"])]
