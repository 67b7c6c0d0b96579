"""`posom run` as a real process against the fake Telegram: started, sent SIGTERM or SIGKILL (the
whole process group, Litestream included, as when a machine dies), with its log kept for the
failure message. Plus a leader walking through /activate and the rows a test reads."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from sandbox.fake_telegram import FakePerson, FakeTelegram
from storage.clock import system_clock
from storage.database import Database
from storage.members import MemberStore, NewMember
from tests.e2e import TOKEN, telegram

ROOT = Path(__file__).resolve().parent.parent


def service_config(fake: FakeTelegram, db: Path, *, needed: int = 2, rate: float = 0,
                   extra: str = "", callout: str = "") -> str:
    """A config file's text for a bot on `db` talking to the fake Telegram."""
    return f"""
admins = [1]
[telegram]
token = "{TOKEN}"
api_url = "{fake.api_url}"
bot_username = "posom_test_bot"
poll_timeout = 1
max_messages_per_second = {rate}
request_timeout = 5
[[areas]]
key = "karlstad"
name = "Karlstad"
[callout]
needed = {needed}
prefer_mixed_gender = false
waves = []
{callout}
[storage]
path = "{db}"
{extra}
"""


async def seed_members(db: Path, volunteers: int) -> None:
    """Lena the leader (Telegram 1) and volunteers V0… (Telegram 100…) in Karlstad, in English."""
    database = await Database.open(db)
    members = MemberStore(database)
    await members.add(NewMember(name="Lena Ledare", role="leader", address=telegram(1),
                                reported_locale="en"), source="admin", actor="test",
                      now=system_clock())
    for i in range(volunteers):
        await members.add(NewMember(name=f"V{i}", role="volunteer", area="karlstad",
                                    address=telegram(100 + i), reported_locale="en"),
                          source="admin", actor="test", now=system_clock())
    await database.close()


def people(fake: FakeTelegram, volunteers: int) -> tuple[FakePerson, list[FakePerson]]:
    """The Telegram accounts of the members `seed_members` made: Lena and V0, V1, …"""
    leader = fake.person(1, "Lena", language_code="en", started=True)
    return leader, [fake.person(100 + i, f"V{i}", language_code="en", started=True)
                    for i in range(volunteers)]


class BotProcess:
    """`python -m bot run` in its own process group; its stderr goes to a log file."""

    def __init__(self, config: Path, log: Path, *, command: tuple[str, ...] = ("run",)) -> None:
        self.config = config
        self.log = log
        self.command = command
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith("POSOM_")}
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *self.command, "--config", str(self.config),
                stdout=asyncio.subprocess.DEVNULL, stderr=log, env=environment, cwd=ROOT,
                start_new_session=True)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def terminate(self) -> None:
        """SIGTERM, as systemd or the container runtime sends it."""
        self.process.send_signal(signal.SIGTERM)

    async def wait(self, limit: float = 60.0) -> int:
        """The exit code (fails the test if the process does not end within `limit`)."""
        try:
            return await asyncio.wait_for(self.process.wait(), limit)
        except TimeoutError:
            raise AssertionError(f"the bot did not exit within {limit}s; its log:\n"
                                 f"{self.log_text()}") from None

    async def kill_machine(self) -> None:
        """SIGKILL to the whole process group: the bot and its Litestream die at once."""
        if self.running:
            os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


async def issue_callout(leader: FakePerson, summary: str = "Brand i villa",
                        briefing: str = "Storgatan 1, ring Eva") -> str:
    """The leader walks through /activate with the defaults; returns the call-out's code."""
    await leader.send("/activate")
    await leader.press("Fire", message=await leader.wait_for("What has happened?", timeout=15))
    # With one area the bot does not ask where.
    how_many = await leader.wait_for("How many")
    default = next(text for text in how_many.button_texts if text.endswith("✓"))
    await leader.press(default, message=how_many)
    await leader.wait_for("short summary", after=how_many)
    await leader.send(summary)
    await leader.wait_for("Write the briefing")
    await leader.send(briefing)
    await leader.press("No location", message=await leader.wait_for("Share the location"))
    await leader.press("Send call-out", message=await leader.wait_for("Check the call-out"))
    sent = await leader.wait_for(lambda m: m.text and m.text.startswith("Call-out ")
                                 and " sent to " in m.text)
    return sent.text.split()[1]


def originals(person: FakePerson, needle: str) -> list[str]:
    """The first version of each message the person got that contains `needle`."""
    texts = [(message.edits or [message.text])[0] or "" for message in person.messages]
    return [text for text in texts if needle in text]


def rows(db: Path, sql: str, parameters: tuple = ()) -> list[sqlite3.Row]:
    """Rows of a query on a database file no process is writing right now."""
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        return connection.execute(sql, parameters).fetchall()


async def until(condition, limit: float = 20.0, what: str = "the condition") -> None:
    """Waits until `condition()` is true (fails the test after `limit` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"{what} did not happen within {limit}s")
        await asyncio.sleep(0.05)
