"""Renderers: pure functions from domain data and a person's translations to messages.

Nothing here reads the database or talks to a transport, so every text can be tested on its own.
The broadcast (`request_message`) carries only the non-sensitive summary; the briefing, address
and location appear only in `briefing_message` and `location_message`, which the call-out
service sends to confirmed volunteers alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.callout.skills import skill_labels
from bot.choices import Answer, HoldAction, MissionAction, StatusAction
from bot.config import Settings
from bot.delivery.messages import Choice, Location, OutgoingMessage
from bot.i18n import N_, Translator
from storage.models import Activation, Member, Request

__all__ = [
    "STATE_LABELS",
    "TeamMember",
    "answer_edit",
    "briefing_message",
    "exercise_mark",
    "location_message",
    "marked",
    "request_message",
]

STATE_LABELS = {
    "pending": N_("no answer yet"),
    "tentative": N_("holds the last place (mixed pair)"),
    "confirmed": N_("confirmed"),
    "reserve": N_("reserve"),
    "declined": N_("said no"),
    "stood_down": N_("stood down"),
    "withdrawn": N_("withdrew"),
    "released": N_("released"),
}
HELD = N_("holds the last place")
# /status CODE lists who goes first, then who might, then who will not.
STATE_ORDER = ("confirmed", "tentative", "reserve", "pending", "declined", "withdrawn", "released",
               "stood_down")
ACTIVATION_STATE_LABELS = {
    "open": N_("open"),
    "staffed": N_("staffed"),
    "closed": N_("closed"),
    "cancelled": N_("cancelled"),
}


@dataclass(frozen=True, slots=True)
class TeamMember:
    name: str
    phone: str | None


def kind_label(settings: Settings, activation: Activation, t: Translator) -> str:
    """The activation's kind of incident in the reader's language."""
    kind = settings.callout.kind(activation.kind)
    return kind.label(t.locale) if kind else activation.kind


def area_name(settings: Settings, key: str | None) -> str:
    """The display name of an area key."""
    area = settings.area(key) if key else None
    return area.name if area else (key or "–")


def headline(settings: Settings, activation: Activation, t: Translator) -> str:
    """"Larm 2026-014: Brand, Karlstad" — the first line of every message about an activation."""
    return t.gettext("Call-out {code}: {kind}, {area}").format(
        code=activation.code, kind=kind_label(settings, activation, t),
        area=area_name(settings, activation.area))


def exercise_mark(t: Translator) -> str:
    """"🔶 ÖVNING": the first line of every message about an exercise."""
    # Translators: the first line of every message about an exercise (a drill, not a real call-out).
    return "🔶 " + t.gettext("EXERCISE")


def marked(activation: Activation, t: Translator, text: str) -> str:
    """The text with "ÖVNING" as its first line when the activation is an exercise."""
    return f"{exercise_mark(t)}\n{text}" if activation.exercise else text


def listed_headline(settings: Settings, activation: Activation, t: Translator) -> str:
    """The headline for a line in a list, "🔶 ÖVNING – " in front for an exercise."""
    title = headline(settings, activation, t)
    return f"{exercise_mark(t)} – {title}" if activation.exercise else title


def request_message(settings: Settings, activation: Activation, request_id: int,
                    t: Translator, *, reminder: bool = False) -> OutgoingMessage:
    """The broadcast asking one volunteer: summary only, with [Ja, jag kan] [Nej]."""
    needed = t.ngettext("{count} support person is needed.", "{count} support persons are needed.",
                        activation.needed).format(count=activation.needed)
    first = "🚨 " + headline(settings, activation, t)
    if reminder:
        first = "⏰ " + t.gettext("Reminder – still not staffed.") + "\n" + first
    lines = [first, activation.summary]
    if activation.required_skills:
        lines.append(t.gettext("Especially needed: {skills}.").format(
            skills=skill_labels(settings, activation.required_skills, t)))
    text = "\n".join([
        *lines,
        needed + " " + t.gettext("Sent {time}.").format(time=t.time(activation.created_at)),
        "",
        t.gettext("Can you go?"),
    ])
    buttons = ((Choice(t.gettext("Yes, I can"), Answer(request_id, True).pack()),
                Choice(t.gettext("No"), Answer(request_id, False).pack())),)
    return OutgoingMessage(marked(activation, t, text), choices=buttons)


def answer_edit(settings: Settings, activation: Activation, state: str, t: Translator, *,
                confirmed: int = 0) -> OutgoingMessage:
    """What the volunteer's request message is edited to after an answer or a change."""
    title = headline(settings, activation, t)
    texts = {
        "confirmed": t.gettext("✅ You are confirmed ({confirmed} of {needed}). You get the "
                               "briefing and the address as soon as the team is complete."),
        "staffed": t.gettext("✅ You are confirmed. The briefing comes in the next message."),
        "reserve": t.gettext("The team is already complete. You are a reserve: we will message "
                             "you if someone drops out. Thank you!"),
        "declined": t.gettext("You answered no. Thank you for answering."),
        "stood_down": t.gettext("Staffed – thank you, you are not needed now."),
        "cancelled": t.gettext("The call-out was cancelled – you are not needed. Thank you."),
        "closed": t.gettext("The call-out is over – you are not needed. Thank you."),
        "paused": t.gettext("You are paused and not asked for now – you do not need to "
                            "answer. Thank you."),
        # What a confirmed volunteer's request says once they went, or left.
        "finished": t.gettext("The call-out is over. Thank you for your effort!"),
        "withdrawn": t.gettext("You have left this call-out. Thank you for telling us."),
    }
    body = texts[state].format(confirmed=confirmed, needed=activation.needed)
    return OutgoingMessage(marked(activation, t, f"{title}\n{body}"))


def hold_edit(settings: Settings, activation: Activation, wait: timedelta,
              t: Translator, *, skills: str | None = None) -> OutgoingMessage:
    """The held volunteer's request message: why they wait (a mixed pair, or `skills`, the
    labels of the skills still missing), and for how long at most."""
    body = t.gettext("Thank you! You hold the last place. We try to send a woman and a man "
                     "together and wait at most {duration} for that; then you are confirmed.")
    if skills:
        body = t.gettext("Thank you! You hold the last place. We are looking for someone with: "
                         "{skills}, and wait at most {duration} for that; then you are "
                         "confirmed.")
    body = body.format(duration=t.duration(wait), skills=skills)
    return OutgoingMessage(marked(activation, t, f"{headline(settings, activation, t)}\n{body}"))


def briefing_lines(settings: Settings, activation: Activation, team: Sequence[TeamMember],
                   leader: Member | None, t: Translator, *, team_heading: str) -> list[str]:
    """The body of a briefing: the text, the place, the team with phones, the duty leader and
    who issued it (shared by a call-out's and a shift's briefing)."""
    lines = [activation.briefing or activation.summary]
    if activation.location_address or activation.location_title:
        place = ", ".join(part for part in (activation.location_title,
                                            activation.location_address) if part)
        lines.append(t.gettext("Place: {place}").format(place=place))
    lines += ["", team_heading]
    lines += [f"• {mate.name}" + (f", {mate.phone}" if mate.phone else "") for mate in team]
    if settings.organisation.duty_phone:
        lines.append(t.gettext("Duty leader: {phone}").format(
            phone=settings.organisation.duty_phone))
    if leader is not None:
        lines.append(t.gettext("Call-out issued by {name}{phone}").format(
            name=leader.name, phone=f", {leader.phone}" if leader.phone else ""))
    return lines


def briefing_message(settings: Settings, activation: Activation, request: Request,
                     team: Sequence[TeamMember], leader: Member | None, t: Translator, *,
                     arrived: bool = False) -> OutgoingMessage:
    """The briefing for a confirmed volunteer: everything they need, with mission buttons."""
    lines = ["📋 " + headline(settings, activation, t), t.gettext("You are going. Briefing:"),
             *briefing_lines(settings, activation, team, leader, t,
                             team_heading=t.gettext("Team:"))]
    actions = [] if arrived else [Choice(t.gettext("Arrived"),
                                         MissionAction(request.id, "arrived").pack())]
    actions.append(Choice(t.gettext("Finished"), MissionAction(request.id, "finished").pack()))
    withdraw = Choice(t.gettext("Can't go after all"), MissionAction(request.id, "withdraw").pack())
    return OutgoingMessage(marked(activation, t, "\n".join(lines)),
                           choices=(tuple(actions), (withdraw,)))


def location_message(activation: Activation,
                     t: Translator | None = None) -> OutgoingMessage | None:
    """The location as a pin or a named place, if the leader gave coordinates.

    For an exercise it is always a venue whose title starts with "ÖVNING", since a bare pin has
    no text to mark.
    """
    if activation.location_lat is None or activation.location_lon is None:
        return None
    title, address = activation.location_title, activation.location_address
    if activation.exercise and t is not None:
        title = " – ".join(part for part in (exercise_mark(t), title) if part)
        address = address or f"{activation.location_lat:.5f}, {activation.location_lon:.5f}"
    return OutgoingMessage(location=Location(activation.location_lat, activation.location_lon,
                                             title, address))


def briefing_ended(settings: Settings, activation: Activation, how: str,
                   t: Translator) -> OutgoingMessage:
    """What a briefing is edited down to afterwards: code and kind only, no address."""
    texts = {
        "closed": t.gettext("Call-out {code} ({kind}) is closed. Thank you for your effort!"),
        "cancelled": t.gettext("Call-out {code} ({kind}) was cancelled. Thank you."),
        "withdrawn": t.gettext("You have left call-out {code} ({kind}). Thank you for telling us."),
    }
    return OutgoingMessage(marked(activation, t, texts[how].format(
        code=activation.code, kind=kind_label(settings, activation, t))))


def time_on_site(activation: Activation, requests: Sequence[Request]) -> timedelta | None:
    """From the first [Framme] to the end of the intervention ([Avslutad] or /close)."""
    arrivals = [request.arrived_at for request in requests if request.arrived_at]
    if not arrivals or activation.closed_at is None:
        return None
    return max(activation.closed_at - min(arrivals), timedelta())


def names(team: Sequence[TeamMember]) -> str:
    """"Anna, Björn" for notices."""
    return ", ".join(mate.name for mate in team)


def status_overview(settings: Settings, rows: Sequence[tuple[Activation, dict[str, int], int]],
                    readiness: dict[str, int], now: datetime, t: Translator) -> OutgoingMessage:
    """/status for leaders: every running activation and the readiness per area."""
    lines: list[str] = []
    if not rows:
        lines.append(t.gettext("No call-out is running."))
    for activation, counts, unreachable in rows:
        tag = exercise_mark(t) + " " if activation.exercise else ""
        line = tag + t.gettext("{code} {kind}, {area}: {confirmed}/{needed} confirmed, {pending} "
                               "waiting, {declined} no – {state}, {age}").format(
            code=activation.code, kind=kind_label(settings, activation, t),
            area=area_name(settings, activation.area), confirmed=counts.get("confirmed", 0),
            needed=activation.needed, pending=counts.get("pending", 0),
            declined=counts.get("declined", 0),
            state=t.gettext(ACTIVATION_STATE_LABELS[activation.state]),
            age=t.duration(now - activation.created_at))
        if unreachable:
            line += " – " + t.ngettext("{count} could not be reached",
                                       "{count} could not be reached",
                                       unreachable).format(count=unreachable)
        lines.append(line)
    lines.append("")
    lines.append(t.gettext("Available now:"))
    for area in settings.areas:
        lines.append(f"• {area.name}: {readiness.get(area.key, 0)}")
    if rows:
        lines.append("")
        lines.append(t.gettext("Details: /status CODE"))
    return OutgoingMessage("\n".join(lines))


def go_label(confirmed: int, t: Translator) -> str:
    """The leader's button to send the confirmed now, fewer than asked for."""
    return t.ngettext("Go with {count}", "Go with {count}", confirmed).format(count=confirmed)


RECEIPT_LABELS = {
    # Translators: after a person's line in /status CODE: their phone received the request.
    "delivered": N_("delivered"),
    # Translators: after a person's line in /status CODE: they opened the request.
    "read": N_("read"),
}


def status_detail(settings: Settings, activation: Activation,
                  people: Sequence[tuple[Request, Member]], unreachable: int, now: datetime,
                  t: Translator, receipts: dict[int, str] | None = None, *,
                  notes: Sequence[str] = ()) -> OutgoingMessage:
    """/status CODE: each person's state with times (and, where the transport reports it,
    whether their phone received or they read the request), and buttons to close or cancel;
    `notes` are lines shown under the times (e.g. which skill asked for is still open)."""
    lines = [headline(settings, activation, t),
             t.gettext("State: {state}. Started {time}.").format(
                 state=t.gettext(ACTIVATION_STATE_LABELS[activation.state]),
                 time=t.short_datetime(activation.created_at, now))]
    if activation.requested_by:
        lines.append(t.gettext("Requested by {name}.").format(name=activation.requested_by))
    if activation.staffed_at:
        lines.append(t.gettext("Staffed after {duration}.").format(
            duration=t.duration(activation.staffed_at - activation.created_at)))
    ended = activation.closed_at or activation.cancelled_at
    if ended:
        lines.append(t.gettext("Ended {time}, after {duration}.").format(
            time=t.short_datetime(ended, now), duration=t.duration(ended - activation.created_at)))
    on_site = time_on_site(activation, [request for request, _ in people])
    if on_site is not None:
        lines.append(t.gettext("On site for {duration} (from Arrived to Finished).").format(
            duration=t.duration(on_site)))
    if unreachable:
        lines.append(t.ngettext("{count} could not be reached", "{count} could not be reached",
                                unreachable).format(count=unreachable))
    lines.extend(notes)
    lines.append("")
    for request, member in sorted(people, key=lambda pair: STATE_ORDER.index(pair[0].state)):
        when = request.confirmed_at or request.answered_at
        stamp = f" {t.short_datetime(when, now)}" if when else ""
        extra = ""
        if request.arrived_at:
            extra = " – " + t.gettext("arrived {time}").format(
                time=t.short_datetime(request.arrived_at, now))
        unreachable_mark = " ⚠️" if member.unreachable else ""
        receipt = (receipts or {}).get(request.id)
        if receipt and request.state == "pending":
            extra += f" ({'✓✓' if receipt == 'read' else '✓'} {t.gettext(RECEIPT_LABELS[receipt])})"
        label = STATE_LABELS[request.state]
        if request.state == "tentative" and activation.required_skills:
            label = HELD  # for a skill or a mixed pair
        lines.append(f"• {member.name}: {t.gettext(label)}{stamp}{extra}{unreachable_mark}")
    if not people:
        lines.append(t.gettext("Nobody has been asked."))
    buttons: tuple[tuple[Choice, ...], ...] = ()
    if activation.is_active:
        last_row = [Choice(t.gettext("Refresh"), StatusAction(activation.id, "refresh").pack())]
        if activation.state == "open":
            last_row.insert(0, Choice(t.gettext("Ask everyone"),
                                      StatusAction(activation.id, "widen").pack()))
            confirmed = sum(request.state == "confirmed" for request, _ in people)
            if confirmed:
                last_row.insert(1, Choice(go_label(confirmed, t),
                                          StatusAction(activation.id, "go").pack()))
        held = [(request, member) for request, member in people if request.state == "tentative"]
        hold_rows = tuple((Choice(t.gettext("Confirm {name} now").format(name=member.name)[:60],
                                  HoldAction(request.id).pack()),) for request, member in held)
        buttons = ((Choice(t.gettext("Close"), StatusAction(activation.id, "close").pack()),
                    Choice(t.gettext("Cancel call-out"),
                           StatusAction(activation.id, "cancel").pack())),
                   *hold_rows, tuple(last_row))
    return OutgoingMessage(marked(activation, t, "\n".join(lines)), choices=buttons)
