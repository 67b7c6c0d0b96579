"""The plain parts of issue 17 without a transport: the steady clock and monotonic timers on
time the test moves, the zone in the hour that occurs twice, the storage-fault rules, a failed
COMMIT rolled back and named, the kept presses, and a step applied to running rows only."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.callout.draft import Actor
from bot.delivery.messages import OutgoingMessage
from bot.delivery.router import MessengerRouter
from bot.i18n import translator
from bot.kept_presses import KeptPresses
from bot.storage_health import CLEAR_AFTER, Notice, StorageHealthRules, notice_text
from bot.timekeeping import SteadyClock
from bot.timers import MonotonicTimers
from storage.callouts import NewActivation
from storage.clock_steps import shift_running_times
from storage.database import StorageFault, fault_kind
from storage.models import Address
from tests.core_harness import RecordingMessenger, add_member, open_core
from tests.timecontrol import ControlledTime

T0 = datetime(2026, 11, 23, 2, 47, tzinfo=UTC)
MB = 1024 * 1024


# -- the clocks --------------------------------------------------------------------------------

def test_steady_clock_ignores_a_step_until_it_follows() -> None:
    time = ControlledTime(T0)
    clock = SteadyClock(time)
    time.advance(seconds=30)
    assert clock() == T0 + timedelta(seconds=30)
    time.step_wall(hours=-1)
    assert clock() == T0 + timedelta(seconds=30)  # the bot's clock does not jump by itself
    assert clock.moved() == timedelta(hours=-1)
    assert clock.follow() == timedelta(hours=-1)
    assert clock() == T0 + timedelta(seconds=30, hours=-1)
    assert clock.moved() == timedelta()


async def test_timers_count_elapsed_time_not_the_wall_clock() -> None:
    time = ControlledTime(T0)
    timers = MonotonicTimers(time)
    fired: list[str] = []

    def job(name: str):
        async def run() -> None:
            fired.append(name)
        return run

    timers.start()
    try:
        timers.set("reminder", 300, job("reminder"))
        timers.set("wave", 600, job("wave"))
        timers.set("replaced", 10, job("first"))
        timers.set("replaced", 20, job("second"))  # the same name again replaces the timer
        time.step_wall(hours=-1)
        time.advance(seconds=299)
        await asyncio.sleep(0)
        await timers.idle()
        assert fired == ["second"]
        time.step_wall(hours=2)  # forward: nothing becomes due by it
        await asyncio.sleep(0)
        await timers.idle()
        assert fired == ["second"]
        time.advance(seconds=1)
        await asyncio.sleep(0)
        await timers.idle()
        assert fired == ["second", "reminder"]
        time.advance(seconds=400)  # a long jump: what fell due runs once, earliest first
        await asyncio.sleep(0)
        await timers.idle()
        assert fired == ["second", "reminder", "wave"]
        assert timers.names() == []
    finally:
        await timers.stop()


# -- times shown -------------------------------------------------------------------------------

@pytest.mark.parametrize(("moment", "sv", "en"), [
    (datetime(2026, 10, 25, 0, 58, tzinfo=UTC), "02:58 sommartid (CEST)",
     "02:58 summer time (CEST)"),
    (datetime(2026, 10, 25, 1, 58, tzinfo=UTC), "02:58 normaltid (CET)",
     "02:58 standard time (CET)"),
    (datetime(2026, 10, 25, 2, 0, tzinfo=UTC), "03:00", "03:00"),
    (datetime(2026, 10, 24, 23, 59, tzinfo=UTC), "01:59", "01:59"),
    (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "01:59", "01:59"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "03:00", "03:00"),
])
def test_the_hour_that_occurs_twice_carries_its_zone(moment, sv, en) -> None:
    assert translator("sv").time(moment) == sv
    assert translator("en").time(moment) == en
    assert translator("sv").datetime(moment).endswith(sv)


def test_a_duration_is_never_negative() -> None:
    t = translator("en")
    assert t.duration(timedelta(minutes=-56)) == t.duration(timedelta()) == "0 seconds"
    assert translator("sv").duration(timedelta(minutes=4)) == "4 minuter"


# -- storage faults ----------------------------------------------------------------------------

def test_sqlite_errors_are_named() -> None:
    def error(code: int) -> sqlite3.OperationalError:
        exc = sqlite3.OperationalError("x")
        exc.sqlite_errorcode = code
        return exc

    assert fault_kind(error(13)) == "full"
    assert fault_kind(error(5)) == "locked"
    assert fault_kind(error(10 | (12 << 8))) == "io"  # an extended code: SQLITE_IOERR_READ
    assert fault_kind(error(19)) is None  # a constraint is a bug or a rule, not a fault
    assert fault_kind(OSError(28, "No space left on device")) == "full"
    assert fault_kind(ValueError("x")) is None


async def test_a_full_file_is_rolled_back_named_and_told(tmp_path) -> None:
    services, _, _ = await open_core(tmp_path)
    database = services.database
    heard: list[str | None] = []
    database.fault_listeners.append(lambda fault: heard.append(fault and fault.kind))
    async with database.transaction() as tx:
        await tx.execute("CREATE TABLE filler (x)")
    pages = (await database.fetch_one("PRAGMA page_count"))[0]
    await database.connection.execute(f"PRAGMA max_page_count = {pages}")  # a full disk
    with pytest.raises(StorageFault) as refused:
        async with database.transaction() as tx:
            await tx.execute("INSERT INTO filler VALUES (?)", ("x" * 200_000,))
    assert refused.value.kind == "full"
    assert not database.connection.in_transaction  # rolled back, the connection usable
    assert heard[-1] == "full"
    await database.connection.execute("PRAGMA max_page_count = 1073741823")  # space again
    async with database.transaction() as tx:
        await tx.execute("INSERT INTO filler VALUES (?)", ("x" * 200_000,))
    assert heard[-1] is None
    assert (await database.fetch_one("PRAGMA integrity_check"))[0] == "ok"
    await services.stop()
    await database.close()


async def test_a_failed_commit_is_rolled_back_explicitly(tmp_path) -> None:
    services, _, _ = await open_core(tmp_path)
    database = services.database
    try:
        # A deferred foreign key fails at COMMIT and leaves the transaction open in SQLite.
        with pytest.raises(sqlite3.IntegrityError):
            async with database.transaction() as tx:
                await tx.execute("PRAGMA defer_foreign_keys = ON")
                await tx.execute("INSERT INTO deadlines (kind, activation_id, due_at, created_at)"
                                 " VALUES ('x', 999, 'a', 'a')")
        assert not database.connection.in_transaction
        async with database.transaction() as tx:  # the next write works
            await tx.execute("INSERT INTO storage_probe (id, at) VALUES (1, 'a')")
    finally:
        await services.stop()
        await database.close()


def test_rules_tell_each_fault_once_when_it_starts_and_once_when_it_is_over() -> None:
    rules = StorageHealthRules(low_space_bytes=200 * MB)
    now = T0
    assert rules.notices(now) == []
    rules.write_failed("locked", "database is locked", now)
    assert rules.write_fault
    assert rules.notices(now) == [Notice("locked", True, "database is locked")]
    for second in range(1, 20):  # the retries keep failing: nothing more to say
        rules.write_failed("locked", "database is locked", now + timedelta(seconds=second))
        assert rules.notices(now + timedelta(seconds=second)) == []
    rules.write_succeeded(now + timedelta(seconds=21))
    assert rules.notices(now + timedelta(seconds=25)) == []  # not yet: it may come back
    assert rules.write_fault
    over = now + timedelta(seconds=19) + CLEAR_AFTER
    assert rules.notices(over) == [Notice("locked", False, "database is locked")]
    assert not rules.write_fault and rules.problems() == []


def test_a_fault_that_flaps_is_not_told_again_and_again() -> None:
    rules = StorageHealthRules(low_space_bytes=0)
    now = T0
    rules.write_failed("full", "database or disk is full", now)
    assert len(rules.notices(now)) == 1
    for minute in range(1, 5):  # small writes fit, big ones do not
        at = now + timedelta(seconds=20 * minute)
        rules.write_succeeded(at)
        rules.write_failed("full", "database or disk is full", at + timedelta(seconds=1))
        assert rules.notices(at + timedelta(seconds=2)) == []
    [problem] = rules.problems()
    assert problem.kind == "full" and problem.since == now


def test_low_space_is_told_before_full_and_over_with_a_margin() -> None:
    rules = StorageHealthRules(low_space_bytes=200 * MB)
    rules.free_space(500 * MB, T0)
    assert rules.notices(T0) == []
    rules.free_space(150 * MB, T0)
    assert rules.notices(T0) == [Notice("low_space", True, "150 MB")]
    rules.free_space(210 * MB, T0)  # back above, but not by the margin
    assert rules.notices(T0) == []
    rules.free_space(300 * MB, T0)
    assert rules.notices(T0) == [Notice("low_space", False, "300 MB")]
    rules.free_space(None, T0)
    assert StorageHealthRules(low_space_bytes=0).notices(T0) == []


def test_leaders_read_what_is_wrong_in_their_language() -> None:
    sv, en = translator("sv"), translator("en")
    assert "full" in notice_text(Notice("full", True), en)
    assert "låst" in notice_text(Notice("locked", True), sv)
    assert "150 MB" in notice_text(Notice("low_space", True, "150 MB"), sv)
    assert notice_text(Notice("locked", False), en).startswith("✅")


# -- kept presses ------------------------------------------------------------------------------

async def test_kept_presses_are_tried_in_order_until_saved_or_out_of_time() -> None:
    time = ControlledTime(T0)
    messenger = RecordingMessenger()
    kept = KeptPresses(MessengerRouter([messenger]), time, timedelta(minutes=1))
    failing = {"first": 2, "second": 0, "late": 99}
    tried: list[str] = []

    def attempt(name: str):
        async def run() -> list[OutgoingMessage]:
            tried.append(name)
            if failing[name] > 0:
                failing[name] -= 1
                raise StorageFault("locked", "database is locked")
            return [OutgoingMessage(f"{name} saved")]
        return run

    def not_saved(name: str):
        return lambda: [OutgoingMessage(f"{name} not saved")]

    here, there = Address("telegram", "7"), Address("telegram", "8")
    assert kept.keep(here, "a1:1:y", attempt("first"), not_saved("first"))
    assert not kept.keep(here, "a1:1:y", attempt("first"), not_saved("first"))  # pressed twice
    assert kept.keep(there, "a1:2:y", attempt("second"), not_saved("second"))
    await asyncio.sleep(0.01)
    assert tried == ["first"]  # the second waits behind the first
    for _ in range(2):
        time.advance(seconds=2)
        await asyncio.sleep(0.01)
    await kept.idle()
    assert tried == ["first", "first", "first", "second"]
    assert [d.message.text for d in messenger.chats[7]] == ["first saved"]
    assert [d.message.text for d in messenger.chats[8]] == ["second saved"]
    assert kept.keep(here, "a1:3:y", attempt("late"), not_saved("late"))
    for _ in range(31):
        time.advance(seconds=2)
        await asyncio.sleep(0.01)
    await kept.idle()
    assert [d.message.text for d in messenger.chats[7]] == ["first saved", "late not saved"]
    await kept.stop()


async def test_a_stop_tells_every_kept_press_it_was_not_saved() -> None:
    time = ControlledTime(T0)
    messenger = RecordingMessenger()
    kept = KeptPresses(MessengerRouter([messenger]), time, timedelta(minutes=1))

    async def locked() -> list[OutgoingMessage]:
        raise StorageFault("locked", "database is locked")

    kept.keep(Address("telegram", "7"), "a1:1:y", locked,
              lambda: [OutgoingMessage("not saved")])
    await asyncio.sleep(0.01)
    await kept.stop()
    assert [d.message.text for d in messenger.chats[7]] == ["not saved"]
    assert not kept.waiting


# -- a step applied to what is running ---------------------------------------------------------

async def test_a_step_moves_running_call_outs_and_pending_deadlines_only(tmp_path) -> None:
    services, _, clock = await open_core(tmp_path)
    try:
        leader = await add_member(services, 1, "Lena Ledare", role="leader")
        await add_member(services, 100, "Anna A")
        done = await services.callouts.issue(Actor.leader(leader), NewActivation(
            kind="traffic", area="karlstad", needed=1, summary="Brand", briefing="x"))
        await services.callouts.cancel(leader, done.activation.id)
        running = await services.callouts.issue(Actor.leader(leader), NewActivation(
            kind="traffic", area="karlstad", needed=1, summary="Brand", briefing="x"))
        before = await services.deadlines.store.pending()
        async with services.database.transaction() as tx:
            moved = await shift_running_times(tx, timedelta(hours=-1))
        assert moved["activations"] == 1 and moved["deadlines"] == len(before)
        after = {d.id: d for d in await services.deadlines.store.pending()}
        for deadline in before:
            assert after[deadline.id].due_at == deadline.due_at - timedelta(hours=1)
            assert after[deadline.id].delay == deadline.delay  # the delay it was given
        reads = services.callouts.reads
        assert (await reads.by_id(running.activation.id)).created_at == clock() - timedelta(
            hours=1)
        assert (await reads.by_id(done.activation.id)).created_at == clock()  # history
    finally:
        await services.stop()
        await services.database.close()
