"""The failover drill: the bot runs under replication (Litestream to a replica folder), a
call-out is taken to the middle, the primary's machine dies (SIGKILL to the bot and its
Litestream at once), a standby restores the replica's newest copy in another folder — refused
while the primary's lease is fresh — and finishes the call-out there.

The promise checked: every answer confirmed more than LOSS_WINDOW before the loss is on the
standby; never more than `needed` confirmed; every message still owed is sent; every deadline
still fires; the leaders hear the bot is back. Also: `posom replica status` shows the lag, and
a restore is refused while a bot runs on the local file or a database is already there."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from storage.service_runs import read_latest_run
from tests.service_harness import (
    ROOT,
    BotProcess,
    issue_callout,
    originals,
    people,
    rows,
    seed_members,
    service_config,
    until,
)

SYNC = 1.0  # replication.sync_interval
TAKEOVER = 4.0  # replication.takeover_after: the standby waits this long after the last lease
# The written promise (README): answers confirmed longer ago than this survive the loss.
LOSS_WINDOW = SYNC + 1.0
VOLUNTEERS = 8
NEEDED = 4
THROTTLED = 107  # Telegram answers 429 to her first request: still owed when the primary dies


def replicated_config(fake, folder: Path, replica: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    config.write_text(service_config(
        fake, folder / "posom.db", needed=NEEDED,
        callout='reminder_after = "10s"\nunstaffed_alert_after = "1h"',
        extra=f'[replication]\nreplica = "{replica}"\nsync_interval = "{SYNC:g}s"\n'
              f'takeover_after = "{TAKEOVER:g}s"\n'), encoding="utf-8")
    return config


async def posom(config: Path, *arguments: str) -> tuple[int, str, str]:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("POSOM_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *arguments, "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=environment,
        cwd=ROOT)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


@pytest.mark.skipif(sys.platform != "linux", reason="Litestream wheel and signals: Linux")
async def test_failover_drill(fake, tmp_path: Path) -> None:
    replica = tmp_path / "replica"
    primary_config = replicated_config(fake, tmp_path / "primary", replica)
    standby_config = replicated_config(fake, tmp_path / "standby", replica)
    primary_db, standby_db = tmp_path / "primary" / "posom.db", tmp_path / "standby" / "posom.db"
    await seed_members(primary_db, VOLUNTEERS)
    lena, volunteers = people(fake, VOLUNTEERS)

    primary = BotProcess(primary_config, tmp_path / "primary.log")
    await primary.start()
    try:
        fake.fail(THROTTLED, "429", retry_after=10, method="sendMessage")
        code = await issue_callout(lena)
        for person in volunteers[:2]:
            press = await person.press("Yes, I can",
                                       message=await person.wait_for("Can you go?", timeout=10))
            assert await press.answer() == "Thank you! You are confirmed."
        await asyncio.sleep(LOSS_WINDOW)
        # A Yes inside the loss window: it may be lost with the machine, never doubled.
        third = volunteers[2]
        late = await third.press("Yes, I can", message=await third.wait_for("Can you go?"))
        await late.answer()
        status, out, err = await posom(primary_config, "replica", "status")
        assert status == 0, err
        assert "replica: newest transaction" in out and "primary: " in out and "alive" in out
        await primary.kill_machine()
        killed_at = time.monotonic()
    finally:
        await primary.kill_machine()

    # The standby refuses while the replica shows the primary alive …
    status, _, err = await posom(standby_config, "replica", "restore")
    assert status == 2, err
    assert "was alive" in err and "takeover_after" in err and err.count("\n") == 1
    assert not standby_db.exists()
    # … and takes over once the primary has been silent for takeover_after.
    while True:
        status, out, err = await posom(standby_config, "replica", "restore")
        if status == 0:
            break
        assert "was alive" in err, err
        assert time.monotonic() - killed_at < 30, "the lease never expired"
        await asyncio.sleep(0.5)
    restored_at = time.monotonic()
    assert out.startswith(f"restored: {standby_db}")
    assert read_latest_run(standby_db).stopped_at is None  # the primary died, it did not stop

    # What the copy holds: the answers confirmed before the loss window, a message still owed
    # and a deadline still pending (else this drill would not test a takeover mid-call-out).
    states = {row["telegram_id"]: row["state"] for row in rows(standby_db, (
        "SELECT CAST(a.address AS INTEGER) AS telegram_id, r.state FROM requests r"
        " JOIN member_addresses a ON a.member_id = r.member_id"))}
    assert states[100] == states[101] == "confirmed"
    assert rows(standby_db, "SELECT count(*) FROM outbox WHERE state = 'pending'")[0][0] >= 1
    assert rows(standby_db, "SELECT count(*) FROM deadlines WHERE state = 'pending'")[0][0] >= 1

    standby = BotProcess(standby_config, tmp_path / "standby.log")
    await standby.start()
    try:
        back = await lena.wait_for("The bot is back", timeout=30)
        took_over = time.monotonic() - killed_at
        assert "1 call-out resumed" in back.text
        # The reminder fell due while nobody ran: it fires on the standby at once; and the
        # request Telegram throttled on the primary goes out from the standby.
        await volunteers[5].wait_for("Reminder – still not staffed", timeout=20)
        await until(lambda: originals(volunteers[7], f"Call-out {code}"), limit=30,
                    what="the throttled request")
        # The call-out finishes on the standby.
        for person in volunteers[3:5]:
            request = [m for m in person.messages if m.buttons and f"Call-out {code}" in m.text]
            await (await person.press("Yes, I can", message=request[-1])).answer(timeout=10)
        await fake.settle(quiet=1.5, timeout=60)
        confirmed = [row["telegram_id"] for row in rows(standby_db, (
            "SELECT CAST(a.address AS INTEGER) AS telegram_id FROM requests r"
            " JOIN member_addresses a ON a.member_id = r.member_id"
            " WHERE r.state = 'confirmed' ORDER BY r.confirmed_at"))]
        assert len(confirmed) == NEEDED, confirmed  # never more than needed
        assert confirmed[:2] == [100, 101]
        assert rows(standby_db, "SELECT state FROM activations")[0][0] == "staffed"
        for user_id in confirmed:
            assert originals(fake.people[user_id], f"📋 Call-out {code}"), user_id
        for person in volunteers:
            assert originals(person, f"Call-out {code}"), person.first_name
        assert rows(standby_db, "SELECT count(*) FROM outbox WHERE state IN ('pending', "
                                "'sending')")[0][0] == 0
        assert rows(standby_db, "SELECT count(*) FROM deadlines WHERE state = 'pending'"
                                " AND due_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")[0][0] == 0
        # The standby now streams to the same replica: the next standby can take over from it.
        status, out, err = await posom(standby_config, "replica", "status")
        assert status == 0, err
        standby.terminate()
        assert await standby.wait(30) == 0, standby.log_text()
    finally:
        await standby.kill_machine()
    print(f"\nfailover drill: restore {restored_at - killed_at:.1f}s after the kill (lease "
          f"{TAKEOVER:g}s), leaders told {took_over:.1f}s after the kill")


async def test_restore_is_refused_over_a_running_bot_or_an_existing_database(fake, tmp_path):
    replica = tmp_path / "replica"
    config = replicated_config(fake, tmp_path / "site", replica)
    database = tmp_path / "site" / "posom.db"
    status, _, err = await posom(config, "replica", "restore")
    assert status == 2 and "holds no copy yet" in err, err
    await seed_members(database, 2)
    bot = BotProcess(config, tmp_path / "bot.log")
    await bot.start()
    try:
        await until(lambda: any(replica.rglob("*.ltx")), what="a first copy in the replica")
        status, _, err = await posom(config, "replica", "restore", "--force", "--replace")
        assert status == 2 and "a posom is running on this database here" in err, err
        bot.terminate()
        assert await bot.wait(30) == 0, bot.log_text()
    finally:
        await bot.kill_machine()
    status, _, err = await posom(config, "replica", "restore")
    assert status == 2 and "a database is already there; --replace" in err, err
    # A clean stop leaves no lease to wait for: a planned switch-over is immediate.
    status, out, err = await posom(config, "replica", "restore", "--replace")
    assert status == 0, err
    assert "stopped cleanly" in out
    assert rows(database, "SELECT count(*) FROM members")[0][0] == 3
