"""Scheduling after the close, on real SQLite without Telegram: which deadline rows a close creates,
that a deadline sends its questionnaire once, and that exercises get figures, not a questionnaire
(unless configured)."""

from __future__ import annotations

from datetime import timedelta

from bot.callout.draft import Actor
from bot.debrief.service import DEBRIEF_KINDS
from bot.i18n import translator
from bot.people.privacy import PURGE
from storage.callouts import NewActivation
from tests.core_harness import add_member

EN = translator("en")


async def staffed_and_closed(services, *, exercise: bool = False):
    leader = await add_member(services, 1, "Lena Ledare", role="leader")
    for telegram_id in (100, 101):
        await add_member(services, telegram_id, f"Volunteer {telegram_id}")
    issued = await services.callouts.issue(Actor.leader(leader), NewActivation(
        kind="fire", area="karlstad", needed=2, summary="Brand", briefing="Storgatan 1",
        exercise=exercise))
    people = await services.callouts.reads.requests_with_members(issued.activation.id)
    for request, member in people:
        await services.callouts.answer(member, request.id, True, EN)
    result = await services.callouts.close(leader, issued.activation.id)
    assert result.changed
    return await services.callouts.reads.by_id(issued.activation.id)


async def test_close_plans_a_questionnaire_and_a_check_in_per_volunteer(core) -> None:
    services, messenger, clock = core
    activation = await staffed_and_closed(services)
    pending = await services.deadlines.store.pending()
    # Besides the questionnaires, the close plans the retention purge (issue 6), 30 days on.
    assert sorted((d.kind, d.due_at - activation.closed_at) for d in pending) == [
        ("debrief", timedelta(hours=2)), ("debrief", timedelta(hours=2)),
        (PURGE, timedelta(days=30)),
        ("welfare_followup", timedelta(weeks=4)), ("welfare_followup", timedelta(weeks=4))]
    first = next(d for d in pending if d.kind == "debrief")
    clock.advance(hours=2)
    await services.deadlines.fire(first.id)
    await services.deadlines.fire(first.id)  # armed twice (or re-armed at a restart): acts once
    await services.sender.start()
    await services.sender.drain()
    await services.sender.stop()
    [member] = [member for request, member
                in await services.callouts.reads.requests_with_members(activation.id)
                if request.id == first.request_id]
    texts = [delivered.message.text for delivered in messenger.chats[int(member.address.id)]]
    assert sum("Here is the follow-up of call-out" in text for text in texts) == 1
    assert sum("question 1 of 9" in text for text in texts) == 1
    reminders = [d for d in await services.deadlines.store.pending()
                 if d.kind == "debrief_reminder"]
    assert [d.due_at - clock() for d in reminders] == [timedelta(hours=24)]


async def test_exercise_gets_figures_and_no_questionnaire(core) -> None:
    services, messenger, _ = core
    await staffed_and_closed(services, exercise=True)
    # No questionnaire; only the retention purge (an exercise's briefing is purged too).
    pending = await services.deadlines.store.pending()
    assert [d.kind for d in pending if d.kind in DEBRIEF_KINDS] == []
    assert [d.kind for d in pending] == [PURGE]
    await services.sender.start()
    await services.sender.drain()
    await services.sender.stop()
    figures = [delivered.message.text for delivered in messenger.chats[1]
               if "Exercise figures:" in delivered.message.text]
    assert len(figures) == 1
    assert figures[0].startswith("🔶 EXERCISE\nExercise figures:\nAsked: 2. Answered: 2 (2 yes).")
