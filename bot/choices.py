"""The one codec for choice ids: a short versioned prefix and ids, never text.

A choice under a message (bot.delivery.messages.Choice) carries its action packed as e.g.
"a1:1234:y". Ids stay at most 64 bytes so that every transport can carry one (Telegram's
callback data is the tightest: https://core.telegram.org/bots/api#inlinekeyboardbutton).
`parse` returns None for anything it does not know, which handlers answer as "this choice is no
longer valid".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal

__all__ = [
    "ActivateChoice",
    "Answer",
    "AttendanceMark",
    "Callback",
    "CentreAction",
    "DebriefAction",
    "EnrolChoice",
    "HoldAction",
    "IntakeDecision",
    "LanguageChoice",
    "MissionAction",
    "RemoveConfirm",
    "ShiftMission",
    "ShiftTake",
    "StatusAction",
    "TrainingAnswer",
    "TrainingChoice",
    "parse",
]

MAX_BYTES = 64
_TOKEN = re.compile(r"^[A-Za-z0-9_\-.]{1,40}$")


@dataclass(frozen=True, slots=True)
class Answer:
    """A volunteer's Ja/Nej on a request."""

    prefix: ClassVar[str] = "a1"
    request_id: int
    yes: bool

    def pack(self) -> str:
        return _checked(f"{self.prefix}:{self.request_id}:{'y' if self.yes else 'n'}")

    @classmethod
    def _parse(cls, parts: list[str]) -> Answer | None:
        if len(parts) == 2 and _is_id(parts[0]) and parts[1] in ("y", "n"):
            return cls(int(parts[0]), parts[1] == "y")
        return None


MissionVerb = Literal["arrived", "finished", "withdraw"]


@dataclass(frozen=True, slots=True)
class MissionAction:
    """A confirmed volunteer's [Framme] / [Avslutad] / [Kan inte ändå]."""

    prefix: ClassVar[str] = "m1"
    request_id: int
    verb: MissionVerb

    def pack(self) -> str:
        return _checked(f"{self.prefix}:{self.request_id}:{self.verb}")

    @classmethod
    def _parse(cls, parts: list[str]) -> MissionAction | None:
        if len(parts) == 2 and _is_id(parts[0]) and parts[1] in ("arrived", "finished",
                                                                    "withdraw"):
            return cls(int(parts[0]), parts[1])  # type: ignore[arg-type]
        return None


@dataclass(frozen=True, slots=True)
class HoldAction:
    """A leader's [Bekräfta nu] for a volunteer held while waiting for a mixed pair."""

    prefix: ClassVar[str] = "h1"
    request_id: int

    def pack(self) -> str:
        return _checked(f"{self.prefix}:{self.request_id}")

    @classmethod
    def _parse(cls, parts: list[str]) -> HoldAction | None:
        if len(parts) == 1 and _is_id(parts[0]):
            return cls(int(parts[0]))
        return None


@dataclass(frozen=True, slots=True)
class StatusAction:
    """A leader's button under /status CODE or an alert: close, cancel (asks first), widen."""

    prefix: ClassVar[str] = "s1"
    activation_id: int
    verb: Literal["close", "cancel", "cancel_yes", "refresh", "widen", "go"]

    def pack(self) -> str:
        return _checked(f"{self.prefix}:{self.activation_id}:{self.verb}")

    @classmethod
    def _parse(cls, parts: list[str]) -> StatusAction | None:
        if len(parts) == 2 and _is_id(parts[0]) and parts[1] in ("close", "cancel",
                                                                    "cancel_yes", "refresh",
                                                                    "widen", "go"):
            return cls(int(parts[0]), parts[1])  # type: ignore[arg-type]
        return None


@dataclass(frozen=True, slots=True)
class IntakeDecision:
    """A duty leader's [Aktivera] / [Ändra] / [Avböj] on a request from the alarm intake."""

    prefix: ClassVar[str] = "i1"
    intake_id: int
    verb: Literal["go", "edit", "no"]

    def pack(self) -> str:
        return _checked(f"{self.prefix}:{self.intake_id}:{self.verb}")

    @classmethod
    def _parse(cls, parts: list[str]) -> IntakeDecision | None:
        if len(parts) == 2 and _is_id(parts[0]) and parts[1] in ("go", "edit", "no"):
            return cls(int(parts[0]), parts[1])  # type: ignore[arg-type]
        return None


@dataclass(frozen=True, slots=True)
class _StepChoice:
    """A choice inside a dialogue: which step it answers and the chosen key."""

    step: str
    value: str

    def pack(self) -> str:
        return _checked(f"{self.prefix}:{self.step}:{self.value}")  # type: ignore[attr-defined]

    @classmethod
    def _parse(cls, parts: list[str]):
        if len(parts) == 2 and _TOKEN.match(parts[0]) and _TOKEN.match(parts[1]):
            return cls(parts[0], parts[1])
        return None


@dataclass(frozen=True, slots=True)
class EnrolChoice(_StepChoice):
    prefix: ClassVar[str] = "e1"


@dataclass(frozen=True, slots=True)
class ActivateChoice(_StepChoice):
    prefix: ClassVar[str] = "x1"


@dataclass(frozen=True, slots=True)
class TrainingChoice(_StepChoice):
    """A choice inside a leader's dialogue announcing a training day or meeting."""

    prefix: ClassVar[str] = "g1"


@dataclass(frozen=True, slots=True)
class ShiftTake:
    """A volunteer choosing a shift at a support centre (`shift_id` 0: none of them)."""

    prefix: ClassVar[str] = "p1"
    request_id: int
    shift_id: int

    def pack(self) -> str:
        return _checked(f"{self.prefix}:{self.request_id}:{self.shift_id}")

    @classmethod
    def _parse(cls, parts: list[str]) -> ShiftTake | None:
        if len(parts) == 2 and _is_id(parts[0]) and _is_id(parts[1]):
            return cls(int(parts[0]), int(parts[1]))
        return None


@dataclass(frozen=True, slots=True)
class ShiftMission:
    """A volunteer's [Framme] / [Kan inte ändå] under a shift's briefing."""

    prefix: ClassVar[str] = "q1"
    place_id: int
    verb: Literal["arrived", "withdraw"]

    def pack(self) -> str:
        return _checked(f"{self.prefix}:{self.place_id}:{self.verb}")

    @classmethod
    def _parse(cls, parts: list[str]) -> ShiftMission | None:
        if len(parts) == 2 and _is_id(parts[0]) and parts[1] in ("arrived", "withdraw"):
            return cls(int(parts[0]), parts[1])  # type: ignore[arg-type]
        return None


@dataclass(frozen=True, slots=True)
class CentreAction:
    """A leader's choice under a support centre's shift board: add a shift, close, refresh."""

    prefix: ClassVar[str] = "c1"
    activation_id: int
    verb: Literal["add", "close", "close_yes", "refresh"]

    def pack(self) -> str:
        return _checked(f"{self.prefix}:{self.activation_id}:{self.verb}")

    @classmethod
    def _parse(cls, parts: list[str]) -> CentreAction | None:
        if len(parts) == 2 and _is_id(parts[0]) and parts[1] in ("add", "close", "close_yes",
                                                                    "refresh"):
            return cls(int(parts[0]), parts[1])  # type: ignore[arg-type]
        return None


@dataclass(frozen=True, slots=True)
class TrainingAnswer:
    """A member's [Kommer] / [Kommer inte] on a training invitation."""

    prefix: ClassVar[str] = "k1"
    invite_id: int
    coming: bool

    def pack(self) -> str:
        return _checked(f"{self.prefix}:{self.invite_id}:{'y' if self.coming else 'n'}")

    @classmethod
    def _parse(cls, parts: list[str]) -> TrainingAnswer | None:
        if len(parts) == 2 and _is_id(parts[0]) and parts[1] in ("y", "n"):
            return cls(int(parts[0]), parts[1] == "y")
        return None


@dataclass(frozen=True, slots=True)
class AttendanceMark:
    """A leader marking one invited member as there (or not) on a training's roll."""

    prefix: ClassVar[str] = "n1"
    invite_id: int
    attended: bool

    def pack(self) -> str:
        return _checked(f"{self.prefix}:{self.invite_id}:{int(self.attended)}")

    @classmethod
    def _parse(cls, parts: list[str]) -> AttendanceMark | None:
        if len(parts) == 2 and _is_id(parts[0]) and parts[1] in ("0", "1"):
            return cls(int(parts[0]), parts[1] == "1")
        return None


DebriefVerb = Literal["v", "on", "off", "ok", "sk", "p", "r"]
_DEBRIEF_VERBS = ("v", "on", "off", "ok", "sk", "p", "r")


@dataclass(frozen=True, slots=True)
class DebriefAction:
    """A button of a questionnaire after an intervention, e.g. "d1:31:4:v:yes".

    `position` is the question it belongs to, so a press on an earlier question is recognised.
    Verbs: v = answer with `value` (an option key, 1–5, y/n), on/off = tick or untick a `multi`
    option, ok = done ticking, sk = skip, p = continue later, r = continue now.
    """

    prefix: ClassVar[str] = "d1"
    debrief_id: int
    position: int
    verb: DebriefVerb
    value: str = ""

    def pack(self) -> str:
        tail = f":{self.value}" if self.value else ""
        return _checked(f"{self.prefix}:{self.debrief_id}:{self.position}:{self.verb}{tail}")

    @classmethod
    def _parse(cls, parts: list[str]) -> DebriefAction | None:
        if len(parts) not in (3, 4) or not (_is_id(parts[0]) and _is_id(parts[1])):
            return None
        if parts[2] not in _DEBRIEF_VERBS:
            return None
        value = parts[3] if len(parts) == 4 else ""
        if len(parts) == 4 and not _TOKEN.match(value):
            return None
        return cls(int(parts[0]), int(parts[1]), parts[2], value)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    prefix: ClassVar[str] = "l1"
    locale: str

    def pack(self) -> str:
        return _checked(f"{self.prefix}:{self.locale}")

    @classmethod
    def _parse(cls, parts: list[str]) -> LanguageChoice | None:
        if len(parts) == 1 and parts[0] in ("sv", "en", "auto"):
            return cls(parts[0])
        return None


@dataclass(frozen=True, slots=True)
class RemoveConfirm:
    """A leader's [Ja, radera] under /remove ID: erase that member's personal data."""

    prefix: ClassVar[str] = "r1"
    member_id: int

    def pack(self) -> str:
        return _checked(f"{self.prefix}:{self.member_id}")

    @classmethod
    def _parse(cls, parts: list[str]) -> RemoveConfirm | None:
        if len(parts) == 1 and _is_id(parts[0]):
            return cls(int(parts[0]))
        return None


Callback = (Answer | MissionAction | HoldAction | StatusAction | EnrolChoice | ActivateChoice
            | LanguageChoice | RemoveConfirm | DebriefAction | TrainingChoice | TrainingAnswer
            | AttendanceMark | ShiftTake | ShiftMission | CentreAction | IntakeDecision)
_KINDS = {kind.prefix: kind for kind in (Answer, MissionAction, HoldAction, StatusAction,
                                         EnrolChoice, ActivateChoice, LanguageChoice,
                                         RemoveConfirm, DebriefAction, TrainingChoice,
                                         TrainingAnswer, AttendanceMark, ShiftTake,
                                         ShiftMission, CentreAction, IntakeDecision)}


def parse(data: str | None) -> Callback | None:
    """Reads callback data packed by one of the classes above; None if unknown or malformed."""
    if not data:
        return None
    prefix, _, rest = data.partition(":")
    kind = _KINDS.get(prefix)
    if kind is None:
        return None
    return kind._parse(rest.split(":"))


def _is_id(text: str) -> bool:
    """A row id as packed: decimal digits that fit SQLite's 64-bit integers."""
    return text.isdecimal() and len(text) <= 18


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data
