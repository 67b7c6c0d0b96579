"""/intyg through the real bot and the fake Telegram: a volunteer's certificate of hours for an
employer, in Swedish and in English, with times only – no briefing, no place, nobody supported."""

from __future__ import annotations

from dataclasses import replace

from bot.callout.draft import Actor
from storage.callouts import NewActivation
from storage.sql import fetch_all
from tests.e2e import running_world
from tests.test_e2e_admin import next_reply
from tests.test_e2e_callout import BRIEFING, SUMMARY

DRAFT = NewActivation(kind="suicide", area="karlstad", needed=2, summary=SUMMARY,
                      briefing=BRIEFING, location_title="Storgatan 12 B",
                      location_address="Karlstad")


async def went(world, leader, people, *, exercise: bool = False, arrive=(), hours: float = 0):
    """A call-out the people confirm, some arrive at, and the leader closes `hours` later."""
    issued = await world.services.callouts.issue(
        Actor.leader(await world.member(leader.user_id)), replace(DRAFT, exercise=exercise))
    code = issued.activation.code
    for person in people:
        request = await person.wait_for(code)
        await person.press(request.button_texts[0], message=request)
    for person in people:
        briefing = await person.wait_for(lambda m, code=code: code in (m.text or "") and "📋" in
                                         (m.text or ""))
        if person in arrive:
            await person.press(briefing.button_texts[0], message=briefing)  # Framme / Arrived
    await world.settle()
    world.clock.advance(hours=hours)
    await world.services.callouts.close(await world.member(leader.user_id),
                                        issued.activation.id)
    await world.settle()
    return code


async def test_a_volunteer_gets_a_certificate_of_hours_in_swedish(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, organisation={
            "name": "POSOM Karlstad", "contact": "Samordnare Eva Berg, 054-540 00 00"}) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None, language="sv")
        anna = await world.add(100, "Anna Andersson", language="sv", phone="+46701000100")
        bo = await world.add(101, "Bo Berg", language="sv")
        real = await went(world, leader, (anna, bo), arrive=(anna,), hours=3)
        drill = await went(world, leader, (anna, bo), exercise=True, hours=1.5)
        cancelled = await world.services.callouts.issue(
            Actor.leader(await world.member(1)), DRAFT)
        await world.services.callouts.cancel(await world.member(1), cancelled.activation.id)
        await world.settle()

        reply = await next_reply(world, anna, "/intyg")
        year = world.clock().astimezone(world.settings.organisation.tz).year
        assert reply.text.startswith(f"Intyg för Anna Andersson, {year}: 1 insats och 1 övning, "
                                     "sammanlagt 4,5")
        document = await anna.wait_for(lambda m: m.document is not None, after=reply)
        assert document.document.filename == f"intyg-{year}.html"
        assert document.caption == f"Intyg {year} – Anna Andersson"
        page = document.document.data.decode()
        assert "Intyg om uppdrag som stödperson" in page
        assert f"Insats ({real})" in page and f"Övning ({drill})" in page
        assert cancelled.activation.code not in page
        assert "För POSOM Karlstad" in page and "Kontakt: Samordnare Eva Berg, 054-540 00 00" \
            in page
        assert "Tid på plats" in page and "Summa" in page
        # Times only: nothing of the briefing, the place, the kind of incident or the team.
        for secret in ("Storgatan", "070-555", "Villabrand", "Brand i villa", "Suicid",
                       "Bo Berg", "Karlstad</td>"):
            assert secret not in page, secret

        # A leader can make one for a member, which the audit log remembers.
        member = await world.member(bo.user_id)
        for_bo = await next_reply(world, leader, f"/intyg {member.id} {year}")
        assert for_bo.text.startswith(f"Intyg för Bo Berg, {year}: 1 insats och 1 övning")
        bo_file = await leader.wait_for(lambda m: m.document is not None, after=for_bo)
        assert bo_file.document.filename == f"intyg-{member.id}-{year}.html"
        assert "Tid på plats" in bo_file.document.data.decode()
        audit = await fetch_all(world.services.database.connection,
                                "SELECT actor, detail FROM audit_log WHERE event ="
                                " 'certificate.issued'")
        assert [row["actor"] for row in audit] == [f"member:{(await world.member(1)).id}"]

        # Bad input gets a clear answer and changes nothing.
        refused = await next_reply(world, anna, f"/intyg {member.id} {year}")
        assert refused.text.startswith("Bara ledare kan skriva ut ett intyg för någon annan.")
        usage = await next_reply(world, anna, "/intyg förra året")
        assert usage.text == "Så här: /intyg eller /intyg ÅR"
        empty = await next_reply(world, anna, "/intyg 2001")
        assert empty.text == "Anna Andersson har inga insatser eller övningar under 2001."
        nobody = await next_reply(world, leader, f"/intyg 99999 {year}")
        assert nobody.text == "Det finns ingen medlem 99999. /roster listar dem."


async def test_a_certificate_in_english(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    cia = await world.add(102, "Cia Carlsson")
    dan = await world.add(103, "Dan Dahl")
    code = await went(world, leader, (cia, dan), arrive=(cia, dan), hours=2)
    reply = await next_reply(world, cia, "/intyg")
    assert "1 intervention and 0 exercises, 2." in reply.text
    document = await cia.wait_for(lambda m: m.document is not None, after=reply)
    page = document.document.data.decode()
    assert "Certificate of assignments as a support person" in page
    assert f"Intervention ({code})" in page and "For POSOM Test" in page
    assert "Contact: +46 54 100 00" in page  # no contact set: the duty phone
    assert "Storgatan" not in page and "Dan Dahl" not in page
