"""What people read about training days and meetings: the invitation, the reminder, the roll
leaders mark attendance on, and the lists of /training. Pure functions of the rows and the
reader's translations."""

from __future__ import annotations

from collections.abc import Sequence

from bot.callout.render import area_name
from bot.choices import AttendanceMark, TrainingAnswer
from bot.config import Settings
from bot.delivery.messages import Choice, OutgoingMessage
from bot.i18n import Translator
from bot.training.rules import KIND_LABELS
from storage.models import Member
from storage.training import Invite, Training, TrainingStatus

__all__ = ["MAX_ROLL", "invitation", "reminder", "roll", "status_lines", "training_line"]

MAX_ROLL = 90  # names with a choice on one roll (Telegram allows 100 buttons a message)


def kind_label(training: Training, t: Translator) -> str:
    """"Utbildning", "Träff", … in the reader's language."""
    return t.gettext(KIND_LABELS[training.kind])


def _answer_choices(invite_id: int, t: Translator) -> tuple[tuple[Choice, ...], ...]:
    return ((Choice(t.gettext("Coming"), TrainingAnswer(invite_id, True).pack()),
             Choice(t.gettext("Not coming"), TrainingAnswer(invite_id, False).pack())),)


def _head(settings: Settings, training: Training, t: Translator) -> list[str]:
    lines = [f"📚 {kind_label(training, t)}: {t.datetime(training.starts_at)}",
             t.gettext("Place: {place}").format(place=training.place)]
    if training.areas:
        lines.append(t.gettext("For: {areas}").format(
            areas=", ".join(area_name(settings, key) for key in training.areas)))
    return lines


def invitation(settings: Settings, training: Training, invite: Invite,
               t: Translator) -> OutgoingMessage:
    """The invitation with [Kommer] [Kommer inte]; once answered it says so, and the choices
    stay so the answer can be changed."""
    lines = [*_head(settings, training, t), training.details, ""]
    if invite.answer == "yes":
        lines.append("✅ " + t.gettext("Your answer: coming. Welcome!"))
    elif invite.answer == "no":
        lines.append(t.gettext("Your answer: not coming. Thank you for telling us."))
    else:
        lines.append(t.gettext("Are you coming?"))
    return OutgoingMessage("\n".join(lines), choices=_answer_choices(invite.id, t))


def reminder(settings: Settings, training: Training, invite: Invite,
             t: Translator) -> OutgoingMessage:
    """The reminder before the day: to those coming, and (with the choices) to the silent."""
    lines = ["⏰ " + t.gettext("Reminder: {kind} {time}").format(
        kind=kind_label(training, t), time=t.datetime(training.starts_at)),
        t.gettext("Place: {place}").format(place=training.place)]
    if invite.answer == "yes":
        lines.append(t.gettext("You said you are coming. Welcome!"))
        return OutgoingMessage("\n".join(lines))
    lines.append(t.gettext("Are you coming?"))
    return OutgoingMessage("\n".join(lines), choices=_answer_choices(invite.id, t))


def roll(settings: Settings, training: Training, people: Sequence[tuple[Invite, Member]],
         t: Translator) -> OutgoingMessage:
    """The roll for leaders: the answers, and a choice per person to mark who was there."""
    coming = sum(1 for invite, _ in people if invite.answer == "yes")
    not_coming = sum(1 for invite, _ in people if invite.answer == "no")
    there = sum(1 for invite, _ in people if invite.attended)
    lines = [*_head(settings, training, t),
             t.gettext("Invited: {invited}. Coming: {coming}. Not coming: {not_coming}. No "
                       "answer: {silent}. There: {there}.").format(
                 invited=len(people), coming=coming, not_coming=not_coming,
                 silent=len(people) - coming - not_coming, there=there),
             t.gettext("Press the names of those who were there (press again to undo).")]
    # Those who said they come first, then those already marked, then everyone else.
    order = sorted(people, key=lambda pair: (pair[0].answer != "yes", not pair[0].attended))
    shown = order[:MAX_ROLL]
    if len(order) > MAX_ROLL:
        lines.append(t.gettext("Showing {shown} of {count}.").format(shown=len(shown),
                                                                      count=len(order)))
    names = [Choice(("✓ " if invite.attended else "") + member.name[:40],
                    AttendanceMark(invite.id, not invite.attended).pack())
             for invite, member in shown]
    rows = tuple(tuple(names[i:i + 2]) for i in range(0, len(names), 2))
    return OutgoingMessage("\n".join(lines), choices=rows)


def training_line(training: Training, t: Translator, *, coming: int | None = None,
                  there: int | None = None) -> str:
    """One training in a list: "12. Utbildning 5 dec. 2026 09:00, Räddningsstationen"."""
    line = f"{training.id}. {kind_label(training, t)} {t.datetime(training.starts_at)}, " \
           f"{training.place}"
    if coming is not None:
        line += " – " + t.gettext("coming: {count}").format(count=coming)
    if there is not None:
        line += " – " + t.gettext("there: {count}").format(count=there)
    return line


def status_lines(status: TrainingStatus, trained: bool, t: Translator) -> list[str]:
    """A member's training status, for /me and /training."""
    intro = status.introduction_on.isoformat() if status.introduction_on \
        else t.gettext("not yet")
    last = status.last_training_on.isoformat() if status.last_training_on else "–"
    return [t.gettext("Introduction course: {date}").format(date=intro),
            t.gettext("Last training: {date}").format(date=last),
            t.gettext("Trained: {answer}").format(
                answer=t.gettext("yes") if trained else t.gettext("no"))]
