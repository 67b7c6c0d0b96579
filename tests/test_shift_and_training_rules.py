"""The pure rules of shifts and of training, by example: a shift decided by the call-out rule,
back-to-back shifts, a member's training status, who is trained, the year's figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.callout.rules import Verdict
from bot.shifts.rules import decide_take, overlaps, shift_times
from bot.training.rules import is_trained, reminded, status_from, training_figures
from storage.shifts import Shift, ShiftPlan
from storage.training import Invite, Training, TrainingFacts, TrainingStatus

STOCKHOLM = ZoneInfo("Europe/Stockholm")
START = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def shift(number: int = 1, *, state: str = "open", needed: int = 2, hours: int = 4) -> Shift:
    starts = START + (number - 1) * timedelta(hours=hours)
    return Shift(id=number, activation_id=1, number=number, starts_at=starts,
                 ends_at=starts + timedelta(hours=hours), needed=needed, state=state,
                 briefed_at=None, ended_at=None)


def test_a_shift_is_decided_like_a_call_out() -> None:
    first = decide_take(centre_state="open", shift=shift(), confirmed=0, place_state=None)
    assert first.verdict is Verdict.CONFIRM and not first.staffs
    last = decide_take(centre_state="open", shift=shift(), confirmed=1, place_state=None)
    assert last.verdict is Verdict.CONFIRM and last.staffs
    full = decide_take(centre_state="open", shift=shift(state="staffed"), confirmed=2,
                       place_state=None)
    assert full.verdict is Verdict.RESERVE
    again = decide_take(centre_state="open", shift=shift(), confirmed=1, place_state="reserve")
    assert again.verdict is Verdict.ALREADY
    back = decide_take(centre_state="staffed", shift=shift(), confirmed=1,
                       place_state="withdrawn")
    assert back.verdict is Verdict.CONFIRM  # who left a shift may take it again
    for centre, state in (("open", "ended"), ("open", "cancelled"), ("closed", "open")):
        over = decide_take(centre_state=centre, shift=shift(state=state), confirmed=0,
                           place_state=None)
        assert over.verdict is Verdict.OVER


@given(count=st.integers(min_value=1, max_value=24),
       minutes=st.integers(min_value=30, max_value=24 * 60))
def test_shifts_run_back_to_back_without_overlap(count: int, minutes: int) -> None:
    times = shift_times(ShiftPlan(START, timedelta(minutes=minutes), count))
    assert [number for number, _, _ in times] == list(range(1, count + 1))
    shifts = [Shift(number, 1, number, starts, ends, 2, "open", None, None)
              for number, starts, ends in times]
    for earlier, later in pairwise(shifts):
        assert earlier.ends_at == later.starts_at and not overlaps(earlier, later)
    assert overlaps(shifts[0], shifts[0])


def test_training_status_and_who_is_trained() -> None:
    intro = datetime(2025, 3, 1, 8, tzinfo=UTC)
    day = datetime(2026, 5, 10, 7, tzinfo=UTC)
    meeting = datetime(2026, 9, 1, 16, tzinfo=UTC)
    facts = TrainingFacts(attended=(("introduction", intro), ("training", day),
                                    ("meeting", meeting)))
    status = status_from(facts, STOCKHOLM)
    assert status == TrainingStatus(date(2025, 3, 1), date(2026, 5, 10))  # meetings do not train
    assert status_from(facts, STOCKHOLM, until=day) == TrainingStatus(date(2025, 3, 1),
                                                                      date(2025, 3, 1))
    manual = TrainingFacts(manual=TrainingStatus(date(2024, 1, 15), None))
    assert status_from(manual, STOCKHOLM).introduction_on == date(2024, 1, 15)
    today = date(2026, 11, 23)
    assert is_trained(status, today, timedelta())
    assert is_trained(status, today, timedelta(weeks=52))
    assert not is_trained(status, today, timedelta(weeks=20))  # last training too long ago
    assert not is_trained(TrainingStatus(None, date(2026, 11, 1)), today, timedelta())
    invites = [Invite(1, 1, 1, "yes", False), Invite(2, 1, 2, "no", False),
               Invite(3, 1, 3, None, False)]
    assert [invite.id for invite in reminded(invites)] == [1, 3]


def test_the_years_training_figures_per_municipality() -> None:
    def training(training_id: int, kind: str, areas: tuple[str, ...], when: datetime):
        return Training(training_id, kind, when, "Stationen", "", areas, None, None)

    now = datetime(2026, 11, 23, tzinfo=UTC)
    trainings = [training(1, "introduction", (), datetime(2026, 2, 1, tzinfo=UTC)),
                 training(2, "meeting", ("kil",), datetime(2026, 6, 1, tzinfo=UTC)),
                 training(3, "training", (), datetime(2026, 12, 5, tzinfo=UTC))]  # not yet held
    attendance = [(1, "karlstad"), (1, "karlstad"), (2, "kil"), (3, "kil")]
    members = [(10, "karlstad", "volunteer"), (11, "karlstad", "volunteer"),
               (12, "kil", "volunteer"), (13, None, "leader")]
    facts = {10: TrainingFacts(attended=(("introduction", datetime(2026, 2, 1, tzinfo=UTC)),)),
             13: TrainingFacts(manual=TrainingStatus(date(2020, 1, 1), None))}
    figures = training_figures(["karlstad", "kil"], trainings, attendance, members, facts,
                               timezone=STOCKHOLM, as_of=now, refresh_within=timedelta())
    assert figures.held == {"introduction": 1, "training": 0, "meeting": 1}
    assert figures.count == 2 and figures.attendances == 3
    assert (figures.trained, figures.members) == (1, 3)  # leaders are not counted
    karlstad, kil = figures.by_area["karlstad"], figures.by_area["kil"]
    assert (karlstad.trainings, karlstad.attendances, karlstad.members, karlstad.trained) == \
        (1, 2, 2, 1)
    assert (kil.trainings, kil.attendances, kil.members, kil.trained) == (2, 1, 1, 0)
