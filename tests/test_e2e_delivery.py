"""Delivery that can be trusted: Telegram's 429, 403, 5xx and time-outs, and updates seen twice."""

from __future__ import annotations

import asyncio

from bot.callout.draft import Actor
from storage.callouts import NewActivation
from tests.e2e import running_world

QUIET = {"reminder_after": "0s", "waves": [], "unstaffed_alert_after": "1h"}


async def issue(world, needed: int = 2):
    leader = await world.member(1)
    issued = await world.services.callouts.issue(Actor.leader(leader), NewActivation(
        kind="fire", area="karlstad", needed=needed, summary="Brand", briefing="Gatan 1"))
    return issued.activation


def requests_of(person, code: str) -> list:
    return [m for m in person.messages if f"Call-out {code}" in ((m.edits or [m.text])[0] or "")
            and "Can you go?" in ((m.edits or [m.text])[0] or "")]


def briefings_of(person, code: str) -> list:
    return [m for m in person.messages if f"📋 Call-out {code}" in ((m.edits or [m.text])[0] or "")]


async def test_every_reachable_person_gets_exactly_one_request_despite_faults(fake, tmp_path):
    async with running_world(fake, tmp_path, callout=QUIET,
                             telegram={"request_timeout": 1}) as world:
        leader = await world.add(1, "Lena Ledare", role="leader", area=None)
        people = [await world.add(100 + i, f"V{i} V") for i in range(8)]
        flood, broken, slow, blocked = people[0], people[1], people[2], people[3]
        fake.fail(flood.user_id, "429", times=2, retry_after=1)
        fake.fail(broken.user_id, "500", times=2)
        fake.fail(slow.user_id, "timeout", times=1, hold=3)
        blocked.block()
        activation = await issue(world)
        for person in people:
            if person is not blocked:
                await person.wait_for(f"Call-out {activation.code}", timeout=15)
        await world.settle()
        for person in people:
            expected = 0 if person is blocked else 1
            assert len(requests_of(person, activation.code)) == expected, person
        # The blocked person is marked unreachable and leaders see it at once in /status.
        assert (await world.member(blocked.user_id)).unreachable
        await leader.send(f"/status {activation.code}")
        detail = await leader.wait_for("could not be reached")
        assert "1 could not be reached" in detail.text and "V3 V: no answer yet ⚠️" in detail.text
        await leader.send("/status")
        overview = await leader.wait_for(lambda m: "Available now:" in (m.text or "")
                                         and activation.code in m.text)
        assert "1 could not be reached" in overview.text

        # The confirmed get exactly one briefing each, also through a flood on the briefing.
        fake.fail(flood.user_id, "429", times=1, retry_after=1)
        await flood.press("Yes, I can")
        await broken.press("Yes, I can")
        await flood.wait_for("You are going", timeout=10)
        await broken.wait_for("You are going", timeout=10)
        await world.settle()
        assert len(briefings_of(flood, activation.code)) == 1
        assert len(briefings_of(broken, activation.code)) == 1
        assert fake.stats.flood_429s == 3


async def test_a_person_who_writes_again_is_reachable_again(world) -> None:
    await world.add(1, "Lena Ledare", role="leader", area=None)
    anna = await world.add(100, "Anna A")
    anna.block()
    await issue(world)
    await world.settle()
    assert (await world.member(100)).unreachable
    anna.unblock()
    await anna.send("/status")
    await anna.wait_for("You are available.")
    assert not (await world.member(100)).unreachable


async def test_the_same_update_delivered_twice_changes_nothing(fake, tmp_path) -> None:
    async with running_world(fake, tmp_path, callout=QUIET) as world:
        await world.add(1, "Lena Ledare", role="leader", area=None)
        anna, bo, cia = [await world.add(100 + i, f"V{i} V") for i in range(3)]
        activation = await issue(world)
        for person in (anna, bo, cia):
            await person.wait_for("Can you go?")
        press = await anna.press("Yes, I can")
        assert await press.answer() == "Thank you! You are confirmed."
        update_id = fake.produced[-1]["update_id"]
        await world.settle()
        # The bot stops before confirming the batch; Telegram sends the same update again.
        await world.stop()
        fake.redeliver(update_id)
        await world.start()
        await asyncio.sleep(0.5)
        await world.settle()
        counts = await world.services.callouts.reads.state_counts(activation.id)
        assert counts == {"confirmed": 1, "pending": 2}
        audit = await world.services.database.fetch_all(
            "SELECT event FROM audit_log WHERE event LIKE 'request.%'")
        assert [row["event"] for row in audit] == ["request.confirm"]
        edits = [m for m in anna.messages if m.edits]
        assert len(edits) == 1 and len(edits[0].edits) == 1  # her message was edited once


async def test_webhook_mode_checks_the_secret_token(fake, tmp_path) -> None:
    import socket

    import aiohttp

    with socket.socket() as probe:  # a free local port for the bot's webhook server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fake.webhook_route = f"http://127.0.0.1:{port}"
    webhook = {"webhook_url": "https://posom.example.se/telegram/hook",
               "webhook_listen": "127.0.0.1", "webhook_port": port,
               "webhook_secret_token": "s3cret-Token_1"}
    async with running_world(fake, tmp_path, telegram=webhook) as world:
        assert fake.webhook["url"] == "https://posom.example.se/telegram/hook"
        assert fake.webhook["secret_token"] == "s3cret-Token_1"
        leader = await world.add(1, "Lena Ledare", role="leader", area=None)
        await leader.send("/status")
        await leader.wait_for("Available now:")
        assert fake.webhook_deliveries and all(status == 200
                                               for _, status in fake.webhook_deliveries)
        # Anyone else posting to the webhook without the token is refused, and nothing happens.
        forged = {"update_id": 999, "message": {
            "message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"},
            "from": {"id": 1, "is_bot": False, "first_name": "Lena"}, "text": "/activate",
            "entities": [{"type": "bot_command", "offset": 0, "length": 9}]}}
        async with aiohttp.ClientSession() as session:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with session.post(f"http://127.0.0.1:{port}/telegram/hook", json=forged,
                                        headers=headers) as response:
                    assert response.status == 403
        await world.settle()
        assert not any("New call-out" in (m.text or "") for m in leader.messages)
