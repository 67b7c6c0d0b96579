"""Real sizes through the real bot and the fake Telegram: 300 asked, a roster of 500, a team of 20
with 80-character names, a 2,500-character briefing with a 300-character address."""

from __future__ import annotations

import asyncio

from bot.callout.draft import Actor
from storage.callouts import NewActivation
from transports.telegram.messenger import MAX_TEXT

LONG_TAIL = "Lindqvist-Andersson af Klarälvsdalen och Värmlandsbergen " * 2


def long_name(number: int, length: int) -> str:
    """A name of exactly `length` characters that starts with a unique tag."""
    return (f"P{number:04d} " + LONG_TAIL)[:length]


async def people(world, count: int, *, first_id: int, length: int, **kwargs) -> list:
    return [await world.add(first_id + i, long_name(first_id + i, length),
                            phone=f"+46701{first_id + i:06d}", **kwargs) for i in range(count)]


async def test_status_of_a_call_out_to_300_people_and_its_refresh(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    crowd = await people(world, 300, first_id=1000, length=31)
    activation = (await world.services.callouts.issue(Actor.leader(await world.member(1)),
                                                       NewActivation(
        kind="fire", area="karlstad", needed=2, summary="Brand i flerfamiljshus",
        briefing="Samling vid Stora torget."))).activation
    await world.settle()

    for refresh in (False, True):
        before = len(leader.messages)
        if refresh:
            await leader.press("Refresh", message=leader.messages[before - 1])
        else:
            await leader.send(f"/status {activation.code}")
        last = await leader.wait_for(lambda m: "Refresh" in m.button_texts,
                                     after=leader.messages[before - 1] if before else None,
                                     timeout=10)
        parts = [m for m in leader.messages[before:] if m.message_id <= last.message_id]
        assert len(parts) >= 3
        assert parts[0].text.startswith(f"Call-out {activation.code}: Fire, Karlstad")
        assert all(len(part.text) <= MAX_TEXT for part in parts)
        assert all(not part.buttons for part in parts[:-1])
        assert parts[-1].button_texts == ["Close", "Cancel call-out", "Ask everyone", "Refresh"]
        listed = "\n".join(part.text for part in parts)
        for person in crowd:
            assert listed.count(f"• {person.full_name}: no answer yet") == 1


async def test_roster_of_500(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    members = await people(world, 500, first_id=2000, length=60)
    await leader.send("/roster")
    last = await leader.wait_for("/roster pause ID", timeout=10)
    parts = [m for m in leader.messages if m.message_id <= last.message_id]
    assert parts[0].text.startswith("501 members:")
    assert all(len(part.text) <= MAX_TEXT for part in parts)
    listed = "\n".join(part.text for part in parts)
    for person in members:
        member = await world.member(person.user_id)
        assert listed.count(f"{member.id}. {person.full_name} – support person, Karlstad, "
                            "active") == 1


BRIEFING_LINE = ("Villabrand i natt. Familjen (två vuxna, två barn 4 och 9 år) är evakuerade "
                 "till grannen. Räddningsledare Per Ek på plats, nås på 070-111 22 33. ")


async def test_team_of_20_with_long_names_and_a_full_briefing(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None, phone="+46705550000")
    team = await people(world, 20, first_id=3000, length=80)
    briefing = "\n".join(BRIEFING_LINE for _ in range(20))[:2500]
    address = ("Storgatan 12 B, port 3, våning 4, lägenhet 1203, kod 4711, ingång från "
               "gården via Kungsgatan. " * 4)[:300]
    assert len(briefing) == 2500 and len(address) == 300
    issued = await world.services.callouts.issue(Actor.leader(await world.member(1)),
                                                 NewActivation(
        kind="fire", area="karlstad", needed=20, summary="Brand i villa, familj behöver stöd",
        briefing=briefing, location_lat=59.3793, location_lon=13.5036,
        location_title="Storgatan 12 B", location_address=address))
    code = issued.activation.code
    requests = [await person.wait_for("Can you go?") for person in team]
    presses = await asyncio.gather(*(person.press("Yes, I can", message=request)
                                     for person, request in zip(team, requests, strict=True)))
    assert [await press.answer() for press in presses] == ["Thank you! You are confirmed."] * 20
    await leader.wait_for(f"Call-out {code} staffed")
    await world.settle()

    for person in team:
        first = await person.wait_for(lambda m: (m.text or "").startswith("📋"))
        second = person.message(first.message_id + 1)
        assert second is not None and second.kind == "text"
        assert len(first.text) <= MAX_TEXT and len(second.text) <= MAX_TEXT
        whole = first.text + "\n" + second.text
        assert first.text.startswith(f"📋 Call-out {code}: Fire, Karlstad")
        assert briefing in whole and address in whole
        for mate in team:
            assert f"• {mate.full_name}, +46701{mate.user_id:06d}" in whole
        assert not first.buttons
        assert second.button_texts == ["Arrived", "Finished", "Can't go after all"]
        pin = await person.wait_for(lambda m: m.venue is not None)
        assert pin.venue.address == address

    # [Framme] edits the split briefing: the text stays whole, the button goes.
    anna = team[0]
    await anna.press("Arrived")
    await leader.wait_for(f"Call-out {code}: {anna.full_name} has arrived.")
    await world.settle()
    first = await anna.wait_for(lambda m: (m.text or "").startswith("📋"))
    second = anna.message(first.message_id + 1)
    assert briefing in first.text + "\n" + second.text
    assert second.button_texts == ["Finished", "Can't go after all"]

    await leader.send(f"/close {code}")
    await leader.wait_for(f"Call-out {code} is closed.")
    await world.settle()
    for person in team:
        shown = "\n".join(m.text or m.summary() for m in person.visible)
        assert briefing[:200] not in shown and address[:100] not in shown
        assert "Storgatan" not in shown
        assert any(f"Call-out {code} (Fire) is closed." in (m.text or "")
                   for m in person.visible)
        assert all(not m.buttons for m in person.visible)
