"""After the intervention, through the real bot and the fake Telegram: the questionnaire (every
question type, a wrong answer, pause and resume across a restart, the reminder), the welfare alert
and the check-in weeks later (in seconds here), and the leaders' /debrief."""

from __future__ import annotations

import asyncio
import logging

from bot.callout.draft import Actor
from bot.config import DEFAULT_QUESTIONS
from bot.debrief.service import DEBRIEF_KINDS
from sandbox.fake_telegram import ChatMessage
from storage.callouts import NewActivation
from tests.e2e import running_world

SUMMARY = "Trafikolycka, vittnen behöver stöd"
PLACE = {"key": "place", "type": "choice", "sv": "Var gav du stöd?",
         "en": "Where did you give support?",
         "options": [{"key": "scene", "sv": "På platsen", "en": "At the scene"},
                     {"key": "centre", "sv": "I ett stödcentrum", "en": "At a support centre"},
                     {"key": "by_phone", "sv": "Per telefon", "en": "By phone"}]}
# The shipped questions plus a single-choice one, so every type is asked.
EVERY_TYPE = [*(question.model_dump() for question in DEFAULT_QUESTIONS[:3]), PLACE,
              *(question.model_dump() for question in DEFAULT_QUESTIONS[3:])]
NO_LATER = {"delay": "1s", "reminder_after": "1h", "followup_after": "0s"}


async def closed_call_out(world, *, finisher_index: int = 0):
    """Lena issues a call-out, the first two volunteers go, one presses [Avslutad]."""
    leader = await world.member(1)
    issued = await world.services.callouts.issue(Actor.leader(leader), NewActivation(
        kind="traffic", area="karlstad", needed=2, summary=SUMMARY, briefing="E18 avfart 12"))
    people = [world.fake.people[user_id] for user_id in (100, 101)]
    for person in people:
        await person.wait_for("Can you go?" if person.language_code == "en" else "Kan du åka?")
    for person in people:
        await person.press("Yes, I can" if person.language_code == "en" else "Ja, jag kan")
    finisher = people[finisher_index]
    briefing = await finisher.wait_for("📋")
    await finisher.press("Finished" if finisher.language_code == "en" else "Avslutad",
                         message=briefing)
    await world.settle()
    return issued.activation


def texts(person) -> list[str]:
    return [message.text or "" for message in person.messages]


async def test_full_questionnaire_with_every_type_and_a_wrong_answer(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path,
                             debrief={**NO_LATER, "questions": EVERY_TYPE}) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None)
        anna = await world.add(100, "Anna A", phone="+46701000001")
        bo = await world.add(101, "Bo B", phone="+46701000002")
        activation = await closed_call_out(world)
        intro = await anna.wait_for("Thank you for your effort, Anna A!", timeout=5)
        assert "10 questions, one at a time" in intro.text
        await bo.wait_for("Thank you for your effort, Bo B!", timeout=5)

        first = await anna.wait_for("question 1 of 10")
        assert "How many hours did you spend" in first.text
        assert first.button_texts == ["Continue later"]
        await anna.send("abc")
        again = await anna.wait_for("question 1 of 10", after=first)
        assert again.text.startswith("✏️ Please answer with a number, e.g. 3 or 2.5.")
        assert "How many hours did you spend" in again.text
        assert again.button_texts == ["Continue later"]
        await anna.send("2,5")
        await anna.wait_for("question 2 of 10")
        assert again.text.endswith("✓ 2.5") and not again.buttons
        assert not first.buttons  # the first copy lost its buttons when it was asked again
        await anna.send("3")
        await anna.wait_for("question 3 of 10")
        await anna.send("1 vittne")
        choice = await anna.wait_for("question 4 of 10")
        assert choice.button_texts == ["At the scene", "At a support centre", "By phone",
                                       "Continue later"]
        await anna.press("At a support centre")
        multi = await anna.wait_for("question 5 of 10")
        assert multi.button_texts == ["☐ Practical support", "☐ Social support",
                                      "☐ Psychological support", "✓ Done", "Continue later"]
        # Done with nothing ticked: a required question says why and stays.
        empty = await anna.press("✓ Done")
        assert await empty.answer() == "✏️ Please tick at least one, then press Done."
        await anna.press("☐ Practical support")
        await anna.wait_for(lambda m: "☑ Practical support" in m.button_texts)
        await anna.press("☐ Psychological support")
        await anna.wait_for(lambda m: "☑ Psychological support" in m.button_texts)
        await anna.press("✓ Done")
        optional = await anna.wait_for("question 6 of 10")
        assert "(You may skip this one.)" in optional.text
        assert optional.button_texts[-2:] == ["Skip", "Continue later"]
        await anna.press("Skip")
        await anna.wait_for("question 7 of 10")
        await anna.send("Lugn familj, bra samarbete")
        await anna.wait_for("question 8 of 10")
        await anna.send("skip")
        scale = await anna.wait_for("question 9 of 10")
        assert scale.button_texts == ["1", "2", "3", "4", "5", "Continue later"]
        await anna.press("4")
        yesno = await anna.wait_for("question 10 of 10")
        assert yesno.button_texts == ["Yes", "No", "Continue later"]
        await anna.press("No")
        await anna.wait_for("Thank you! Your answers are saved.")
        await world.settle()
        assert multi.text.endswith("✓ Practical support, Psychological support")
        assert optional.text.endswith("– Skipped")
        assert scale.text.endswith("✓ 4") and yesno.text.endswith("✓ No")

        [(debrief, answers), _] = await world.services.debriefs.reads.of_activation(
            activation.id)
        assert debrief.state == "done"
        assert {key: (answer.value, answer.text, answer.skipped)
                for key, answer in answers.items()} == {
            "hours": (2.5, None, False), "affected": (3, None, False),
            "witnesses": (1, None, False), "place": ("centre", None, False),
            "support": (["practical", "psychological"], None, False),
            "referrals": (None, None, True),
            "went_well": (None, "Lugn familj, bra samarbete", False),
            "could_be_better": (None, None, True), "wellbeing": (4, None, False),
            "support_talk": (False, None, False)}
        # Nothing asked for care: no alert reached the leader.
        assert not any("get in touch" in text for text in texts(leader))

        await leader.send(f"/debrief {activation.code}")
        summary = await leader.wait_for("📊")
        assert "Answered: 1 of 2. In progress: 1. Not sent yet: 0." in summary.text
        assert "How many hours did you spend on the intervention, travel included? 2.5 " \
               "(total 2.5)" in summary.text
        assert "Where did you give support? At a support centre 1" in summary.text
        assert "Practical support 1, Psychological support 1" in summary.text
        assert "  – Lugn familj, bra samarbete" in summary.text
        assert "Time to staffed:" in summary.text and "Duration:" in summary.text
        # How someone feels is not in the summary.
        assert "How are you feeling" not in summary.text
        assert "support talk" not in summary.text


SHORT = [
    {"key": "hours", "type": "number", "decimals": True, "sv": "Hur många timmar?",
     "en": "How many hours?"},
    {"key": "went_well", "type": "text", "required": False, "sv": "Vad gick bra?",
     "en": "What went well?"},
    {"key": "wellbeing", "type": "scale", "welfare": "low", "sv": "Hur mår du?",
     "en": "How are you?"},
]


async def test_paused_questionnaire_survives_a_restart_and_is_reminded_once(fake,
                                                                            tmp_path) -> None:
    async with running_world(fake, tmp_path, debrief={
            "delay": "1s", "reminder_after": "3s", "followup_after": "0s",
            "questions": SHORT}) as world:
        await world.add(1, "Lena Ledare", role="leader", area=None)
        anna = await world.add(100, "Anna A")
        bo = await world.add(101, "Bo B")
        activation = await closed_call_out(world)
        await anna.wait_for("question 1 of 3", timeout=5)
        await anna.send("3")
        second = await anna.wait_for("question 2 of 3")
        press = await anna.press("Continue later", message=second)
        assert await press.answer() == "Paused – continue whenever you like."
        paused = await anna.wait_for("Paused. Continue whenever you like")
        assert paused.button_texts == ["Continue"]
        await world.settle()
        assert not second.buttons
        # While paused, typed text is not taken as an answer.
        await anna.send("Bra team")
        await anna.wait_for("I did not understand that.")

        await world.restart()
        reminder = await anna.wait_for("Reminder: the follow-up of call-out", timeout=6)
        assert reminder.button_texts == ["Continue"]
        assert activation.code in reminder.text
        await anna.press("Continue", message=reminder)
        again = await anna.wait_for("question 2 of 3", after=reminder)
        assert "What went well?" in again.text
        await anna.send("Bra team")
        await anna.wait_for("question 3 of 3")
        await anna.press("5")
        await anna.wait_for("Thank you! Your answers are saved.")

        # Bo left it untouched: reminded once too, and /debrief brings his question back.
        bo_reminder = await bo.wait_for("Reminder: the follow-up of call-out", timeout=6)
        await bo.send("/debrief")
        resumed = await bo.wait_for("question 1 of 3", after=bo_reminder)
        assert resumed.button_texts == ["Continue later"]

        await world.restart()  # the next start sends nothing again
        await asyncio.sleep(1)
        await world.settle()
        for person in (anna, bo):
            intro = f"Thank you for your effort, {person.full_name}!"
            assert sum(intro in text for text in texts(person)) == 1
            assert sum("Reminder: the follow-up" in text for text in texts(person)) == 1
        debriefs = {debrief.member_id: (debrief, answers) for debrief, answers
                    in await world.services.debriefs.reads.of_activation(activation.id)}
        done, answers = debriefs[(await world.member(100)).id]
        assert done.state == "done"
        assert {key: (answer.value, answer.text) for key, answer in answers.items()} == {
            "hours": (3, None), "went_well": (None, "Bra team"), "wellbeing": (5, None)}
        assert debriefs[(await world.member(101)).id][0].state == "open"
        # Nothing of the questionnaires is left to do (the retention purge is still ahead).
        assert [d for d in await world.services.deadlines.store.pending()
                if d.kind in DEBRIEF_KINDS] == []
        await anna.send("/debrief")
        await anna.wait_for("You have no questions to answer right now. Thank you!")


async def test_welfare_alert_carries_name_phone_and_code_only(fake, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with running_world(fake, tmp_path, debrief=NO_LATER) as world:
        lena = await world.add(1, "Lena Ledare", role="leader", area=None, language="sv")
        olle = await world.add(2, "Olle Ledare", role="leader", area=None, language="en")
        anna = await world.add(100, "Anna A", phone="+46701000001", language="sv")
        await world.add(101, "Bo B", language="sv")
        activation = await closed_call_out(world)
        await anna.wait_for("fråga 1 av 9", timeout=5)
        before = {leader.user_id: len(leader.messages) for leader in (lena, olle)}
        for answer in ("7,5 timmar", "4", "2"):
            asked = len(anna.messages)
            await anna.send(answer)
            await anna.wait_for(lambda m, n=asked: m.message_id > anna.messages[n - 1]
                                .message_id and "fråga" in (m.text or ""))
        await anna.press("☐ Psykologiskt stöd")
        await anna.wait_for(lambda m: "☑ Psykologiskt stöd" in m.button_texts)
        await anna.press("✓ Klar")
        await anna.wait_for("fråga 5 av 9")
        await anna.press("☐ Kyrkan")
        await anna.wait_for(lambda m: "☑ Kyrkan" in m.button_texts)
        await anna.press("✓ Klar")
        await anna.wait_for("fråga 6 av 9")
        await anna.send("HEMLIGT: pappan grät länge")
        await anna.wait_for("fråga 7 av 9")
        await anna.send("HEMLIGT: vi kom sent")
        await anna.wait_for("fråga 8 av 9")
        await anna.press("1")  # feeling bad: the leaders are asked at once
        alert_sv = await lena.wait_for("💛")
        assert alert_sv.text == f"💛 Hör av er till Anna A (+46701000001) efter larm " \
                                f"{activation.code}."
        alert_en = await olle.wait_for("💛")
        assert alert_en.text == f"💛 Please get in touch with Anna A (+46701000001) after " \
                                f"call-out {activation.code}."
        await anna.wait_for("Tack för att du berättar. Någon i ledningsgruppen hör av sig")
        await anna.wait_for("fråga 9 av 9")
        await anna.press("Ja")  # a support talk too: the same questionnaire alerts once
        await anna.wait_for("Tack! Dina svar är sparade.")
        await world.settle()

        for leader in (lena, olle):
            after = leader.messages[before[leader.user_id]:]
            assert [message.text for message in after] == [
                alert_sv.text if leader is lena else alert_en.text]
            everything = "\n".join(text for message in leader.messages
                                   for text in (*message.edits, message.text) if text)
            for private in ("HEMLIGT", "7,5", "7.5", "Psykolog", "sychological", "Kyrkan",
                            "hurch", "Ja", "mår"):
                assert private not in everything
        # Free text is never logged, nor written to the audit log.
        assert "HEMLIGT" not in caplog.text
        rows = await world.services.database.fetch_all("SELECT detail FROM audit_log")
        assert rows and not any("HEMLIGT" in row["detail"] for row in rows)
        assert any("debrief.welfare_alert" in row["event"] for row in
                   await world.services.database.fetch_all("SELECT event FROM audit_log"))


async def test_check_in_weeks_later_reaches_everyone_who_went(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, debrief={"delay": "1h",
                                                      "followup_after": "2s"}) as world:
        lena = await world.add(1, "Lena Ledare", role="leader", area=None, language="sv")
        anna = await world.add(100, "Anna A", phone="+46701000001", language="sv")
        bo = await world.add(101, "Bo B", phone="+46701000002", language="sv")
        cia = await world.add(102, "Cia C", language="sv")
        activation = await closed_call_out(world)
        for person in (anna, bo):
            intro = await person.wait_for("Det har gått några veckor sedan larm", timeout=6)
            assert f"Hej {person.full_name}!" in intro.text
            question = await person.wait_for("Hur mår du nu?")
            assert question.text.startswith(f"📝 Omtanke efter larm {activation.code} – fråga 1 "
                                            "av 2")
            assert question.button_texts == ["1", "2", "3", "4", "5", "Fortsätt senare"]
        await anna.press("4")
        await anna.wait_for("Vill du prata med någon om insatsen?")
        await anna.press("Ja")
        await lena.wait_for(f"💛 Hör av er till Anna A (+46701000001) efter larm "
                            f"{activation.code}.")
        await anna.wait_for("Tack för att du svarade. Ta hand om dig!")
        await bo.press("2")  # at the threshold: the leaders are asked at once
        await lena.wait_for(f"💛 Hör av er till Bo B (+46701000002) efter larm "
                            f"{activation.code}.")
        await bo.wait_for("Vill du prata med någon om insatsen?")
        await bo.press("Nej")
        await bo.wait_for("Tack för att du svarade.")
        await world.settle()
        assert not any("Omtanke" in text or "veckor" in text for text in texts(cia))
        await lena.send(f"/debrief {activation.code}")
        summary = await lena.wait_for("📊")
        assert "Uppföljningsfrågor:\nBesvarade: 0 av 2. Påbörjade: 0. Inte skickade än: 2." \
            in summary.text
        assert "Omtanke några veckor senare:\nBesvarade: 2 av 2." in summary.text
        assert "Ledningen ombads 2 gånger att höra av sig till en stödperson." in summary.text
        assert "Hur mår du nu?" not in summary.text


async def test_answers_delivered_twice_are_taken_once(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, debrief={**NO_LATER, "questions": SHORT}) as world:
        await world.add(1, "Lena Ledare", role="leader", area=None)
        anna = await world.add(100, "Anna A")
        await world.add(101, "Bo B")
        activation = await closed_call_out(world)
        first = await anna.wait_for("question 1 of 3", timeout=5)
        old_data = first.find_button("Continue later").callback_data
        await anna.send("3")
        second = await anna.wait_for("question 2 of 3")
        # Telegram hands the bot the typed "3" again (fetched, not confirmed before a crash).
        typed = next(update for update in reversed(fake.produced)
                     if update.get("message", {}).get("text") == "3")
        fake.redeliver(typed["update_id"])
        await asyncio.sleep(0.5)
        await world.settle()
        assert anna.last is second and second.buttons  # question 2 is still waiting
        # A press on the first question's old buttons (a copy kept before the edit) neither.
        copy = ChatMessage(message_id=first.message_id, chat_id=anna.user_id, date=0,
                           kind="text", text="old", inline_markup={"inline_keyboard": [[
                               {"text": "Continue later", "callback_data": old_data}]]})
        stale = await world.fake.press_as(anna, copy, "Continue later")
        assert await stale.answer() == ("That button belongs to an earlier step. Please answer "
                                        "the latest question.")
        [(debrief, answers), _] = await world.services.debriefs.reads.of_activation(
            activation.id)
        assert debrief.position == 1 and list(answers) == ["hours"]
        assert first.text.endswith("✓ 3")
