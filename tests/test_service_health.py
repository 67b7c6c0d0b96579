"""/healthz, /metrics and the heartbeat of a running bot, over real HTTP: healthy when the loop,
the database and each transport answer, sick (503, no heartbeat) when a check fails; metrics
count what people were sent by result and read what is owed from the database."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.callout.draft import Actor
from storage.callouts import NewActivation
from storage.deadlines import add_deadline
from tests.e2e import running_world
from tests.service_harness import until

QUIET_LADDER = {"reminder_after": "0s", "unstaffed_alert_after": "1h", "waves": [],
                "prefer_mixed_gender": False}


class Monitor:
    """A stand-in for Healthchecks.io on loopback: counts the heartbeats it gets."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> Monitor:
        app = web.Application()

        async def ping(request: web.Request) -> web.Response:
            self.paths.append(request.path)
            return web.Response(text="OK")

        app.router.add_get("/{tail:.*}", ping)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._runner.cleanup()


async def get(port: int, path: str) -> tuple[int, str, dict | None]:
    async with aiohttp.ClientSession() as session, \
            session.get(f"http://127.0.0.1:{port}{path}") as response:
        body = await response.text()
        parsed = await response.json() if path == "/healthz" else None
        return response.status, body, parsed


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a Prometheus text exposition, keyed by name and sorted labels."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


async def test_health_metrics_and_heartbeat(fake, tmp_path: Path) -> None:
    async with Monitor() as monitor, running_world(
            fake, tmp_path, callout=QUIET_LADDER, health={"enabled": True, "port": 0},
            heartbeat={"url": f"http://127.0.0.1:{monitor.port}/ping/secret-uuid",
                       "every": "1s"}) as world:
        port = world.runtime.ops.server.port
        status, _, report = await get(port, "/healthz")
        assert status == 200, report
        assert report["status"] == "ok"
        assert set(report["checks"]) == {"event_loop", "database", "storage",
                                             "transport:telegram"}
        await until(lambda: monitor.paths, what="a heartbeat")
        assert monitor.paths[0] == "/ping/secret-uuid"

        # A call-out where Telegram answers 429 once, one person has blocked the bot and one
        # send meets a network failure; two say yes.
        await world.add(1, "Lena Ledare", role="leader", area=None)
        people = [await world.add(100 + i, f"Vol {i}") for i in range(5)]
        fake.fail(102, "429", retry_after=1, method="sendMessage")
        fake.fail(103, "403", method="sendMessage")
        fake.fail(104, "500", method="sendMessage")
        leader = await world.member(1)
        issued = await world.services.callouts.issue(Actor.leader(leader), NewActivation(
            kind="fire", area="karlstad", needed=2, summary="Brand i villa", briefing="Gatan 1"))
        # Everyone who can be asked is asked (the retried ones too) before two say yes, so
        # staffing supersedes nothing still owed.
        for person in (people[2], people[4]):
            await person.wait_for("Can you go?", timeout=10)
        for person in people[:2]:
            await person.press("Yes, I can", message=await person.wait_for("Can you go?"))
        await world.settle()
        # A deadline that nobody armed, due five minutes ago: overdue, as a lost timer would be.
        now = world.clock()
        async with world.services.database.transaction() as tx:
            await add_deadline(tx, "reminder", now - timedelta(minutes=5), now,
                               activation_id=issued.activation.id)

        status, text, _ = await get(port, "/metrics")
        assert status == 200
        values = samples(text)

        def sent(result: str) -> float:
            return values[("posom_sends_total", (("op", "send"), ("result", result),
                                                 ("transport", "telegram")))]

        assert sent("429") == 1
        assert sent("403") == 1
        assert sent("network") == 1
        # Five requests (two after a retry; the blocked one never), two briefings, the edits
        # of three stood down come as edits, the leaders' notice.
        assert sent("ok") >= 6
        assert values[("posom_callouts", (("state", "staffed"),))] == 1
        assert values[("posom_callouts", (("state", "open"),))] == 0
        assert values[("posom_time_to_staffed_seconds_count", ())] == 1
        assert values[("posom_outbox_unsent", (("lane", "urgent"),))] == 0
        assert values[("posom_outbox_unsent", (("lane", "broadcast"),))] == 0
        assert values[("posom_outbox_oldest_unsent_age_seconds", ())] == 0
        assert values[("posom_deadlines_overdue", ())] == 1
        assert values[("posom_updates_waiting", (("transport", "telegram"),))] == 0
        assert values[("posom_transport_last_success_age_seconds",
                       (("transport", "telegram"),))] < 60
        assert "secret-uuid" not in text

        # A check registered by anyone (e.g. storage health) that fails makes the bot sick:
        # 503, saying which, and no heartbeat while it lasts.
        async def failing() -> str | None:
            return "disk full"

        world.runtime.ops.health.add("storage", failing)
        status, _, report = await get(port, "/healthz")
        assert status == 503
        assert report["status"] == "sick"
        assert report["checks"]["storage"] == {"ok": False, "detail": "disk full"}
        await until(lambda: world.runtime.ops.heartbeat.skipped >= 1, what="a skipped heartbeat")
        beats = len(monitor.paths)
        await asyncio.sleep(2.5)
        assert len(monitor.paths) == beats
        world.runtime.ops.health.remove("storage")
        await until(lambda: len(monitor.paths) > beats, what="heartbeats again")
        assert (await get(port, "/healthz"))[0] == 200


async def test_a_silent_transport_makes_the_bot_sick_until_it_answers_again(fake, tmp_path):
    async with running_world(fake, tmp_path, health={"enabled": True, "port": 0,
                                                     "transport_silent_after": "2s"}) as world:
        port = world.runtime.ops.server.port
        assert (await get(port, "/healthz"))[0] == 200
        # Nothing is sent, and Telegram does not answer the probes for a while.
        fake.fail(None, "500", times=5, method="getMe")
        statuses: list[tuple[int, dict]] = []

        async def poll_until(status: int) -> dict:
            while True:
                code, _, report = await get(port, "/healthz")
                statuses.append((code, report))
                if code == status:
                    return report
                await asyncio.sleep(0.2)

        report = await asyncio.wait_for(poll_until(503), 20)
        assert report["checks"]["transport:telegram"]["ok"] is False
        assert "no successful call for" in report["checks"]["transport:telegram"]["detail"]
        assert report["checks"]["database"]["ok"] is True
        await asyncio.wait_for(poll_until(200), 20)


async def test_the_endpoint_is_off_by_default_and_on_loopback_when_on(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path) as world:
        assert world.runtime.ops.server is None
        assert world.runtime.ops.heartbeat is None
    assert world.settings.health.listen == "127.0.0.1"


async def test_the_counting_messenger_passes_on_what_an_edit_returns() -> None:
    """A message sent in parts gets a new id when an edit changes its parts; the messenger that
    counts sends for /metrics must hand that id on, or later edits miss parts."""
    from datetime import UTC, datetime

    from bot.delivery.messages import OutgoingMessage
    from bot.delivery.messenger import Capabilities
    from bot.ops.health import TransportCalls
    from bot.ops.metrics import Metrics, ObservedMessenger

    class InParts:
        transport = "telegram"
        capabilities = Capabilities()

        async def edit(self, chat: str, message_id: str, message: OutgoingMessage) -> str:
            return "120+121+122"

    observed = ObservedMessenger(InParts(), Metrics("test", datetime.now(UTC)), TransportCalls())
    assert await observed.edit("7", "120+121", OutgoingMessage("longer now")) == "120+121+122"
