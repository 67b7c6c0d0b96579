"""Property-based tests generated from the intake's own OpenAPI document (schemathesis): valid
and invalid calls alike never get a 500, and every answer is one the document describes (status
code, content type and body)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sandbox.fake_telegram import FakeTelegram
from tests.e2e import TOKEN
from tests.intake_harness import IntakeWorld, intake_settings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


class ThreadedIntake:
    """The bot with its intake in an event loop of its own thread: schemathesis calls it from
    the test's thread, synchronously, over real HTTP."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def start(self) -> None:
        self.thread.start()
        self.run(self._start())

    async def _start(self) -> None:
        self.fake = FakeTelegram(token=TOKEN, bot_username="posom_test_bot")
        await self.fake.start()
        self.world = IntakeWorld(self.fake, intake_settings(self.fake, self.tmp_path,
                                                            rate_per_minute=10_000))
        await self.world.start()
        # Generated callback URLs name hosts that do not exist: nothing may leave this machine.
        await self.world.services.callbacks.stop()
        await self.world.add(1, "Lena Ledare", role="leader", area=None, language="sv")
        await self.world.add(100, "Stöd Person", language="sv")
        self.key = await self.world.key("SOS Alarm")
        self.url = self.world.url

    def stop(self) -> None:
        async def _stop() -> None:
            await self.world.stop()
            await self.fake.stop()

        self.run(_stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def intake_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedIntake]:
    server = ThreadedIntake(tmp_path_factory.mktemp("intake-schema"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


# Not schemathesis.pytest.from_fixture: its lazy loader needs a pytest internal that pytest 9.2
# no longer has. The strategies it builds from the document are the same.
OPERATIONS = [("POST", "/api/v1/requests"), ("GET", "/api/v1/requests/{request_id}")]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_api_keeps_to_its_document(intake_server: ThreadedIntake, method: str, path: str,
                                   mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(f"{intake_server.url}/openapi.json")
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=50,
              database=None)
    def keeps_to_its_document(case) -> None:
        response = case.call(base_url=intake_server.url,
                             headers={"Authorization": f"Bearer {intake_server.key}"})
        case.validate_response(response, checks=CHECKS)

    keeps_to_its_document()


def test_generated_calls_reached_the_leaders(intake_server: ThreadedIntake) -> None:
    """The generated calls were not all refused: valid ones became requests for the leaders."""
    with sqlite3.connect(intake_server.world.settings.storage.path) as connection:
        stored = connection.execute("SELECT count(*) FROM intake_requests").fetchone()[0]
        calls = connection.execute("SELECT count(*) FROM audit_log"
                                   " WHERE event = 'intake.call'").fetchone()[0]
    assert stored >= 1 and calls >= stored
