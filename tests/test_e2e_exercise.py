"""Exercises (övning) through the real bot: every message about one says ÖVNING / EXERCISE first,
leaders get their own figures, and an exercise never counts as an intervention."""

from __future__ import annotations

from tests.e2e import FAST_LADDER, running_world

SHORT = [{"key": "hours", "type": "number", "sv": "Hur många timmar?", "en": "How many hours?"},
         {"key": "support_talk", "type": "yesno", "welfare": "yes",
          "sv": "Vill du ha ett stödsamtal?", "en": "Would you like a support talk?"}]


def versions(person, *, after: int = 0) -> list[tuple[str, str]]:
    """(what, text) for every version of every message in the chat after message `after`."""
    shown = []
    for message in person.messages:
        if message.message_id <= after:
            continue
        for text in (*message.edits, message.text):
            if text is not None:
                shown.append(("text", text))
        if message.venue is not None:
            shown.append(("venue", message.venue.title))
        elif message.location is not None:
            shown.append(("pin", ""))
    return shown


def assert_marked(person, *, after: int = 0) -> None:
    """Each version of each message starts with "🔶 ÖVNING" (or EXERCISE) on its own line."""
    mark = "🔶 ÖVNING" if person.language_code == "sv" else "🔶 EXERCISE"
    shown = versions(person, after=after)
    assert shown, f"{person.first_name} received nothing"
    for what, text in shown:
        assert what != "pin", f"{person.first_name} got a location pin with no mark"
        first_line = text.splitlines()[0]
        assert first_line == mark or (what == "venue" and first_line.startswith(mark)), \
            (person, text)


async def test_every_message_of_an_exercise_is_marked(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, callout={**FAST_LADDER, "unstaffed_alert_after": "1h",
                                                      "waves": []},
                             debrief={"delay": "1s", "exercises": True, "questions": SHORT,
                                      "followup_after": "0s"}) as world:
        lena = await world.add(1, "Lena Ledare", role="leader", area=None)
        olle = await world.add(2, "Olle Ledare", role="leader", area=None, language="sv")
        anna = await world.add(100, "Anna A", phone="+46701000001", gender="female")
        bo = await world.add(101, "Bo B", phone="+46701000002", language="sv", gender="male")
        cia = await world.add(102, "Cia C", gender="female")
        kim = await world.add(200, "Kim Kil", area="kil")

        await lena.send("/activate")
        first = await lena.wait_for("New call-out. What has happened?")
        assert "🔶 Exercise" in first.button_texts
        await lena.press("🔶 Exercise")
        kind = await lena.wait_for("New exercise. What is the scenario?")
        assert kind.button_texts[-2:] == ["Real call-out, not an exercise", "Cancel"]
        await lena.press("Fire", message=kind)
        await lena.press("Karlstad", message=await lena.wait_for("Where?"))
        await lena.press("2 ✓", message=await lena.wait_for("How many support persons"))
        await lena.wait_for("Write a short summary")
        await lena.send("Övningslarm: brand i villa")
        await lena.wait_for("Write the briefing")
        await lena.send("Övningsplats: räddningstjänstens gård")
        await lena.wait_for("Share the location")
        await lena.share_location(59.3793, 13.5036)
        preview = await lena.wait_for("Check the call-out before it is sent")
        await lena.press("Send exercise", message=preview)
        sent = await lena.wait_for("sent to 3 support persons")
        code = sent.text.splitlines()[1].split()[1]
        await olle.wait_for(f"Larm {code} (Brand, Karlstad) skickat av Lena Ledare")

        # Cia waits: she gets the reminder; Anna and Bo go.
        await cia.wait_for("Reminder – still not staffed.", timeout=5)
        await anna.press("Yes, I can")
        await bo.press("Ja, jag kan")
        briefing = await anna.wait_for("You are going")
        await lena.wait_for(f"Call-out {code} staffed")
        await anna.wait_for(lambda m: m.venue is not None)
        await anna.press("Arrived", message=briefing)
        await lena.wait_for(f"Call-out {code}: Anna A has arrived.")
        await lena.send(f"/status {code}")
        await lena.wait_for("State: staffed")
        await bo.press("Avslutad", message=await bo.wait_for("Du åker"))
        figures = await lena.wait_for("Exercise figures:")
        assert "Asked: 3. Answered: 2 (2 yes)." in figures.text
        assert "Median time to answer:" in figures.text and "Staffed after" in figures.text
        await olle.wait_for("Siffror för övningen:")

        # The exercise's debrief (on by config) is marked too, and so is a welfare alert.
        await anna.wait_for("question 1 of 2", timeout=5)
        await anna.send("2")
        await anna.press("Yes", message=await anna.wait_for("question 2 of 2"))
        await lena.wait_for("Please get in touch with Anna A")
        await anna.wait_for("Thank you! Your answers are saved.")
        await lena.send(f"/debrief {code}")
        summary = await lena.wait_for("📊")
        assert "Exercise figures:" in summary.text and "Time on site:" in summary.text
        await world.settle()

        for person in (anna, bo, cia, olle):
            assert_marked(person)
        assert_marked(lena, after=first.message_id)  # from the moment she chose the exercise
        assert kim.messages == []  # another area, no wave configured

        # Exercises never count as interventions.
        await lena.send("/debrief")
        year = await lena.wait_for("📊 Follow-up")
        assert "0 interventions closed." in year.text
        assert "1 exercise (not counted as an intervention):" in year.text
        assert code in year.text
        assert (await world.services.callouts.reads.by_code(code)).exercise
