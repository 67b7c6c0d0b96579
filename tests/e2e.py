"""The real bot (PTB Application, polling) against the project's fake Bot API server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import BotRuntime
from bot.config import Area, Settings
from bot.services import Services
from bot.timekeeping import TimeSource
from sandbox.fake_telegram import FakePerson, FakeTelegram
from storage.members import NewMember
from storage.models import Address, Member

TOKEN = "123456:E2E-SECRET-TOKEN"


def telegram(user_id: int) -> Address:
    """The address of a Telegram user's private chat with the bot."""
    return Address("telegram", str(user_id))


class ShiftableClock:
    """Real time plus an offset a test can move forward (e.g. past an invite's expiry)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


def e2e_settings(fake: FakeTelegram, tmp_path: Path, **overrides) -> Settings:
    values = {
        "admins": [],
        "telegram": {"token": fake.token, "api_url": fake.api_url,
                     "bot_username": fake.bot_username, "max_messages_per_second": 0,
                     "poll_timeout": 1},
        "organisation": {"name": "POSOM Test", "duty_phone": "+46 54 100 00"},
        "areas": [Area(key="karlstad", name="Karlstad", neighbours=["kil"]),
                  Area(key="kil", name="Kil", neighbours=["karlstad"]),
                  Area(key="hammaro", name="Hammarö", neighbours=["karlstad"])],
        "storage": {"path": tmp_path / "posom.db"},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return Settings(**values)


class World:
    """One fake Telegram, one running bot on a real SQLite file, and helpers to populate it.

    By default the bot reads real time plus an offset the test can move (`clock.advance`);
    given a `time` source (tests.timecontrol.ControlledTime) it runs the production clocks, the
    steady clock and monotonic timers, on time the test moves by hand (`pass_time`).
    """

    def __init__(self, fake: FakeTelegram, settings: Settings, *,
                 time: TimeSource | None = None) -> None:
        self.fake = fake
        self.settings = settings
        self.time = time
        self.clock = ShiftableClock() if time is None else None
        self.runtime = self._runtime()

    def _runtime(self) -> BotRuntime:
        if self.time is None:
            return BotRuntime(self.settings, clock=self.clock)
        return BotRuntime(self.settings, time=self.time)

    def now(self) -> datetime:
        """The bot's clock."""
        return self.runtime.clock()

    @property
    def services(self) -> Services:
        return self.runtime.services

    async def start(self) -> None:
        await self.runtime.start()

    async def stop(self) -> None:
        await self.runtime.stop()

    async def restart(self) -> None:
        await self.stop()
        self.runtime = self._runtime()
        await self.start()

    async def add(self, user_id: int, name: str, *, role: str = "volunteer",
                  area: str | None = "karlstad", gender: str = "undisclosed",
                  phone: str | None = None, language: str = "en") -> FakePerson:
        """A member who already enrolled, and their Telegram account (who has started the bot)."""
        first, _, last = name.partition(" ")
        person = self.fake.person(user_id, first, last or None, language_code=language,
                                  started=True)
        await self.services.members.add(
            NewMember(name=name, role=role, area=area, gender=gender, phone=phone,
                      address=telegram(user_id), reported_locale=language),
            source="admin", actor="test", now=self.now())
        return person

    async def member(self, user_id: int) -> Member | None:
        return await self.services.members.by_address(telegram(user_id))

    async def settle(self) -> None:
        """Waits until the bot took every update, answered, and sent everything it owed."""
        await self.fake.settle(quiet=0.15, timeout=20)
        await self.services.sender.drain()
        await self.fake.settle(quiet=0.1, timeout=20)

    async def pass_time(self, **kwargs: float) -> None:
        """Controlled time passes; waits until every timer due by then has run and its
        messages are out."""
        self.time.advance(**kwargs)
        await asyncio.sleep(0)
        await self.services.deadlines.timers.idle()
        await self.settle()


class running_world:
    """A World with its own settings, started and stopped around a block."""

    def __init__(self, fake: FakeTelegram, tmp_path: Path, *, time: TimeSource | None = None,
                 **overrides) -> None:
        self.world = World(fake, e2e_settings(fake, tmp_path, **overrides), time=time)

    async def __aenter__(self) -> World:
        await self.world.start()
        return self.world

    async def __aexit__(self, *exc_info: object) -> None:
        await self.world.stop()


# Escalation in seconds instead of minutes, for tests.
FAST_LADDER = {"reminder_after": "1s", "unstaffed_alert_after": "4s",
               "waves": [{"after": "2s", "scope": "neighbours"}, {"after": "3s", "scope": "all"}],
               "mixed_gender_wait": "2s"}
