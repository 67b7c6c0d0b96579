"""Issue 13 through the real bot and the fake Telegram: what a hostile or clumsy user does must
get a clear answer and change nothing, and no call-out may be broken by input."""

from __future__ import annotations

from sandbox.fake_telegram import ChatMessage
from tests.test_e2e_callout import BRIEFING, crew, issue, seen


async def walk(person, steps: list[tuple[str, str]]) -> None:
    """Goes through a dialogue: for each (question, answer) waits for the question, then presses
    the button of that label under it, or sends the answer as text when it has none."""
    for question, answer in steps:
        message = await person.wait_for(question)
        if message.find_button(answer) is not None:
            await person.press(answer, message=message)
        else:
            await person.send(answer)


def kept_copy(message: ChatMessage, label: str) -> ChatMessage:
    """The message with one of its buttons as a phone may still show it after an edit (a press
    already on its way when the bot changed the message)."""
    data = message.find_button(label).callback_data
    return ChatMessage(message_id=message.message_id, chat_id=message.chat_id, date=0,
                       kind="text", text=message.text, inline_markup={"inline_keyboard": [[
                           {"text": label, "callback_data": data}]]})


async def test_a_paused_member_is_stood_down_and_cannot_accept(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, bo, cia = await crew(world, 3)
    activation = await issue(world)
    request = await anna.wait_for("Can you go?")
    old = kept_copy(request, "Yes, I can")
    anna_id = (await world.member(anna.user_id)).id
    await leader.send(f"/roster pause {anna_id}")
    await leader.wait_for(f"Volunteer100 V is paused and will not be asked until /roster "
                          f"resume {anna_id}.")
    await world.settle()
    # Her open request is taken back: no buttons left, and she is told why.
    assert not request.buttons and "paused" in request.text
    # A press that was already on its way (an old copy of the buttons) is refused politely.
    press = await world.fake.press_as(anna, old, "Yes, I can")
    assert await press.answer() == ("You are paused, so you cannot answer call-outs. A leader "
                                    "can resume you.")
    counts = await world.services.callouts.reads.state_counts(activation.id)
    assert counts == {"stood_down": 1, "pending": 2}
    # Nothing about the call-out reaches her any more: the team is briefed without her.
    await bo.press("Yes, I can")
    await cia.press("Yes, I can")
    await bo.wait_for("You are going")
    await world.settle()
    assert BRIEFING not in seen(anna)
    before = anna.last
    await anna.send("/status")
    status = await anna.wait_for(None, after=before)
    assert status.text.startswith("You are paused: you are not asked until a leader resumes "
                                  "you.")


async def test_volunteer_status_while_confirmed_elsewhere(world) -> None:
    await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, _ = await crew(world, 2)
    activation = await issue(world)
    await anna.press("Yes, I can", message=await anna.wait_for("Can you go?"))
    await world.settle()
    before = anna.last
    await anna.send("/status")
    status = await anna.wait_for(None, after=before)
    assert status.text.startswith("You are confirmed on a call-out, so you are not asked for "
                                  "others until it ends.")
    assert f"Call-out {activation.code}: Fire, Karlstad – you are confirmed" in status.text
    assert "You are available" not in status.text


async def reply_to(world, person, text: str):
    """Sends a text and returns the bot's first message after it."""
    before = person.last
    await person.send(text)
    return await person.wait_for(None, after=before)


async def test_numbers_too_large_get_the_usual_answer(world, caplog) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, _ = await crew(world, 2)
    for text in ("/away 9999-12-31", "/away " + "9" * 40, "/away 99999999999999999999w"):
        assert (await reply_to(world, anna, text)).text.startswith("Usage: /away 3d")
    request = None
    await issue(world)
    request = await anna.wait_for("Can you go?")
    for data in ("a1:" + "9" * 25 + ":y", "m1:" + "1" * 20 + ":arrived", "s1:" + "4" * 19
                 + ":refresh"):
        fake_button = ChatMessage(message_id=request.message_id, chat_id=anna.user_id, date=0,
                                  kind="text", text="x", inline_markup={"inline_keyboard": [[
                                      {"text": "x", "callback_data": data}]]})
        press = await world.fake.press_as(anna, fake_button, "x")
        assert await press.answer() == "This button is no longer valid."
    for text in ("/roster pause 99999999999999999999", "/remove " + "1" * 30):
        assert (await reply_to(world, leader, text)).text.startswith("Usage: /")
    assert (await reply_to(world, leader, "/invite volunteer 99999999999999999999d")).text \
        .startswith("Usage: /invite")
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


async def test_invite_lifetime_is_checked_in_chat(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    for text in ("/invite leader 0s", "/invite volunteer karlstad 99999d", "/invite leader 31d"):
        assert (await reply_to(world, leader, text)).text == (
            "An invitation can be valid for at most 30 days, and not for 0. Example: /invite "
            "volunteer 7d")
    valid = await reply_to(world, leader, "/invite leader 30d")
    assert valid.text.startswith("Invitation for a leader, valid until")


async def test_invisible_input_is_stripped_and_a_name_needs_letters(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, _ = await crew(world, 2)
    invite = await reply_to(world, leader, "/invite volunteer karlstad")
    token = invite.text.split("/start ")[1].split()[0]
    newcomer = world.fake.person(500, "\u200b\u202e", None, language_code="en")
    await newcomer.send(f"/start {token}")
    question = await newcomer.wait_for("What is your name?")
    assert not question.buttons  # an app name of invisible characters is not offered
    for name in ("\x00\x00\x00", "\u200b\u200c\u200d\u200e\u200f", "\u202e\u202d", "42 !"):
        answer = await reply_to(world, newcomer, name)
        assert answer.text == "Please write your name (2–80 characters, with letters)."
    answer = await reply_to(world, newcomer, "Nils\x00 \u200bNilsson\u202e")
    assert answer.text == "Which area do you belong to?" or "Gender?" in answer.text
    assert (await world.services.dialogues.get(world_address(500))).data["name"] == \
        "Nils Nilsson"

    # The /activate summary with NUL and direction marks reaches nobody with them.
    await leader.send("/activate")
    await walk(leader, [("What has happened?", "Fire"), ("Where?", "Karlstad"),
                        ("How many support persons", "2 ✓"),
                        ("Write a short summary", "Brand\x00 i villa\u202e\u200b"),
                        ("Write the briefing", "Storgatan\x00 12\ufeff"),
                        ("Share the location", "No location")])
    preview = await leader.wait_for("Check the call-out before it is sent:")
    assert "\x00" not in preview.text and "\u202e" not in preview.text
    await leader.press("Send call-out", message=preview)
    request = await anna.wait_for("Can you go?")
    assert "Brand i villa\n" in request.text
    for call in world.fake.calls_of("sendMessage") + world.fake.calls_of("editMessageText"):
        text = str(call.params.get("text", ""))
        assert not any(mark in text for mark in ("\x00", "\u202e", "\u200b", "\ufeff"))


def world_address(user_id: int):
    from tests.e2e import telegram

    return telegram(user_id)


async def run_due_deadlines(world) -> None:
    """Fires every deadline due by the bot's (moved) clock, as the scheduler would."""
    for deadline in await world.services.deadlines.store.pending():
        if deadline.due_at <= world.clock():
            await world.services.deadlines.fire(deadline.id)
    await world.settle()


async def test_pins_are_removed_at_the_close_of_a_call_out_that_ran_for_days(world) -> None:
    """Telegram cannot delete a message older than 48 hours: the pins are renewed meanwhile."""
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, bo = await crew(world, 2)
    activation = await issue(world)
    for person in (anna, bo):
        await person.press("Yes, I can", message=await person.wait_for("Can you go?"))
    first_pin = await anna.wait_for(lambda m: m.venue is not None)
    await world.settle()
    for hours in (47, 47, 30):  # the intervention runs for more than five days
        world.clock.advance(hours=hours)
        world.fake.advance(hours=hours)
        await run_due_deadlines(world)
    assert first_pin.deleted  # replaced by a younger one on the way
    await leader.send(f"/close {activation.code}")
    await leader.wait_for(f"Call-out {activation.code} is closed.")
    await world.settle()
    for person in (anna, bo):
        assert [m for m in person.visible if m.venue or m.location] == []
        assert any(m.venue for m in person.messages)
        shown = "\n".join(m.text or "" for m in person.visible)
        assert BRIEFING not in shown and "Storgatan" not in shown


async def test_a_reply_that_meets_a_429_arrives_once_later(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    await crew(world, 2)
    activation = await issue(world)
    await world.settle()
    world.fake.fail(1, "429", retry_after=1, method="sendMessage")
    seen_before = len(leader.messages)
    await leader.send(f"/status {activation.code}")
    detail = await leader.wait_for(f"Call-out {activation.code}: Fire, Karlstad",
                                   after=leader.last)
    await world.settle()
    assert detail.button_texts[-1] == "Refresh"
    # Delivered once, and no "something went wrong".
    assert leader.messages[seen_before:] == [detail]
    sends = [call for call in world.fake.calls_of("sendMessage") if call.chat_id == 1]
    assert [call.status for call in sends[-2:]] == [429, 200]


async def test_the_leaders_chat_keeps_no_briefing_after_the_close(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None, language="sv")
    anna, bo = await crew(world, 2, language="sv")
    await leader.send("/activate")
    await walk(leader, [("Nytt larm. Vad har hänt?", "Brand"), ("Var?", "Karlstad"),
                        ("Hur många stödpersoner behövs?", "2"),
                        ("Skriv en kort sammanfattning", "Villabrand i natt, familj i chock"),
                        ("Skriv genomgången", BRIEFING)])
    await leader.wait_for("Dela platsen")
    await leader.share_location(59.3793, 13.5036)
    preview = await leader.wait_for("Kontrollera larmet")
    await world.settle()
    # Each answered question has lost its buttons; only the preview still has its own.
    assert [m.button_texts for m in leader.visible if m is not preview and m.buttons] == []
    await leader.press("Skicka larm", message=preview)
    sent = await leader.wait_for("skickat till 2 stödpersoner")
    code = sent.text.split()[1]
    await world.settle()
    # What she typed is gone from her chat; the preview keeps it while the call-out runs.
    assert leader.own_messages == [m for m in leader.own_messages
                                   if m.get("text", "").startswith("/activate")]
    assert BRIEFING in preview.text and not preview.buttons
    for person in (anna, bo):
        await person.press("Ja, jag kan", message=await person.wait_for("Kan du åka?"))
    await anna.wait_for("Du åker. Genomgång:")
    await leader.send(f"/close {code}")
    await leader.wait_for(f"Larm {code} är avslutat.")
    await world.settle()
    assert preview.text == f"Larm {code} (Brand) är avslutat. Tack för din insats!"
    shown = "\n".join(m.text or m.summary() for m in leader.visible)
    for secret in ("Storgatan", "070-555", "59.3793", "Villabrand i natt"):
        assert secret not in shown, secret
    assert [m for m in leader.visible if m.buttons] == []


async def test_a_cancelled_activate_leaves_no_briefing(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    await leader.send("/activate")
    await walk(leader, [("What has happened?", "Fire"), ("Where?", "Karlstad"),
                        ("How many", "2 ✓"), ("Write a short summary", "Brand i villa"),
                        ("Write the briefing", BRIEFING)])
    await leader.wait_for("Share the location")
    await leader.send("/cancel")
    await leader.wait_for("Cancelled. No call-out was sent.")
    await world.settle()
    assert all(BRIEFING not in m.get("text", "") for m in leader.own_messages)
    assert [m for m in leader.visible if m.buttons] == []


async def test_every_confirmed_request_follows_the_call_out(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, bo, cia = await crew(world, 3)
    activation = await issue(world)
    requests = {p.user_id: await p.wait_for("Can you go?") for p in (anna, bo, cia)}
    await anna.press("Yes, I can", message=requests[anna.user_id])
    await world.settle()
    assert "You are confirmed (1 of 2)" in requests[anna.user_id].text
    await bo.press("Yes, I can", message=requests[bo.user_id])
    await anna.wait_for("You are going")
    await world.settle()
    for person in (anna, bo):
        assert requests[person.user_id].text.endswith(
            "✅ You are confirmed. The briefing comes in the next message.")
    assert "not needed now" in requests[cia.user_id].text
    await leader.send(f"/close {activation.code}")
    await leader.wait_for(f"Call-out {activation.code} is closed.")
    await world.settle()
    for person in (anna, bo):
        assert requests[person.user_id].text.endswith(
            "The call-out is over. Thank you for your effort!")


async def test_pausing_a_confirmed_member_tells_the_leader_the_place_stays(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, _ = await crew(world, 2)
    activation = await issue(world)
    await anna.press("Yes, I can", message=await anna.wait_for("Can you go?"))
    await world.settle()
    anna_id = (await world.member(anna.user_id)).id
    reply = await reply_to(world, leader, f"/roster pause {anna_id}")
    assert reply.text.endswith(f"They are still confirmed on {activation.code}: cancel or "
                               "close that call-out if they should not go.")
    counts = await world.services.callouts.reads.state_counts(activation.id)
    assert counts == {"confirmed": 1, "pending": 1}
