"""The questionnaire's rules without Telegram or a database: reading answers, ticks, skipping,
welfare triggers, the codec, the config checks, and what the renderers show leaders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot import choices
from bot.callout.render import location_message, marked
from bot.choices import DebriefAction
from bot.config import (
    DEFAULT_FOLLOWUP_QUESTIONS,
    DEFAULT_QUESTIONS,
    DebriefQuestion,
    DebriefSettings,
    Settings,
)
from bot.debrief.render import summary_messages, welfare_alert
from bot.debrief.rules import (
    Given,
    Retry,
    current_question,
    finish_multi,
    median,
    read_pick,
    read_typed,
    skip,
    toggle,
    triggers_welfare,
)
from bot.i18n import translator
from storage.debriefs import Answer, Debrief, Figures
from storage.models import Activation, Address, Member

QUESTIONS = {question.key: question for question in DEFAULT_QUESTIONS}
HOURS, AFFECTED = QUESTIONS["hours"], QUESTIONS["affected"]
SUPPORT, REFERRALS = QUESTIONS["support"], QUESTIONS["referrals"]
WELL, TALK, WENT_WELL = QUESTIONS["wellbeing"], QUESTIONS["support_talk"], QUESTIONS["went_well"]
PLACE = DebriefQuestion(key="place", type="choice", sv="Var?", en="Where?", options=[
    {"key": "scene", "sv": "På platsen", "en": "At the scene"},
    {"key": "by_phone", "sv": "Per telefon", "en": "By phone"}])
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_defaults_are_the_seeds_questionnaire() -> None:
    assert [(q.key, q.type, q.required, q.welfare) for q in DEFAULT_QUESTIONS] == [
        ("hours", "number", True, None), ("affected", "number", True, None),
        ("witnesses", "number", True, None), ("support", "multi", True, None),
        ("referrals", "multi", False, None), ("went_well", "text", False, None),
        ("could_be_better", "text", False, None), ("wellbeing", "scale", True, "low"),
        ("support_talk", "yesno", True, "yes")]
    assert [option.key for option in SUPPORT.options] == ["practical", "social", "psychological"]
    assert [option.key for option in REFERRALS.options] == [
        "social_services", "church", "health_care", "police", "other"]
    assert [q.welfare for q in DEFAULT_FOLLOWUP_QUESTIONS] == ["low", "yes"]
    settings = DebriefSettings()
    assert (settings.delay, settings.reminder_after, settings.followup_after) == (
        timedelta(hours=2), timedelta(hours=24), timedelta(weeks=4))
    assert settings.welfare_threshold == 2 and not settings.exercises


@pytest.mark.parametrize(("question", "text", "expected"), [
    (HOURS, "3", Given(3)), (HOURS, "2,5", Given(2.5)), (HOURS, "2.5 h", Given(2.5)),
    (HOURS, "4 timmar", Given(4)), (HOURS, "abc", Retry("number")), (HOURS, "", Retry("number")),
    (HOURS, "-2", Retry("number")), (HOURS, "500", Retry("too_big")),
    (AFFECTED, "2,5", Retry("whole_number")), (AFFECTED, "12", Given(12)),
    (AFFECTED, "tre", Retry("whole_number")),
    (WELL, "4", Given(4)), (WELL, "6", Retry("scale")), (WELL, "0", Retry("scale")),
    (TALK, "Ja", Given(True)), (TALK, "no", Given(False)), (TALK, "kanske", Retry("yesno")),
    (PLACE, "per telefon", Given("by_phone")), (PLACE, "At the scene", Given("scene")),
    (PLACE, "hemma", Retry("choice")),
    (SUPPORT, "praktiskt", Retry("buttons")),
    (WENT_WELL, "  Bra samarbete \n", Given(text="Bra samarbete")),
    (WENT_WELL, "x" * 2001, Retry("too_long")),
    (WENT_WELL, "Hoppa över", Given(skipped=True)), (WENT_WELL, "skip", Given(skipped=True)),
    (HOURS, "skip", Retry("required")),
])
def test_typed_answers(question, text, expected) -> None:
    assert read_typed(question, text) == expected


@given(st.text(max_size=50))
@example("²")  # a digit to str.isdigit(), not to int()
@example("٣")  # Arabic-Indic three: a decimal digit int() reads
def test_any_typed_text_is_read_or_explained(text: str) -> None:
    for question in (*DEFAULT_QUESTIONS, PLACE):
        reading = read_typed(question, text)
        assert isinstance(reading, Given | Retry)
        if isinstance(reading, Given) and question.type == "number" and not reading.skipped:
            assert 0 <= reading.value <= question.max


def test_buttons_and_skips() -> None:
    assert read_pick(WELL, "3") == Given(3)
    assert read_pick(WELL, "9") is None
    assert read_pick(TALK, "y") == Given(True) and read_pick(TALK, "n") == Given(False)
    assert read_pick(PLACE, "scene") == Given("scene")
    assert read_pick(PLACE, "moon") is None
    assert read_pick(HOURS, "3") is None  # a number has no answer buttons
    assert skip(REFERRALS) == Given(skipped=True)
    assert skip(SUPPORT) == Retry("required")


def test_ticks_are_idempotent_and_ordered() -> None:
    ticked = toggle(SUPPORT, (), "psychological", True)
    ticked = toggle(SUPPORT, ticked, "practical", True)
    assert ticked == ("practical", "psychological")
    assert toggle(SUPPORT, ticked, "practical", True) == ticked  # a press delivered twice
    assert toggle(SUPPORT, ticked, "practical", False) == ("psychological",)
    assert toggle(SUPPORT, ticked, "church", True) is None
    assert finish_multi(SUPPORT, ()) == Retry("pick_one")
    assert finish_multi(REFERRALS, ()) == Given([])  # optional: "none of these" is an answer
    assert finish_multi(SUPPORT, ("social",)) == Given(["social"])


@pytest.mark.parametrize(("question", "answer", "threshold", "alerts"), [
    (WELL, Given(2), 2, True), (WELL, Given(3), 2, False), (WELL, Given(1), 1, True),
    (WELL, Given(skipped=True), 2, False), (TALK, Given(True), 2, True),
    (TALK, Given(False), 2, False), (HOURS, Given(0), 2, False),
])
def test_welfare_triggers(question, answer, threshold, alerts) -> None:
    assert triggers_welfare(question, answer, threshold) is alerts


def test_questions_no_longer_configured_are_passed_over() -> None:
    keys = ("hours", "removed", "wellbeing")
    assert current_question(keys, 0, DEFAULT_QUESTIONS) == (0, HOURS)
    assert current_question(keys, 1, DEFAULT_QUESTIONS) == (2, WELL)
    assert current_question(keys, 3, DEFAULT_QUESTIONS) == (3, None)
    assert median([]) is None and median([5.0, 1.0, 3.0]) == 3.0


def test_codec_round_trip_and_limits() -> None:
    for action in (DebriefAction(1, 0, "p"), DebriefAction(987654321, 12, "v", "social_services"),
                   DebriefAction(5, 3, "off", "psychological"), DebriefAction(5, 3, "r")):
        packed = action.pack()
        assert len(packed.encode()) <= 64 and choices.parse(packed) == action
    for bad in ("d1:1:x:v", "d1:1:2:zz", "d1:1:2:v:a b", "d1:1", "d1:1:2:v:x:y"):
        assert choices.parse(bad) is None


@pytest.mark.parametrize(("question", "problem"), [
    ({"key": "q", "type": "choice", "sv": "s", "en": "e"}, "needs options"),
    ({"key": "q", "type": "text", "sv": "s", "en": "e",
      "options": [{"key": "a", "sv": "A", "en": "A"}]}, "only choice and multi"),
    ({"key": "q", "type": "scale", "sv": "s", "en": "e", "welfare": "yes"}, "yesno"),
    ({"key": "q", "type": "yesno", "sv": "s", "en": "e", "welfare": "low"}, "scale"),
    ({"key": "Q!", "type": "text", "sv": "s", "en": "e"}, "pattern"),
    ({"key": "q", "type": "essay", "sv": "s", "en": "e"}, "type"),
    ({"key": "q", "type": "text", "sv": "s", "en": "e", "colour": "red"}, "Extra inputs"),
])
def test_bad_questions_are_refused(question, problem) -> None:
    with pytest.raises(ValidationError, match=problem):
        DebriefSettings(questions=[question])


def test_question_keys_are_unique() -> None:
    with pytest.raises(ValidationError, match="question listed twice: hours"):
        DebriefSettings(questions=[HOURS.model_dump(), HOURS.model_dump()])


# -- renderers -------------------------------------------------------------------------------


def activation(**changes) -> Activation:
    values = dict(id=7, code="2026-014", kind="fire", area="default", needed=2, summary="Brand",
                  briefing="Storgatan 1", location_lat=59.38, location_lon=13.5,
                  location_title=None, location_address=None, exercise=False, state="closed",
                  created_by=1, created_at=NOW, staffed_at=NOW + timedelta(minutes=4),
                  closed_at=NOW + timedelta(hours=2), cancelled_at=None)
    values.update(changes)
    return Activation(**values)


def member() -> Member:
    return Member(id=3, name="Anna A", phone="+46701000001", area="default",
                  gender="female", role="volunteer", locale="sv", status="active",
                  away_until=None, source="admin", created_at=NOW,
                  address=Address("telegram", "300"))


def debrief(state: str = "done", **changes) -> Debrief:
    values = dict(id=1, activation_id=7, request_id=1, member_id=3, kind="debrief", state=state,
                  questions=tuple(QUESTIONS), position=0, asked=0, selection=(),
                  last_message_id=None, created_at=NOW, sent_at=NOW, asked_at=NOW,
                  reminded_at=None, finished_at=None, welfare_alert_at=None)
    values.update(changes)
    return Debrief(**values)


def test_welfare_alert_text_is_name_phone_and_code() -> None:
    t = translator("en")
    assert welfare_alert(activation(), member(), t) == \
        "💛 Please get in touch with Anna A (+46701000001) after call-out 2026-014."


def test_leaders_summary_leaves_out_how_people_feel() -> None:
    t = translator("en")
    answers = {"hours": Answer("hours", 3, None, False), "wellbeing": Answer("wellbeing", 1,
                                                                             None, False),
               "support_talk": Answer("support_talk", True, None, False),
               "went_well": Answer("went_well", None, "Bra team", False),
               "support": Answer("support", ["social"], None, False),
               "referrals": Answer("referrals", None, None, True)}
    other = {"hours": Answer("hours", 4.5, None, False)}
    [message] = summary_messages(
        Settings(), activation(), [], Figures(5, 4, 2, (30.0, 60.0, 90.0, 600.0)),
        [(debrief(welfare_alert_at=NOW), answers), (debrief("open", id=2), other)], t)
    text = message.text
    assert "How many hours did you spend on the intervention, travel included? 3, 4.5 " \
           "(total 7.5)" in text
    assert "What kind of support did you give? Social support 1" in text
    assert "Did you refer anyone on to one of these? – (1 skipped)" in text
    assert "  – Bra team" in text
    assert "Answered: 1 of 2. In progress: 1. Not sent yet: 0." in text
    assert "Asked: 5. Answered: 4 (2 yes)." in text and "Median time to answer: 1 minute" in text
    assert "Time to staffed: 4 minutes." in text and "Duration: 2 hours." in text
    assert "The leaders were asked 1 time to get in touch" in text
    assert "How are you feeling" not in text and "support talk" not in text


def test_exercise_marks_and_venue() -> None:
    sv, en = translator("sv"), translator("en")
    drill = activation(exercise=True)
    assert marked(drill, sv, "Larm") == "🔶 ÖVNING\nLarm"
    assert marked(activation(), sv, "Larm") == "Larm"
    venue = location_message(drill, en).location
    assert venue.title == "🔶 EXERCISE" and venue.address == "59.38000, 13.50000"
    assert location_message(activation(), en).location.title is None
