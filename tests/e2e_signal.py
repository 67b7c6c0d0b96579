"""The real bot with the Signal transport against the fake signal-cli daemon (and the fake
Telegram beside it, for mixed organisations)."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from sandbox.fake_signal import FakeSignalDaemon, FakeSignalPerson
from sandbox.fake_telegram import FakeTelegram
from storage.members import NewMember
from storage.models import Address, Member
from tests.e2e import World, e2e_settings, telegram
from transports.signal.transport import SignalTransport


def signal(number: str) -> Address:
    """The address of a Signal user's 1:1 conversation with the bot."""
    return Address("signal", number)


def number(index: int) -> str:
    return f"+4670{index:07d}"


def signal_settings(fake: FakeTelegram, daemon: FakeSignalDaemon, tmp_path: Path,
                    **overrides) -> Settings:
    signal_config = {"enabled": True, "url": daemon.url, "account": daemon.account,
                     "max_messages_per_second": 0, "fallback_after": "0s",
                     **overrides.pop("signal", {})}
    return e2e_settings(fake, tmp_path, signal=signal_config, **overrides)


class SignalWorld(World):
    """A running bot with Telegram and Signal; helpers add people on either."""

    def __init__(self, fake: FakeTelegram, daemon: FakeSignalDaemon, settings: Settings) -> None:
        super().__init__(fake, settings)
        self.daemon = daemon

    @property
    def transport(self) -> SignalTransport:
        return next(t for t in self.runtime.transports if isinstance(t, SignalTransport))

    async def start(self) -> None:
        await super().start()
        await self.daemon.wait_for_streams(1)

    async def add_signal(self, index: int, name: str, *, role: str = "volunteer",
                         area: str | None = "karlstad", gender: str = "undisclosed",
                         phone: str | None = None, locale: str | None = "sv",
                         telegram_id: int | None = None, **person) -> FakeSignalPerson:
        """A member reached on Signal (and on Telegram too with `telegram_id`)."""
        who = self.daemon.person(number(index), name, **person)
        member = await self.services.members.add(
            NewMember(name=name, role=role, area=area, gender=gender, phone=phone,
                      locale=locale, address=signal(number(index))),
            source="admin", actor="test", now=self.clock())
        if telegram_id is not None:
            first, _, last = name.partition(" ")
            self.fake.person(telegram_id, first, last or None, language_code=locale,
                             started=True)
            await self.services.members.link_address(member.id, telegram(telegram_id), locale,
                                                     now=self.clock())
        return who

    async def signal_member(self, index: int) -> Member | None:
        return await self.services.members.by_address(signal(number(index)))

    async def settle(self) -> None:
        """Waits until both fakes are quiet and the outbox is empty."""
        for _ in range(2):
            await self.daemon.settle(quiet=0.15, timeout=20)
            await self.fake.settle(quiet=0.1, timeout=20)
            await self.services.sender.drain()
        await self.daemon.settle(quiet=0.1, timeout=20)


class running_signal_world:
    """A SignalWorld started and stopped around a block."""

    def __init__(self, fake: FakeTelegram, daemon: FakeSignalDaemon, tmp_path: Path,
                 **overrides) -> None:
        self.world = SignalWorld(fake, daemon, signal_settings(fake, daemon, tmp_path,
                                                               **overrides))

    async def __aenter__(self) -> SignalWorld:
        await self.world.start()
        return self.world

    async def __aexit__(self, *exc_info: object) -> None:
        await self.world.stop()
