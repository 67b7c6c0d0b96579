"""What the duty leaders read about an intake request: pure functions of the request and their
translations, like bot.callout.render. The request shows the summary only, never the briefing
(the leader sees that in the /activate preview after [Ändra])."""

from __future__ import annotations

from datetime import timedelta

from bot.callout.render import area_name, exercise_mark
from bot.choices import IntakeDecision
from bot.config import Settings
from bot.delivery.messages import Choice, OutgoingMessage
from bot.i18n import Translator
from storage.intake import IntakeRecord

__all__ = ["decided_message", "request_for_leaders"]


def _kind(settings: Settings, record: IntakeRecord, t: Translator) -> str:
    kind = settings.callout.kind(record.call_out.kind)
    return kind.label(t.locale) if kind else record.call_out.kind


def _marked(record: IntakeRecord, t: Translator, text: str) -> str:
    return f"{exercise_mark(t)}\n{text}" if record.call_out.exercise else text


def _body(settings: Settings, record: IntakeRecord, t: Translator) -> list[str]:
    return [
        "📥 " + t.gettext("Request for POSOM from {name}").format(name=record.requested_by),
        t.ngettext("{kind}, {area}: {count} support person", "{kind}, {area}: {count} support "
                   "persons", record.call_out.needed).format(
                       kind=_kind(settings, record, t),
                       area=area_name(settings, record.call_out.area),
                       count=record.call_out.needed),
        record.call_out.summary,
    ]


def request_for_leaders(settings: Settings, record: IntakeRecord, t: Translator, *,
                        waited: timedelta | None = None, alert: bool = False,
                        released_by: str | None = None) -> OutgoingMessage:
    """The request with [Aktivera] [Ändra] [Avböj]; again after `waited` without an answer,
    with the duty phone when it is the alert, or handed back by a leader who did not send it."""
    lines = _body(settings, record, t)
    if released_by is not None:
        lines.insert(0, "↩️ " + t.gettext("{name} did not send it; it waits for a leader "
                                          "again.").format(name=released_by))
    if alert:
        lines.insert(0, "🔴 " + t.gettext(
            "NO LEADER HAS ANSWERED for {duration}. Duty phone: {phone}").format(
                duration=t.duration(waited or timedelta()),
                phone=settings.organisation.duty_phone or "–"))
    elif waited is not None:
        lines.insert(0, "⏰ " + t.gettext("No leader has answered for {duration}.").format(
            duration=t.duration(waited)))
    lines.append(t.gettext("Activate it as it is, change it first, or decline?"))
    choices = ((Choice(t.gettext("Activate"), IntakeDecision(record.id, "go").pack()),
                Choice(t.gettext("Change"), IntakeDecision(record.id, "edit").pack()),
                Choice(t.gettext("Decline"), IntakeDecision(record.id, "no").pack())),)
    return OutgoingMessage(_marked(record, t, "\n".join(lines)), choices=choices)


def decided_message(settings: Settings, record: IntakeRecord, how: str, leader_name: str,
                    t: Translator, code: str | None = None) -> OutgoingMessage:
    """What the request's message becomes once a leader decided (no choices left)."""
    outcomes = {
        "activated": t.gettext("✅ Activated by {name}: call-out {code}."),
        "taken": t.gettext("✏️ {name} is changing it in /activate."),
        "declined": t.gettext("❌ Declined by {name}."),
        "expired": t.gettext("⌛ No leader decided it in time: it is closed and its details "
                             "are deleted."),
    }
    lines = _body(settings, record, t)
    lines.append(outcomes[how].format(name=leader_name, code=code or "–"))
    return OutgoingMessage(_marked(record, t, "\n".join(lines)))
