"""Renderers for the questionnaire after an intervention and for what leaders see of it.

Pure functions of domain data and a person's translations, like bot.render. Every message about
an exercise starts with "ÖVNING" (bot.render.marked). The welfare alert names the volunteer, their
phone and the call-out code, and nothing of their answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from babel.numbers import format_decimal

from bot.callout.render import exercise_mark, headline, listed_headline, marked, time_on_site
from bot.choices import DebriefAction
from bot.config import DebriefQuestion, Settings
from bot.debrief.rules import MAX_TEXT as MAX_ANSWER
from bot.debrief.rules import Given, median
from bot.delivery.messages import PART_LENGTH, Choice, OutgoingMessage, text_parts
from bot.i18n import Translator
from storage.debriefs import Answer, Debrief, Figures
from storage.models import Activation, Member, Request

__all__ = [
    "answer_line",
    "figures_lines",
    "finished_message",
    "hint",
    "intro_message",
    "paused_message",
    "question_closed",
    "question_message",
    "reminder_message",
    "summary_messages",
    "welfare_alert",
    "welfare_thanks",
    "year_overview",
]


def number(value: float, t: Translator) -> str:
    """A number the way the reader writes it ("2,5" in Swedish)."""
    return format_decimal(value, format="#,##0.##", locale=t.locale)


def _header(activation: Activation, debrief: Debrief, position_number: int, count: int,
            t: Translator) -> str:
    if debrief.kind == "followup":
        text = t.gettext("Check-in after call-out {code} – question {number} of {count}")
    else:
        text = t.gettext("Follow-up of call-out {code} – question {number} of {count}")
    return "📝 " + text.format(code=activation.code, number=position_number, count=count)


def hint(reason: str, question: DebriefQuestion, t: Translator) -> str:
    """Why an answer was not taken, and what to give instead."""
    hints = {
        "number": t.gettext("Please answer with a number, e.g. 3 or 2.5."),
        "whole_number": t.gettext("Please answer with a whole number, e.g. 3."),
        "too_big": t.gettext("That is more than expected here (at most {max}). Please check the "
                             "number."),
        "scale": t.gettext("Please answer with a number from 1 to 5, or press a button."),
        "yesno": t.gettext("Please answer yes or no, or press a button."),
        "choice": t.gettext("Please choose one of the buttons."),
        "buttons": t.gettext("Please use the buttons, then press Done."),
        "pick_one": t.gettext("Please tick at least one, then press Done."),
        "required": t.gettext("This question needs an answer."),
        "too_long": t.gettext("That is too long – please keep it under {count} characters."),
    }
    return "✏️ " + hints[reason].format(max=number(question.max, t), count=MAX_ANSWER)


def _buttons(debrief: Debrief, question: DebriefQuestion,
             t: Translator) -> tuple[tuple[Choice, ...], ...]:
    def action(verb: str, value: str = "") -> str:
        return DebriefAction(debrief.id, debrief.position, verb, value).pack()  # type: ignore[arg-type]

    rows: list[tuple[Choice, ...]] = []
    if question.type == "choice":
        rows += [(Choice(option.label(t.locale), action("v", option.key)),)
                 for option in question.options]
    elif question.type == "multi":
        for option in question.options:
            ticked = option.key in debrief.selection
            rows.append((Choice(("☑ " if ticked else "☐ ") + option.label(t.locale),
                                action("off" if ticked else "on", option.key)),))
        rows.append((Choice("✓ " + t.gettext("Done"), action("ok")),))
    elif question.type == "scale":
        rows.append(tuple(Choice(str(n), action("v", str(n))) for n in range(1, 6)))
    elif question.type == "yesno":
        rows.append((Choice(t.gettext("Yes"), action("v", "y")),
                     Choice(t.gettext("No"), action("v", "n"))))
    last = [Choice(t.gettext("Continue later"), action("p"))]
    if not question.required:
        last.insert(0, Choice(t.gettext("Skip"), action("sk")))
    rows.append(tuple(last))
    return tuple(rows)


def _question_text(activation: Activation, debrief: Debrief, question: DebriefQuestion,
                   position_number: int, count: int, t: Translator) -> str:
    lines = [_header(activation, debrief, position_number, count, t), question.text(t.locale)]
    if question.type == "multi":
        lines.append(t.gettext("Tick all that apply, then press Done."))
    elif question.type in ("number", "text"):
        lines.append(t.gettext("Write your answer."))
    if not question.required:
        lines.append(t.gettext("(You may skip this one.)"))
    return "\n".join(lines)


def question_message(activation: Activation, debrief: Debrief, question: DebriefQuestion,
                     position_number: int, count: int, t: Translator, *,
                     retry_hint: str | None = None) -> OutgoingMessage:
    """One question with its buttons (and the hint when it is asked again)."""
    text = _question_text(activation, debrief, question, position_number, count, t)
    if retry_hint:
        text = f"{retry_hint}\n{text}"
    return OutgoingMessage(marked(activation, t, text), choices=_buttons(debrief, question, t))


def question_closed(activation: Activation, debrief: Debrief, question: DebriefQuestion,
                    position_number: int, count: int, t: Translator,
                    answer: str | None = None) -> OutgoingMessage:
    """The question edited after it was answered (with the answer) or paused (no buttons)."""
    text = _question_text(activation, debrief, question, position_number, count, t)
    if answer is not None:
        text += "\n" + answer
    return OutgoingMessage(marked(activation, t, text))


def answer_line(question: DebriefQuestion, given: Given, t: Translator) -> str:
    """"✓ 3", "✓ Praktiskt stöd, Socialt stöd", "– Hoppade över" (free text is not repeated)."""
    if given.skipped:
        return "– " + t.gettext("Skipped")
    if question.type == "text":
        return "✓ " + t.gettext("Saved")
    return "✓ " + _value_text(question, given.value, t)


def _value_text(question: DebriefQuestion, value, t: Translator) -> str:
    if question.type == "yesno":
        return t.gettext("Yes") if value else t.gettext("No")
    if question.type == "choice":
        option = question.option(value)
        return option.label(t.locale) if option else str(value)
    if question.type == "multi":
        labels = [option.label(t.locale) for option in question.options if option.key in value]
        return ", ".join(labels) if labels else t.gettext("none of these")
    return number(value, t)


def intro_message(activation: Activation, debrief: Debrief, member: Member, count: int,
                  settings: Settings, t: Translator) -> OutgoingMessage:
    """The first message of a questionnaire: what it is about and that it can wait."""
    title = headline(settings, activation, t)
    if debrief.kind == "followup":
        text = t.gettext("Hi {name}! It has been a few weeks since call-out {code}, and we "
                         "want to hear how you are doing now.")
    else:
        text = t.ngettext(
            "Thank you for your effort, {name}! Here is the follow-up of call-out {code}: "
            "{count} question, one at a time. You can stop and continue later.",
            "Thank you for your effort, {name}! Here is the follow-up of call-out {code}: "
            "{count} questions, one at a time. You can stop and continue later.", count)
    body = text.format(name=member.name, code=activation.code, count=count)
    return OutgoingMessage(marked(activation, t, f"{title}\n{body}"))


def _continue_button(debrief: Debrief, t: Translator) -> tuple[tuple[Choice, ...], ...]:
    return ((Choice(t.gettext("Continue"),
                    DebriefAction(debrief.id, debrief.position, "r").pack()),),)


def paused_message(activation: Activation, debrief: Debrief, t: Translator) -> OutgoingMessage:
    """After [Fortsätt senare]: how to pick it up again."""
    text = t.gettext("Paused. Continue whenever you like with the button below or /debrief. "
                     "Your answers so far are saved.")
    return OutgoingMessage(marked(activation, t, text), choices=_continue_button(debrief, t))


def reminder_message(activation: Activation, debrief: Debrief, t: Translator) -> OutgoingMessage:
    """The one reminder of an unfinished questionnaire."""
    text = "⏰ " + t.gettext("Reminder: the follow-up of call-out {code} is not finished yet. It "
                            "only takes a few minutes.").format(code=activation.code)
    return OutgoingMessage(marked(activation, t, text), choices=_continue_button(debrief, t))


def finished_message(activation: Activation, debrief: Debrief, settings: Settings,
                     t: Translator) -> OutgoingMessage:
    """Thanks at the end, and where to turn if it weighs on them."""
    if debrief.kind == "followup":
        text = t.gettext("Thank you for answering. Take care of yourself!")
    else:
        text = t.gettext("Thank you! Your answers are saved. Take care of yourself after the "
                         "intervention.")
    if settings.organisation.duty_phone:
        text += "\n" + t.gettext("If you want to talk to someone, call the duty leader: "
                                 "{phone}").format(phone=settings.organisation.duty_phone)
    return OutgoingMessage(marked(activation, t, text))


def welfare_thanks(activation: Activation, t: Translator) -> OutgoingMessage:
    """To the volunteer whose answer alerted the leaders."""
    return OutgoingMessage(marked(activation, t, "💛 " + t.gettext(
        "Thank you for telling us. Someone from the leadership will get in touch with you.")))


def welfare_alert(activation: Activation, member: Member, t: Translator) -> str:
    """To every leader: who to call, and nothing else of the answers."""
    # Translators: deliberately says nothing about why: the volunteer's answers stay private.
    return "💛 " + t.gettext("Please get in touch with {name} ({phone}) after call-out "
                            "{code}.").format(name=member.name,
                                              phone=member.phone or t.gettext("no phone"),
                                              code=activation.code)


# -- leaders ---------------------------------------------------------------------------------


def figures_lines(activation: Activation, figures: Figures, t: Translator, *,
                  staffed: bool = True) -> list[str]:
    """Asked, answered, how fast, and (unless shown elsewhere) time to staffed."""
    title = (t.gettext("Exercise figures:") if activation.exercise
             else t.gettext("Call-out figures:"))
    lines = [title, t.gettext("Asked: {asked}. Answered: {answered} ({yes} yes).").format(
        asked=figures.asked, answered=figures.answered, yes=figures.said_yes)]
    middle = median(figures.answer_seconds)
    if middle is not None:
        lines.append(t.gettext("Median time to answer: {duration}.").format(
            duration=t.duration(timedelta(seconds=middle))))
    if not staffed:
        return lines
    if activation.staffed_at:
        lines.append(t.gettext("Staffed after {duration}.").format(
            duration=t.duration(activation.staffed_at - activation.created_at)))
    else:
        lines.append(t.gettext("Never staffed."))
    return lines


def _record_lines(activation: Activation, requests: Sequence[Request], t: Translator) -> list[str]:
    lines = []
    if activation.staffed_at:
        lines.append(t.gettext("Time to staffed: {duration}.").format(
            duration=t.duration(activation.staffed_at - activation.created_at)))
    else:
        lines.append(t.gettext("Never staffed."))
    on_site = time_on_site(activation, requests)
    if on_site is not None:
        lines.append(t.gettext("Time on site: {duration}.").format(duration=t.duration(on_site)))
    ended = activation.closed_at or activation.cancelled_at
    if ended:
        lines.append(t.gettext("Duration: {duration}.").format(
            duration=t.duration(ended - activation.created_at)))
    return lines


def _progress_line(debriefs: Sequence[Debrief], t: Translator) -> str:
    done = sum(1 for debrief in debriefs if debrief.state == "done")
    going = sum(1 for debrief in debriefs if debrief.unfinished)
    waiting = sum(1 for debrief in debriefs if debrief.state == "scheduled")
    return t.gettext("Answered: {done} of {total}. In progress: {going}. Not sent yet: "
                     "{waiting}.").format(done=done, total=len(debriefs), going=going,
                                          waiting=waiting)


def _question_lines(question: DebriefQuestion, answers: Sequence[Answer],
                    t: Translator) -> list[str]:
    given = [answer for answer in answers if not answer.skipped]
    skipped = len(answers) - len(given)
    title = f"• {question.text(t.locale)}"
    if question.type == "text":
        lines = [title] + [f"  – {answer.text}" for answer in given if answer.text]
        if not given:
            lines[0] += " –"
    else:
        lines = [f"{title} {_aggregate(question, [answer.value for answer in given], t)}"]
    if skipped:
        lines[0] += " " + t.ngettext("({count} skipped)", "({count} skipped)",
                                     skipped).format(count=skipped)
    return lines


def _aggregate(question: DebriefQuestion, values: list, t: Translator) -> str:
    if not values:
        return "–"
    if question.type in ("number", "scale"):
        shown = ", ".join(number(value, t) for value in values)
        if question.type == "number":
            return t.gettext("{values} (total {total})").format(values=shown,
                                                               total=number(sum(values), t))
        return t.gettext("{values} (average {average})").format(
            values=shown, average=number(sum(values) / len(values), t))
    if question.type == "yesno":
        yes = sum(1 for value in values if value)
        return t.gettext("yes {yes}, no {no}").format(yes=yes, no=len(values) - yes)
    counts = []
    for option in question.options:
        hits = sum(1 for value in values
                   if value == option.key or (isinstance(value, list) and option.key in value))
        if hits:
            counts.append(f"{option.label(t.locale)} {hits}")
    return ", ".join(counts) if counts else t.gettext("none of these")


def _answers_block(questions: Sequence[DebriefQuestion],
                   debriefs: Sequence[tuple[Debrief, dict[str, Answer]]],
                   t: Translator) -> list[str]:
    lines = []
    for question in questions:
        if question.welfare is not None:
            continue  # how someone feels is theirs: leaders are alerted, not shown the answer
        answers = [found[question.key] for _, found in debriefs if question.key in found]
        lines += _question_lines(question, answers, t)
    return lines


def summary_messages(settings: Settings, activation: Activation, requests: Sequence[Request],
                     figures: Figures, debriefs: Sequence[tuple[Debrief, dict[str, Answer]]],
                     t: Translator) -> list[OutgoingMessage]:
    """/debrief CODE: the record of the call-out and a summary of the volunteers' answers."""
    lines = ["📊 " + headline(settings, activation, t)]
    lines += _record_lines(activation, requests, t)
    lines += ["", *figures_lines(activation, figures, t, staffed=False)]
    for kind, title in (("debrief", t.gettext("Follow-up questionnaire:")),
                        ("followup", t.gettext("Check-in weeks later:"))):
        mine = [(debrief, found) for debrief, found in debriefs if debrief.kind == kind]
        if not mine:
            continue
        lines += ["", title, _progress_line([debrief for debrief, _ in mine], t)]
        lines += _answers_block(settings.debrief.question_list(kind), mine, t)
    alerts = sum(1 for debrief, _ in debriefs if debrief.welfare_alert_at)
    if alerts:
        lines += ["", "💛 " + t.ngettext(
            "The leaders were asked {count} time to get in touch with a support person.",
            "The leaders were asked {count} times to get in touch with a support person.",
            alerts).format(count=alerts)]
    if not debriefs and activation.state == "closed":
        lines += ["", t.gettext("No questionnaire was sent for this call-out.")]
    # Room for the "ÖVNING" line in front of each part.
    parts = text_parts(lines, PART_LENGTH - 100)
    return [OutgoingMessage(marked(activation, t, part)) for part in parts]


def year_overview(settings: Settings, year: int,
                  rows: Sequence[tuple[Activation, int, int]], t: Translator) -> OutgoingMessage:
    """/debrief without a code: the year's closed interventions (exercises apart) and their
    follow-up."""
    real = [row for row in rows if not row[0].exercise]
    drills = [row for row in rows if row[0].exercise]
    lines = ["📊 " + t.gettext("Follow-up {year}").format(year=year),
             t.ngettext("{count} intervention closed.", "{count} interventions closed.",
                        len(real)).format(count=len(real))]
    for activation, sent, done in real:
        lines.append("• " + t.gettext("{title} – answered {done} of {total}").format(
            title=headline(settings, activation, t), done=done, total=sent))
    if drills:
        lines += ["", exercise_mark(t) + " " + t.ngettext(
            "{count} exercise (not counted as an intervention):",
            "{count} exercises (not counted as interventions):", len(drills)).format(
                count=len(drills))]
        lines += ["• " + listed_headline(settings, activation, t)
                  for activation, _, _ in drills]
    lines += ["", t.gettext("Details: /debrief CODE")]
    return OutgoingMessage("\n".join(lines)[:PART_LENGTH])
