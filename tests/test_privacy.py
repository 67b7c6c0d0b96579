"""Retention and erasure on real SQLite files: after a purge or an erasure the database file and
its -wal file are read as bytes and the text is gone, while the statistics still count."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.callout.draft import Actor
from bot.i18n import translator
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


@pytest.fixture
async def core_on_file(tmp_path):
    services, messenger, clock = await open_core(
        tmp_path, retention={"sensitive_after": "30d", "per_area": {"kil": "90d"}})
    await services.start()
    try:
        yield services, messenger, clock
    finally:
        await services.stop()
        await services.database.close()


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
