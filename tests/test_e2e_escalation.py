"""Escalation, the mixed-pair hold, restarts and the watchdog, through the real bot."""

from __future__ import annotations

import asyncio

from bot.callout.draft import Actor
from storage.callouts import NewActivation
from tests.e2e import FAST_LADDER, running_world

SUMMARY = "Trafikolycka, vittnen behöver stöd"


async def issue(world, *, area: str = "karlstad", needed: int = 2):
    leader = await world.member(1)
    issued = await world.services.callouts.issue(Actor.leader(leader), NewActivation(
        kind="traffic", area=area, needed=needed, summary=SUMMARY, briefing="E18 avfart 12"))
    return issued.activation


def texts(person) -> list[str]:
    return [message.text or "" for message in person.messages]


def originals(person) -> list[str]:
    """Each message as it was first sent (before any edit)."""
    return [(message.edits[0] if message.edits else message.text) or ""
            for message in person.messages]


async def test_ladder_reminds_widens_and_alerts_then_stops(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, callout=FAST_LADDER) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None)
        anna = await world.add(100, "Anna A")
        kim = await world.add(200, "Kim Kil", area="kil")
        hugo = await world.add(300, "Hugo Hammarö", area="hammaro")
        activation = await issue(world)
        first = await anna.wait_for("Can you go?")
        # 1 s: the reminder replaces Anna's first message (the phone rings again).
        reminder = await anna.wait_for("Reminder – still not staffed.", timeout=5)
        assert reminder.button_texts == ["Yes, I can", "No"]
        assert first.deleted
        # 2 s: the neighbours (Kil) are asked; 3 s: everyone (Hammarö).
        await kim.wait_for(f"Call-out {activation.code}", timeout=5)
        # The notice names the areas newly asked, not the call-out's own (issue 13).
        await leader.wait_for("Now also asking Kil: 1 more.", timeout=5)
        await hugo.wait_for(f"Call-out {activation.code}", timeout=5)
        await leader.wait_for("Now also asking Hammarö: 1 more.", timeout=5)
        # 4 s: EJ BEMANNAT to the leaders, with what is missing and a way to widen.
        alert = await leader.wait_for("NOT STAFFED", timeout=6)
        assert "has 0/2" in alert.text and "Waiting for an answer: 3" in alert.text
        assert alert.button_texts == ["Ask everyone", "Status"]
        await anna.press("Yes, I can", message=reminder)
        await kim.press("Yes, I can")
        await anna.wait_for("You are going")
        await asyncio.sleep(1.5)
        await world.settle()
        # Exactly one of each step, and nothing more once staffed.
        assert sum("NOT STAFFED" in text for text in texts(leader)) == 1
        assert sum("Reminder" in text for text in originals(anna)) == 1
        assert sum(f"Call-out {activation.code}" in text for text in originals(hugo)) == 1
        assert "not needed now" in hugo.messages[0].text
        pending = await world.services.deadlines.store.pending()
        assert pending == []


async def test_staffed_in_time_means_no_escalation(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, callout=FAST_LADDER) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None)
        anna, bo = await world.add(100, "Anna A"), await world.add(101, "Bo B")
        kim = await world.add(200, "Kim Kil", area="kil")
        await issue(world)
        await anna.wait_for("Can you go?")
        await bo.wait_for("Can you go?")
        await anna.press("Yes, I can")
        await bo.press("Yes, I can")
        await anna.wait_for("You are going")
        await asyncio.sleep(4.5)
        await world.settle()
        assert kim.messages == []
        assert not any("NOT STAFFED" in t or "Now also asking" in t for t in texts(leader))
        assert not any("Reminder" in t for t in originals(anna))


async def test_mixed_pair_hold_is_taken_by_the_other_gender(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, callout={**FAST_LADDER,
                                                     "mixed_gender_wait": "30s"}) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None)
        anna = await world.add(100, "Anna A", gender="female")
        cia = await world.add(101, "Cia C", gender="female")
        bo = await world.add(102, "Bo B", gender="male")
        activation = await issue(world)
        for person in (anna, cia, bo):
            await person.wait_for("Can you go?")
        assert await (await anna.press("Yes, I can")).answer() == "Thank you! You are confirmed."
        held = await (await cia.press("Yes, I can")).answer()
        assert held == "Thank you! You hold the last place for a few minutes – see the message."
        await cia.wait_for("We try to send a woman and a man together")
        notice = await leader.wait_for("Cia C holds the last place for at most 30 seconds")
        assert notice.button_texts == ["Confirm Cia C now"]
        assert await (await bo.press("Yes, I can")).answer() == "Thank you! You are confirmed."
        briefing = await bo.wait_for("You are going")
        assert "Anna A" in briefing.text and "Bo B" in briefing.text
        assert "Cia C" not in briefing.text
        await cia.wait_for("You are a reserve")
        counts = await world.services.callouts.reads.state_counts(activation.id)
        assert counts == {"confirmed": 2, "reserve": 1}
        late = await leader.press("Confirm Cia C now", message=notice)
        assert await late.answer() == "Nobody is waiting for that place any more."


async def test_mixed_pair_hold_ends_with_the_held_confirmed(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, callout=FAST_LADDER) as world:
        await world.add(1, "Lena Ledare", role="leader", area=None)
        anna = await world.add(100, "Anna A", gender="female")
        cia = await world.add(101, "Cia C", gender="female")
        activation = await issue(world)
        await anna.wait_for("Can you go?")
        await cia.wait_for("Can you go?")
        await anna.press("Yes, I can")
        await cia.press("Yes, I can")
        await cia.wait_for("We try to send a woman and a man together")
        assert (await world.services.callouts.reads.by_id(activation.id)).state == "open"
        await cia.wait_for("You are going", timeout=5)  # after the 2 s wait
        assert (await world.services.callouts.reads.by_id(activation.id)).state == "staffed"


async def test_leader_confirms_a_held_volunteer_at_once(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, callout={**FAST_LADDER,
                                                     "mixed_gender_wait": "10m"}) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None)
        bo = await world.add(100, "Bo B", gender="male")
        dan = await world.add(101, "Dan D", gender="male")
        activation = await issue(world)
        await bo.wait_for("Can you go?")
        await dan.wait_for("Can you go?")
        assert await (await bo.press("Yes, I can")).answer() == "Thank you! You are confirmed."
        await (await dan.press("Yes, I can")).answer()
        await leader.send(f"/status {activation.code}")
        detail = await leader.wait_for("holds the last place (mixed pair)")
        press = await leader.press("Confirm Dan D now", message=detail)
        assert await press.answer() == "Confirmed."
        await dan.wait_for("You are going")
        volunteer_press = await world.fake.press_as(bo, detail, "Confirm Dan D now")
        assert await volunteer_press.answer() == "Only leaders can do that."


async def test_restart_mid_escalation_sends_the_next_wave_once(fake, tmp_path) -> None:
    ladder = {**FAST_LADDER, "reminder_after": "0s",
              "waves": [{"after": "3s", "scope": "neighbours"}], "unstaffed_alert_after": "1h"}
    async with running_world(fake, tmp_path, callout=ladder) as world:
        await world.add(1, "Lena Ledare", role="leader", area=None)
        anna = await world.add(100, "Anna A")
        bo = await world.add(101, "Bo B")
        kim = await world.add(200, "Kim Kil", area="kil")
        activation = await issue(world)
        request = await anna.wait_for("Can you go?")
        await bo.wait_for("Can you go?")
        await world.restart()  # the wave is due in ~3 s: it must survive the restart
        await kim.wait_for(f"Call-out {activation.code}", timeout=6)
        await world.restart()  # and not be sent again by the next start
        # A press on a message sent before both restarts still works.
        press = await anna.press("Yes, I can", message=request)
        assert await press.answer() == "Thank you! You are confirmed."
        await asyncio.sleep(1)
        await world.settle()
        assert sum(activation.code in text for text in originals(kim)) == 1
        waves = [d for d in await world.services.deadlines.store.pending() if d.kind == "wave"]
        assert waves == []


async def test_overdue_deadline_fires_once_after_downtime(fake, tmp_path) -> None:
    ladder = {**FAST_LADDER, "reminder_after": "0s",
              "waves": [{"after": "1s", "scope": "neighbours"}], "unstaffed_alert_after": "1h"}
    async with running_world(fake, tmp_path, callout=ladder) as world:
        await world.add(1, "Lena Ledare", role="leader", area=None)
        await world.add(100, "Anna A")
        kim = await world.add(200, "Kim Kil", area="kil")
        await world.stop()
        world.runtime = type(world.runtime)(world.settings, clock=world.clock)
        # Issue while "down": open the services only long enough to write the activation.
        await world.start()
        activation = await issue(world)
        await world.stop()
        await asyncio.sleep(1.5)  # the wave falls due while the bot is down
        world.runtime = type(world.runtime)(world.settings, clock=world.clock)
        await world.start()
        await kim.wait_for(f"Call-out {activation.code}", timeout=5)
        await asyncio.sleep(0.5)
        await world.settle()
        assert sum(activation.code in text for text in originals(kim)) == 1


async def test_watchdog_alerts_a_stalled_call_out_once(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, callout={"reminder_after": "0s", "waves": [],
                                                      "unstaffed_alert_after": "1h"}) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None)
        await world.add(100, "Anna A")
        activation = await issue(world)
        escalation = world.services.callouts.escalation
        assert await escalation.watchdog() == 0  # the alert deadline is still ahead
        # Simulate a lost deadline (e.g. a bug or a hand edit): nothing is ahead any more.
        async with world.services.database.transaction() as tx:
            await tx.execute("UPDATE deadlines SET state = 'cancelled' WHERE activation_id = ?",
                             (activation.id,))
        assert await escalation.watchdog() == 1
        assert await escalation.watchdog() == 0
        await leader.wait_for("NOT STAFFED")
        await world.settle()
        assert sum("NOT STAFFED" in t for t in texts(leader)) == 1


async def test_leader_widens_by_hand(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None)
        await world.add(100, "Anna A")
        hugo = await world.add(300, "Hugo Hammarö", area="hammaro")
        activation = await issue(world)
        await leader.send(f"/status {activation.code}")
        detail = await leader.wait_for("State: open")
        press = await leader.press("Ask everyone", message=detail)
        assert await press.answer() == "Asking every area: 1 more person."
        await hugo.wait_for(f"Call-out {activation.code}")


async def test_leader_goes_with_fewer_from_the_alert(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, callout={"reminder_after": "0s", "waves": [],
                                                      "unstaffed_alert_after": "1s"}) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None)
        anna, bo = await world.add(100, "Anna A"), await world.add(101, "Bo B")
        activation = await issue(world)
        await anna.wait_for("Can you go?")
        await bo.wait_for("Can you go?")
        await (await anna.press("Yes, I can")).answer()
        await (await bo.press("No")).answer()
        alert = await leader.wait_for("NOT STAFFED", timeout=5)
        assert alert.button_texts == ["Ask everyone", "Go with 1", "Status"]
        press = await leader.press("Go with 1", message=alert)
        assert await press.answer() == "Going with 1 support person."
        briefing = await anna.wait_for("You are going")
        assert "E18 avfart 12" in briefing.text
        refreshed = await world.services.callouts.reads.by_id(activation.id)
        assert (refreshed.state, refreshed.needed) == ("staffed", 1)
        again = await leader.press("Go with 1", message=alert)
        assert await again.answer() == ("Only an open call-out with someone confirmed can go "
                                        "with fewer.")
