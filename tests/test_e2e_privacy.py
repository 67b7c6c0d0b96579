"""Retention through the real bot and the fake Telegram: what a flood wait handed to the outbox
is not kept once delivered, and after the purge the database file holds none of the briefing."""

from __future__ import annotations

from pathlib import Path

from bot.people.privacy import PURGE
from tests.test_e2e_callout import BRIEFING, crew
from tests.test_e2e_hardening import walk
from tests.test_privacy import file_bytes, found


async def test_a_preview_deferred_by_a_flood_wait_keeps_no_briefing(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None, language="sv")
    anna, bo = await crew(world, 2, language="sv")
    await leader.send("/activate")
    await walk(leader, [("Nytt larm. Vad har hänt?", "Brand"), ("Var?", "Karlstad"),
                        ("Hur många stödpersoner behövs?", "2"),
                        ("Skriv en kort sammanfattning", "Villabrand i natt, familj i chock"),
                        ("Skriv genomgången", BRIEFING)])
    await leader.wait_for("Dela platsen")
    # Telegram answers the preview with a flood wait: the reply goes out through the outbox.
    world.fake.fail(1, "429", retry_after=1, method="sendMessage")
    await leader.share_location(59.3793, 13.5036)
    preview = await leader.wait_for("Kontrollera larmet")
    await world.settle()
    sends = [call for call in world.fake.calls_of("sendMessage") if call.chat_id == 1]
    assert [call.status for call in sends[-2:]] == [429, 200]
    # Delivered, its text is not kept: the bot keeps no text of its direct replies.
    database = world.services.database
    kept = await database.fetch_all("SELECT ref, state, payload FROM outbox WHERE ref = 'reply'")
    assert [tuple(row) for row in kept] == [("reply", "sent", "{}")]

    await leader.press("Skicka larm", message=preview)
    sent = await leader.wait_for("skickat till 2 stödpersoner")
    code = sent.text.split()[1]
    for person in (anna, bo):
        await person.press("Ja, jag kan", message=await person.wait_for("Kan du åka?"))
    await anna.wait_for("Du åker. Genomgång:")
    await leader.send(f"/close {code}")
    await leader.wait_for(f"Larm {code} är avslutat.")
    await world.settle()
    # The deferred preview was pressed, so the bot knows it and edits it down at the close.
    assert preview.text == f"Larm {code} (Brand) är avslutat. Tack för din insats!"

    purge = next(d for d in await world.services.deadlines.store.pending() if d.kind == PURGE)
    world.clock.advance(days=31)
    await world.services.deadlines.fire(purge.id)
    await database.checkpoint()
    secrets = ("Storgatan 12 B", "070-555 12 34", "familj på fyra")
    assert found(file_bytes(Path(database.path)), secrets) == []
