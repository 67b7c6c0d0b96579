"""A major incident staffed in shifts – a support centre – through the real bot and the fake
Telegram: the leader plans the shifts in /activate, volunteers choose shifts, each shift fills to
exactly its number, each team is briefed before its shift, reminded, stood down at its end and
asked for the debrief, leaders follow the shift board and add a shift, and the centre closes."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.callout.draft import Actor, DraftRefused
from storage.callouts import NewActivation
from storage.shifts import ShiftPlan
from storage.sql import fetch_all
from tests.e2e import running_world
from tests.test_e2e_admin import next_reply
from tests.test_e2e_callout import BRIEFING, SUMMARY, seen


def shift_button(message, number: int) -> str:
    """The label of the choice for shift `number` ("Pass 2 04:00–08:00")."""
    return next(text for text in message.button_texts
                if text.split()[1:2] == [str(number)] and text.split()[0] in ("Pass", "Shift"))


async def take(person, number: int, *, message=None):
    """Presses the choice of shift `number` on the person's newest centre request."""
    message = message or await person.wait_for(lambda m: any(
        text.startswith(("Pass ", "Shift ")) for text in m.button_texts))
    return await person.press(shift_button(message, number), message=message)


async def test_a_support_centre_in_shifts_in_swedish(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None, language="sv")
        names = ["Anna A", "Bo B", "Cia C", "Dan D", "Eva E", "Gus G"]
        anna, bo, cia, dan, eva, gus = [
            await world.add(100 + i, name, language="sv", phone=f"+4670200000{i}")
            for i, name in enumerate(names)]
        fred = await world.add(110, "Fred F", language="en")

        await leader.send("/activate")
        kind = await leader.wait_for("Nytt larm")
        await leader.press("Större olycka", message=kind)
        mode = await leader.wait_for("Bemanna som ett larm, eller i pass")
        assert mode.button_texts == ["Ett larm", "I pass", "Avbryt"]
        await leader.press("I pass", message=mode)
        await leader.press("Karlstad", message=await leader.wait_for("Var?"))
        needed = await leader.wait_for("Hur många stödpersoner per pass?")
        await leader.press("2 ✓", message=needed)
        await leader.wait_for("Skriv en kort sammanfattning")
        await leader.send("Bussolycka, stödcentrum öppnas i Karlstads kyrka")
        await leader.wait_for("Skriv genomgången")
        await leader.send(BRIEFING)
        await leader.press("Ingen plats", message=await leader.wait_for("Dela platsen"))
        first = await leader.wait_for("När börjar första passet?")
        await leader.send("i morgon bitti")
        await leader.wait_for("Skriv en tid, t.ex. 18:00")
        await leader.press("Nu", message=first)
        length = await leader.wait_for("Hur långt är varje pass?")
        await leader.send("10m")
        await leader.wait_for("Skriv en längd från 30 minuter till 24 timmar")
        await leader.press("4 timmar", message=length)
        await leader.press("3", message=await leader.wait_for("Hur många pass?"))
        preview = await leader.wait_for("Kontrollera larmet")
        assert "I pass: 3 pass om 4 timmar från" in preview.text
        assert "2 per pass" in preview.text
        await leader.press("Skicka larm", message=preview)
        sent = await leader.wait_for("skickat till 7 stödpersoner")
        code = sent.text.split()[1]
        # The first shift starts now, so its (still empty) team is briefed at once.
        await leader.wait_for(f"Larm {code}: pass 1 börjar")

        request = await anna.wait_for("välj de pass du kan ta")
        assert "Bemannas i pass om 2 stödpersoner" in request.text
        assert [text.split()[0] for text in request.button_texts] == ["Pass", "Pass", "Pass",
                                                                      "Inget"]
        assert "• Pass 1:" in request.text and "(0/2)" in request.text
        english = await fred.wait_for("choose the shifts you can take")
        assert english.button_texts[-1] == "No shift suits me"

        toast = await (await take(anna, 1, message=request)).answer()
        assert toast.startswith("Tack! Pass 1 är ditt")
        briefing = await anna.wait_for("Du har det här passet. Genomgång:")
        assert BRIEFING in briefing.text and "Anna A, +46702000000" in briefing.text
        assert briefing.button_texts == ["Framme", "Kan inte ändå"]
        mine = await anna.wait_for(lambda m: "– ditt" in (m.text or ""))
        assert len(mine.button_texts) == 2  # shifts 2 and 3; no "no shift" once she has one

        # Three press shift 1 at the same moment: exactly one gets the last place.
        requests = [await person.wait_for("välj de pass") for person in (bo, cia, dan)]
        presses = await asyncio.gather(*(take(person, 1, message=message) for person, message
                                         in zip((bo, cia, dan), requests, strict=True)))
        toasts = [await press.answer() for press in presses]
        assert sum(text.startswith("Tack! Pass 1 är ditt") for text in toasts) == 1
        assert toasts.count("Pass 1 är fullt – du står som reserv.") == 2
        winner = (bo, cia, dan)[next(i for i, text in enumerate(toasts)
                                     if text.startswith("Tack!"))]
        reserves = [person for person in (bo, cia, dan) if person is not winner]
        await winner.wait_for("Du har det här passet. Genomgång:")
        await anna.wait_for(f"{code}, pass 1: {winner.first_name} ")  # joins the team
        await leader.wait_for(f"Larm {code}: pass 1 (")
        assert (await (await take(eva, 2)).answer()).startswith("Tack! Pass 2 är ditt")
        assert (await (await take(fred, 2)).answer()).startswith("Thank you! Shift 2 is yours")
        no = await gus.press("Inget pass passar")
        assert await no.answer() == "Tack för ditt svar."
        refused = await reserves[0].press("Inget pass passar",
                                          message=reserves[0].messages[0]) \
            if "Inget pass passar" in reserves[0].messages[0].button_texts else None
        assert refused is None  # a reserve's request no longer offers "no shift"
        await world.settle()
        # Shift 2 is not briefed yet: it starts in four hours.
        assert "Du har det här passet" not in seen(eva)

        own = await next_reply(world, fred, "/status")
        assert "• Shift 2: " in own.text and own.text.rstrip().endswith("– yours")
        board = await next_reply(world, leader, f"/status {code}")
        lines = board.text.splitlines()
        assert "Stödcentrum i pass." in lines[1]
        shift_lines = [line for line in lines if "Pass " in line]
        assert shift_lines[0].startswith("✅ Pass 1:") and ": 2/2 – Anna A, " in shift_lines[0]
        assert "(reserver: " in shift_lines[0]
        assert shift_lines[1].startswith("✅ Pass 2:") and "Eva E, Fred F" in shift_lines[1]
        assert shift_lines[2].startswith("⏳ Pass 3:") and ": 0/2" in shift_lines[2]
        assert "Tillfrågade: 7. Har tagit pass: 6. Inget pass passar: 1. Inget svar ännu: 0." \
            in board.text
        assert board.button_texts == ["Lägg till pass", "Uppdatera", "Avsluta stödcentrum",
                                      "Avbryt larmet", "Fråga alla"]
        added = await leader.press("Lägg till pass", message=board)
        assert (await added.answer()).startswith("Tillagt: Pass 4:")
        await world.settle()
        refreshed = await leader.press("Uppdatera", message=board)
        await refreshed.answer()
        again = await leader.wait_for(lambda m: "⏳ Pass 4:" in (m.text or ""), after=board)
        assert "Pass 4" in again.text

        # Anna cannot come after all: the first reserve of shift 1 takes her place.
        await (await anna.press("Kan inte ändå", message=briefing)).answer()
        promoted = reserves[0]
        await promoted.wait_for(f"{code}: en plats i pass 1 blev ledig – den är din nu.")
        new_briefing = await promoted.wait_for("Du har det här passet. Genomgång:")
        assert "Anna A" not in new_briefing.text.split("Laget det här passet:")[1]
        await leader.wait_for(f"pass 1: Anna A kan inte komma; {promoted.first_name[:3]}")
        await anna.wait_for(f"{code}: du har lämnat pass 1.")

        # Four hours later (the bot restarted meanwhile): shift 1 is over, its team stood down
        # and asked for the debrief; shift 2's team briefed and reminded.
        world.clock.advance(hours=4, minutes=1)
        await world.restart()
        await winner.wait_for(f"{code}: pass 1 är slut. Tack för din insats!", timeout=10)
        await reserves[1].wait_for(f"{code}: pass 1 är slut – reserverna behövdes inte.")
        await eva.wait_for("Du har det här passet. Genomgång:", timeout=10)
        await eva.wait_for(f"{code}: ditt pass 2 börjar")
        await world.settle()
        debriefs = await fetch_all(world.services.database.connection,
                                   "SELECT member_id FROM debriefs WHERE kind = 'debrief'")
        assert {row["member_id"] for row in debriefs} == {
            (await world.member(person.user_id)).id for person in (winner, promoted)}

        closed = await next_reply(world, leader, f"/close {code}")
        assert closed.text == f"Larm {code} är avslutat."
        await eva.wait_for(f"{code}: pass 2 är slut. Tack för din insats!")
        await eva.wait_for("Stödcentret är avslutat. Tack för att du ställde upp!")
        await world.settle()
        assert "du behövs inte" not in eva.messages[0].text
        activation = await world.services.callouts.reads.by_code(code)
        assert activation.state == "closed"
        states = [shift.state for shift in await world.services.shifts.reads.shifts(
            activation.id)]
        assert states == ["ended", "ended", "cancelled", "cancelled"]
        # Sensitive details went only to the shift teams.
        for person in (gus, reserves[1]):
            assert "Storgatan" not in seen(person)

        # The certificate counts the shifts worked, the report their hours.
        certificate = await next_reply(world, winner, "/intyg")
        assert "1 insats och 0 övningar" in certificate.text
        page = await winner.wait_for(lambda m: m.document is not None, after=certificate)
        assert f"Insats – pass 1 ({code})" in page.document.data.decode()
        report = await world.services.reports.compute(activation.created_at.year)
        assert report.interventions.count == 1
        assert report.interventions.volunteer_missions == 4  # 2 on shift 1, 2 on shift 2

        # The retention purge empties the shift briefings too; /mydata lists the shifts.
        async with world.services.database.transaction() as tx:
            assert await world.services.privacy.purge(tx, activation.id, world.clock(),
                                                      actor="test")
        rows = await fetch_all(world.services.database.connection,
                               "SELECT payload FROM outbox WHERE ref LIKE 'shift-briefing:%'")
        assert rows and all(row["payload"] == "{}" for row in rows)
        data = await world.services.privacy.my_data(await world.member(winner.user_id))
        assert b'"shift": 1' in data.content and b"Storgatan" not in data.content


async def test_each_shift_fills_to_exactly_its_number(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path) as world:
        await world.add(1, "Lena Ledare", role="leader", area=None)
        people = [await world.add(100 + i, f"Volunteer{i} V") for i in range(12)]
        start = datetime.now(UTC) + timedelta(hours=5)
        draft = NewActivation(kind="major_incident", area="karlstad", needed=3,
                              summary=SUMMARY, briefing=BRIEFING,
                              shifts=ShiftPlan(first_start=start, length=timedelta(hours=3),
                                               count=2))
        issued = await world.services.callouts.issue(Actor.leader(await world.member(1)), draft)
        with pytest.raises(DraftRefused, match="not staffed in shifts"):
            await world.services.callouts.issue(Actor.leader(await world.member(1)), replace(
                draft, kind="fire"))
        with pytest.raises(DraftRefused, match="shift_length"):
            await world.services.callouts.issue(Actor.leader(await world.member(1)), replace(
                draft, shifts=replace(draft.shifts, length=timedelta(minutes=5))))
        requests = [await person.wait_for("choose the shifts") for person in people]
        presses = await asyncio.gather(*(take(person, 1, message=message) for person, message
                                         in zip(people, requests, strict=True)))
        toasts = [await press.answer() for press in presses]
        assert sum(text.startswith("Thank you! Shift 1 is yours") for text in toasts) == 3
        assert toasts.count("Shift 1 is full – you are a reserve for it.") == 9
        shifts = await world.services.shifts.reads.shifts(issued.activation.id)
        places = await world.services.shifts.reads.places(shifts[0].id)
        assert sum(place.state == "confirmed" for place, _ in places) == 3
        assert shifts[0].state == "staffed" and shifts[1].state == "open"
        assert (await world.services.callouts.reads.by_id(issued.activation.id)).state == "open"
        # The alert counts places on shifts, not the volunteers' answers.
        taken, needed = await world.services.shifts.reads.totals(issued.activation.id)
        assert (taken, needed) == (3, 6)
        lena = world.fake.people[1]
        await lena.wait_for("shift 1 (")
        await world.settle()
        board = await next_reply(world, lena, f"/status {issued.activation.code}")
        assert "Support centre in shifts. State: open." in board.text
        assert "✅ Shift 1: " in board.text and ": 3/3 – " in board.text
        assert "⏳ Shift 2: " in board.text and "Took a shift: 12." in board.text
        overview = await next_reply(world, lena, "/status")
        assert f"{issued.activation.code} Major incident, Karlstad: 3/6 confirmed" in overview.text
        leader = await world.member(1)
        result = await world.services.callouts.cancel(leader, issued.activation.id)
        assert result.changed
        await world.settle()
        confirmed = [person for person, text in zip(people, toasts, strict=True)
                     if text.startswith("Thank you!")]
        for person in confirmed:
            await person.wait_for("shift 1 is cancelled – you are not needed")
