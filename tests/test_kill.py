"""SIGKILL at random moments of call-outs, restart on the same file, and check the promises:
never more than `needed` confirmed, everyone asked was asked, every confirmed person briefed,
nothing left unsent, and the deadlines still fire. POSOM_KILL_CYCLES sets how many (default 8)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from storage.clock import system_clock
from storage.database import Database
from storage.members import MemberStore, NewMember
from tests.e2e import TOKEN, telegram

ROOT = Path(__file__).resolve().parent.parent
CYCLES = int(os.environ.get("POSOM_KILL_CYCLES", "8"))
VOLUNTEERS = 8


def config_text(fake, db: Path) -> str:
    return f"""
admins = [1]
[telegram]
token = "{TOKEN}"
api_url = "{fake.api_url}"
bot_username = "posom_test_bot"
poll_timeout = 1
max_messages_per_second = 0
request_timeout = 2
[[areas]]
key = "karlstad"
name = "Karlstad"
neighbours = ["kil"]
[[areas]]
key = "kil"
name = "Kil"
[callout]
needed = 2
reminder_after = "0s"
unstaffed_alert_after = "4s"
prefer_mixed_gender = false
[[callout.waves]]
after = "2s"
scope = "neighbours"
[storage]
path = "{db}"
"""


class BotProcess:
    """`posom run` in a subprocess that the test can SIGKILL."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith("POSOM_")}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(self.config),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            env=environment, cwd=ROOT)

    async def kill(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def press_if_possible(person, text: str) -> None:
    with contextlib.suppress(AssertionError):
        await person.press(text)


async def leader_issues(leader, rng: random.Random) -> None:
    """The leader walks through /activate; any step may be cut by a kill."""
    steps = [("/activate", "What has happened?"), ("[Fire]", "Where?"), ("[Karlstad]", "How many"),
             ("[2 ✓]", "short summary"), ("Brand i villa", "Write the briefing"),
             (f"Storgatan {rng.randint(1, 99)}", "Share the location"),
             ("[No location]", "Check the call-out"), ("[Send call-out]", "sent to")]
    for action, reply in steps:
        before = leader.messages[-1] if leader.messages else None
        if action.startswith("["):
            await leader.press(action[1:-1])
        else:
            await leader.send(action)
        await leader.wait_for(reply, timeout=8, after=before)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
async def test_sigkill_at_random_moments_keeps_every_promise(fake, tmp_path: Path) -> None:
    db_path = tmp_path / "posom.db"
    config = tmp_path / "config.toml"
    config.write_text(config_text(fake, db_path), encoding="utf-8")
    database = await Database.open(db_path)
    members = MemberStore(database)
    await members.add(NewMember(name="Lena Ledare", role="leader", address=telegram(1),
                                reported_locale="en"), source="admin", actor="test",
                      now=system_clock())
    for i in range(VOLUNTEERS):
        area = "karlstad" if i < VOLUNTEERS - 2 else "kil"
        await members.add(NewMember(name=f"V{i}", role="volunteer", area=area,
                                    address=telegram(100 + i), reported_locale="en"),
                          source="admin", actor="test", now=system_clock())
    await database.close()
    leader = fake.person(1, "Lena", language_code="en", started=True)
    volunteers = [fake.person(100 + i, f"V{i}", language_code="en", started=True)
                  for i in range(VOLUNTEERS)]

    rng = random.Random(int(os.environ.get("POSOM_KILL_SEED", "2026")))
    bot = BotProcess(config)
    for _ in range(CYCLES):
        await bot.start()
        # Act: issue a call-out (possibly continuing one cut short) and answer it, while the
        # process is killed at a random moment.
        async def act() -> None:
            with contextlib.suppress(AssertionError):
                await leader_issues(leader, rng)
            answers = []
            for person in rng.sample(volunteers, len(volunteers)):
                answers.append(press_if_possible(person, rng.choice(["Yes, I can"] * 3 + ["No"])))
            await asyncio.gather(*answers)
            await asyncio.sleep(rng.uniform(0, 3))

        task = asyncio.create_task(act())
        await asyncio.sleep(rng.uniform(0.8, 4.0))
        await bot.kill()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # Last start: let everything that is owed go out and every due deadline fire.
    await bot.start()
    try:
        await asyncio.sleep(6)
        await fake.settle(quiet=1.0, timeout=60)
    finally:
        await bot.kill()

    with sqlite3.connect(db_path) as connection:
        connection.row_factory = sqlite3.Row
        activations = connection.execute("SELECT * FROM activations").fetchall()
        assert activations, "no call-out was ever issued"
        for activation in activations:
            code = activation["code"]
            requests = connection.execute(
                "SELECT r.*, CAST(a.address AS INTEGER) AS telegram_id FROM requests r"
                " JOIN member_addresses a ON a.member_id = r.member_id"
                " WHERE activation_id = ?", (activation["id"],)).fetchall()
            confirmed = [r for r in requests if r["state"] == "confirmed"]
            assert len(confirmed) <= activation["needed"], code
            assert (activation["state"] == "staffed") == (len(confirmed) == activation["needed"])
            for request in requests:
                sent = connection.execute(
                    "SELECT count(*) FROM outbox WHERE ref = ? AND state = 'sent'",
                    (f"request:{request['id']}",)).fetchone()[0]
                superseded = connection.execute(
                    "SELECT count(*) FROM outbox WHERE ref = ? AND state = 'superseded'",
                    (f"request:{request['id']}",)).fetchone()[0]
                person = fake.people[request["telegram_id"]]
                received = [m for m in person.messages
                            if f"Call-out {code}" in ((m.edits or [m.text])[0] or "")]
                if not superseded:
                    assert sent >= 1 and received, (code, request["telegram_id"])
            # The briefing goes out when the team is complete (or later to a promoted reserve).
            for request in confirmed if activation["state"] in ("staffed", "closed") else ():
                person = fake.people[request["telegram_id"]]
                assert any(f"📋 Call-out {code}" in ((m.edits or [m.text])[0] or "")
                           for m in person.messages), (code, request["telegram_id"], "no briefing")
        unsent = connection.execute(
            "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')").fetchone()[0]
        assert unsent == 0
        overdue = connection.execute(
            "SELECT count(*) FROM deadlines WHERE state = 'pending' AND due_at < ?",
            (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 3)),)).fetchone()[0]
        assert overdue == 0, "a deadline did not fire after the restarts"
        fired = connection.execute(
            "SELECT count(*) FROM deadlines WHERE state = 'done'").fetchone()[0]
        open_ones = [a for a in activations if a["state"] == "open"]
        assert fired >= 1 or not open_ones
