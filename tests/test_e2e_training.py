"""Training days and meetings through the real bot and the fake Telegram: a leader announces to
an area, people answer Kommer / Kommer inte, the reminder comes before the day, the leader marks
attendance afterwards, members see their training status, and an organisation can ask only
trained members in real call-outs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.callout.draft import Actor
from storage.callouts import NewActivation
from tests.e2e import running_world
from tests.test_e2e_admin import next_reply
from tests.test_e2e_callout import BRIEFING, SUMMARY

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def two_days_ahead() -> datetime:
    """18:00 local time, two days from now."""
    local = datetime.now(UTC).astimezone(STOCKHOLM) + timedelta(days=2)
    return local.replace(hour=18, minute=0, second=0, microsecond=0)


async def pressed(person, button: str, *, after=None):
    """Waits for a message offering `button` and presses it; returns the message."""
    message = await person.wait_for(lambda m: button in m.button_texts, after=after)
    press = await person.press(button, message=message)
    await press.answer()
    return message


async def test_a_training_day_from_invitation_to_attendance_in_swedish(fake, tmp_path) -> None:
    starts = two_days_ahead()
    # The reminder "the day before" comes a few seconds after the invitation here.
    before = int((starts - datetime.now(UTC)).total_seconds()) - 8
    async with running_world(fake, tmp_path, training={"reminder_before": f"{before}s",
                                                       "mark_after": "0s"}) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None, language="sv")
        anna = await world.add(100, "Anna A", language="sv")
        bo = await world.add(101, "Bo B", language="sv")
        cia = await world.add(102, "Cia C", language="sv")
        eve = await world.add(103, "Eve E", language="en")
        kim = await world.add(200, "Kim Kil", area="kil", language="sv")

        overview = await next_reply(world, leader, "/training")
        assert overview.text.startswith("Utbildningar och träffar")
        await pressed(leader, "Ny utbildning eller träff")
        await pressed(leader, "Utbildningsdag")
        await leader.wait_for("När börjar den?")
        await leader.send("i övermorgon kanske")
        await leader.wait_for("Skriv ett datum och en tid framåt i tiden")
        await leader.send(starts.strftime("%Y-%m-%d %H:%M"))
        await leader.wait_for("Var?")
        await leader.send("Räddningsstationen, Karlstad")
        await leader.wait_for("Skriv vad det handlar om")
        await leader.send("Stödsamtal i praktiken. Ta med anteckningsblock.")
        areas = await pressed(leader, "Karlstad")
        await pressed(leader, "Klar", after=areas)
        preview = await leader.wait_for("Kontrollera inbjudan")
        assert "För: Karlstad" in preview.text and "Räddningsstationen" in preview.text
        await leader.press("Skicka inbjudan", message=preview)
        sent = await leader.wait_for("skickad till 4 medlemmar")
        assert sent.text.startswith("Inbjudan 1 skickad")

        # Invitations queue behind any call-out's requests in the broadcast lane.
        rows = await world.services.database.fetch_all(
            "SELECT lane, position FROM outbox WHERE ref LIKE 'training:%'")
        assert {row["lane"] for row in rows} == {1}
        assert min(row["position"] for row in rows) >= 1_000_000
        invitation = await anna.wait_for("Kommer du?")
        assert invitation.text.startswith("📚 Utbildningsdag:")
        assert "Plats: Räddningsstationen, Karlstad" in invitation.text
        assert invitation.button_texts == ["Kommer", "Kommer inte"]
        english = await eve.wait_for("Are you coming?")
        assert english.text.startswith("📚 Training day:") and english.button_texts == [
            "Coming", "Not coming"]
        await world.settle()
        assert kim.messages == []
        assert not any("Kommer du?" in (m.text or "") for m in leader.messages)

        assert await (await anna.press("Kommer")).answer() == "Tack – vi ses!"
        await anna.wait_for("Ditt svar: kommer. Välkommen!")
        assert await (await bo.press("Kommer inte")).answer() == "Tack för beskedet."
        again = await bo.press("Kommer inte", message=bo.messages[0])
        assert await again.answer() == "Du har redan svarat."
        assert await (await eve.press("Coming")).answer() == "Thank you – see you there!"
        # Someone else's invitation is refused.
        foreign = await world.fake.press_as(cia, invitation, "Kommer")
        assert await foreign.answer() == "Den här inbjudan skickades inte till dig."

        # The reminder: Anna (coming) and Cia (silent, with the choices), not Bo (not coming).
        reminder = await anna.wait_for("Påminnelse: Utbildningsdag", timeout=15)
        assert "Du har sagt att du kommer." in reminder.text and not reminder.buttons
        silent = await cia.wait_for("Påminnelse: Utbildningsdag", timeout=5)
        assert silent.button_texts == ["Kommer", "Kommer inte"]
        await world.settle()
        assert not any("Påminnelse" in (m.text or "") for m in bo.messages)

        early = await next_reply(world, leader, "/training 1")
        assert "Inbjudna: 4. Kommer: 2. Kommer inte: 1. Inget svar: 1. Närvarande: 0." \
            in early.text
        press = await leader.press("Anna A", message=early)
        assert await press.answer() == "Närvaro kan markeras när det har börjat."

        world.clock.advance(days=3)  # the day has come and gone
        late = await next_reply(world, cia, "/training")
        assert "Ingen utbildning eller träff på gång för dig." in late.text
        roll = await next_reply(world, leader, "/training 1")
        assert roll.button_texts[:2] == ["Anna A", "Eve E"]  # those coming first
        press = await leader.press("Anna A", message=roll)
        assert await press.answer() == "Markerad som närvarande."
        await world.settle()
        assert "✓ Anna A" in roll.button_texts and "Närvarande: 1." in roll.text

        me = await next_reply(world, anna, "/me")
        day = starts.date().isoformat()
        assert f"Senaste utbildning: {day}" in me.text
        assert "Introduktionsutbildning: inte ännu" in me.text and "Utbildad: nej" in me.text
        anna_id = (await world.member(anna.user_id)).id
        done = await next_reply(world, leader, f"/training intro {anna_id} 2025-03-01")
        assert done.text == "Anna A: introduktionsutbildning gjord 2025-03-01."
        mine = await next_reply(world, anna, "/training")
        assert "Utbildad: ja" in mine.text
        # The annual report counts the training, the attendance and the trained per
        # municipality (the year of the training day).
        year = starts.year
        report = await next_reply(world, leader, f"/report {year}")
        assert "• Utbildningar och träffar som hölls: 1" in report.text
        assert "• Närvaro på dem: 1" in report.text
        assert "• Utbildade stödpersoner: 1 av 5" in report.text
        document = await leader.wait_for(lambda m: m.document is not None, after=report,
                                         timeout=20)
        page = document.document.data.decode()
        assert "Utbildning och träffar" in page and "Utbildningsdag" in page
        # Karlstad: one training, one attendance, four support persons, one trained; Kil: the
        # training was not for Kil, one support person, none trained.
        assert '<td>Karlstad</td><td class="n">1</td><td class="n">1</td><td class="n">4</td>' \
               '<td class="n">1</td>' in page
        assert '<td>Kil</td><td class="n">0</td><td class="n">0</td><td class="n">1</td>' \
               '<td class="n">0</td>' in page
        bad = await next_reply(world, leader, f"/training intro {anna_id} igår")
        assert bad.text.startswith("Så här: /training intro")
        missing = await next_reply(world, leader, "/training 99")
        assert missing.text == "Det finns ingen utbildning eller träff 99."


async def test_only_trained_members_are_asked_in_real_call_outs(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, training={"only_trained": True}) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None)
        anna = await world.add(100, "Anna A")
        bo = await world.add(101, "Bo B")
        anna_id = (await world.member(anna.user_id)).id
        await next_reply(world, leader, f"/training intro {anna_id}")
        draft = NewActivation(kind="fire", area="karlstad", needed=1, summary=SUMMARY,
                              briefing=BRIEFING)
        issued = await world.services.callouts.issue(Actor.leader(await world.member(1)), draft)
        assert issued.asked == 1
        await anna.wait_for(issued.activation.code)
        drill = await world.services.callouts.issue(Actor.leader(await world.member(1)),
                                                    replace(draft, exercise=True))
        assert drill.asked == 2  # exercises ask everyone
        await bo.wait_for(drill.activation.code)
        await world.settle()
        assert not any(issued.activation.code in (m.text or "") for m in bo.messages)
