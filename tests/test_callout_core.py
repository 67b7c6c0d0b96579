"""The call-out service on real SQLite with an in-memory messenger (no Telegram)."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.callout.draft import Actor
from bot.i18n import translator
from storage.callouts import NewActivation
from tests.core_harness import add_member, member_at

EN = translator("en")
BRIEFING = "Storgatan 12, ask for Eva on 070-555 12 34"


async def issue(services, leader, needed=2, area="karlstad"):
    return await services.callouts.issue(Actor.leader(leader), NewActivation(
        kind="fire", area=area, needed=needed, summary="House fire, family needs support",
        briefing=BRIEFING, location_lat=59.3793, location_lon=13.5036,
        location_title="Storgatan 12", location_address="Karlstad"))


async def request_ids(services, activation_id):
    people = await services.callouts.reads.requests_with_members(activation_id)
    return {int(member.address.id): request.id for request, member in people}


@pytest.mark.parametrize("round_", range(25))
async def test_simultaneous_yes_gives_exactly_needed(core, round_: int) -> None:
    services, _messenger, _ = core
    leader = await add_member(services, 1, "Lena Ledare", role="leader")
    volunteers = [await add_member(services, 100 + i, f"Volunteer {i}") for i in range(10)]
    needed = random.Random(round_).choice([1, 2, 3])
    issued = await issue(services, leader, needed=needed)
    ids = await request_ids(services, issued.activation.id)
    order = list(volunteers)
    random.Random(round_).shuffle(order)
    results = await asyncio.gather(*(
        services.callouts.answer(v, ids[int(v.address.id)], True, EN)
        for v in order))
    counts = await services.callouts.reads.state_counts(issued.activation.id)
    assert counts == {"confirmed": needed, "reserve": 10 - needed}
    assert all(result.changed for result in results)
    activation = await services.callouts.reads.by_id(issued.activation.id)
    assert activation.state == "staffed"


async def test_briefing_reaches_only_the_confirmed(core) -> None:
    services, messenger, clock = core
    leader = await add_member(services, 1, "Lena Ledare", role="leader", phone="+46701111111")
    people = [await add_member(services, 100 + i, f"Volunteer {i}",
                               phone=f"+4670200000{i}") for i in range(5)]
    issued = await issue(services, leader)
    await services.sender.start()
    await services.sender.drain()
    ids = await request_ids(services, issued.activation.id)
    clock.advance(minutes=3)
    await services.callouts.answer(await member_at(services, 100), ids[100], True, EN)
    await services.callouts.answer(await member_at(services, 101), ids[101], False, EN)
    await services.callouts.answer(await member_at(services, 102), ids[102], True, EN)
    await services.sender.drain()
    await services.sender.stop()
    for person in people:
        seen = messenger.everything_seen_by(int(person.address.id))
        assert "House fire, family needs support" in seen
        if int(person.address.id) in (100, 102):
            assert BRIEFING in seen
            assert "59.3793" in seen
            assert "Volunteer 0, +46702000000" in seen and "Volunteer 2, +46702000002" in seen
            assert "+46 54 100 00" in seen
        else:
            assert BRIEFING not in seen
            assert "Storgatan" not in seen
            assert "59.3793" not in seen
    stood_down = messenger.chats[103][0]
    assert "you are not needed now" in stood_down.text
    assert not stood_down.edits[-1].choices
    leader_seen = messenger.everything_seen_by(1)
    assert "staffed: Volunteer 0, Volunteer 2 (3 minutes)" in leader_seen


async def test_unsent_requests_are_not_sent_after_staffing(core) -> None:
    services, messenger, _ = core
    leader = await add_member(services, 1, "Lena", role="leader")
    for i in range(6):
        await add_member(services, 100 + i, f"V{i}")
    issued = await issue(services, leader)
    ids = await request_ids(services, issued.activation.id)
    # Nothing sent yet (sender not started); two answer from… a restored earlier message.
    await services.callouts.answer(await member_at(services, 100), ids[100], True, EN)
    await services.callouts.answer(await member_at(services, 101), ids[101], True, EN)
    await services.sender.start()
    await services.sender.drain()
    await services.sender.stop()
    for chat in range(102, 106):
        assert chat not in messenger.chats  # superseded: never asked, never stood down


async def test_withdraw_promotes_reserve_or_reopens(core) -> None:
    services, messenger, _ = core
    leader = await add_member(services, 1, "Lena", role="leader")
    for i in range(4):
        await add_member(services, 100 + i, f"V{i}")
    issued = await issue(services, leader)
    activation_id = issued.activation.id
    await services.sender.start()
    ids = await request_ids(services, activation_id)
    for chat in (100, 101, 102):
        await services.callouts.answer(await member_at(services, chat), ids[chat], True, EN)
    assert (await services.callouts.reads.state_counts(activation_id))["reserve"] == 1
    anna = await member_at(services, 100)
    result = await services.callouts.mission(anna, ids[100], "withdraw", EN)
    assert result.changed
    counts = await services.callouts.reads.state_counts(activation_id)
    assert counts["confirmed"] == 2 and counts["withdrawn"] == 1 and "reserve" not in counts
    assert (await services.callouts.reads.by_id(activation_id)).state == "staffed"
    # No reserve left: the next withdrawal reopens and asks the stood-down again.
    await services.callouts.mission(await member_at(services, 101), ids[101], "withdraw", EN)
    activation = await services.callouts.reads.by_id(activation_id)
    assert activation.state == "open"
    counts = await services.callouts.reads.state_counts(activation_id)
    assert counts == {"confirmed": 1, "withdrawn": 2, "pending": 1}
    await services.sender.drain()
    await services.sender.stop()
    briefing_100 = next(d for d in messenger.chats[100] if BRIEFING in d.message.text)
    assert BRIEFING not in briefing_100.text  # edited down when they withdrew
    assert "You have left call-out" in briefing_100.text
    location_100 = next(d for d in messenger.chats[100] if d.message.location)
    assert location_100.deleted
    asked_again = [d for d in messenger.chats[103] if "Can you go?" in d.message.text]
    assert len(asked_again) == 2


async def test_close_edits_briefings_down_and_cancel_stands_all_down(core) -> None:
    services, messenger, _ = core
    leader = await add_member(services, 1, "Lena", role="leader")
    for i in range(3):
        await add_member(services, 100 + i, f"V{i}")
    await services.sender.start()
    first = await issue(services, leader)
    ids = await request_ids(services, first.activation.id)
    refused = await services.callouts.close(leader, first.activation.id)
    assert not refused.changed and "/cancel" in refused.text  # nobody confirmed yet
    await services.callouts.answer(await member_at(services, 100), ids[100], True, EN)
    await services.callouts.answer(await member_at(services, 101), ids[101], True, EN)
    anna = await member_at(services, 100)
    closed = await services.callouts.mission(anna, ids[100], "finished", EN)
    assert closed.changed
    assert (await services.callouts.reads.by_id(first.activation.id)).state == "closed"
    late = await services.callouts.answer(await member_at(services, 102), ids[102], True, EN)
    assert not late.changed and "is over" in late.text
    await services.sender.drain()
    briefing = next(d for d in messenger.chats[101] if BRIEFING in d.message.text)
    assert BRIEFING not in briefing.text and "is closed" in briefing.text

    second = await issue(services, leader)
    ids = await request_ids(services, second.activation.id)
    await services.callouts.answer(await member_at(services, 100), ids[100], True, EN)
    await services.callouts.answer(await member_at(services, 101), ids[101], True, EN)
    cancelled = await services.callouts.cancel(leader, second.activation.id)
    assert cancelled.changed
    counts = await services.callouts.reads.state_counts(second.activation.id)
    assert counts == {"released": 2, "stood_down": 1}
    await services.sender.drain()
    await services.sender.stop()
    second_briefing = [d for d in messenger.chats[100] if BRIEFING in d.message.text][-1]
    assert "2026-002" in second_briefing.text and "was cancelled" in second_briefing.text
    assert BRIEFING not in second_briefing.text
    assert all(d.deleted for d in messenger.chats[100] if d.message.location)
