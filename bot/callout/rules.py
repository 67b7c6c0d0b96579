"""The rules of a call-out as pure functions: what an answer does, given the state it meets.

No I/O here. The call-out service reads the state inside one database transaction, asks these
functions what to do, and writes the result in the same transaction; hypothesis tests drive the
same functions through random histories (tests/test_rules.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storage.models import ActivationState, RequestState

__all__ = ["AnswerDecision", "Verdict", "decide_answer", "decide_withdraw"]


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


def decide_answer(*, activation_state: ActivationState, needed: int, confirmed: int,
                  request_state: RequestState, yes: bool, prefer_mixed: bool = False,
                  team: tuple[str, ...] = (), gender: str = "undisclosed",
                  held: int = 0) -> AnswerDecision:
    """What a Ja or Nej does to a request.

    A Yes takes a place while fewer than `needed` are confirmed, else it becomes reserve; the
    caller holds the write lock, so `confirmed` cannot change between this decision and its write.
    With `prefer_mixed`, a Yes for the last place that would make the team (the genders in
    `team`) all women or all men is held instead; while a place is held (`held`), a Yes that
    makes the team mixed takes it and bumps the held volunteer to reserve.
    """
    if activation_state in ("closed", "cancelled"):
        return AnswerDecision(Verdict.OVER)
    if request_state in ("withdrawn", "released"):
        return AnswerDecision(Verdict.LEFT)
    if yes:
        if request_state in ("confirmed", "reserve", "tentative"):
            return AnswerDecision(Verdict.ALREADY)
        if held:
            if mixes(list(team), gender):
                return AnswerDecision(Verdict.CONFIRM, staffs=True, bumps_hold=True)
            return AnswerDecision(Verdict.RESERVE)
        if confirmed < needed:
            last_place = confirmed + 1 == needed
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


def decide_withdraw(*, activation_state: ActivationState, reserves: int) -> WithdrawDecision:
    """What happens when a confirmed volunteer withdraws ([Kan inte ändå])."""
    if reserves > 0:
        return WithdrawDecision(promote=True, reopen=False)
    return WithdrawDecision(promote=False, reopen=activation_state == "staffed")
