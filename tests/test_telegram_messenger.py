"""The Telegram messenger keeps Telegram's limits: long texts in parts (sent, edited, deleted as
one message), rows of buttons folded, refusals named. Driven against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.delivery.messages import Choice, OutgoingMessage, split_text
from bot.delivery.messenger import MessageGone, Rejected, Unreachable
from sandbox.fake_telegram import FakeTelegram
from transports.telegram.messenger import MAX_TEXT, TelegramMessenger, utf16_length

CHAT = "7"


@pytest.fixture
async def messenger(fake: FakeTelegram) -> AsyncIterator[TelegramMessenger]:
    """The messenger with PTB's Bot against the fake (tests/conftest.py); Anna at chat 7."""
    fake.person(7, "Anna", started=True)
    async with Bot(fake.token, base_url=fake.base_url,
                   base_file_url=fake.base_file_url) as bot:
        yield TelegramMessenger(bot)


def long_text(lines: int, headline: str = "📋 Larm 2026-014: Brand, Karlstad") -> str:
    return "\n".join([headline, *(f"• Rad {i}: " + " ".join(["Lindqvist-Andersson"] * 4)
                                  for i in range(lines))])


FINISH = ((Choice("Avslutad", "m1:5:finished"),),)


def test_split_text_keeps_everything_at_line_boundaries() -> None:
    text = long_text(400)
    parts = split_text(text, MAX_TEXT, utf16_length)
    assert len(parts) > 1 and "\n".join(parts) == text
    assert parts[0].startswith("📋 Larm 2026-014")
    assert all(utf16_length(part) <= MAX_TEXT for part in parts)
    # A single line longer than the limit is cut after a space, nothing lost.
    words = " ".join(f"ord{i}" for i in range(3000))
    cut = split_text(words, 1000)
    assert " ".join(cut) == words and all(len(part) <= 1000 for part in cut)
    assert split_text("kort", MAX_TEXT) == ["kort"]


def test_telegram_counts_emoji_as_two() -> None:
    assert utf16_length("📋") == 2 and utf16_length("å") == 1


async def test_long_text_sent_in_parts_with_choices_under_the_last(
        fake: FakeTelegram, messenger: TelegramMessenger) -> None:
    text = long_text(100)
    message_id = await messenger.send(CHAT, OutgoingMessage(text, choices=FINISH))
    ids = [int(part) for part in message_id.split("+")]
    anna = fake.people[7]
    parts = [anna.message(part) for part in ids]
    assert len(parts) == 3 and "\n".join(part.text for part in parts) == text
    assert [part.button_texts for part in parts] == [[], [], ["Avslutad"]]


async def test_edit_of_a_message_in_parts_shrinks_and_grows(
        fake: FakeTelegram, messenger: TelegramMessenger) -> None:
    anna = fake.people[7]
    message_id = await messenger.send(CHAT, OutgoingMessage(long_text(100), choices=FINISH))
    first, second, third = (int(part) for part in message_id.split("+"))
    # Edited down (the close): the first part changes, the others are deleted.
    shrunk = await messenger.edit(CHAT, message_id, OutgoingMessage("Larm 2026-014 avslutat."))
    assert shrunk == str(first)
    assert anna.message(first).text == "Larm 2026-014 avslutat." and not anna.message(first).buttons
    assert anna.message(second).deleted and anna.message(third).deleted
    # Grown again: the first part is edited, the rest follows as new messages.
    grown = await messenger.edit(CHAT, shrunk, OutgoingMessage(long_text(60), choices=FINISH))
    ids = [int(part) for part in grown.split("+")]
    assert ids[0] == first and len(ids) == 2
    assert anna.message(ids[1]).button_texts == ["Avslutad"]
    # The same number of parts: the id stays.
    assert await messenger.edit(CHAT, grown, OutgoingMessage(long_text(61))) is None


async def test_parts_older_than_48_hours_are_emptied_instead_of_deleted(
        fake: FakeTelegram, messenger: TelegramMessenger) -> None:
    anna = fake.people[7]
    message_id = await messenger.send(CHAT, OutgoingMessage(long_text(60), choices=FINISH))
    first, second = (int(part) for part in message_id.split("+"))
    fake.advance(hours=50)
    assert await messenger.edit(CHAT, message_id, OutgoingMessage("Avslutat.")) == str(first)
    assert anna.message(first).text == "Avslutat."
    assert not anna.message(second).deleted
    assert anna.message(second).text == "⋯" and not anna.message(second).buttons


async def test_delete_removes_every_part(fake: FakeTelegram,
                                        messenger: TelegramMessenger) -> None:
    anna = fake.people[7]
    message_id = await messenger.send(CHAT, OutgoingMessage(long_text(100)))
    await messenger.delete(CHAT, message_id)
    assert all(anna.message(int(part)).deleted for part in message_id.split("+"))
    with pytest.raises(MessageGone):
        await messenger.delete(CHAT, message_id.split("+")[0])


async def test_a_failing_later_part_takes_the_first_back(
        fake: FakeTelegram, messenger: TelegramMessenger) -> None:
    """All or nothing, so the outbox's retry does not show the first part twice."""
    anna = fake.people[7]
    fake.fail(7, "403", method="sendMessage", skip=1)
    with pytest.raises(Unreachable):
        await messenger.send(CHAT, OutgoingMessage(long_text(100)))
    assert len(anna.messages) == 1 and anna.visible == []


async def test_later_part_waits_out_a_flood_limit(fake: FakeTelegram,
                                                  messenger: TelegramMessenger) -> None:
    anna = fake.people[7]
    text = long_text(60)
    fake.fail(7, "429", retry_after=1, method="sendMessage", skip=1)
    message_id = await messenger.send(CHAT, OutgoingMessage(text))
    assert "\n".join(anna.message(int(p)).text for p in message_id.split("+")) == text
    assert len(anna.messages) == 2  # the first part was not sent twice


async def test_buttons_folded_into_rows_of_eight_and_limits_refused(
        fake: FakeTelegram, messenger: TelegramMessenger) -> None:
    anna = fake.people[7]
    row = tuple(Choice(str(n), f"x1:needed:{n}") for n in range(1, 21))
    message_id = await messenger.send(CHAT, OutgoingMessage("Hur många?", choices=(row,)))
    sent = anna.message(int(message_id))
    assert [len(r) for r in sent.buttons] == [8, 8, 4]
    with pytest.raises(Rejected):
        await messenger.send(CHAT, OutgoingMessage("x", choices=((Choice(" ", "x1:a:b"),),)))
    many = tuple((Choice(str(n), f"x1:n:{n}"),) for n in range(101))
    with pytest.raises(Rejected):
        await messenger.send(CHAT, OutgoingMessage("x", choices=many))


async def test_clear_choices_leaves_the_text(fake: FakeTelegram,
                                             messenger: TelegramMessenger) -> None:
    anna = fake.people[7]
    message_id = await messenger.send(CHAT, OutgoingMessage(long_text(100), choices=FINISH))
    await messenger.clear_choices(CHAT, message_id)
    await messenger.clear_choices(CHAT, message_id)  # twice: nothing to change, no error
    last = anna.message(int(message_id.split("+")[-1]))
    assert not last.buttons and last.text
