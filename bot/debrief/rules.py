"""The questionnaire after an intervention as pure rules: which question comes next, whether an
answer is valid, what a button or a typed text means, and when the leaders must be alerted.

Nothing here reads the database or talks to a transport (bot.debrief.service does), so every rule
is tested on its own. An invalid answer becomes a `Retry` naming why; the renderer turns that into a
hint in the volunteer's language and the question is asked again.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.config import DebriefQuestion

__all__ = [
    "Given",
    "Retry",
    "current_question",
    "finish_multi",
    "median",
    "read_pick",
    "read_typed",
    "skip",
    "toggle",
    "triggers_welfare",
]

MAX_TEXT = 2000
SCALE = range(1, 6)
YES_WORDS = {"ja", "j", "yes", "y"}
NO_WORDS = {"nej", "n", "no"}
SKIP_WORDS = {"skip", "hoppa över", "hoppa over", "-"}
# "3", "2,5", "2.5 h", "4 timmar": a number, optionally followed by one word (a unit).
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:[^\W\d_]+\.?)?\s*$")


@dataclass(frozen=True, slots=True)
class Given:
    """An accepted answer: a value (number, option key or keys, yes/no), free text, or a skip."""

    value: Any = None
    text: str | None = None
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class Retry:
    """Not accepted; `reason` says why (the renderer words the hint).

    Reasons: number, whole_number, too_big, scale, yesno, choice, buttons, required, too_long,
    pick_one.
    """

    reason: str


Reading = Given | Retry


def current_question(keys: Sequence[str], position: int,
                     questions: Iterable[DebriefQuestion]) -> tuple[int, DebriefQuestion | None]:
    """The question to ask at `position` or after it; a key no longer configured is passed over.

    Returns the position actually reached and its question, or None when the questionnaire is
    complete.
    """
    by_key = {question.key: question for question in questions}
    while position < len(keys):
        question = by_key.get(keys[position])
        if question is not None:
            return position, question
        position += 1
    return position, None


def skip(question: DebriefQuestion) -> Reading:
    """Skipping: allowed for optional questions only."""
    return Retry("required") if question.required else Given(skipped=True)


def read_pick(question: DebriefQuestion, value: str) -> Reading | None:
    """A button's value for a choice, scale or yes/no question; None if no such button."""
    if question.type == "choice":
        return Given(value) if question.option(value) else None
    if question.type == "scale":
        return Given(int(value)) if value.isdecimal() and int(value) in SCALE else None
    if question.type == "yesno" and value in ("y", "n"):
        return Given(value == "y")
    return None


def toggle(question: DebriefQuestion, selection: Sequence[str], key: str,
           on: bool) -> tuple[str, ...] | None:
    """Ticks or unticks an option of a multi question, in the configured order.

    Saying what the tick should become (not "flip it") makes a press delivered twice harmless.
    None if the question has no such option.
    """
    if question.type != "multi" or question.option(key) is None:
        return None
    chosen = (set(selection) | {key}) if on else (set(selection) - {key})
    return tuple(option.key for option in question.options if option.key in chosen)


def finish_multi(question: DebriefQuestion, selection: Sequence[str]) -> Reading:
    """[Klar] on a multi question: a required one needs at least one tick."""
    if not selection and question.required:
        return Retry("pick_one")
    return Given(list(selection))


def read_typed(question: DebriefQuestion, text: str) -> Reading:
    """A typed answer to the current question."""
    stripped = " ".join(text.split())
    lowered = stripped.lower()
    if lowered in SKIP_WORDS:
        return skip(question)
    if question.type == "text":
        if not stripped:
            return Retry("required")
        if len(stripped) > MAX_TEXT:
            return Retry("too_long")
        return Given(text=text.strip())
    if question.type == "number":
        return _read_number(question, stripped)
    if question.type == "scale":
        if lowered.isdecimal() and int(lowered) in SCALE:  # isdigit() lets "²" through
            return Given(int(lowered))
        return Retry("scale")
    if question.type == "yesno":
        if lowered in YES_WORDS:
            return Given(True)
        if lowered in NO_WORDS:
            return Given(False)
        return Retry("yesno")
    if question.type == "choice":
        for option in question.options:
            if lowered in (option.key, option.sv.lower(), option.en.lower()):
                return Given(option.key)
        return Retry("choice")
    return Retry("buttons")  # multi: ticks are given with the buttons


def _read_number(question: DebriefQuestion, text: str) -> Reading:
    match = _NUMBER.match(text)
    if match is None:
        return Retry("number" if question.decimals else "whole_number")
    number = float(match.group(1).replace(",", "."))
    if not question.decimals and not number.is_integer():
        return Retry("whole_number")
    if number > question.max:
        return Retry("too_big")
    return Given(number if question.decimals and not number.is_integer() else int(number))


def triggers_welfare(question: DebriefQuestion, given: Given, threshold: int) -> bool:
    """True when this answer asks for care: Yes to a support talk, or feeling at or below the
    threshold."""
    if given.skipped or question.welfare is None:
        return False
    if question.welfare == "yes":
        return given.value is True
    return isinstance(given.value, int | float) and given.value <= threshold


def median(values: Sequence[float]) -> float | None:
    """The middle value (e.g. of answer times), None when there are none."""
    return statistics.median(values) if values else None
