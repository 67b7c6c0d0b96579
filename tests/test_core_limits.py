"""Issue 13's loose ends in the core, on real SQLite without Telegram: exercise codes, the
report's welfare threshold, drafts purged, and reads that never see uncommitted rows."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from bot.callout.draft import Actor
from bot.config import DebriefSettings
from bot.records.report import compute_report
from storage.callouts import NewActivation
from storage.debrief_stats import DebriefRow
from storage.dialogues import Dialogue
from storage.models import Address
from storage.reports import ActivationFacts
from tests.core_harness import add_member, open_core
from tests.core_harness import test_settings as settings_with

DRAFT = dict(kind="fire", area="karlstad", needed=1, summary="Brand", briefing="Storgatan 1")


async def test_exercises_have_their_own_numbers(core) -> None:
    services, _, _ = core
    leader = await add_member(services, 1, "Lena Ledare", role="leader")
    codes = []
    for exercise in (False, True, True, False):
        issued = await services.callouts.issue(Actor.leader(leader),
                                               NewActivation(**DRAFT, exercise=exercise))
        codes.append(issued.activation.code)
    year = services.clock().year
    assert codes == [f"{year}-001", f"{year}-Ö01", f"{year}-Ö02", f"{year}-002"]
    reads = services.callouts.reads
    for typed in (f"{year}-ö02", f"{year}-o02", f"{year}-O02", f" {year}-Ö02 "):
        assert (await reads.by_code(typed)).code == f"{year}-Ö02"


async def test_real_numbers_continue_after_old_exercise_numbers(core) -> None:
    """A database from before this change gave exercises numbers of the same sequence."""
    services, _, _ = core
    leader = await add_member(services, 1, "Lena Ledare", role="leader")
    first = await services.callouts.issue(Actor.leader(leader), NewActivation(**DRAFT))
    year = services.clock().year
    async with services.database.transaction() as tx:
        await tx.execute(
            "INSERT INTO activations (code, year, seq, kind, area, needed, summary, exercise,"
            " state, created_at) SELECT ?, year, 2, kind, area, needed, summary, 1, 'closed',"
            " created_at FROM activations WHERE id = ?", (f"{year}-002", first.activation.id))
    issued = await services.callouts.issue(Actor.leader(leader), NewActivation(**DRAFT))
    assert issued.activation.code == f"{year}-003"


def test_low_wellbeing_follows_the_configured_threshold(tmp_path) -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    activation = ActivationFacts(1, "2026-001", "fire", "karlstad", False, "closed", now,
                                 now, now + timedelta(hours=2), None)
    rows = [DebriefRow(1, member, now, 2.0, 1, 0, True, False, False, (), wellbeing, False)
            for member, wellbeing in ((1, 2), (2, 3), (3, 4))]
    for threshold, low in ((2, 1), (3, 2), (1, 0)):
        settings = settings_with(tmp_path, debrief=DebriefSettings(welfare_threshold=threshold))
        report = compute_report(settings, 2026, [activation], [], rows, now)
        assert report.debriefs.low_wellbeing == low
        assert report.debriefs.low_wellbeing_threshold == threshold


async def test_abandoned_drafts_are_purged_with_what_was_typed(core) -> None:
    services, _, clock = core
    leader = await add_member(services, 1, "Lena Ledare", role="leader")
    chat = Address("telegram", "1")
    stranger = Address("telegram", "999")
    await services.dialogues.save(Dialogue(chat, "activate", "location", {
        "kind": "fire", "briefing": "Storgatan 12, kod 4711", "typed": ["7", "9"]}), clock())
    await services.dialogues.save(Dialogue(stranger, "link", "contact", {}), clock())
    clock.advance(hours=23)
    await services.dialogues.save(Dialogue(Address("telegram", "2"), "activate", "summary",
                                           {"kind": "fire"}), clock())
    assert await services.privacy.purge_drafts() == 0  # a day has not passed yet
    clock.advance(hours=2)
    assert await services.privacy.purge_drafts() == 2
    assert await services.dialogues.get(chat) is None
    assert await services.dialogues.get(stranger) is None
    assert await services.dialogues.get(Address("telegram", "2")) is not None
    rows = await services.database.fetch_all(
        "SELECT op, payload, address FROM outbox ORDER BY id")
    assert [(row["op"], json.loads(row["payload"]), row["address"]) for row in rows] == [
        ("delete", {"message_id": "7"}, "telegram:1"),
        ("delete", {"message_id": "9"}, "telegram:1")]
    text = "\n".join(str(tuple(row)) for row in await services.database.fetch_all(
        "SELECT * FROM dialogues"))
    assert "Storgatan" not in text
    assert leader is not None


async def test_reads_do_not_see_uncommitted_rows(tmp_path) -> None:
    services, _, _ = await open_core(tmp_path)
    try:
        leader = await add_member(services, 1, "Lena Ledare", role="leader")
        inside = asyncio.Event()
        release = asyncio.Event()

        async def slow_change() -> None:
            async with services.database.transaction() as tx:
                await tx.execute("UPDATE members SET name = 'Halfway' WHERE id = ?",
                                 (leader.id,))
                inside.set()
                await release.wait()

        task = asyncio.create_task(slow_change())
        await inside.wait()
        seen = await services.members.by_id(leader.id)
        release.set()
        await task
        assert seen.name == "Lena Ledare"  # the last commit, not the write in progress
        assert (await services.members.by_id(leader.id)).name == "Halfway"
    finally:
        await services.stop()
        await services.database.close()
