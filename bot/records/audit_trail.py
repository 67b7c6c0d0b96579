"""The audit trail shown to people: /audit CODE for leaders and the yearly CSV export.

The log itself is append-only in the database (triggers refuse UPDATE and DELETE) and stores ids,
never names; names are looked up when it is shown, so an erased member appears under the
placeholder name their row keeps.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.delivery.messages import OutgoingMessage, text_parts
from bot.i18n import N_, Translator
from storage.audit import AuditEntry
from storage.clock import to_db

__all__ = ["EVENT_LABELS", "audit_csv", "audit_messages", "describe_actor", "split_lines",
           "year_bounds"]

EVENT_LABELS = {
    "activation.issued": N_("call-out sent"),
    "activation.staffed": N_("staffed"),
    "activation.closed": N_("closed"),
    "activation.cancelled": N_("cancelled"),
    "activation.purged": N_("sensitive details deleted (retention)"),
    "activation.pins_renewed": N_("location pins sent anew (so they can still be deleted)"),
    "request.confirm": N_("said yes, confirmed"),
    "request.hold": N_("said yes, holds the last place"),
    "request.reserve": N_("said yes, reserve"),
    "request.decline": N_("said no"),
    "request.arrived": N_("arrived"),
    "request.withdrawn": N_("withdrew"),
    "request.promoted": N_("reserve promoted"),
    "request.hold_bumped": N_("held place given to a mixed pair"),
    "request.hold_confirmed": N_("held place confirmed"),
    "request.stood_down_paused": N_("stood down: the member was paused"),
    "escalation.reminder": N_("reminder sent"),
    "escalation.wave": N_("wider circle asked"),
    "escalation.widened": N_("everyone asked on a leader's word"),
    "escalation.unstaffed_alert": N_("leaders alerted: not staffed"),
    "activation.needed_lowered": N_("going with fewer than asked"),
    "debrief.scheduled": N_("follow-up questions planned"),
    "debrief.sent": N_("follow-up questions sent"),
    "debrief.reminded": N_("follow-up reminder sent"),
    "debrief.answered": N_("follow-up question answered"),
    "debrief.retry": N_("follow-up answer not understood, asked again"),
    "debrief.paused": N_("follow-up paused"),
    "debrief.resumed": N_("follow-up continued"),
    "debrief.done": N_("follow-up finished"),
    "debrief.cancelled": N_("follow-up not sent: member no longer reachable"),
    "debrief.welfare_alert": N_("leaders asked to get in touch (welfare)"),
    "activation.reopened": N_("open again: a shift needs people"),
    "shifts.planned": N_("staffed in shifts"),
    "shift.confirmed": N_("took a shift"),
    "shift.reserve": N_("reserve on a shift"),
    "shift.arrived": N_("arrived for a shift"),
    "shift.withdrawn": N_("left a shift"),
    "shift.briefed": N_("shift team briefed"),
    "shift.ended": N_("shift over"),
    "shift.cancelled": N_("shift cancelled"),
    "shift.added": N_("shift added"),
    "intake.received": N_("request received through the intake"),
    "intake.requested": N_("call-out requested through the intake"),
    "intake.taken": N_("intake request taken to change it"),
    "intake.released": N_("intake request left unsent, waiting again"),
    "intake.declined": N_("intake request declined"),
    "intake.expired": N_("intake request closed: no leader decided it in time"),
    "intake.purged": N_("intake request's details about people deleted (retention)"),
    "intake.asked_again": N_("leaders asked again: nobody answered the request"),
    "intake.alerted": N_("leaders alerted: nobody answered the request"),
    "intake.call": N_("intake called"),
    "intake.key_added": N_("intake key created"),
    "intake.key_revoked": N_("intake key revoked"),
}

Names = Callable[[int], Awaitable[str | None]]


def year_bounds(year: int, timezone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first moment of the year and of the next, in the organisation's time zone."""
    return (datetime(year, 1, 1, tzinfo=timezone), datetime(year + 1, 1, 1, tzinfo=timezone))


async def describe_actor(actor: str, name_of: Names, t: Translator) -> str:
    """'member:12' as the member's (current) name; the system and the command line by role."""
    kind, _, ident = actor.partition(":")
    if kind == "member" and ident.isdecimal():
        name = await name_of(int(ident))
        return name or actor
    if actor == "system":
        return t.gettext("the bot")
    if actor == "cli":
        return t.gettext("command line")
    if kind == "requester" and ident.isdecimal():
        # Translators: an outside caller of the alarm intake (e.g. SOS Alarm) by its key's id.
        return t.gettext("requester {id}").format(id=ident)
    return actor


def _detail(entry: AuditEntry, names: dict[int, str]) -> str:
    parts = []
    for key, value in entry.detail.items():
        if key == "member_id" and value in names:
            parts.append(names[value])
        elif key in ("code", "kind", "area"):
            continue  # already in the call-out's headline
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts)


def split_lines(lines: Sequence[str]) -> list[OutgoingMessage]:
    """Lines packed into as few messages as a readable length allows."""
    return [OutgoingMessage(part) for part in text_parts(lines)]


async def audit_messages(title: str, entries: Sequence[AuditEntry], name_of: Names,
                         t: Translator) -> list[OutgoingMessage]:
    """/audit CODE: one line per state change — when, who, what."""
    names: dict[int, str] = {}
    lines = [title]
    for entry in entries:
        member_id = entry.detail.get("member_id")
        if isinstance(member_id, int) and member_id not in names:
            names[member_id] = await name_of(member_id) or f"#{member_id}"
        who = await describe_actor(entry.actor, name_of, t)
        label = EVENT_LABELS.get(entry.event)
        what = t.gettext(label) if label else entry.event
        detail = _detail(entry, names)
        lines.append(f"{t.short_datetime(entry.at, entry.at)} · {who} · {what}"
                     + (f" ({detail})" if detail else ""))
    if not entries:
        lines.append(t.gettext("Nothing recorded."))
    return split_lines(lines)


def audit_csv(entries: Sequence[AuditEntry]) -> str:
    """The audit rows as CSV: stable English columns, times in UTC, detail as JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("id", "at_utc", "actor", "activation_id", "activation_code", "event",
                     "detail"))
    for entry in entries:
        writer.writerow((entry.id, to_db(entry.at), entry.actor, entry.activation_id or "",
                         entry.activation_code or "", entry.event,
                         json.dumps(entry.detail, sort_keys=True, ensure_ascii=False)))
    return buffer.getvalue()
