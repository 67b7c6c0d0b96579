"""The whole call-out over Signal: the real bot, its Signal transport and the fake daemon."""

from __future__ import annotations

import asyncio
import logging

from bot.callout.draft import Actor
from sandbox.fake_signal import MAX_MESSAGE_SIZE_BYTES
from storage.callouts import NewActivation
from tests.e2e_signal import number, running_signal_world

BRIEFING = "Storgatan 12 B, ring Eva på 070-555 12 34. Villabrand, familj på fyra."
SUMMARY = "Brand i villa, familj behöver stöd"


async def test_a_whole_call_out_over_signal(fake, daemon, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with running_signal_world(fake, daemon, tmp_path) as world:
        leader = await world.add_signal(1, "Lena Ledare", role="leader", area=None,
                                        phone="+46705550000")
        anna, bo, cia, dan = [
            await world.add_signal(10 + i, name, gender=gender, phone=f"+4670100000{i}")
            for i, (name, gender) in enumerate([("Anna A", "female"), ("Bo B", "male"),
                                                ("Cia C", "female"), ("Dan D", "male")])]

        await leader.send("/activate")
        kinds = await leader.wait_for("Nytt larm. Vad har hänt?")
        assert "Svara med en siffra:" in kinds.text and "2 = Brand" in kinds.text
        await leader.send("2")
        where = await leader.wait_for("Var?")
        assert "1 = Karlstad" in where.text
        await leader.send("1")
        await leader.wait_for("Hur många stödpersoner behövs?")
        await leader.send("2")  # typed: the numbers are the answers here, not choice numbers
        await leader.wait_for("Skriv en kort sammanfattning")
        await leader.send(SUMMARY)
        await leader.wait_for("Skriv genomgången")
        await leader.send(BRIEFING)
        place = await leader.wait_for("Dela platsen")
        assert "1 = Ingen plats" in place.text
        await leader.send("Storgatan 12 B, Karlstad")
        preview = await leader.wait_for("Kontrollera larmet")
        assert "Behövs: 2" in preview.text and "1 = Skicka larm" in preview.text
        await leader.send("1")
        sent = await leader.wait_for("skickat till 4 stödpersoner")
        code = sent.text.split()[1]

        requests = [await person.wait_for("Kan du åka?") for person in (anna, bo, cia, dan)]
        for request in requests:
            assert "Svara 1 = Ja, jag kan · 2 = Nej" in request.text
            assert SUMMARY in request.text and "Storgatan" not in request.text
        await world.settle()

        # Three ways to answer: a number, a quote-reply, a reaction.
        await anna.send("1")
        await bo.reply(requests[1], "ja")
        await cia.react(requests[2], "👎")
        assert (await anna.wait_for("Tack! Du är bekräftad.")).text
        await bo.wait_for("Tack! Du är bekräftad.")
        await cia.wait_for("Tack för ditt svar.")
        briefing = await anna.wait_for("Du åker. Genomgång:")
        assert BRIEFING in briefing.text and "Bo B, +46701000001" in briefing.text
        assert "1 = Framme · 2 = Avslutad · 3 = Kan inte ändå" in briefing.text
        await world.settle()
        # Stood down by an edit of the request; the answered requests are edited too.
        dan_request = dan.by_timestamp(requests[3].timestamp)
        assert "Bemannat – tack, du behövs inte nu." in dan_request.text
        assert "Svara" not in dan_request.text
        assert "Du svarade nej" in cia.by_timestamp(requests[2].timestamp).text
        await leader.wait_for(f"Larm {code} bemannat: Anna A, Bo B")

        # Sensitive details only to the two who go.
        for person in (cia, dan, leader):
            assert "070-555" not in person.seen() or person is leader
        for person in (cia, dan):
            assert "Storgatan" not in person.seen()

        await leader.send(f"/status {code}")
        detail = await leader.wait_for("Läge: bemannat")
        assert "Anna A: bekräftad" in detail.text and "Dan D: avlarmad" in detail.text
        assert "Svara 1 = Avsluta · 2 = Avbryt larmet · 3 = Uppdatera" in detail.text

        await anna.reply(briefing, "1")  # Framme
        await leader.wait_for(f"Larm {code}: Anna A är framme.")
        await world.settle()
        edited = anna.by_timestamp(briefing.timestamp)
        assert "1 = Avslutad · 2 = Kan inte ändå" in edited.text
        await bo.send("2")  # Avslutad, the only open briefing in Bo's chat
        await leader.wait_for(f"Larm {code} avslutat av Bo B.")
        await world.settle()
        for person in (anna, bo):
            # The briefing is deleted for everyone and a short note says the call-out ended.
            assert BRIEFING not in person.seen() and "Storgatan" not in person.seen()
            assert person.find(f"Larm {code} (Brand) är avslutat")
        assert not any(m.long_text for p in daemon.people for m in p.messages)
        assert all(len(m.text.encode()) <= MAX_MESSAGE_SIZE_BYTES
                   for p in daemon.people for m in p.messages)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Storgatan" not in logged and "070-555" not in logged and "Villabrand" not in logged
    assert number(10) not in logged  # nor the volunteers' numbers


async def test_ten_simultaneous_yes_over_signal_confirm_exactly_needed(
        fake, daemon, tmp_path) -> None:
    async with running_signal_world(fake, daemon, tmp_path) as world:
        await world.add_signal(1, "Lena Ledare", role="leader", area=None)
        people = [await world.add_signal(100 + i, f"Person {i}") for i in range(10)]
        leader = await world.signal_member(1)
        issued = await world.services.callouts.issue(Actor.leader(leader), NewActivation(
            kind="fire", area="karlstad", needed=3, summary=SUMMARY, briefing=BRIEFING))
        await asyncio.gather(*(person.wait_for("Kan du åka?") for person in people))
        await asyncio.gather(*(person.send("1") for person in people))
        await world.settle()
        counts = await world.services.callouts.reads.state_counts(issued.activation.id)
        assert counts == {"confirmed": 3, "reserve": 7}
        briefed = [p for p in people if "Du åker. Genomgång:" in p.seen()]
        assert len(briefed) == 3


async def test_alerts_and_the_debrief_reach_signal_people(fake, daemon, tmp_path) -> None:
    questions = [
        {"key": "hours", "type": "number", "decimals": True, "max": 200,
         "sv": "Hur många timmar?", "en": "How many hours?"},
        {"key": "support", "type": "multi", "sv": "Vilket stöd gav du?", "en": "What support?",
         "options": [{"key": "practical", "sv": "Praktiskt stöd", "en": "Practical"},
                     {"key": "social", "sv": "Socialt stöd", "en": "Social"}]},
        {"key": "wellbeing", "type": "scale", "welfare": "low", "sv": "Hur mår du?",
         "en": "How are you?"},
        {"key": "support_talk", "type": "yesno", "welfare": "yes", "sv": "Vill du prata?",
         "en": "Talk?"}]
    async with running_signal_world(
            fake, daemon, tmp_path,
            callout={"reminder_after": "0s", "waves": [], "unstaffed_alert_after": "1s"},
            debrief={"delay": "1s", "questions": questions, "followup_after": "0s"}) as world:
        leader = await world.add_signal(1, "Lena Ledare", role="leader", area=None)
        anna = await world.add_signal(10, "Anna A", phone="+46701000000")
        issued = await world.services.callouts.issue(
            Actor.leader(await world.signal_member(1)), NewActivation(
                kind="fire", area="karlstad", needed=2, summary=SUMMARY, briefing=BRIEFING))
        code = issued.activation.code
        await anna.send("1")
        alert = await leader.wait_for(f"EJ BEMANNAT: larm {code}", timeout=15)
        assert "Svara 1 = Fråga alla · 2 = Kör med 1 · 3 = Status" in alert.text
        await leader.reply(alert, "2")  # go with the one confirmed
        await anna.wait_for("Du åker. Genomgång:")
        await leader.send(f"/close {code}")
        await leader.wait_for(f"Larm {code} är avslutat.")
        hours = await anna.wait_for("Hur många timmar?", timeout=15)
        assert "Svara med: Fortsätt senare" in hours.text  # typed numbers are the answer here
        await anna.send("2")  # two hours, not choice number 2
        support = await anna.wait_for("Vilket stöd gav du?")
        assert "1 = ☐ Praktiskt stöd" in support.text and "3 = ✓ Klar" in support.text
        await anna.send("1")
        await world.settle()
        assert "1 = ☑ Praktiskt stöd" in anna.by_timestamp(support.timestamp).text
        await anna.send("3")
        scale = await anna.wait_for("Hur mår du?")
        assert "Svara med: 1 · 2 · 3 · 4 · 5 · Fortsätt senare" in scale.text
        await anna.send("2")
        await leader.wait_for("Hör av er till Anna A (+46701000000) efter larm")
        talk = await anna.wait_for("Vill du prata?")
        assert "Svara 1 = Ja · 2 = Nej · 3 = Fortsätt senare" in talk.text
        await anna.send("nej")
        await world.settle()
        answers = await world.services.database.fetch_all(
            "SELECT question, value FROM debrief_answers ORDER BY answered_at")
        assert [(row["question"], row["value"]) for row in answers] == [
            ("hours", "2"), ("support", '["practical"]'), ("wellbeing", "2"),
            ("support_talk", "false")]
