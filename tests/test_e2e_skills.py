"""Skills through the real bot and the fake Telegram: set by leaders, shown in /me and /roster,
asked for in /activate, the skilled asked first, the last place held for them, /status showing
what is still open; in Swedish and in English."""

from __future__ import annotations

import pytest

from bot.callout.draft import Actor, DraftRefused
from bot.people.roster import RosterError, parse_roster
from storage.callouts import NewActivation
from storage.sql import fetch_all
from tests.e2e import FAST_LADDER, running_world
from tests.test_e2e_admin import next_reply
from tests.test_e2e_callout import BRIEFING, SUMMARY


async def answered(leader, button: str, *, after=None):
    """Waits for the newest question that offers `button` and presses it."""
    question = await leader.wait_for(lambda m: button in m.button_texts, after=after)
    await leader.press(button, message=question)
    return question


async def activate_with_skill(leader, skill: str, *, kind: str, needed: str, special: str,
                              done: str, no_place: str, send: str) -> None:
    """Walks /activate in the leader's language, asking for one skill, without a location."""
    await leader.send("/activate")
    await answered(leader, kind)
    await answered(leader, "Karlstad")
    first = await answered(leader, special)
    await answered(leader, skill, after=first)
    chosen = await answered(leader, done, after=first)
    again = await leader.wait_for(lambda m: needed in m.button_texts, after=chosen)
    assert skill in again.text  # the needed question now says what is asked for
    await leader.press(needed, message=again)
    await leader.wait_for(lambda m: not m.buttons or len(m.buttons) == 1, after=again)
    await leader.send(SUMMARY)
    summary_asked = leader.last
    await leader.wait_for(lambda m: m.message_id > summary_asked.message_id)
    await leader.send(BRIEFING)
    await answered(leader, no_place, after=again)
    preview = await leader.wait_for(lambda m: send in m.button_texts, after=again)
    assert skill in preview.text
    await leader.press(send, message=preview)


SV = {"kind": "Brand", "needed": "2 ✓", "special": "Särskild kompetens…", "done": "Klar",
      "no_place": "Ingen plats", "send": "Skicka larm"}
EN = {"kind": "Fire", "needed": "2 ✓", "special": "Particular skill…", "done": "Done",
      "no_place": "No location", "send": "Send call-out"}


async def test_a_call_out_in_swedish_holds_the_last_place_for_an_arabic_speaker(
        fake, tmp_path) -> None:
    async with running_world(fake, tmp_path,
                             callout={**FAST_LADDER, "skill_wait": "10m",
                                      "mixed_gender_wait": "10m"}) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None, language="sv")
        bo = await world.add(101, "Bo B", gender="male", language="sv")
        cia = await world.add(102, "Cia C", gender="female", language="sv")
        anna = await world.add(103, "Anna A", gender="female", language="sv")
        ids = {person.user_id: (await world.member(person.user_id)).id
               for person in (bo, cia, anna)}

        # Leaders set skills in /roster; the member sees them in /me.
        done = await next_reply(world, leader, f"/roster kompetens {ids[anna.user_id]} "
                                               "arabiska, första hjälpen")
        assert done.text == "Anna A:s kompetenser: Arabiska, Första hjälpen"
        refused = await next_reply(world, leader, f"/roster kompetens {ids[bo.user_id]} "
                                                  "klingonska")
        assert refused.text.startswith("Det finns ingen kompetens ”klingonska”.")
        listing = await next_reply(world, leader, "/roster")
        assert f"{ids[anna.user_id]}. Anna A – stödperson, Karlstad, aktiv – Arabiska, Första " \
               "hjälpen" in listing.text
        me = await next_reply(world, anna, "/me")
        assert "Kompetenser: Arabiska, Första hjälpen" in me.text
        bo_me = await next_reply(world, bo, "/me")
        assert "Kompetenser: –" in bo_me.text

        await activate_with_skill(leader, "Arabiska", **SV)
        sent = await leader.wait_for("skickat till 3 stödpersoner")
        code = sent.text.split()[1]
        for person in (anna, bo, cia):
            request = await person.wait_for("Kan du åka?")
            assert "Särskilt efterfrågas: Arabiska." in request.text
        # The Arabic speaker's request is first in the fan-out.
        rows = await fetch_all(world.services.database.connection,
                               "SELECT o.position, r.member_id FROM outbox AS o JOIN requests AS r"
                               " ON o.ref = 'request:' || r.id ORDER BY o.position")
        assert rows[0]["member_id"] == ids[anna.user_id]

        assert await (await bo.press("Ja, jag kan")).answer() == "Tack! Du är bekräftad."
        held = await (await cia.press("Ja, jag kan")).answer()
        assert held.startswith("Tack! Du håller sista platsen")
        await cia.wait_for("Vi söker någon med: Arabiska")
        notice = await leader.wait_for("Cia C håller sista platsen i högst 10 minuter medan "
                                       "vi söker någon med: Arabiska.")
        assert notice.button_texts == ["Bekräfta Cia C nu"]
        status = await next_reply(world, leader, f"/status {code}")
        assert "⏳ Arabiska: fortfarande öppen" in status.text
        assert "Cia C: håller sista platsen" in status.text

        assert await (await anna.press("Ja, jag kan")).answer() == "Tack! Du är bekräftad."
        briefing = await anna.wait_for("Du åker. Genomgång:")
        assert "Bo B" in briefing.text and "Cia C" not in briefing.text
        await bo.wait_for("Du åker. Genomgång:")
        await cia.wait_for("Du står som reserv")
        await leader.wait_for("bemannat: Bo B, Anna A")
        await world.settle()
        status = await next_reply(world, leader, f"/status {code}")
        assert "✅ Arabiska: Anna A" in status.text and "Läge: bemannat" in status.text


async def test_in_english_a_leader_releases_the_held_place(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path,
                             callout={**FAST_LADDER, "skill_wait": "10m"}) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None)
        bo = await world.add(101, "Bo B", gender="male")
        dan = await world.add(102, "Dan D", gender="female")
        await activate_with_skill(leader, "Priest or deacon", **EN)
        sent = await leader.wait_for("sent to 2 support persons")
        code = sent.text.split()[1]
        await bo.wait_for("Especially needed: Priest or deacon.")
        await dan.wait_for("Can you go?")
        await bo.press("Yes, I can")
        await dan.press("Yes, I can")
        await dan.wait_for("We are looking for someone with: Priest or deacon")
        await leader.wait_for("Dan D holds the last place")
        await world.settle()
        status = await next_reply(world, leader, f"/status {code}")
        assert "⏳ Priest or deacon: still open" in status.text
        # Nobody with the skill is coming: the leader lets the held volunteer go.
        press = await leader.press("Confirm Dan D now", message=status)
        assert await press.answer() == "Confirmed."
        briefing = await dan.wait_for("You are going. Briefing:")
        assert "Bo B" in briefing.text
        await world.settle()
        detail = await next_reply(world, leader, f"/status {code}")
        assert "State: staffed" in detail.text and "⏳ Priest or deacon: still open" in detail.text


async def test_the_skill_hold_ends_by_itself(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, callout={**FAST_LADDER, "skill_wait": "2s"}) as world:
        await world.add(1, "Lena Ledare", role="leader", area=None)
        bo = await world.add(101, "Bo B", gender="male")
        eva = await world.add(102, "Eva E", gender="female")
        issued = await world.services.callouts.issue(
            Actor.leader(await world.member(1)),
            NewActivation(kind="fire", area="karlstad", needed=2, summary=SUMMARY,
                          briefing=BRIEFING, skills=("finnish",)))
        await bo.wait_for("Especially needed: Finnish.")
        await bo.press("Yes, I can")
        await eva.wait_for("Can you go?")
        await eva.press("Yes, I can")
        await eva.wait_for("We are looking for someone with: Finnish")
        await eva.wait_for("You are going", timeout=6)  # after the 2 s wait
        activation = await world.services.callouts.reads.by_id(issued.activation.id)
        assert activation.state == "staffed" and activation.required_skills == ("finnish",)


async def test_skills_come_from_the_roster_csv_and_unknown_ones_are_refused(world) -> None:
    settings = world.settings
    rows = parse_roster("name;phone;skills\nAnna A;0701234567;Arabiska|finska\n"
                        "Bo B;0701234568;\n", settings)
    assert rows[0].member.skills == ("arabic", "finnish") and rows[1].member.skills == ()
    with pytest.raises(RosterError, match="line 2: unknown skill 'klingonska'"):
        parse_roster("name,phone,skills\nAnna A,0701234567,klingonska\n", settings)
    await world.services.members.import_roster([row.member for row in rows], actor="test",
                                               now=world.clock())
    anna = await world.services.members.by_phone("+46701234567")
    assert await world.services.skills.member(anna.id) == {"arabic", "finnish"}
    data = await world.services.privacy.my_data(anna)
    assert b'"skills": [\n    "arabic",' in data.content
    # A call-out may only ask for skills the config knows, and for a few.
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    with pytest.raises(DraftRefused, match="unknown skill 'welsh'"):
        await world.services.callouts.issue(Actor.leader(await world.member(leader.user_id)),
                                            NewActivation(kind="fire", area="karlstad",
                                                          needed=2, summary=SUMMARY,
                                                          briefing=None, skills=("welsh",)))
    # Erasure takes the skills with the name.
    assert (await world.services.privacy.erase(anna.id, actor="test")).done
    assert await world.services.skills.member(anna.id) == frozenset()
