"""Durations, phone numbers, availability and the callback codec."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import choices
from bot.durations import format_duration, parse_duration
from bot.people.availability import parse_away
from bot.people.phone import normalise_phone
from bot.records.audit_trail import EVENT_LABELS

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30), ("5m", 300), ("2h", 7200), ("7d", 604800), ("4w", 2419200), ("1h30m", 5400),
    (" 2 h ", 7200), ("1.5h", 5400),
])
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "5", "5x", "h", "-5m", "5m!"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    for text in ("30s", "5m", "2h", "1d", "1w2d3h4m5s"):
        assert format_duration(parse_duration(text)) == text


@pytest.mark.parametrize("raw", ["070-123 45 67", "+46701234567", "0046701234567",
                                 "46701234567", "+46 (0)70"[:0] + "+46 70 123 45 67"])
def test_phone_forms_match(raw: str) -> None:
    assert normalise_phone(raw) == "+46701234567"


@pytest.mark.parametrize("raw", ["", "abc", "070-12", "+46 70 123 45 67 89 01 23"])
def test_phone_refuses(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_phone(raw)


def test_away_duration_and_date() -> None:
    now = datetime(2026, 12, 20, 10, 0, tzinfo=UTC)
    assert parse_away("3d", now, STOCKHOLM) == now + timedelta(days=3)
    # A date means through that whole day in Swedish time.
    assert parse_away("2026-12-24", now, STOCKHOLM) == datetime(2026, 12, 25, tzinfo=STOCKHOLM)
    for bad in ("2026-12-01", "tomorrow", "400d"):
        with pytest.raises(ValueError):
            parse_away(bad, now, STOCKHOLM)


@pytest.mark.parametrize("value", [
    choices.Answer(123456789, True), choices.Answer(1, False),
    choices.MissionAction(77, "withdraw"), choices.StatusAction(5, "cancel_yes"),
    choices.EnrolChoice("area", "hammaro"), choices.ActivateChoice("kind", "sudden_death"),
    choices.LanguageChoice("auto"),
])
def test_callback_round_trip(value) -> None:
    packed = value.pack()
    assert len(packed.encode()) <= 64
    assert choices.parse(packed) == value


@pytest.mark.parametrize("data", [None, "", "zz:1:y", "a1:x:y", "a1:1:maybe", "a1:1",
                                  "m1:1:explode", "l1:de", "e1:a b:c"])
def test_callback_parse_refuses(data) -> None:
    assert choices.parse(data) is None


def test_callback_too_long_is_refused_when_packing() -> None:
    with pytest.raises(ValueError):
        choices.EnrolChoice("area", "x" * 40 + "y" * 20).pack()


def test_every_call_out_event_has_words_in_the_audit_trail() -> None:
    """/audit CODE names each event of a call-out; a new event needs a label (and translations)."""
    root = Path(__file__).resolve().parent.parent
    source = "\n".join(path.read_text(encoding="utf-8")
                       for folder in ("bot", "handlers") for path in (root / folder).rglob("*.py")
                       if path.name != "audit_trail.py")
    events = set(re.findall(r'"((?:activation|request|escalation|debrief|shifts?)\.[a-z_]+)"',
                            source))
    # Shift events are also written as f"shift.{state}" / f"shift.{how}".
    events |= {f"shift.{state}" for state in ("confirmed", "reserve", "ended", "cancelled")}
    assert {"activation.closed", "debrief.welfare_alert"} <= events
    assert sorted(events - set(EVENT_LABELS)) == []


@pytest.mark.parametrize("data", ["a1:²:y", "m1:1²:arrived", "h1:³", "s1:²:close"])
def test_callback_parse_refuses_digit_lookalikes(data) -> None:
    assert choices.parse(data) is None


def test_phone_refuses_digit_lookalikes() -> None:
    with pytest.raises(ValueError):
        normalise_phone("070²234567")
