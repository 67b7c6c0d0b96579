"""A call-out core on a real SQLite file with an in-memory messenger: the rules without Telegram."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Area, Settings
from bot.delivery.messages import OutgoingMessage
from bot.delivery.messenger import Capabilities
from bot.delivery.router import MessengerRouter
from bot.services import Services, build_services
from storage.database import Database
from storage.members import NewMember
from storage.models import Address, Member


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 2, 47, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Delivered:
    chat_id: int
    message_id: str
    message: OutgoingMessage
    edits: list[OutgoingMessage] = field(default_factory=list)
    deleted: bool = False

    @property
    def text(self) -> str:
        return (self.edits[-1] if self.edits else self.message).text


class RecordingMessenger:
    """Implements the Messenger port (as the "telegram" transport) by remembering every message
    per chat, keyed by the chat's numeric id."""

    transport = "telegram"
    capabilities = Capabilities()

    def __init__(self) -> None:
        self.chats: dict[int, list[Delivered]] = {}
        self._ids = itertools.count(1)

    async def send(self, chat: str, message: OutgoingMessage) -> str:
        chat_id = int(chat)
        delivered = Delivered(chat_id, str(next(self._ids)), message)
        self.chats.setdefault(chat_id, []).append(delivered)
        return delivered.message_id

    async def edit(self, chat: str, message_id: str, message: OutgoingMessage) -> None:
        chat_id = int(chat)
        for delivered in self.chats.get(chat_id, []):
            if delivered.message_id == message_id:
                delivered.edits.append(message)
                return
        raise AssertionError(f"edit of unknown message {message_id} in chat {chat_id}")

    async def delete(self, chat: str, message_id: str) -> None:
        for delivered in self.chats.get(int(chat), []):
            if delivered.message_id == message_id:
                delivered.deleted = True

    def everything_seen_by(self, chat_id: int) -> str:
        """Every text and every version of it that reached this chat, as one string."""
        parts = []
        for delivered in self.chats.get(chat_id, []):
            for message in (delivered.message, *delivered.edits):
                parts.append(message.text)
                if message.location:
                    parts.append(f"{message.location.latitude},{message.location.longitude}"
                                 f" {message.location.title} {message.location.address}")
        return "\n".join(parts)


def test_settings(tmp_path: Path, **overrides) -> Settings:
    values = {
        "areas": [Area(key="karlstad", name="Karlstad", neighbours=["kil"]),
                  Area(key="kil", name="Kil", neighbours=["karlstad"])],
        "storage": {"path": tmp_path / "posom.db"},
        "organisation": {"duty_phone": "+46 54 100 00"},
        "telegram": {"max_messages_per_second": 0},
    }
    values.update(overrides)
    return Settings(**values)


async def open_core(tmp_path: Path, **overrides) -> tuple[Services, RecordingMessenger,
                                                          ManualClock]:
    settings = test_settings(tmp_path, **overrides)
    database = await Database.open(settings.storage.path)
    messenger = RecordingMessenger()
    clock = ManualClock()
    services = build_services(settings, database, MessengerRouter([messenger]), clock)
    return services, messenger, clock


async def member_at(services: Services, telegram_id: int) -> Member:
    """The member behind a Telegram user id (their address in the tests)."""
    return await services.members.by_address(Address("telegram", str(telegram_id)))


async def add_member(services: Services, telegram_id: int, name: str, *, role: str = "volunteer",
                     area: str = "karlstad", gender: str = "undisclosed",
                     phone: str | None = None, locale: str | None = "en") -> Member:
    return await services.members.add(
        NewMember(name=name, role=role, area=area, gender=gender, phone=phone, locale=locale,
                  address=Address("telegram", str(telegram_id))),
        source="admin", actor="test", now=services.clock())
