"""The call-out through the real bot and the fake Telegram, acting as leaders and volunteers."""

from __future__ import annotations

import asyncio

import pytest

from bot.callout.draft import Actor
from storage.callouts import NewActivation

BRIEFING = "Storgatan 12 B, ring Eva på 070-555 12 34. Villabrand, familj på fyra."
SUMMARY = "Brand i villa, familj behöver stöd"


async def crew(world, count: int, *, area: str = "karlstad", first_id: int = 100,
               language: str = "en") -> list:
    return [await world.add(first_id + i, f"Volunteer{first_id + i} V", area=area,
                            phone=f"+467010{first_id + i:05d}", language=language)
            for i in range(count)]


async def issue(world, leader_id: int = 1, *, area: str = "karlstad", needed: int = 2):
    leader = await world.member(leader_id)
    issued = await world.services.callouts.issue(Actor.leader(leader), NewActivation(
        kind="fire", area=area, needed=needed, summary=SUMMARY, briefing=BRIEFING,
        location_lat=59.38, location_lon=13.50, location_title="Storgatan 12 B",
        location_address="Karlstad"))
    return issued.activation


def seen(person) -> str:
    """Every text and every earlier version of it in a person's chat, plus places shown."""
    parts = []
    for message in person.messages:
        parts.extend(text for text in (*message.edits, message.text, message.caption) if text)
        if message.location:
            parts.append(f"{message.location[0]},{message.location[1]}")
        if message.venue:
            parts.append(f"{message.venue.title} {message.venue.address}")
    return "\n".join(parts)


async def test_leader_runs_a_whole_call_out_in_swedish(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None, phone="+46705550000",
                             language="sv")
    other_leader = await world.add(2, "Olle Ledare", role="leader", area=None, language="sv")
    anna, bo, cia, dan, eli = [
        await world.add(100 + i, name, gender=gender, language="sv", phone=f"+4670100000{i}")
        for i, (name, gender) in enumerate([("Anna A", "female"), ("Bo B", "male"),
                                            ("Cia C", "female"), ("Dan D", "male"),
                                            ("Eli E", "other")])]
    outsider = await world.add(200, "Kim Kil", area="kil", language="sv")

    await leader.send("/activate")
    await leader.wait_for("Nytt larm. Vad har hänt?")
    await leader.press("Brand")
    await leader.wait_for("Var?")
    await leader.press("Karlstad")
    await leader.wait_for("Hur många stödpersoner behövs?")
    await leader.press("2 ✓")
    await leader.wait_for("Skriv en kort sammanfattning")
    await leader.send(SUMMARY)
    await leader.wait_for("Skriv genomgången")
    await leader.send(BRIEFING)
    await leader.wait_for("Dela platsen")
    await leader.share_location(59.3793, 13.5036)
    preview = await leader.wait_for("Kontrollera larmet")
    assert BRIEFING in preview.text and "Behövs: 2" in preview.text
    await leader.press("Skicka larm")
    sent = await leader.wait_for("skickat till 5 stödpersoner")
    code = sent.text.split()[1]
    assert code.endswith("-001")
    await other_leader.wait_for(f"Larm {code} (Brand, Karlstad) skickat av Lena Ledare")

    for person in (anna, bo, cia, dan, eli):
        request = await person.wait_for("Kan du åka?")
        assert request.button_texts == ["Ja, jag kan", "Nej"]
        assert f"Larm {code}: Brand, Karlstad" in request.text and SUMMARY in request.text
    await world.settle()
    assert outsider.messages == []  # another area is not asked

    yes_a, yes_b = await asyncio.gather(anna.press("Ja, jag kan"), bo.press("Ja, jag kan"))
    no_c = await cia.press("Nej")
    assert await yes_a.answer() == "Tack! Du är bekräftad."
    assert await yes_b.answer() == "Tack! Du är bekräftad."
    assert await no_c.answer() == "Tack för ditt svar."
    briefing = await anna.wait_for("Du åker. Genomgång:")
    assert BRIEFING in briefing.text and "Anna A, +46701000000" in briefing.text
    assert "Bo B, +46701000001" in briefing.text and "Jourhavande: +46 54 100 00" in briefing.text
    assert briefing.button_texts == ["Framme", "Avslutad", "Kan inte ändå"]
    pin = await anna.wait_for(lambda m: m.location is not None)
    assert pin.location == pytest.approx((59.3793, 13.5036))
    await bo.wait_for("Du åker. Genomgång:")
    await world.settle()
    stood_down = dan.messages[0]
    assert "Bemannat – tack, du behövs inte nu." in stood_down.text and not stood_down.buttons
    assert "Du svarade nej" in cia.messages[0].text and not cia.messages[0].buttons
    staffed = await leader.wait_for(f"Larm {code} bemannat: Anna A, Bo B")
    assert staffed.text.startswith("✅")

    # Sensitive details went to the two confirmed only (leaders: only the one who wrote them).
    for person in (cia, dan, eli, outsider, other_leader):
        text = seen(person)
        assert "Storgatan" not in text and "070-555" not in text and "59.3793" not in text

    # A late Ja on a stood-down request: reserve, and the message says so.
    late = await eli.press("Ja, jag kan") if eli.messages[0].buttons else None
    assert late is None  # stood-down messages have no buttons left

    await leader.send(f"/status {code}")
    detail = await leader.wait_for("Läge: bemannat")
    assert "Anna A: bekräftad" in detail.text and "Cia C: svarade nej" in detail.text
    assert "Dan D: avlarmad" in detail.text

    await anna.press("Framme")
    await leader.wait_for(f"Larm {code}: Anna A är framme.")
    await bo.press("Avslutad")
    await leader.wait_for(f"Larm {code} avslutat av Bo B.")
    await world.settle()
    # The address does not linger on phones: briefings edited down, pins deleted.
    for person in (anna, bo):
        briefing = next(m for m in person.messages if m.edits and "Genomgång" in m.edits[0])
        assert BRIEFING not in briefing.text and "avslutat" in briefing.text
        assert not briefing.buttons
        assert all(m.deleted for m in person.messages if m.location)


async def test_ten_simultaneous_yes_confirm_exactly_needed(world) -> None:
    await world.add(1, "Lena Ledare", role="leader", area=None)
    people = await crew(world, 10)
    for round_number in range(1, 6):
        activation = await issue(world, needed=2 if round_number % 2 else 3)
        requests = [await person.wait_for(f"Call-out {activation.code}") for person in people]
        presses = await asyncio.gather(*(person.press("Yes, I can", message=request)
                                         for person, request in zip(people, requests,
                                                                    strict=True)))
        answers = await asyncio.gather(*(press.answer() for press in presses))
        counts = await world.services.callouts.reads.state_counts(activation.id)
        assert counts == {"confirmed": activation.needed, "reserve": 10 - activation.needed}
        assert answers.count("Thank you! You are confirmed.") == activation.needed
        assert answers.count("The team is already complete – you are a reserve.") == \
            10 - activation.needed
        await world.settle()
        briefed = [p for p in people if f"📋 Call-out {activation.code}" in seen(p)]
        assert len(briefed) == activation.needed
        await world.services.callouts.cancel(await world.member(1), activation.id)
        await world.settle()


async def test_refusals_change_nothing(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, bo, cia = await crew(world, 3)
    await anna.send("/activate")
    await anna.wait_for("Only leaders can do that.")
    activation = await issue(world)
    request_a = await anna.wait_for("Can you go?")
    # Bo presses Anna's button (e.g. on a forwarded screenshot of the ids): refused.
    foreign = await world.fake.press_as(bo, request_a, "Yes, I can")
    assert await foreign.answer() == "This request was not sent to you."
    # Double press (both taps reach the bot before either is handled): one counts.
    first, second = await asyncio.gather(anna.press("Yes, I can", message=request_a),
                                         world.fake.press_as(anna, request_a, "Yes, I can"))
    assert sorted([await first.answer(), await second.answer()]) == [
        "Thank you! You are confirmed.", "You have already answered."]
    counts = await world.services.callouts.reads.state_counts(activation.id)
    assert counts == {"confirmed": 1, "pending": 2}
    # A button the codec does not know (e.g. from an older version of the bot).
    unknown = await world.fake.press_as(anna, request_a, callback_data="zz9:1") \
        if request_a.find_button(callback_data="zz9:1") else None
    assert unknown is None
    await leader.send("/status")
    await leader.wait_for("Available now:")
    await leader.send(f"/cancel {activation.code}")
    await leader.wait_for("is cancelled; everyone has been stood down")
    await world.settle()
    request_c = cia.messages[0]
    assert not request_c.buttons  # stood down without buttons
    await leader.send("/close 1999-999")
    await leader.wait_for("There is no call-out 1999-999.")
    await leader.send("/close")
    await leader.wait_for("Usage: /close CODE")
    await bo.send("/cancel 2026-001")
    await bo.wait_for("Only leaders can do that.")
    await bo.send("/frobnicate")
    await bo.wait_for("Unknown command.")
    counts = await world.services.callouts.reads.state_counts(activation.id)
    assert counts == {"released": 1, "stood_down": 2}


async def test_press_on_a_closed_call_out_gets_a_clear_answer(world) -> None:
    await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, bo, cia = await crew(world, 3)
    activation = await issue(world)
    requests = {p.user_id: await p.wait_for("Can you go?") for p in (anna, bo, cia)}
    # Cia's message is kept as it was before the stand-down edit (an old copy of the buttons).
    old_request = requests[cia.user_id]
    old_data = old_request.find_button("Yes, I can").callback_data
    await anna.press("Yes, I can")
    await bo.press("Yes, I can")
    await anna.wait_for("You are going")
    await world.services.callouts.close(await world.member(1), activation.id)
    await world.settle()
    from sandbox.fake_telegram import ChatMessage

    stale = ChatMessage(message_id=old_request.message_id, chat_id=cia.user_id, date=0,
                        kind="text", text="old", inline_markup={"inline_keyboard": [[
                            {"text": "Yes, I can", "callback_data": old_data}]]})
    press = await world.fake.press_as(cia, stale, "Yes, I can")
    assert await press.answer() == f"Call-out {activation.code} is over – no answer is needed."
    counts = await world.services.callouts.reads.state_counts(activation.id)
    assert counts == {"confirmed": 2, "stood_down": 1}


async def test_withdraw_with_and_without_reserve(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, bo, cia, dan = await crew(world, 4)
    activation = await issue(world)
    for person in (anna, bo, cia):
        await person.wait_for("Can you go?")
    await anna.press("Yes, I can")
    await bo.press("Yes, I can")
    await anna.wait_for("You are going")
    await world.settle()
    # Anna withdraws and nobody is reserve: the call-out opens again, the rest are asked again.
    press = await anna.press("Can't go after all")
    assert await press.answer() == "Understood. Thank you for telling us."
    await leader.wait_for("withdrew and there is no reserve")
    again = await cia.wait_for(lambda m: "Can you go?" in (m.text or "") and m.buttons,
                               after=cia.messages[0])
    await bo.wait_for("Volunteer100 V cannot go. We are looking for someone else.")
    assert (await world.services.callouts.reads.by_id(activation.id)).state == "open"
    await cia.press("Yes, I can", message=again)
    await cia.wait_for("You are going")
    await dan.wait_for(lambda m: "Can you go?" in (m.text or "") and m.buttons)
    briefing_anna = next(m for m in anna.messages if m.edits and "You are going" in m.edits[0])
    assert "You have left call-out" in briefing_anna.text and "Storgatan" not in briefing_anna.text

    # Cia completed the team again, so Dan's new request was stood down in turn.
    await world.settle()
    dan_request = next(m for m in reversed(dan.messages) if m.edits)
    assert "not needed now" in dan_request.text and not dan_request.buttons
    counts = await world.services.callouts.reads.state_counts(activation.id)
    assert counts == {"confirmed": 2, "withdrawn": 1, "stood_down": 1}


async def test_reserve_is_promoted_when_someone_withdraws(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, bo, cia = await crew(world, 3)
    activation = await issue(world)
    requests = [await p.wait_for("Can you go?") for p in (anna, bo, cia)]
    presses = await asyncio.gather(*(p.press("Yes, I can", message=r)
                                     for p, r in zip((anna, bo, cia), requests, strict=True)))
    answers = [await press.answer() for press in presses]
    reserve_index = answers.index("The team is already complete – you are a reserve.")
    confirmed = [p for i, p in enumerate((anna, bo, cia)) if i != reserve_index]
    reserve = (anna, bo, cia)[reserve_index]
    await confirmed[0].wait_for("You are going")
    await confirmed[0].press("Can't go after all")
    promoted = await reserve.wait_for("You are going")
    assert BRIEFING in promoted.text
    await confirmed[1].wait_for("takes the place")
    await leader.wait_for("(reserve) takes the place")
    counts = await world.services.callouts.reads.state_counts(activation.id)
    assert counts == {"confirmed": 2, "withdrawn": 1}


async def test_two_activations_at_once_in_different_areas(world) -> None:
    await world.add(1, "Lena Ledare", role="leader", area=None)
    karlstad = await crew(world, 3, area="karlstad", first_id=100)
    kil = await crew(world, 3, area="kil", first_id=300)
    first = await issue(world, area="karlstad")
    second = await issue(world, area="kil")
    for person in karlstad:
        await person.wait_for(f"Call-out {first.code}")
    for person in kil:
        await person.wait_for(f"Call-out {second.code}")
    await world.settle()
    assert all(second.code not in seen(p) for p in karlstad)
    assert all(first.code not in seen(p) for p in kil)
    for person in karlstad[:2] + kil[:2]:
        await person.press("Yes, I can")
    await world.settle()
    assert (await world.services.callouts.reads.by_id(first.id)).state == "staffed"
    assert (await world.services.callouts.reads.by_id(second.id)).state == "staffed"
    # The Karlstad pair's briefing names the Karlstad pair only.
    briefing = next(m for m in karlstad[0].messages if "You are going" in (m.text or ""))
    assert "Volunteer101 V" in briefing.text and "Volunteer300" not in briefing.text
    # A confirmed volunteer is busy: the next call-out in their area does not ask them.
    third = await issue(world, area="karlstad")
    await karlstad[2].wait_for(f"Call-out {third.code}")
    await world.settle()
    assert all(third.code not in seen(p) for p in karlstad[:2])


async def test_cancel_after_staffed_stands_everyone_down(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, bo, cia = await crew(world, 3)
    activation = await issue(world)
    await anna.wait_for("Can you go?")
    await bo.wait_for("Can you go?")
    await anna.press("Yes, I can")
    await bo.press("Yes, I can")
    await anna.wait_for("You are going")
    await leader.send(f"/status {activation.code}")
    detail = await leader.wait_for("State: staffed")
    await leader.press("Cancel call-out", message=detail)
    confirm = await leader.wait_for("Everyone, the confirmed too, will be stood down.")
    press = await leader.press(f"Yes, cancel {activation.code}", message=confirm)
    assert "is cancelled" in await press.answer()
    await world.settle()
    for person in (anna, bo):
        briefing = next(m for m in person.messages if m.edits and "You are going" in m.edits[0])
        assert "was cancelled" in briefing.text and BRIEFING not in briefing.text
    # Cia was already stood down when the team was complete: she is not bothered again.
    assert len(cia.messages) == 1 and "not needed now" in cia.messages[0].text
    assert (await world.services.callouts.reads.by_id(activation.id)).state == "cancelled"


async def test_status_away_and_back(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, bo = await crew(world, 2)
    await anna.send("/away 3d")
    await anna.wait_for("You are away until")
    await leader.send("/status")
    overview = await leader.wait_for("Available now:")
    assert "• Karlstad: 1" in overview.text and "No call-out is running." in overview.text
    activation = await issue(world)
    await bo.wait_for("Can you go?")
    await world.settle()
    assert anna.messages[-1].text.startswith("You are away until")  # not asked
    await anna.send("/status")
    await anna.wait_for("You are away until")
    await anna.send("/back")
    await anna.wait_for("you are available again")
    assert await (await bo.press("Yes, I can")).answer() == "Thank you! You are confirmed."
    await bo.send("/status")
    # Confirmed on a call-out is not "available" (issue 13).
    mine = await bo.wait_for("You are confirmed on a call-out, so you are not asked for others")
    assert f"Call-out {activation.code}: Fire, Karlstad – you are confirmed" in mine.text
    await leader.send("/status")
    overview = await leader.wait_for(lambda m: activation.code in (m.text or "")
                                     and "1/2 confirmed" in m.text)
    assert "Available now:\n• Karlstad: 1" in overview.text  # Bo is busy, Anna is back
    await anna.send("/away tomorrow-ish")
    await anna.wait_for("Usage: /away 3d")


async def test_briefing_is_not_queued_behind_a_large_broadcast(fake, tmp_path) -> None:
    """With Telegram's pacing on, a 200-person fan-out takes ~7 s; another call-out's requests
    and briefing go out in the middle of it, not after it."""
    from tests.e2e import World, e2e_settings

    fake.flood_limit(30)  # Telegram answers 429 beyond about 30 messages a second
    world = World(fake, e2e_settings(fake, tmp_path, telegram={"max_messages_per_second": 28}))
    await world.start()
    try:
        await world.add(1, "Lena Ledare", role="leader", area=None)
        crowd = await crew(world, 200, area="karlstad", first_id=1000)
        pair = await crew(world, 2, area="kil", first_id=300)
        big = await issue(world, area="karlstad")
        small = await issue(world, area="kil")
        for person in pair:
            await person.wait_for(f"Call-out {small.code}", timeout=10)
            await person.press("Yes, I can")
        await pair[0].wait_for("You are going", timeout=10)
        reached = sum(1 for person in crowd if person.messages)
        assert reached < len(crowd), "the briefing waited for the whole broadcast"
        await crowd[-1].wait_for(f"Call-out {big.code}", timeout=30)
        assert fake.stats.flood_429s == 0
    finally:
        await world.stop()


async def test_logs_follow_each_state_change_without_personal_data(world, caplog) -> None:
    import logging

    caplog.set_level(logging.INFO)
    await world.add(1, "Lena Ledare", role="leader", area=None, phone="+46705550000")
    anna, bo = await crew(world, 2)
    activation = await issue(world)
    await anna.wait_for("Can you go?")
    await bo.wait_for("Can you go?")
    await anna.press("Yes, I can")
    await bo.press("Yes, I can")
    await anna.wait_for("You are going")
    await anna.press("Finished")
    await world.settle()
    lines = [record.getMessage() for record in caplog.records]
    for event in ("issued", "answer", "staffed", "finished", "closed"):
        assert any(f"activation {activation.code} event={event}" in line for line in lines), event
    text = "\n".join(lines)
    for secret in (BRIEFING, SUMMARY, "Storgatan", "Volunteer100", "Lena Ledare", "+4670",
                   "E2E-SECRET-TOKEN"):
        assert secret not in text, secret
