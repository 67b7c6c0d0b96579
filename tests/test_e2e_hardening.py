"""Issue 13 through the real bot and the fake Telegram: what a hostile or clumsy user does must
get a clear answer and change nothing, and no call-out may be broken by input."""

from __future__ import annotations

from sandbox.fake_telegram import ChatMessage
from tests.test_e2e_callout import BRIEFING, crew, issue, seen


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
    anna, bo = await crew(world, 2)
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
