"""The rules of shifts as pure functions. Taking a shift is decided by the call-out's own rule
(bot.callout.rules.decide_answer) with the shift's numbers, so a shift fills to exactly its
number like a call-out; these functions say what the call-out rule sees."""

from __future__ import annotations

from datetime import datetime

from bot.callout.rules import AnswerDecision, decide_answer
from storage.models import ActivationState, RequestState
from storage.shifts import Shift, ShiftPlan

__all__ = ["decide_take", "overlaps", "shift_times"]


def shift_times(plan: ShiftPlan, *, first_number: int = 1) -> list[tuple[int, datetime,
                                                                         datetime]]:
    """Each shift of a plan: its number, start and end, back to back."""
    return [(first_number + index, plan.first_start + index * plan.length,
             plan.first_start + (index + 1) * plan.length) for index in range(plan.count)]


def overlaps(first: Shift, second: Shift) -> bool:
    """True if two shifts share any time (back to back does not count)."""
    return first.starts_at < second.ends_at and second.starts_at < first.ends_at


def _as_call_out(centre_state: ActivationState, shift_state: str) -> ActivationState:
    """The state the call-out rule sees for one shift: over when the centre or the shift is."""
    if centre_state not in ("open", "staffed"):
        return centre_state
    if shift_state == "open":
        return "open"
    return "staffed" if shift_state == "staffed" else "closed"


def decide_take(*, centre_state: ActivationState, shift: Shift, confirmed: int,
                place_state: str | None) -> AnswerDecision:
    """What a volunteer choosing this shift gets: a place (CONFIRM, `staffs` when it fills the
    shift), RESERVE when it is full, ALREADY for a place they hold, OVER when the shift or the
    centre is over. Someone who left a shift may take it again."""
    request_state: RequestState = "pending"
    if place_state == "confirmed":
        request_state = "confirmed"
    elif place_state == "reserve":
        request_state = "reserve"
    return decide_answer(activation_state=_as_call_out(centre_state, shift.state),
                         needed=shift.needed, confirmed=confirmed, request_state=request_state,
                         yes=True)
