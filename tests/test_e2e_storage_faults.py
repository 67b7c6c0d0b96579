"""A database file that refuses writes, through the real bot and the fake Telegram: locked by
another process, and on a disk that fills up. The leaders are told once when it starts and once
when it is over, every press is answered "received" at once and its real outcome follows as a
message, nobody is told "confirmed" falsely, and exactly `needed` are confirmed."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.callout.draft import Actor
from bot.storage_health import CLEAR_AFTER
from storage.callouts import NewActivation
from tests.e2e import running_world
from tests.timecontrol import ControlledTime

RECEIVED = "Received. We are saving it and will tell you here in a moment."
CALM = {"reminder_after": "1h", "waves": [], "unstaffed_alert_after": "2h",
        "prefer_mixed_gender": False}
LOCKED_ALERT = "another program holds its database file locked"
FULL_ALERT = "the disk of its database is full"
SAVED_AGAIN = "The bot can save again"

# Another program holding the database's write lock (as a hung backup or copy would).
LOCKER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
"""


def texts(person) -> list[str]:
    return [message.text or "" for message in person.messages]


def count(person, text: str) -> int:
    return sum(text in message for message in texts(person))


async def issue(world, needed: int = 2):
    leader = await world.member(1)
    issued = await world.services.callouts.issue(Actor.leader(leader), NewActivation(
        kind="traffic", area="karlstad", needed=needed, summary="Trafikolycka",
        briefing="E18 avfart 12"))
    await world.settle()
    return issued.activation


async def crew(world):
    leaders = [await world.add(1, "Lena Ledare", role="leader", area=None),
               await world.add(2, "Lars Ledare", role="leader", area=None)]
    volunteers = [await world.add(100 + index, name) for index, name in
                  enumerate(("Anna A", "Bo B", "Cia C", "Dan D"))]
    return leaders, volunteers


async def retry_until_quiet(world, rounds: int) -> None:
    """Lets the kept presses' retry interval pass a few times (each try is real work)."""
    for _ in range(rounds):
        await world.pass_time(seconds=2)
        await asyncio.sleep(0.05)


async def integrity(world) -> str:
    return (await world.services.database.fetch_one("PRAGMA integrity_check"))[0]


async def all_saved_in_order(world, volunteers, activation) -> None:
    """The file takes writes again: the three kept Yes are saved in the order pressed, each
    person told the outcome once, exactly two confirmed and briefed, the file intact."""
    await retry_until_quiet(world, 2)
    await world.services.kept_presses.idle()
    await world.settle()
    anna, bo, cia, _ = volunteers
    assert count(anna, "Thank you! You are confirmed.") == 1
    assert count(bo, "Thank you! You are confirmed.") == 1
    assert count(cia, "The team is already complete – you are a reserve.") == 1
    await anna.wait_for("You are going")
    await bo.wait_for("You are going")
    counts = await world.services.callouts.reads.state_counts(activation.id)
    assert counts == {"confirmed": 2, "reserve": 1, "stood_down": 1}
    assert await integrity(world) == "ok"


@contextlib.asynccontextmanager
async def locked(path: Path):
    """Another process holds the file's write lock inside the block."""
    locker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LOCKER, str(path), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert (await locker.stdout.readline()).strip() == b"locked"
        yield
    finally:
        locker.stdin.write(b"\n")
        await locker.stdin.drain()
        await locker.wait()


async def test_a_locked_file_keeps_the_presses_and_tells_the_leaders(fake, tmp_path) -> None:
    time = ControlledTime(datetime(2026, 11, 23, 2, 47, tzinfo=UTC))
    async with running_world(fake, tmp_path, time=time, callout=CALM,
                             storage={"busy_timeout": "0.3s"}) as world:
        leaders, volunteers = await crew(world)
        activation = await issue(world)
        for person in volunteers:
            await person.wait_for("Can you go?")
        async with locked(world.settings.storage.path):
            presses = [await person.press("Yes, I can") for person in volunteers[:3]]
            # Everyone hears at once that the press arrived; nobody hears "confirmed" yet.
            assert [await press.answer(timeout=10) for press in presses] == [RECEIVED] * 3
            for leader in leaders:
                await leader.wait_for(LOCKED_ALERT, timeout=10)
            # Anything else that cannot be saved gets a plain answer, not a generic error.
            await leaders[1].send("/activate")
            await leaders[1].wait_for("The bot cannot save anything right now; the leaders "
                                      "have been told.", timeout=10)
            # Telegram delivers Anna's press again (the bot fetched it, then stalled).
            [update] = [u for u in fake.produced
                        if u.get("callback_query", {}).get("id") == presses[0].query_id]
            fake.redeliver(update["update_id"])
            await world.settle()
            await retry_until_quiet(world, 3)  # still locked: tried again, still kept
            assert len(world.services.kept_presses) == 3
            assert not any("confirmed" in text for person in volunteers
                           for text in texts(person))
            counts = await world.services.callouts.reads.state_counts(activation.id)
            assert counts == {"pending": 4}
        # First pressed, first decided; each outcome once, Anna's despite the redelivery.
        await all_saved_in_order(world, volunteers, activation)
        # Over once writes have gone through for a while; said once, to every leader.
        await world.pass_time(seconds=CLEAR_AFTER.total_seconds() + 10)
        for leader in leaders:
            await leader.wait_for(SAVED_AGAIN, timeout=10)
            assert count(leader, LOCKED_ALERT) == 1 and count(leader, SAVED_AGAIN) == 1
        assert world.services.storage.report() == {"ok": True, "problems": []}


async def test_presses_not_saved_within_the_minute_are_told_so(fake, tmp_path) -> None:
    time = ControlledTime(datetime(2026, 11, 23, 2, 47, tzinfo=UTC))
    async with running_world(fake, tmp_path, time=time, callout=CALM,
                             storage={"busy_timeout": "0.2s", "retry_presses_for": "10s"},
                             organisation={"duty_phone": "+46 54 100 00"}) as world:
        _, volunteers = await crew(world)
        activation = await issue(world)
        anna = volunteers[0]
        await anna.wait_for("Can you go?")
        async with locked(world.settings.storage.path):
            press = await anna.press("Yes, I can")
            assert await press.answer(timeout=10) == RECEIVED
            report = world.services.storage.report()
            assert not report["ok"] and report["problems"][0]["kind"] == "locked"
            await retry_until_quiet(world, 7)
            await world.services.kept_presses.idle()
            await world.settle()
        told = await anna.wait_for("could not be saved")
        assert "call the duty leader: +46 54 100 00" in told.text
        assert not any("confirmed" in text for text in texts(anna))
        # The buttons are still there: pressing again once the file is free works.
        again = await anna.press("Yes, I can")
        assert await again.answer() == "Thank you! You are confirmed."
        counts = await world.services.callouts.reads.state_counts(activation.id)
        assert counts["confirmed"] == 1


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 16 MB file system of its own (tmpfs; needs root, skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int = 0) -> Path:
    """Writes a filler file until the disk is full, then gives `leave` bytes back."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError as error:
            assert error.errno == errno.ENOSPC
        with contextlib.suppress(OSError):
            handle.write(b"\0" * 512)
    if leave:
        os.truncate(filler, max(filler.stat().st_size - leave, 0))
    return filler


async def test_a_full_disk_is_warned_before_kept_after_and_told_when_over(
        fake, tmp_path, small_disk) -> None:
    time = ControlledTime(datetime(2026, 11, 23, 2, 47, tzinfo=UTC))
    storage = {"path": small_disk / "posom.db", "low_space_warning_mb": 4}
    async with running_world(fake, tmp_path, time=time, callout=CALM,
                             storage=storage) as world:
        leaders, volunteers = await crew(world)
        activation = await issue(world)
        for person in volunteers:
            await person.wait_for("Can you go?")
        # First the space runs low: the leaders are warned while everything still works.
        filler = fill(small_disk, leave=2 * 1024 * 1024)
        await world.pass_time(minutes=1)
        for leader in leaders:
            await leader.wait_for("is nearly full", timeout=10)
        # Then it is full: presses are kept, the leaders told, nobody falsely confirmed.
        filler.unlink()
        filler = fill(small_disk)
        presses = [await person.press("Yes, I can") for person in volunteers[:3]]
        assert [await press.answer(timeout=10) for press in presses] == [RECEIVED] * 3
        for leader in leaders:
            await leader.wait_for(FULL_ALERT, timeout=10)
        await retry_until_quiet(world, 3)
        assert len(world.services.kept_presses) == 3
        assert not any("confirmed" in text for person in volunteers for text in texts(person))
        report = world.services.storage.report()
        assert {problem["kind"] for problem in report["problems"]} == {"full", "low_space"}
        # Space comes back within the minute: every kept press is saved, in order.
        filler.unlink()
        await all_saved_in_order(world, volunteers, activation)
        await world.pass_time(seconds=CLEAR_AFTER.total_seconds() + 10)
        await world.pass_time(minutes=1)
        for leader in leaders:
            await leader.wait_for(SAVED_AGAIN, timeout=10)
            await leader.wait_for("enough free space again", timeout=10)
            assert count(leader, FULL_ALERT) == 1 and count(leader, SAVED_AGAIN) == 1
            assert count(leader, "is nearly full") == 1
        assert world.services.storage.report()["ok"]
