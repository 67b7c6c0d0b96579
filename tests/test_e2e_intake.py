"""The alarm intake through the running bot: SOS Alarm and the rescue service call the HTTP API,
the duty leaders decide in chat on the fake Telegram, the requester follows over HTTP."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

from tests.intake_harness import BODY, call, running_intake

BRIEFING = BODY["briefing"]


async def leaders_and_crew(world, crew: int = 3):
    lena = await world.add(1, "Lena Ledare", role="leader", area=None, phone="+46705550001",
                           language="sv")
    olle = await world.add(2, "Olle Leader", role="leader", area=None, phone="+46705550002",
                           language="en")
    volunteers = [await world.add(100 + i, f"Stödperson{i} S", language="sv",
                                  phone=f"+4670100000{i}") for i in range(crew)]
    return lena, olle, volunteers


async def a_request(world, crew: int = 3):
    """Two leaders, a crew, a key, and a request the leaders have got."""
    lena, olle, volunteers = await leaders_and_crew(world, crew)
    key = await world.key()
    code, created = await call("POST", f"{world.url}/api/v1/requests", key, json=BODY)
    assert code == 201, created
    await lena.wait_for("Begäran om POSOM")
    return lena, olle, volunteers, key, created


async def status_of(world, key: str, request_id: str) -> dict:
    code, body = await call("GET", f"{world.url}/api/v1/requests/{request_id}", key)
    assert code == 200, body
    return body


async def until_state(world, key: str, request_id: str, state: str, limit: float = 10) -> dict:
    """Follows the request like a requester would, until it reaches `state`."""
    async with asyncio.timeout(limit):
        while True:
            body = await status_of(world, key, request_id)
            if body["state"] == state:
                return body
            await asyncio.sleep(0.05)


def rows(world, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(world.settings.storage.path) as connection:
        return connection.execute(sql, args).fetchall()


async def test_request_reaches_every_leader_first_choice_wins_and_requester_follows(
        fake, tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO)
    for ours in ("bot", "intake", "handlers", "storage", "transports", "uvicorn"):
        caplog.set_level(logging.DEBUG, logger=ours)
    async with running_intake(fake, tmp_path) as world:
        lena, olle, crew = await leaders_and_crew(world)
        key = await world.key("Räddningstjänsten Karlstadsregionen")
        code, created = await call("POST", f"{world.url}/api/v1/requests", key, json=BODY)
        assert code == 201 and created["state"] == "received"

        # Every leader at once, each in their language, with who asked and the summary only.
        for leader, words in ((lena, ("Begäran om POSOM från Anna Berg", "Aktivera")),
                              (olle, ("Request for POSOM from Anna Berg", "Activate"))):
            message = await leader.wait_for(words[0])
            assert BODY["summary"] in message.text and "+46 54 540 10 00" in message.text
            assert BRIEFING not in message.text and "Storgatan" not in message.text
            assert message.button_texts[0] == words[1] and len(message.button_texts) == 3

        # Both press at the same moment: one call-out, the other is told who took it.
        first, second = await asyncio.gather(lena.press("Aktivera"), olle.press("Activate"))
        answers = [await first.answer(), await second.answer()]
        assert sum("larm 2026" in a.lower() or "call-out 2026" in a.lower()
                   for a in answers) == 1, answers
        assert any(a.startswith(("Redan hanterad av", "Already handled by")) for a in answers)
        assert rows(world, "SELECT count(*) FROM activations") == [(1,)]
        winner = "Lena Ledare" if "larm" in answers[0].lower() else "Olle Leader"
        await world.settle()
        assert any(f"Activated by {winner}" in m.text for m in olle.messages) or \
            any(f"Aktiverat av {winner}" in m.text for m in lena.messages)
        for leader in (lena, olle):
            decided = [m for m in leader.messages if m.text.startswith("📥")]
            assert decided and not decided[0].buttons, "the choices are gone once decided"

        asking = await until_state(world, key, created["id"], "asking")
        assert asking["asked"] == 3 and asking["confirmed"] == 0
        assert asking["leader_name"] == winner and asking["code"].startswith("20")
        for person in crew[:2]:
            await person.wait_for("Kan du åka?")
            await person.press("Ja, jag kan")
        staffed = await until_state(world, key, created["id"], "staffed")
        assert (staffed["confirmed"], staffed["needed"]) == (2, 2)
        assert staffed["team"] is None, "no volunteer names unless the organisation shares them"
        briefed = await crew[0].wait_for("Du åker. Genomgång:")
        assert BRIEFING in briefed.text
        await crew[0].press("Framme")
        on_site = await until_state(world, key, created["id"], "on_site")
        assert on_site["arrived_at"]

        # The call-out knows who asked: /status CODE and the audit log.
        await lena.send(f"/status {asking['code']}")
        detail = await lena.wait_for("Begärt av Anna Berg, Räddningstjänsten Karlstadsregionen")
        assert BRIEFING not in detail.text
        await lena.send(f"/audit {asking['code']}")
        trail = await lena.wait_for("larmet begärt via larmintaget")
        assert "Räddningstjänsten Karlstadsregionen" in trail.text

        await crew[1].press("Avslutad")
        closed = await until_state(world, key, created["id"], "closed")
        assert closed["closed_at"]

        # The briefing is in no log line and in no status the requester saw.
        assert all(BRIEFING not in str(value) for value in closed.values())
        assert BRIEFING not in caplog.text and "Storgatan" not in caplog.text
        # ...and the request row keeps no copy of it once decided.
        assert rows(world, "SELECT briefing, location_address FROM intake_requests") == \
            [(None, None)]
        # Every call was audited under the caller's name.
        calls = rows(world, "SELECT actor, json_extract(detail, '$.caller') FROM audit_log"
                            " WHERE event = 'intake.call'")
        assert len(calls) >= 5 and set(calls) == {
            ("requester:1", "Räddningstjänsten Karlstadsregionen")}


async def test_declined_request_shows_the_leaders_phone_and_forgets_the_briefing(
        fake, tmp_path: Path) -> None:
    async with running_intake(fake, tmp_path) as world:
        lena, olle, _, key, created = await a_request(world)
        toast = await (await lena.press("Avböj")).answer()
        assert toast.startswith("Avböjt")
        declined = await until_state(world, key, created["id"], "declined")
        assert (declined["leader_name"], declined["leader_phone"]) == ("Lena Ledare",
                                                                        "+46705550001")
        await olle.wait_for("Declined by Lena Ledare")
        assert rows(world, "SELECT count(*) FROM activations") == [(0,)]
        assert rows(world, "SELECT briefing, location_lat FROM intake_requests") == [(None, None)]
        assert not olle.messages[0].buttons


async def test_change_opens_activate_prefilled_and_the_changed_call_out_goes(
        fake, tmp_path: Path) -> None:
    async with running_intake(fake, tmp_path) as world:
        lena, olle, _, key, created = await a_request(world, crew=4)
        await lena.press("Ändra")
        preview = await lena.wait_for("Kontrollera larmet")
        assert BRIEFING in preview.text and "Behövs: 2" in preview.text
        assert "Begärt av Anna Berg" in preview.text
        await olle.wait_for("Lena Ledare is changing it in /activate")
        taken = await until_state(world, key, created["id"], "taken")
        assert taken["leader_name"] == "Lena Ledare"

        await lena.press("✏️ Antal", message=preview)
        await lena.wait_for("Hur många stödpersoner behövs?", after=preview)
        await lena.press("3")
        again = await lena.wait_for("Behövs: 3", after=preview)
        await lena.press("Skicka larm", message=again)
        await lena.wait_for("skickat till 4 stödpersoner")
        asking = await until_state(world, key, created["id"], "asking")
        assert asking["needed"] == 3 and asking["asked"] == 4
        assert rows(world, "SELECT needed, requested_by FROM activations") == [
            (3, "Anna Berg, Räddningstjänsten Karlstadsregionen, +46 54 540 10 00")]


async def test_leader_who_gives_up_changing_hands_the_request_back(
        fake, tmp_path: Path) -> None:
    async with running_intake(fake, tmp_path) as world:
        lena, olle, _, key, created = await a_request(world)
        await lena.press("Ändra")
        preview = await lena.wait_for("Kontrollera larmet")
        await lena.press("Avbryt", message=preview)
        fresh = await olle.wait_for("Lena Ledare did not send it; it waits for a leader again")
        assert fresh.button_texts == ["Activate", "Change", "Decline"]
        back = await until_state(world, key, created["id"], "received")
        assert back["leader_name"] is None
        await olle.press("Activate", message=fresh)
        assert (await until_state(world, key, created["id"], "asking"))["leader_name"] == \
            "Olle Leader"


async def test_trusted_caller_activates_at_once_and_leaders_are_told(
        fake, tmp_path: Path) -> None:
    async with running_intake(fake, tmp_path, trusted=["SOS Alarm"]) as world:
        lena, _, crew = await leaders_and_crew(world)
        key = await world.key("SOS Alarm")
        code, created = await call("POST", f"{world.url}/api/v1/requests", key, json=BODY)
        assert code == 201 and created["state"] == "asking" and created["asked"] == 3
        told = await lena.wait_for("skickat av Anna Berg, Räddningstjänsten Karlstadsregionen")
        assert not told.buttons
        await crew[0].wait_for("Kan du åka?")
        assert rows(world, "SELECT actor FROM audit_log WHERE event = 'activation.issued'") == \
            [("requester:1",)]


async def test_nobody_answers_leaders_asked_again_then_alert_with_duty_phone_across_restart(
        fake, tmp_path: Path) -> None:
    async with running_intake(fake, tmp_path, ask_leaders_again_after="1s",
                              alert_after="3s") as world:
        lena, olle, _ = await leaders_and_crew(world)
        key = await world.key()
        _, created = await call("POST", f"{world.url}/api/v1/requests", key, json=BODY)
        first = await lena.wait_for("Begäran om POSOM")
        again = await lena.wait_for("Ingen ledare har svarat", after=first, timeout=10)
        assert again.button_texts == ["Aktivera", "Ändra", "Avböj"] and first.deleted
        # The bot goes down before the alert is due; its row brings it back after the start.
        await world.stop()
        await asyncio.sleep(2.5)
        await world.start()
        alert = await lena.wait_for("INGEN LEDARE HAR SVARAT", timeout=10)
        assert "Jourtelefon: +46 54 100 00" in alert.text
        await olle.wait_for("Duty phone: +46 54 100 00", timeout=10)
        followed = await status_of(world, key, created["id"])
        assert followed["escalated"] and followed["duty_phone"] == "+46 54 100 00"
        assert len([m for m in lena.visible if m.buttons]) == 1, "older requests were replaced"
        await lena.press("Aktivera", message=alert)
        await until_state(world, key, created["id"], "asking")
        events = [row[0] for row in rows(world, "SELECT event FROM audit_log"
                                                " WHERE event LIKE 'intake.%' ORDER BY id")]
        assert events.count("intake.asked_again") == 1 and events.count("intake.alerted") == 1


async def test_team_is_shared_only_when_the_organisation_allows(fake, tmp_path: Path) -> None:
    async with running_intake(fake, tmp_path, trusted=["SOS Alarm"], share_team=True) as world:
        _, _, crew = await leaders_and_crew(world)
        key = await world.key("SOS Alarm")
        _, created = await call("POST", f"{world.url}/api/v1/requests", key,
                                json={**BODY, "needed": 1})
        await crew[2].wait_for("Kan du åka?")
        await crew[2].press("Ja, jag kan")
        staffed = await until_state(world, key, created["id"], "staffed")
        assert staffed["team"] == [{"name": "Stödperson2 S", "phone": "+46701000002"}]
