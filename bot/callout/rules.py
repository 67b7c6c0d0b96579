"""The rules of a call-out as pure functions: what an answer does, given the state it meets.

No I/O here. The call-out service reads the state inside one database transaction, asks these
functions what to do, and writes the result in the same transaction; hypothesis tests drive the
same functions through random histories (tests/test_rules.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from storage.models import ActivationState, RequestState

__all__ = ["AnswerDecision", "Verdict", "decide_answer", "decide_withdraw", "missing_skills",
           "rank_reserves"]


class Verdict(StrEnum):
    CONFIRM = "confirm"          # takes a free place
    HOLD = "hold"                # would make a one-gender team: holds the last place a while
    RESERVE = "reserve"          # the team is full: kept as reserve, promoted if someone drops out
    DECLINE = "decline"
    ALREADY = "already"          # the same answer again: nothing changes
    OVER = "over"                # the activation is closed or cancelled
    LEFT = "left"                # the volunteer already withdrew or was released
    USE_WITHDRAW = "use_withdraw"  # a confirmed volunteer said No: they must use [Kan inte ändå]


@dataclass(frozen=True, slots=True)
class AnswerDecision:
    verdict: Verdict
    staffs: bool = False  # this Yes completes the team
    bumps_hold: bool = False  # this Yes makes the team mixed: the held volunteer becomes reserve
    # What a HOLD waits for: "mixed" (a woman and a man) or "skill" (someone with a skill the
    # call-out asks for; the requirement comes first).
    waits_for: str = "mixed"

    @property
    def changes_state(self) -> bool:
        return self.verdict in (Verdict.CONFIRM, Verdict.HOLD, Verdict.RESERVE, Verdict.DECLINE)


GENDERED = ("female", "male")


def is_one_gender(genders: list[str]) -> bool:
    """True if a team of these genders is all women or all men (unknown genders never are)."""
    return len(genders) >= 2 and len(set(genders)) == 1 and genders[0] in GENDERED


def mixes(team: list[str], newcomer: str) -> bool:
    """True if the newcomer makes the team include both a woman and a man."""
    return set(GENDERED) <= {*team, newcomer} and not set(GENDERED) <= set(team)


def missing_skills(required: Collection[str],
                   skill_sets: Iterable[Collection[str]]) -> frozenset[str]:
    """The required skills that nobody with these skills has."""
    covered: set[str] = set()
    for skills in skill_sets:
        covered.update(skills)
    return frozenset(required) - covered


def _shortfall(required: Collection[str], prefer_mixed: bool, genders: list[str],
               skill_sets: list[Collection[str]]) -> tuple[int, int]:
    """How far a team is from what was asked: (skills missing, 1 if a wished-for mixed pair is
    missing). Compared as a tuple, a skill the leader asked for weighs more than the mix."""
    unmixed = int(prefer_mixed and not set(GENDERED) <= set(genders))
    return len(missing_skills(required, skill_sets)), unmixed


def _improves_on_hold(team: tuple[str, ...], gender: str, prefer_mixed: bool,
                      required: frozenset[str], team_skills: tuple[frozenset[str], ...],
                      skills: frozenset[str], held_gender: str | None,
                      held_skills: frozenset[str]) -> bool:
    """True if this Yes makes a better team than the volunteer holding the last place."""
    if not required or held_gender is None:
        return mixes(list(team), gender)  # a place held for a mixed pair only
    own = _shortfall(required, prefer_mixed, [*team, gender], [*team_skills, skills])
    held = _shortfall(required, prefer_mixed, [*team, held_gender], [*team_skills, held_skills])
    return own < held


def decide_answer(*, activation_state: ActivationState, needed: int, confirmed: int,
                  request_state: RequestState, yes: bool, prefer_mixed: bool = False,
                  team: tuple[str, ...] = (), gender: str = "undisclosed",
                  held: int = 0, required: frozenset[str] = frozenset(),
                  team_skills: tuple[frozenset[str], ...] = (),
                  skills: frozenset[str] = frozenset(), held_gender: str | None = None,
                  held_skills: frozenset[str] = frozenset()) -> AnswerDecision:
    """What a Ja or Nej does to a request.

    A Yes takes a place while fewer than `needed` are confirmed, else it becomes reserve; the
    caller holds the write lock, so `confirmed` cannot change between this decision and its write.
    With `prefer_mixed`, a Yes for the last place that would make the team (the genders in
    `team`) all women or all men is held instead; while a place is held (`held`), a Yes that
    makes the team mixed takes it and bumps the held volunteer to reserve.

    Skills work the same way: when the call-out asks for skills (`required`) and the team (the
    skills in `team_skills`) with this Yes (`skills`) would still lack one, a Yes for the last
    place is held (`waits_for="skill"`); while it is held, a Yes that makes a better team than
    the held volunteer (`held_gender`, `held_skills`) – fewer skills missing first, then a mixed
    pair – takes the place. A hold always ends with the held volunteer confirmed (the deadline,
    a leader, a withdrawal), so a requirement never blocks staffing for ever.
    """
    if activation_state in ("closed", "cancelled"):
        return AnswerDecision(Verdict.OVER)
    if request_state in ("withdrawn", "released"):
        return AnswerDecision(Verdict.LEFT)
    if yes:
        if request_state in ("confirmed", "reserve", "tentative"):
            return AnswerDecision(Verdict.ALREADY)
        if held:
            if _improves_on_hold(team, gender, prefer_mixed, required, team_skills, skills,
                                 held_gender, held_skills):
                return AnswerDecision(Verdict.CONFIRM, staffs=True, bumps_hold=True)
            return AnswerDecision(Verdict.RESERVE)
        if confirmed < needed:
            last_place = confirmed + 1 == needed
            if last_place and missing_skills(required, [*team_skills, skills]):
                return AnswerDecision(Verdict.HOLD, waits_for="skill")
            if prefer_mixed and last_place and is_one_gender([*team, gender]):
                return AnswerDecision(Verdict.HOLD)
            return AnswerDecision(Verdict.CONFIRM, staffs=last_place)
        return AnswerDecision(Verdict.RESERVE)
    if request_state == "declined":
        return AnswerDecision(Verdict.ALREADY)
    if request_state == "confirmed":
        return AnswerDecision(Verdict.USE_WITHDRAW)
    return AnswerDecision(Verdict.DECLINE)


@dataclass(frozen=True, slots=True)
class WithdrawDecision:
    promote: bool        # a reserve takes the place; the activation stays staffed
    reopen: bool         # no reserve: the activation is open again and people are asked again
    staffs: bool = False  # the call-out was still open (a place held): the reserve completes it


def decide_withdraw(*, activation_state: ActivationState, reserves: int,
                    confirmed: int = 0, needed: int = 0) -> WithdrawDecision:
    """What happens when a confirmed volunteer withdraws ([Kan inte ändå]).

    `confirmed` counts the team after the withdrawal (a held volunteer already confirmed). A
    reserve exists on an open call-out only while a place was held; promoting one then completes
    the team, which must be staffed like any last Yes (`staffs`).
    """
    if reserves > 0:
        return WithdrawDecision(promote=True, reopen=False,
                                staffs=activation_state == "open" and confirmed + 1 >= needed)
    return WithdrawDecision(promote=False, reopen=activation_state == "staffed")


def rank_reserves(required: Collection[str], team_skills: Iterable[Collection[str]],
                  reserves: list[Collection[str]]) -> list[int]:
    """The order in which reserves (their skills) should take a place that came free: those who
    bring a skill the team now lacks first, otherwise in the order they answered."""
    lacking = missing_skills(required, team_skills)
    return sorted(range(len(reserves)),
                  key=lambda index: (-len(lacking & frozenset(reserves[index])), index))
