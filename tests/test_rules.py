"""The call-out rules, by example and through random histories (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.callout.rules import Verdict, decide_answer, decide_withdraw


def test_yes_confirms_until_full_then_reserve() -> None:
    first = decide_answer(activation_state="open", needed=2, confirmed=0, request_state="pending",
                          yes=True)
    assert first.verdict is Verdict.CONFIRM and not first.staffs
    second = decide_answer(activation_state="open", needed=2, confirmed=1,
                           request_state="pending", yes=True)
    assert second.verdict is Verdict.CONFIRM and second.staffs
    late = decide_answer(activation_state="staffed", needed=2, confirmed=2,
                         request_state="stood_down", yes=True)
    assert late.verdict is Verdict.RESERVE


def test_presses_that_change_nothing() -> None:
    cases = [
        ("closed", "pending", True, Verdict.OVER),
        ("cancelled", "confirmed", False, Verdict.OVER),
        ("staffed", "confirmed", True, Verdict.ALREADY),
        ("open", "declined", False, Verdict.ALREADY),
        ("open", "withdrawn", True, Verdict.LEFT),
        ("staffed", "confirmed", False, Verdict.USE_WITHDRAW),
    ]
    for activation_state, request_state, yes, verdict in cases:
        decision = decide_answer(activation_state=activation_state, needed=2, confirmed=1,
                                 request_state=request_state, yes=yes)
        assert decision.verdict is verdict
        assert not decision.changes_state


def test_withdraw_promotes_or_reopens() -> None:
    assert decide_withdraw(activation_state="staffed", reserves=1).promote
    reopened = decide_withdraw(activation_state="staffed", reserves=0)
    assert reopened.reopen and not reopened.promote
    assert not decide_withdraw(activation_state="open", reserves=0).reopen


class Model:
    """A tiny in-memory call-out driven only by the rule functions."""

    def __init__(self, needed: int, people: int) -> None:
        self.needed = needed
        self.state = "open"
        self.requests = ["pending"] * people

    @property
    def confirmed(self) -> int:
        return self.requests.count("confirmed")

    def answer(self, who: int, yes: bool) -> None:
        decision = decide_answer(activation_state=self.state, needed=self.needed,
                                 confirmed=self.confirmed, request_state=self.requests[who],
                                 yes=yes)
        if decision.verdict is Verdict.CONFIRM:
            self.requests[who] = "confirmed"
            if decision.staffs:
                self.state = "staffed"
                self.requests = ["stood_down" if state == "pending" else state
                                 for state in self.requests]
        elif decision.verdict is Verdict.RESERVE:
            self.requests[who] = "reserve"
        elif decision.verdict is Verdict.DECLINE:
            self.requests[who] = "declined"

    def withdraw(self, who: int) -> None:
        if self.requests[who] != "confirmed" or self.state not in ("open", "staffed"):
            return
        self.requests[who] = "withdrawn"
        reserves = [index for index, state in enumerate(self.requests) if state == "reserve"]
        decision = decide_withdraw(activation_state=self.state, reserves=len(reserves))
        if decision.promote:
            self.requests[reserves[0]] = "confirmed"
        elif decision.reopen:
            self.state = "open"
            self.requests = ["pending" if state == "stood_down" else state
                             for state in self.requests]


events = st.lists(st.tuples(st.sampled_from(["yes", "no", "withdraw"]),
                            st.integers(min_value=0, max_value=9)), max_size=60)


@settings(max_examples=400)
@given(needed=st.integers(min_value=1, max_value=4), history=events)
def test_never_more_than_needed_and_staffed_means_full(needed: int, history) -> None:
    model = Model(needed, 10)
    for event, who in history:
        if event == "withdraw":
            model.withdraw(who)
        else:
            model.answer(who, event == "yes")
        assert model.confirmed <= needed
        assert (model.state == "staffed") == (model.confirmed == needed)
        if model.state == "open":
            assert "reserve" not in model.requests or model.confirmed == needed
