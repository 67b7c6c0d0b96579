"""The fake Telegram server, driven by the real PTB Bot and Application over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from sandbox.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, bot_username="posom_test_bot") as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url) as client:
        yield client


def keyboard(*labels: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in labels]])


async def running_app(fake: FakeTelegram, *handlers: object) -> Application:
    app = ApplicationBuilder().token(TOKEN).base_url(fake.base_url) \
        .base_file_url(fake.base_file_url).build()
    for handler in handlers:
        app.add_handler(handler)  # type: ignore[arg-type]
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    return app


async def stop_app(app: Application) -> None:
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def test_get_me_and_url(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "posom_test_bot", True)
    assert fake.api_url.startswith("http://127.0.0.1:")
    assert fake.calls[-1].method == "getMe" and fake.calls[-1].status == 200


async def test_wrong_token_and_unknown_method(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(InvalidToken, match="rejected") as caught:
        async with Bot("999:WRONG", base_url=fake.base_url):
            pass
    assert str(caught.value.__cause__) == "Unauthorized"
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")


async def test_send_message_with_inline_keyboard(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.person(1001, "Alice", "Andersson", started=True)
    sent = await bot.send_message(1001, "Larm i Arvika",
                                  reply_markup=keyboard(("Ja", "a1:7:y"), ("Nej", "a1:7:n")))
    assert sent.chat.id == 1001 and sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.id == 123456
    assert sent.reply_markup is not None
    assert [b.callback_data for b in sent.reply_markup.inline_keyboard[0]] == ["a1:7:y", "a1:7:n"]
    assert alice.last is not None and alice.last.message_id == sent.message_id
    assert alice.last.text == "Larm i Arvika"
    assert alice.last.button_texts == ["Ja", "Nej"]
    assert alice.last.buttons[0][1].callback_data == "a1:7:n"
    second = await bot.send_message(1001, "Två")
    assert second.message_id == sent.message_id + 1
    assert alice.transcript() == ["POSOM: Larm i Arvika", "    [Ja] [Nej]", "POSOM: Två"]


async def test_reply_keyboard_with_contact_button_and_removal(fake: FakeTelegram,
                                                              bot: Bot) -> None:
    alice = fake.person(1001, "Alice", started=True, phone_number="+46701234567")
    await bot.send_message(1001, "Dela ditt nummer", reply_markup=ReplyKeyboardMarkup(
        [[KeyboardButton("Dela nummer", request_contact=True)], ["Avbryt"]]))
    assert alice.last is not None
    assert alice.last.reply_keyboard == [["Dela nummer"], ["Avbryt"]]
    assert alice.last.request_contact is True
    shared = await alice.tap("Dela nummer")
    assert shared["contact"] == {"phone_number": "+46701234567", "first_name": "Alice",
                                 "user_id": 1001}
    await bot.send_message(1001, "Tack", reply_markup=ReplyKeyboardRemove())
    assert alice.keyboard is None and alice.last.remove_keyboard


async def test_callback_data_over_64_bytes_refused(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.person(1001, "Alice", started=True)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(1001, "x", reply_markup=keyboard(("Ja", "a" * 65)))
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(1001, "x", reply_markup=keyboard(("Ja", "å" * 33)))  # 66 bytes
    await bot.send_message(1001, "ok", reply_markup=keyboard(("Ja", "å" * 32)))  # 64 bytes
    assert [m.text for m in alice.messages] == ["ok"]
    assert fake.calls[-2].status == 400


async def test_text_empty_and_too_long_refused(fake: FakeTelegram, bot: Bot) -> None:
    fake.person(1001, "Alice", started=True)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(1001, "  ")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1001, "x" * 4097)
    ok = await bot.send_message(1001, "x" * 4096)
    assert ok.text == "x" * 4096


async def test_html_is_parsed_and_bad_html_refused(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.person(1001, "Alice", started=True)
    sent = await bot.send_message(1001, "<b>Larm</b> &amp; 5 &lt; 6", parse_mode="HTML")
    assert sent.text == "Larm & 5 < 6"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 4)]
    assert alice.last is not None and alice.last.text == "Larm & 5 < 6"
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "p" at byte offset 0'):
        await bot.send_message(1001, "<p>hej</p>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't find end tag"):
        await bot.send_message(1001, "<b>hej", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)character '.' is reserved and must be escaped"):
        await bot.send_message(1001, "Klockan 12.30", parse_mode="MarkdownV2")


async def test_edits(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.person(1001, "Alice", started=True)
    sent = await bot.send_message(1001, "Larm", reply_markup=keyboard(("Ja", "a1:1:y")))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Larm", chat_id=1001, message_id=sent.message_id,
                                    reply_markup=keyboard(("Ja", "a1:1:y")))
    edited = await bot.edit_message_text("Larm (besvarat)", chat_id=1001,
                                         message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.edit_date is not None
    message = alice.messages[0]
    assert (message.text, message.edits, message.buttons) == ("Larm (besvarat)", ["Larm"], [])
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(chat_id=1001, message_id=sent.message_id)
    await bot.edit_message_reply_markup(chat_id=1001, message_id=sent.message_id,
                                        reply_markup=keyboard(("Klar", "m1:1:finished")))
    assert message.button_texts == ["Klar"]
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=999)
    assert await bot.delete_message(1001, sent.message_id) is True
    assert message.deleted and alice.last is None
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(1001, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=sent.message_id)


async def test_unknown_chat_not_started_and_blocked(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(4242, "hej")
    bob = fake.person(1002, "Bob")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(1002, "hej")
    await bob.send("hej")
    await bot.send_message(1002, "hej Bob")
    bob.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(1002, "hej igen")
    assert [m.text for m in bob.messages] == ["hej Bob"]
    assert fake.person(1002) is bob
    updates = await bot.get_updates(timeout=0)
    assert updates[0].message is not None and updates[0].message.text == "hej"
    member = updates[1].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"
    assert member.from_user.id == 1002


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_faults(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.person(1001, "Alice", started=True)
    fake.fail(1001, "429", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1001, "hej")
    assert caught.value.retry_after in (7, dtm.timedelta(seconds=7))
    fake.fail(1001, "500", times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(1001, "hej")
    fake.fail(1001, "403")
    with pytest.raises(Forbidden):
        await bot.send_message(1001, "hej")
    await bot.send_message(1001, "till slut")
    assert [m.text for m in alice.messages] == ["till slut"]
    assert fake.stats.flood_429s == 1 and fake.stats.limiter_429s == 0
    assert fake.stats.injected_faults == 4


async def test_timeouts_with_and_without_delivery(fake: FakeTelegram) -> None:
    alice = fake.person(1001, "Alice", started=True)
    request = HTTPXRequest(read_timeout=0.3)
    async with Bot(TOKEN, base_url=fake.base_url, request=request) as quick:
        fake.fail(1001, "timeout")
        with pytest.raises(TimedOut):
            await quick.send_message(1001, "lost")
        assert alice.messages == []
        fake.fail(1001, "timeout_after_delivery")
        with pytest.raises(TimedOut):
            await quick.send_message(1001, "arrived anyway")
        assert [m.text for m in alice.messages] == ["arrived anyway"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_limit_counts_429s(fake: FakeTelegram, bot: Bot) -> None:
    fake.person(1001, "Alice", started=True)
    fake.flood_limit(5)
    results = await asyncio.gather(*(bot.send_message(1001, f"m{i}") for i in range(8)),
                                   return_exceptions=True)
    refused = [r for r in results if isinstance(r, RetryAfter)]
    assert len(refused) == 3
    assert fake.stats.flood_429s == 3 and fake.stats.limiter_429s == 3
    assert len(fake.people[1001].messages) == 5
    fake.flood_limit(None)
    await bot.send_message(1001, "fri")
    assert fake.stats.flood_429s == 3


async def test_commands_and_menu(fake: FakeTelegram, bot: Bot) -> None:
    fake.person(1001, "Alice", started=True)
    await bot.set_my_commands([BotCommand("start", "Starta"), BotCommand("status", "Status")],
                              language_code="sv")
    await bot.set_my_commands([BotCommand("larm", "Larma")], scope=BotCommandScopeChat(1001))
    assert fake.commands[("default", "sv")] == [("start", "Starta"), ("status", "Status")]
    assert fake.commands[("chat:1001", "")] == [("larm", "Larma")]
    got = await bot.get_my_commands(language_code="sv")
    assert [c.command for c in got] == ["start", "status"]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "x")])
    await bot.delete_my_commands(language_code="sv")
    assert ("default", "sv") not in fake.commands
    assert await bot.set_chat_menu_button() is True


async def test_command_reaches_handler_through_polling(fake: FakeTelegram) -> None:
    seen: list[str] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        seen.append(" ".join(context.args or []))
        await update.effective_message.reply_text(f"Välkommen {update.effective_user.first_name}")

    app = await running_app(fake, CommandHandler("start", start))
    try:
        alice = fake.person(1001, "Alice", "Andersson")
        await alice.send("/start abc123")
        reply = await alice.wait_for("Välkommen", timeout=5)
        assert reply.text == "Välkommen Alice"
        await alice.send("/start@posom_test_bot again")
        await fake.settle(quiet=0.2, timeout=5)
        assert seen == ["abc123", "again"]
        assert [m.text for m in alice.messages] == ["Välkommen Alice", "Välkommen Alice"]
        assert alice.transcript()[:2] == ["Alice: /start abc123", "POSOM: Välkommen Alice"]
    finally:
        await stop_app(app)
    assert fake.pending_updates == 0


async def test_button_press_reaches_callback_handler(fake: FakeTelegram) -> None:
    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer(f"Tack, {query.from_user.first_name}: {query.data}")
        await query.edit_message_text(f"{query.message.text}: svarat")

    app = await running_app(fake, CallbackQueryHandler(on_press))
    try:
        alice = fake.person(1001, "Alice", started=True)
        await app.bot.send_message(1001, "Larm", reply_markup=keyboard(("Ja", "a1:7:y"),
                                                                       ("Nej", "a1:7:n")))
        press = await alice.press("Nej")
        assert await press.answer(timeout=5) == "Tack, Alice: a1:7:n"
        edited = await alice.wait_for(lambda m: m.text == "Larm: svarat")
        assert edited.edits == ["Larm"] and edited.buttons == []
        with pytest.raises(AssertionError, match="no message with a button 'Ja'"):
            await alice.press("Ja")
    finally:
        await stop_app(app)


async def test_answer_callback_query_refusals(fake: FakeTelegram, bot: Bot) -> None:
    fake.callback_query_ttl = 0.2
    alice = fake.person(1001, "Alice", started=True)
    bob = fake.person(1002, "Bob", started=True)
    await bot.send_message(1001, "Larm", reply_markup=keyboard(("Ja", "a1:1:y")))
    press = await alice.press("Ja")
    assert await bot.answer_callback_query(press.query_id) is True
    assert await press.answer(timeout=1) is None
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(press.query_id, text="igen")
    assert alice.last is not None
    late = await fake.press_as(bob, alice.last, "Ja")
    assert late.presser is bob
    await asyncio.sleep(0.3)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(late.query_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("123")
    updates = await bot.get_updates(timeout=0)
    assert [u.callback_query.from_user.id for u in updates if u.callback_query] == [1001, 1002]


async def test_contact_location_and_document_arrive_intact(fake: FakeTelegram) -> None:
    received: list[Update] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        received.append(update)
        if update.message and update.message.contact and update.message.contact.user_id:
            await update.message.reply_document(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                                                filename="larm.ics", caption="Kalender")
            await update.message.reply_venue(59.38, 13.50, "Kyrkan", "Storgatan 1")
            await update.message.reply_contact("+46709999999", "Bo", last_name="Berg")

    app = await running_app(fake, MessageHandler(filters.ALL, record))
    try:
        alice = fake.person(1001, "Alice", "Andersson")
        await alice.share_contact("+46701234567")
        await alice.share_contact("+46709999999", user_id=None, first_name="Someone")
        await alice.share_location(59.38, 13.50)
        await alice.wait_for(lambda m: m.contact is not None)
        await fake.settle(quiet=0.2, timeout=5)
    finally:
        await stop_app(app)
    contacts = [u.message.contact for u in received if u.message and u.message.contact]
    assert [(c.phone_number, c.user_id, c.first_name) for c in contacts] == [
        ("+46701234567", 1001, "Alice"), ("+46709999999", None, "Someone")]
    locations = [u.message.location for u in received if u.message and u.message.location]
    assert [(loc.latitude, loc.longitude) for loc in locations] == [(59.38, 13.50)]
    document = alice.messages[0].document
    assert document is not None
    assert (document.filename, document.data, document.caption) == (
        "larm.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "Kalender")
    assert alice.messages[1].venue is not None and alice.messages[1].venue.title == "Kyrkan"
    assert alice.messages[1].location == (59.38, 13.50)
    assert alice.messages[2].contact is not None
    assert alice.messages[2].contact.phone_number == "+46709999999"
    # the bot's messages are numbered after Alice's two contacts and location in the same chat
    assert [m.message_id for m in alice.messages] == [4, 5, 6]


async def test_document_round_trip_via_get_file(fake: FakeTelegram, bot: Bot) -> None:
    fake.person(1001, "Alice", started=True)
    sent = await bot.send_document(1001, b"%PDF-1.4 data", filename="karta.pdf")
    assert sent.document is not None and sent.document.file_name == "karta.pdf"
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 data"
    again = await bot.send_document(1001, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id


async def test_wait_for_reports_what_arrived(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.person(1001, "Alice", started=True)
    await bot.send_message(1001, "Hej")
    with pytest.raises(AssertionError, match=r"(?s)no message matching 'Larm'.*Hej"):
        await alice.wait_for("Larm", timeout=0.1)


async def test_long_poll_waits_and_offset_confirms(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.person(1001, "Alice")
    poll = asyncio.create_task(bot.get_updates(timeout=2))
    await asyncio.sleep(0.1)
    assert not poll.done()
    await alice.send("hej")
    updates = await asyncio.wait_for(poll, 1)
    assert [u.message.text for u in updates if u.message] == ["hej"]
    await alice.send("igen")
    again = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert [u.message.text for u in again if u.message] == ["igen"]
    assert fake.pending_updates == 1
