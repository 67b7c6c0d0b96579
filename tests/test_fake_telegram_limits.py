"""The fake Bot API refuses what Telegram refuses, with Telegram's own words, so that a message
the real Telegram would turn away fails a test instead of a call-out."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from sandbox.fake_telegram import FakeTelegram


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    """PTB's Bot against the fake (tests/conftest.py) over HTTP."""
    async with Bot(fake.token, base_url=fake.base_url,
                   base_file_url=fake.base_file_url) as client:
        yield client


def buttons(rows: int, per_row: int, label: str = "Ja") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"a1:{r}:{c}")
                                  for c in range(per_row)] for r in range(rows)])


async def refused(fake: FakeTelegram, call) -> str:
    """Telegram's own description of the refusal, as the fake answered it."""
    with pytest.raises(BadRequest):
        await call
    return fake.calls[-1].description


async def test_empty_button_label_is_refused(fake: FakeTelegram, bot: Bot) -> None:
    fake.person(7, "Anna", started=True)
    assert await refused(fake, bot.send_message(7, "Var?", reply_markup=buttons(1, 2, ""))) == \
        "Bad Request: BUTTON_TEXT_INVALID"
    assert await refused(fake, bot.send_message(7, "Var?", reply_markup=buttons(1, 1, "  "))) == \
        "Bad Request: BUTTON_TEXT_INVALID"
    assert fake.people[7].messages == []


async def test_more_than_100_buttons_or_8_in_a_row_is_refused(fake: FakeTelegram,
                                                               bot: Bot) -> None:
    fake.person(7, "Anna", started=True)
    assert await refused(fake, bot.send_message(7, "x", reply_markup=buttons(13, 8))) == \
        "Bad Request: reply markup is too long"
    assert await refused(fake, bot.send_message(7, "x", reply_markup=buttons(1, 9))) == \
        "Bad Request: reply markup is too long"
    sent = await bot.send_message(7, "x", reply_markup=buttons(12, 8))  # 96 buttons pass
    assert len(fake.people[7].message(sent.message_id).button_texts) == 96
    # An edit is held to the same limits.
    assert await refused(fake, bot.edit_message_text("y", chat_id=7, message_id=sent.message_id,
                                               reply_markup=buttons(1, 9))) == \
        "Bad Request: reply markup is too long"


async def test_messages_older_than_48_hours_cannot_be_deleted(fake: FakeTelegram,
                                                              bot: Bot) -> None:
    anna = fake.person(7, "Anna", started=True)
    young = await bot.send_message(7, "ung")
    old = await bot.send_message(7, "gammal")
    typed = await anna.send("Storgatan 12")
    fake.advance(hours=47, minutes=59)
    assert await bot.delete_message(7, young.message_id)
    assert anna.message(young.message_id).deleted
    fake.advance(minutes=1)
    assert await refused(fake, bot.delete_message(7, old.message_id)) == \
        "Bad Request: message can't be deleted for everyone"
    assert not anna.message(old.message_id).deleted
    # The person's own messages in the private chat follow the same rule.
    assert await refused(fake, bot.delete_message(7, typed["message_id"])) == \
        "Bad Request: message can't be deleted for everyone"
    # A bot may still edit its own message in a private chat after 48 hours.
    await bot.edit_message_text("ändrad", chat_id=7, message_id=old.message_id)
    assert anna.message(old.message_id).text == "ändrad"


async def test_incoming_message_deleted_within_48_hours(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.person(7, "Anna", started=True)
    typed = await anna.send("Storgatan 12")
    fake.advance(hours=47)
    assert await bot.delete_message(7, typed["message_id"])
    assert await refused(fake, bot.delete_message(7, typed["message_id"])) == \
        "Bad Request: message to delete not found"


@pytest.mark.parametrize("url", ["https://bot.example.org:8080/hook",
                                 "https://bot.example.org:22/hook",
                                 "https://bot.example.org:4443/hook"])
async def test_webhook_only_on_ports_telegram_allows(fake: FakeTelegram, bot: Bot,
                                                     url: str) -> None:
    assert await refused(fake, bot.set_webhook(url)) == \
        ("Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or "
         "8443")
    assert fake.webhook["url"] == ""


@pytest.mark.parametrize("port", ["", ":443", ":80", ":88", ":8443"])
async def test_webhook_on_allowed_ports(fake: FakeTelegram, bot: Bot, port: str) -> None:
    assert await bot.set_webhook(f"https://bot.example.org{port}/hook")
    assert fake.webhook["url"] == f"https://bot.example.org{port}/hook"


async def test_webhook_secret_token_checked(fake: FakeTelegram, bot: Bot) -> None:
    url = "https://bot.example.org/hook"
    assert await refused(fake, bot.set_webhook(url, secret_token="has space")) == \
        "Bad Request: secret token contains unallowed characters"
    assert await refused(fake, bot.set_webhook(url, secret_token="123456:TOKEN")) == \
        "Bad Request: secret token contains unallowed characters"
    assert await refused(fake, bot.set_webhook(url, secret_token="a" * 257)) == \
        "Bad Request: secret token is too long"
    assert await bot.set_webhook(url, secret_token="A-z_0" * 51)
    assert fake.webhook["secret_token"] == "A-z_0" * 51


async def test_webhook_max_connections_clamped_as_telegram_does(fake: FakeTelegram,
                                                                bot: Bot) -> None:
    """The Bot API server clamps max_connections to 1..100 instead of refusing it."""
    await bot.set_webhook("https://bot.example.org/hook", max_connections=1000)
    assert (await bot.get_webhook_info()).max_connections == 100
    await bot.set_webhook("https://bot.example.org/hook", max_connections=40)
    assert (await bot.get_webhook_info()).max_connections == 40


@pytest.mark.parametrize("code", ["sv-SE", "swe", "SV", "s", "en_GB"])
async def test_language_codes_must_be_two_letters(fake: FakeTelegram, bot: Bot,
                                                  code: str) -> None:
    commands = [BotCommand("status", "Läget")]
    assert await refused(fake, bot.set_my_commands(commands, language_code=code)) == \
        "Bad Request: invalid language code specified"
    assert await refused(fake, bot.set_my_description("Hej", language_code=code)) == \
        "Bad Request: invalid language code specified"
    assert fake.commands == {}


async def test_two_letter_language_code_accepted(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("status", "Läget")], language_code="sv")
    assert [c.command for c in await bot.get_my_commands(language_code="sv")] == ["status"]
