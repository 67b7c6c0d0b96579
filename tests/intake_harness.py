"""The running bot with its intake switched on (on a free port), against the fake Telegram,
and an HTTP client acting as SOS Alarm or the rescue service."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from sandbox.fake_telegram import FakeTelegram
from tests.e2e import World, e2e_settings

BODY = {
    "kind": "fire", "area": "karlstad", "place": "Storgatan 12 B",
    "position": {"latitude": 59.3793, "longitude": 13.5036},
    "summary": "Brand i villa, familj behöver stöd",
    "briefing": "Familj på fyra i Storgatan 12 B, kontakt Eva 070-555 12 34.", "needed": 2,
    "requester": {"name": "Anna Berg", "organisation": "Räddningstjänsten Karlstadsregionen",
                  "phone": "+46 54 540 10 00"},
}


def intake_settings(fake: FakeTelegram, tmp_path: Path, **intake):
    values = {"enabled": True, "port": 0, "rate_per_minute": 1000,
              "callback_allow_http": True, **intake}
    return e2e_settings(fake, tmp_path, intake=values)


class IntakeWorld(World):
    """A World whose bot serves the intake; `url` is where it listens."""

    @property
    def url(self) -> str:
        return self.runtime.intake.url

    async def key(self, name: str = "SOS Alarm") -> str:
        """A new intake key for a caller, as `posom intake key add NAME` makes it."""
        _, key = await self.services.intake.add_key(name, "cli")
        return key.key


class running_intake:
    """An IntakeWorld started and stopped around a block."""

    def __init__(self, fake: FakeTelegram, tmp_path: Path, **intake) -> None:
        self.world = IntakeWorld(fake, intake_settings(fake, tmp_path, **intake))

    async def __aenter__(self) -> IntakeWorld:
        await self.world.start()
        return self.world

    async def __aexit__(self, *exc_info: object) -> None:
        await self.world.stop()


async def call(method: str, url: str, key: str | None = None, *, json=None,
               data: bytes | None = None, idempotency: str | None = "alarm-1",
               headers: dict | None = None) -> tuple[int, object]:
    """One HTTP call; returns the status and the JSON body (or the text)."""
    sent = dict(headers or {})
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    if idempotency is not None and method == "POST":
        sent["Idempotency-Key"] = idempotency
    async with aiohttp.ClientSession() as session, session.request(
            method, url, json=json, data=data, headers=sent) as response:
        text = await response.text()
        try:
            body = await response.json(content_type=None)
        except ValueError:
            body = text
        return response.status, body
