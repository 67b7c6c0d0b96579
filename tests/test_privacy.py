"""Retention and erasure on real SQLite files: after a purge or an erasure the database file and
its -wal file are read as bytes and the text is gone, while the statistics still count."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.callout.draft import Actor
from bot.i18n import translator
from bot.intake.service import IntakeDraft
from bot.people.privacy import PURGE, PrivacyService
from storage.callouts import NewActivation
from tests.core_harness import add_member, member_at, open_core
from tests.debrief_harness import SKIP, answer, send_questionnaire

BRIEFING = "Storgatan 77 B, portkod 4417, fråga efter Eva Svensson 070-555 77 66"
TITLE = "Villa Solbacken"
ADDRESS = "Solbackevägen 9, Kil"
FREE_TEXT = "Barnen var ensamma hemma, pappan omkom i olyckan"
MORE_TEXT = "Grannen Kerstin tog hand om hunden"
PURGED = ("Storgatan 77 B", "portkod 4417", "070-555 77 66", TITLE, ADDRESS, "Solbackev",
          "pappan omkom", "Grannen Kerstin")


def debrief_answers(went_well=SKIP, could_be_better=SKIP, **changes) -> dict:
    """A whole debrief questionnaire's answers: 2.5 hours, 3 affected, no support talk."""
    return {"hours": 2.5, "affected": 3, "witnesses": 1, "support": ["practical"],
            "referrals": SKIP, "went_well": went_well, "could_be_better": could_be_better,
            "wellbeing": 4, "support_talk": False, **changes}


async def text_answers(database) -> dict[tuple[int, str], str | None]:
    """(member id, question) -> the stored free text, for every text question answered."""
    rows = await database.fetch_all(
        "SELECT d.member_id, x.question, x.text_value FROM debrief_answers AS x"
        " JOIN debriefs AS d ON d.id = x.debrief_id"
        " WHERE x.question IN ('went_well', 'could_be_better') AND x.skipped = 0")
    return {(row[0], row[1]): row[2] for row in rows}


def file_bytes(path: Path) -> bytes:
    """The database file and its -wal file, as the disk holds them."""
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def found(data: bytes, texts: tuple[str, ...]) -> list[str]:
    """The texts present in the bytes, as UTF-8 or as JSON escapes (how the outbox stores it)."""
    hits = []
    for text in texts:
        forms = {text.encode(), json.dumps(text)[1:-1].encode()}
        if any(form in data for form in forms):
            hits.append(text)
    return hits


async def staffed_call_out(services, clock, *, area: str = "karlstad", first: int = 100):
    leader = await member_at(services, 1) or await add_member(
        services, 1, "Lena Ledare", role="leader")
    anna = await add_member(services, first, "Anna Andersson", area=area,
                            phone=f"+4670111{first:04d}")
    bo = await add_member(services, first + 1, "Bo Berg", area=area, phone=f"+4670222{first:04d}")
    issued = await services.callouts.issue(Actor.leader(leader), NewActivation(
        kind="fire", area=area, needed=2, summary="Brand i villa", briefing=BRIEFING,
        location_lat=59.51, location_lon=13.31, location_title=TITLE, location_address=ADDRESS))
    t = translator("en")
    requests = {member.id: request.id for request, member in
                await services.callouts.reads.requests_with_members(issued.activation.id)}
    for member in (anna, bo):
        clock.advance(minutes=2)
        await services.callouts.answer(member, requests[member.id], True, t)
    return leader, anna, bo, issued.activation


@contextlib.asynccontextmanager
async def started_core(tmp_path, **overrides):
    """The core on a file, started, with 30 days' retention (Kil: 90)."""
    services, messenger, clock = await open_core(
        tmp_path, retention={"sensitive_after": "30d", "per_area": {"kil": "90d"}}, **overrides)
    await services.start()
    try:
        yield services, messenger, clock
    finally:
        await services.stop()
        await services.database.close()


@pytest.fixture
async def core_on_file(tmp_path):
    async with started_core(tmp_path) as core:
        yield core


async def test_purge_removes_the_text_from_the_file_and_keeps_the_statistics(
        core_on_file, tmp_path) -> None:
    services, messenger, clock = core_on_file
    database = services.database
    leader, anna, bo, activation = await staffed_call_out(services, clock)
    await services.sender.drain()
    assert BRIEFING in messenger.everything_seen_by(int(anna.address.id))
    clock.advance(hours=2)
    await services.callouts.close(leader, activation.id)
    await services.sender.drain()
    # Two hours later Anna gets the debrief and writes what she saw in its free-text answers.
    clock.advance(hours=2)
    requests = {member.id: request.id for request, member in
                await services.callouts.reads.requests_with_members(activation.id)}
    debrief = await send_questionnaire(services, requests[anna.id])
    await answer(services, debrief.id, debrief_answers(FREE_TEXT, MORE_TEXT))
    await services.sender.drain()
    assert await text_answers(database) == {(anna.id, "went_well"): FREE_TEXT,
                                            (anna.id, "could_be_better"): MORE_TEXT}

    deadline = next(d for d in await services.deadlines.store.pending() if d.kind == PURGE)
    closed = (await services.callouts.reads.by_id(activation.id)).closed_at
    assert deadline.activation_id == activation.id
    assert deadline.due_at == closed + timedelta(days=30)

    path = Path(database.path)
    await database.checkpoint()
    assert found(file_bytes(path), PURGED) == list(PURGED)  # it was all there before

    clock.advance(days=30)
    await services.deadlines.fire(deadline.id)
    # The runner's after-fire hook checkpoints the WAL by itself once a purge committed.
    assert services.privacy._checkpoint_task is not None
    assert await services.privacy._checkpoint_task is True

    assert found(file_bytes(path), PURGED) == []
    purged = await services.callouts.reads.by_id(activation.id)
    assert purged.briefing is None and purged.location_lat is None
    assert purged.location_address is None and purged.location_title is None
    assert purged.summary == "Brand i villa" and purged.state == "closed"
    assert purged.staffed_at is not None and purged.closed_at == closed
    assert await text_answers(database) == {(anna.id, "went_well"): None,
                                            (anna.id, "could_be_better"): None}
    report = await services.reports.compute(purged.created_at.year)
    assert report.interventions.count == 1 and report.interventions.answers.yes == 2
    # The answer's figures stay.
    assert report.debriefs.answers == 1 and report.debriefs.affected == 3
    assert report.debriefs.reported_hours == 2.5
    events = [e.event for e in await services.audit.for_activation(activation.id)]
    assert events[-1] == "activation.purged"
    # Firing again (a restart re-arming the row) does nothing.
    await services.deadlines.fire(deadline.id)
    assert [e.event for e in await services.audit.for_activation(activation.id)] == events
    # Bo answers his questionnaire only after the purge: his free text is not kept at all.
    late = await send_questionnaire(services, requests[bo.id])
    await answer(services, late.id, debrief_answers("Sent svar efter gallringen"))
    assert (await text_answers(database))[(bo.id, "went_well")] is None
    await database.checkpoint()
    assert found(file_bytes(path), ("Sent svar efter gallringen",)) == []
    assert (await services.reports.compute(purged.created_at.year)).debriefs.answers == 2


async def test_purge_periods_follow_each_municipalitys_decision(core_on_file) -> None:
    services, _, clock = core_on_file
    leader, _, _, karlstad = await staffed_call_out(services, clock, area="karlstad")
    _, _, _, kil = await staffed_call_out(services, clock, area="kil", first=200)
    _, _, _, cancelled = await staffed_call_out(services, clock, area="karlstad", first=300)
    clock.advance(hours=1)
    await services.callouts.close(leader, karlstad.id)
    await services.callouts.close(leader, kil.id)
    await services.callouts.cancel(leader, cancelled.id)

    async def dues(privacy_service=None) -> dict[int, timedelta]:
        reads = services.callouts.reads
        result = {}
        for deadline in await services.deadlines.store.pending():
            if deadline.kind == PURGE:
                activation = await reads.by_id(deadline.activation_id)
                ended = activation.closed_at or activation.cancelled_at
                result[activation.id] = deadline.due_at - ended
        return result

    assert await dues() == {karlstad.id: timedelta(days=30), kil.id: timedelta(days=90),
                            cancelled.id: timedelta(days=30)}
    # Kil decides on 10 days instead; a restart moves the deadline, the others stay as they are.
    from tests.core_harness import test_settings

    changed = test_settings(Path(services.settings.storage.path).parent,
                            retention={"sensitive_after": "30d", "per_area": {"kil": "10d"}})
    moved = await PrivacyService(changed, services.database, clock,
                                 services.deadlines).sync_purges()
    assert [deadline.activation_id for deadline in moved] == [kil.id]
    assert await dues() == {karlstad.id: timedelta(days=30), kil.id: timedelta(days=10),
                            cancelled.id: timedelta(days=30)}
    # A call-out that ended before purges existed (no deadline) is caught up at start-up.
    async with services.database.transaction() as tx:
        await tx.execute("UPDATE deadlines SET state = 'cancelled' WHERE activation_id = ?",
                         (karlstad.id,))
    assert karlstad.id not in await dues()
    await services.privacy.sync_purges()
    assert (await dues())[karlstad.id] == timedelta(days=30)


async def test_erasure_keeps_the_statistics_and_leaves_no_name_in_the_file(core_on_file) -> None:
    services, _, clock = core_on_file
    database = services.database
    leader, anna, bo, activation = await staffed_call_out(services, clock)
    await services.sender.drain()
    # While Anna is on a running call-out she cannot be erased.
    refused = await services.privacy.erase(anna.id, actor="cli")
    assert (refused.refusal, refused.busy_on) == ("busy", activation.code)
    clock.advance(hours=1)
    await services.callouts.close(leader, activation.id)
    await services.sender.drain()
    # Both answer the debrief with free text; Anna's answers ask for a support talk.
    requests = {member.id: request.id for request, member in
                await services.callouts.reads.requests_with_members(activation.id)}
    for member, words in ((anna, FREE_TEXT), (bo, MORE_TEXT)):
        debrief = await send_questionnaire(services, requests[member.id])
        await answer(services, debrief.id,
                     debrief_answers(words, support_talk=member is anna))
    await services.sender.drain()
    before = await services.reports.compute(activation.created_at.year)
    assert before.debriefs.answers == 2 and before.debriefs.welfare_followups == 1
    audit_before = await database.fetch_one("SELECT count(*) FROM audit_log")
    path = Path(database.path)
    await database.checkpoint()
    secrets = ("Anna Andersson", anna.phone, "pappan omkom")
    assert found(file_bytes(path), secrets) == list(secrets)

    erased = await services.privacy.erase(anna.id, actor=f"member:{leader.id}")
    assert erased.done
    row = await database.fetch_one("SELECT * FROM members WHERE id = ?", (anna.id,))
    assert row["name"] == f"Raderad {anna.id}"  # the organisation's language: Swedish
    assert row["phone"] is None and row["status"] == "removed"
    assert await services.members.addresses(anna.id) == []
    assert await services.members.by_address(anna.address) is None
    assert found(file_bytes(path), secrets) == []
    # Her free text is emptied, Bo's stays; her answers' figures still count, anonymously.
    assert await text_answers(database) == {(anna.id, "went_well"): None,
                                            (bo.id, "went_well"): MORE_TEXT}
    after = await services.reports.compute(activation.created_at.year)
    assert after.interventions == before.interventions  # the statistics still count her
    assert after.debriefs == before.debriefs
    audit_after = await database.fetch_one("SELECT count(*) FROM audit_log")
    assert audit_after[0] == audit_before[0] + 1
    last = await database.fetch_one("SELECT event, detail FROM audit_log ORDER BY id DESC")
    assert last["event"] == "member.removed"
    assert json.loads(last["detail"]) == {"member_id": anna.id}
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with database.transaction() as tx:
            await tx.execute("DELETE FROM audit_log")
    assert (await services.privacy.erase(anna.id, actor="cli")).refusal == "unknown"
    # Bo's own data is untouched by her erasure.
    assert "Bo Berg" in (await services.privacy.my_data(bo)).content.decode()


async def test_the_last_leader_cannot_be_erased(core_on_file) -> None:
    services, _, _ = core_on_file
    leader = await add_member(services, 1, "Lena Ledare", role="leader")
    assert (await services.privacy.erase(leader.id, actor="cli")).refusal == "last_leader"
    other = await add_member(services, 2, "Olle Ledare", role="leader")
    assert (await services.privacy.erase(leader.id, actor=f"member:{other.id}")).done


def test_retention_periods_are_checked_against_the_areas(tmp_path) -> None:
    from bot.config import ConfigError, load_settings

    config = tmp_path / "config.toml"
    config.write_text('[[areas]]\nkey = "kil"\nname = "Kil"\n[retention]\nsensitive_after = "60d"'
                      '\n[retention.per_area]\nkarlstad = "90d"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"retention\.per_area: unknown area 'karlstad'"):
        load_settings(config)
    config.write_text('[[areas]]\nkey = "kil"\nname = "Kil"\n[retention]\nsensitive_after = "60d"'
                      '\n[retention.per_area]\nkil = "1w"\n', encoding="utf-8")
    retention = load_settings(config).retention
    assert retention.sensitive_after_for("kil") == timedelta(weeks=1)
    assert retention.sensitive_after_for("other") == timedelta(days=60)


# -- what the last features added: the intake, Signal's memory, deferred replies ----------------

REQUESTER, REQUESTER_PHONE = "Karin Insatsledare", "+46 54 540 10 99"
ORGANISATION = "Räddningstjänsten Karlstadsregionen"
REQUESTER_SECRETS = (REQUESTER, REQUESTER_PHONE)


def intake_draft(**changes) -> IntakeDraft:
    """A request from the rescue service, with the briefing and a place."""
    return IntakeDraft(**{
        "kind": "fire", "area": "karlstad", "summary": "Brand i villa", "briefing": BRIEFING,
        "place": ADDRESS, "requester_name": REQUESTER, "requester_organisation": ORGANISATION,
        "requester_phone": REQUESTER_PHONE, "callback_url": "https://sos.example/posom",
        **changes})


@pytest.fixture
async def intake_core(tmp_path):
    """The core on a file with the requester shown the team (names and phones)."""
    async with started_core(tmp_path, intake={"share_team": True}) as core:
        yield core


async def callbacks_made(services) -> int:
    """Queues a callback for every change the requesters follow and marks them all sent."""
    await services.callbacks.follow()
    made = 0
    while (row := await services.callbacks.store.claim_callback(services.clock())) is not None:
        await services.callbacks.store.callback_done(row.id, "sent", services.clock())
        made += 1
    return made


async def bytes_on_disk(services) -> bytes:
    await services.database.checkpoint()
    return file_bytes(Path(services.database.path))


async def test_the_requester_is_purged_with_the_call_out(intake_core) -> None:
    services, messenger, clock = intake_core
    lena = await add_member(services, 1, "Lena Ledare", role="leader")
    olle = await add_member(services, 2, "Olle Ledare", role="leader")
    crew = [await add_member(services, 100 + i, f"Stöd {i}", phone=f"+4670333000{i}")
            for i in range(2)]
    caller, _ = await services.intake.add_key("SOS Alarm", "cli")
    record = (await services.intake.receive(caller, "k-1", intake_draft(needed=2))).record
    await services.intake.decide(lena, lena.address, record.id, "go")
    activation = await services.callouts.reads.by_id(
        (await services.intake.store.by_id(record.id)).activation_id)
    assert activation.requested_by == f"{REQUESTER}, {ORGANISATION}, {REQUESTER_PHONE}"
    requests = {member.id: request.id for request, member in
                await services.callouts.reads.requests_with_members(activation.id)}
    for member in crew:
        await services.callouts.answer(member, requests[member.id], True, translator("en"))
    await services.sender.drain()
    assert await callbacks_made(services) >= 1
    clock.advance(hours=2)
    await services.callouts.close(olle, activation.id)
    await services.sender.drain()
    await callbacks_made(services)
    # On Signal the request's choices are remembered with its first line, which names her.
    from storage.chat_memory import ChatMemory, NewOffer

    shown = next(d for d in messenger.chats[1] if d.message.text.startswith("📥"))
    await ChatMemory(services.database).remember(
        olle.address, "1700", ["1700"], f"i1:{record.id}", shown.message.text.split("\n")[0],
        [NewOffer(1, "Aktivera", f"i1:{record.id}:go")], clock())
    # The leaders' messages, the call-out and the request name her; callbacks name the team.
    assert found(await bytes_on_disk(services), REQUESTER_SECRETS) == list(REQUESTER_SECRETS)
    team = await services.database.fetch_all("SELECT payload FROM intake_callbacks")
    assert any("Stöd 0" in row["payload"] for row in team)

    purge = next(d for d in await services.deadlines.store.pending() if d.kind == PURGE)
    clock.advance(days=30)
    await services.deadlines.fire(purge.id)
    assert found(await bytes_on_disk(services), (*REQUESTER_SECRETS, *PURGED)) == []
    purged = await services.callouts.reads.by_id(activation.id)
    assert purged.requested_by == ORGANISATION  # who asked stays, as an organisation
    request = await services.intake.store.by_id(record.id)
    assert (request.requester_name, request.requester_phone) == ("", "")
    assert request.requester_organisation == ORGANISATION and request.purged_at is not None
    assert request.state == "activated" and request.call_out.summary == "Brand i villa"
    team = await services.database.fetch_all("SELECT payload FROM intake_callbacks")
    assert team and all(row["payload"] == "{}" for row in team)
    # Its own deadline finds it purged with the call-out and does nothing.
    own = next(d for d in await services.deadlines.store.pending()
               if d.kind == "intake_purge" and d.intake_id == record.id)
    audited = await services.database.fetch_one("SELECT count(*) FROM audit_log")
    await services.deadlines.fire(own.id)
    assert await services.database.fetch_one("SELECT count(*) FROM audit_log") == audited


async def test_a_request_nobody_decides_is_closed_and_purged_after_the_period(
        intake_core) -> None:
    services, messenger, clock = intake_core
    lena = await add_member(services, 1, "Lena Ledare", role="leader")
    olle = await add_member(services, 2, "Olle Ledare", role="leader")
    caller, _ = await services.intake.add_key("SOS Alarm", "cli")
    waiting = (await services.intake.receive(caller, "k-1", intake_draft())).record
    declined = (await services.intake.receive(caller, "k-2", intake_draft(
        area="kil", briefing="Kilvägen 3, fråga efter Nils", place=None))).record
    await services.intake.decide(olle, olle.address, declined.id, "no")
    await services.sender.drain()
    deadlines = {d.intake_id: d for d in await services.deadlines.store.pending()
                 if d.kind == "intake_purge"}
    # The area's retention period from the request's arrival: 30 days, Kil's 90.
    assert deadlines[waiting.id].due_at == waiting.created_at + timedelta(days=30)
    assert deadlines[declined.id].due_at == declined.created_at + timedelta(days=90)
    secrets = (*REQUESTER_SECRETS, "Storgatan 77 B", "portkod 4417", ADDRESS)
    assert found(await bytes_on_disk(services), secrets) == list(secrets)

    clock.advance(days=30)
    await services.deadlines.fire(deadlines[waiting.id].id)
    await services.sender.drain()
    request = await services.intake.store.by_id(waiting.id)
    assert (request.state, request.leader_id, request.purged_at) == ("declined", None, clock())
    assert request.call_out.briefing is None and request.call_out.location_address is None
    assert request.requester_organisation == ORGANISATION
    # The leaders' request loses its choices and says what became of it.
    for leader in (lena, olle):
        [shown] = [d for d in messenger.chats[int(leader.address.id)]
                   if d.message.text.startswith("📥") and "Fire, Karlstad" in d.message.text]
        assert shown.edits and not shown.edits[-1].choices
        assert shown.edits[-1].text.endswith(
            "⌛ No leader decided it in time: it is closed and its details are deleted.")
        assert REQUESTER not in shown.edits[-1].text and ORGANISATION in shown.edits[-1].text
    late = await services.intake.decide(lena, lena.address, waiting.id, "go")
    assert late.toast == "No leader decided this request in time; it is closed."
    assert await services.database.fetch_all("SELECT id FROM activations") == []
    status = await services.intake.status(request)
    assert status.state == "declined" and status.final
    # The declined one (Kil, 90 days) still names the requester; then it goes too.
    assert found(await bytes_on_disk(services), secrets) == [REQUESTER, REQUESTER_PHONE]
    clock.advance(days=60)
    await services.deadlines.fire(deadlines[declined.id].id)
    assert found(await bytes_on_disk(services), secrets) == []
    request = await services.intake.store.by_id(declined.id)
    assert (request.state, request.leader_id) == ("declined", olle.id)
    late = await services.intake.decide(lena, lena.address, declined.id, "go")
    assert late.toast == "Already handled by Olle Ledare."
    events = [row["event"] for row in await services.database.fetch_all(
        "SELECT event FROM audit_log WHERE event LIKE 'intake.%' ORDER BY id")]
    assert events[-3:] == ["intake.expired", "intake.purged", "intake.purged"]


async def test_requests_without_their_purge_get_it_at_start_up(intake_core) -> None:
    services, _, _ = intake_core
    await add_member(services, 1, "Lena Ledare", role="leader")
    caller, _ = await services.intake.add_key("SOS Alarm", "cli")
    record = (await services.intake.receive(caller, "k-1", intake_draft())).record
    # As in a database from before this rule: no purge deadline.
    async with services.database.transaction() as tx:
        await tx.execute("DELETE FROM deadlines WHERE kind = 'intake_purge'")
    added = await services.intake.retention.sync()
    assert [(d.intake_id, d.due_at) for d in added] == [
        (record.id, record.created_at + timedelta(days=30))]
    assert await services.intake.retention.sync() == []


async def test_erasure_forgets_signal_envelopes_and_callbacks_that_name_them(
        intake_core) -> None:
    from storage.chat_memory import ChatMemory
    from storage.models import Address

    services, _, clock = intake_core
    lena = await add_member(services, 1, "Lena Ledare", role="leader")
    anna = await add_member(services, 100, "Anna Andersson", phone="+46701110100")
    bo = await add_member(services, 101, "Bo Berg", phone="+46702220101")
    caller, _ = await services.intake.add_key("SOS Alarm", "cli")
    record = (await services.intake.receive(caller, "k-1", intake_draft(needed=2))).record
    await services.intake.decide(lena, lena.address, record.id, "go")
    activation_id = (await services.intake.store.by_id(record.id)).activation_id
    requests = {member.id: request.id for request, member in
                await services.callouts.reads.requests_with_members(activation_id)}
    for member in (anna, bo):
        await services.callouts.answer(member, requests[member.id], True, translator("en"))
    await services.sender.drain()
    await callbacks_made(services)
    await services.callouts.close(lena, activation_id)
    await services.sender.drain()
    # She also wrote to the bot on Signal, which remembered her uuid and her envelopes.
    number, uuid = "+46701110100", "5f0c3d4e-aaaa-4bbb-8ccc-0123456789ab"
    await services.members.link_address(anna.id, Address("signal", number), None, now=clock())
    memory = ChatMemory(services.database)
    await memory.note_account(uuid, number, clock())
    assert await memory.claim_envelope(uuid, 1_700_000_000_000, clock())
    assert await memory.claim_envelope(number, 1_700_000_000_001, clock())
    secrets = ("Anna Andersson", number, uuid)
    assert found(await bytes_on_disk(services), secrets) == list(secrets)
    naming = [row["id"] for row in await services.database.fetch_all(
        "SELECT id FROM intake_callbacks WHERE instr(payload, 'Anna Andersson') > 0")]
    assert naming  # the requester was shown the team

    assert (await services.privacy.erase(anna.id, actor="cli")).done
    assert found(await bytes_on_disk(services), secrets) == []
    assert await services.database.fetch_all("SELECT * FROM seen_envelopes") == []
    # The callbacks that named her keep their rows (what was called back when), not the text.
    emptied = await services.database.fetch_all(
        f"SELECT payload FROM intake_callbacks WHERE id IN ({', '.join('?' for _ in naming)})",
        tuple(naming))
    assert [row["payload"] for row in emptied] == ["{}"] * len(naming)


async def test_mydata_lists_everything_stored_about_the_person(intake_core) -> None:
    from storage.chat_memory import ChatMemory, NewOffer
    from storage.invitations import invite_directly
    from storage.models import Address

    services, _, clock = intake_core
    lena = await add_member(services, 1, "Lena Ledare", role="leader")
    anna = await add_member(services, 100, "Anna Andersson", phone="+46701110100")
    caller, _ = await services.intake.add_key("SOS Alarm", "cli")
    record = (await services.intake.receive(caller, "k-1", intake_draft(needed=1))).record
    await services.intake.decide(lena, lena.address, record.id, "go")
    await services.sender.drain()
    activation = await services.callouts.reads.by_id(
        (await services.intake.store.by_id(record.id)).activation_id)
    [(request, _)] = await services.callouts.reads.requests_with_members(activation.id)
    number, uuid = "+46701110100", "5f0c3d4e-aaaa-4bbb-8ccc-0123456789ab"
    signal = Address("signal", number)
    await services.members.link_address(anna.id, signal, None, now=clock())
    async with services.database.transaction() as tx:
        await invite_directly(tx, anna.id, signal, clock())
    memory = ChatMemory(services.database)
    await memory.remember(signal, "1700", ["1700"], "a1:1", "Larm 2026-001",
                          [NewOffer(1, "Ja, jag kan", "a1:1:y")], clock())
    await memory.receipt(signal, ["1700"], "read", clock())
    await memory.note_account(uuid, number, clock())
    await memory.claim_envelope(uuid, 1_700_000_000_000, clock())

    data = json.loads((await services.privacy.my_data(anna)).content)
    assert [row["title"] for row in data["offered_choices"]] == ["Larm 2026-001"]
    assert [row["read_at"] is not None for row in data["message_receipts"]] == [True]
    assert [row["address"] for row in data["direct_invitations"]] == [str(signal)]
    assert data["signal_accounts"] == [
        {"uuid": uuid, "number": number, "seen_at": data["signal_accounts"][0]["seen_at"]}]
    assert [row["source"] for row in data["signal_envelopes_seen"]] == [uuid]
    assert [row["ref"] for row in data["messages"]] == [f"request:{request.id}"]
    assert "payload" not in data["messages"][0]  # the text is in her chat, not repeated
    for key in ("skills", "shifts", "training_status", "trainings", "debriefs"):
        assert key in data
    lena_data = json.loads((await services.privacy.my_data(lena)).content)
    assert [row["code"] for row in lena_data["call_outs_issued"]] == [activation.code]
    assert [row["public_id"] for row in lena_data["intake_requests_decided"]] == [
        record.public_id]
    assert "Storgatan" not in json.dumps(lena_data)


async def test_a_deferred_reply_keeps_no_text_once_out(core_on_file) -> None:
    from bot.delivery.messages import OutgoingMessage
    from bot.delivery.payload import encode

    services, messenger, clock = core_on_file
    lena = await add_member(services, 1, "Lena Ledare", role="leader")
    # A transport met a flood wait: the /activate preview goes out through the outbox.
    await services.sender.defer(lena.address, [OutgoingMessage(f"Kontrollera: {BRIEFING}")], 0)
    await services.sender.drain()
    assert BRIEFING in messenger.everything_seen_by(1)
    rows = await services.database.fetch_all("SELECT ref, state, payload FROM outbox")
    assert [tuple(row) for row in rows] == [("reply", "sent", "{}")]
    # One that no transport took is emptied by the hourly check, an hour after it was written
    # (a reroute to the member's other transport copies it right after it failed).
    await services.sender.store.defer(lena.address, [encode(OutgoingMessage(FREE_TEXT))],
                                      not_before=clock() + timedelta(days=1), now=clock())
    row = await services.database.fetch_one("SELECT id FROM outbox WHERE state = 'pending'")
    await services.sender.store.mark_done(row["id"], "failed", "blocked")
    assert await services.privacy.forget_failed_replies() == 0
    assert found(await bytes_on_disk(services), (BRIEFING, FREE_TEXT)) == [FREE_TEXT]
    clock.advance(hours=2)
    assert await services.privacy.forget_failed_replies() == 1
    assert found(await bytes_on_disk(services), (BRIEFING, FREE_TEXT)) == []


async def test_the_archive_holds_shifts_and_intake_requests_of_the_year(intake_core) -> None:
    from storage.shifts import ShiftPlan

    services, _, clock = intake_core
    lena = await add_member(services, 1, "Lena Ledare", role="leader")
    anna = await add_member(services, 100, "Anna Andersson", phone="+46701110100")
    caller, _ = await services.intake.add_key("SOS Alarm", "cli")
    declined = (await services.intake.receive(caller, "k-1", intake_draft())).record
    await services.intake.decide(lena, lena.address, declined.id, "no")
    start = clock() + timedelta(hours=5)
    issued = await services.callouts.issue(Actor.leader(lena), NewActivation(
        kind="major_incident", area="karlstad", needed=1, summary="Stödcentrum",
        briefing=BRIEFING, shifts=ShiftPlan(first_start=start, length=timedelta(hours=3),
                                            count=2)))
    shifts = await services.shifts.reads.shifts(issued.activation.id)
    [(request, _)] = await services.callouts.reads.requests_with_members(issued.activation.id)
    await services.shifts.take(anna, request.id, shifts[0].id, translator("en"))
    year = int(issued.activation.code[:4])

    archive = json.loads(await services.privacy.archive(year, actor="cli"))
    assert [row["number"] for row in archive["shifts"]] == [1, 2]
    assert [(row["member_name"], row["state"]) for row in archive["shift_places"]] == [
        ("Anna Andersson", "confirmed")]
    # The declined request is the year's too, with who asked (not purged yet).
    assert [(row["public_id"], row["state"], row["requester_name"], row["caller"])
            for row in archive["intake_requests"]] == [
        (declined.public_id, "declined", REQUESTER, "SOS Alarm")]
    other_year = json.loads(await services.privacy.archive(year + 1, actor="cli"))
    assert other_year["intake_requests"] == [] and other_year["shifts"] == []
