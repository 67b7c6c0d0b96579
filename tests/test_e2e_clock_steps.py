"""The wall clock stepping back and forward during an open call-out, and the two nights the
clocks change (Europe/Stockholm), through the real bot and the fake Telegram, on time the test
moves by hand: every reminder, wave, alert, mixed-pair wait and debrief comes once, after its
configured delay, and every duration and time shown is right."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.callout.draft import Actor
from storage.callouts import NewActivation
from tests.e2e import running_world
from tests.timecontrol import ControlledTime

LADDER = {"reminder_after": "2m",
          "waves": [{"after": "5m", "scope": "neighbours"}, {"after": "10m", "scope": "all"}],
          "unstaffed_alert_after": "15m", "mixed_gender_wait": "3m", "watchdog_every": "1m"}
NIGHT_LADDER = {**LADDER, "reminder_after": "5m",
                "waves": [{"after": "10m", "scope": "neighbours"},
                          {"after": "20m", "scope": "all"}],
                "unstaffed_alert_after": "30m"}


def originals(person) -> list[str]:
    """Each message as it was first sent (before any edit)."""
    return [(message.edits[0] if message.edits else message.text) or ""
            for message in person.messages]


def count(person, text: str) -> int:
    return sum(text in original for original in originals(person))


async def people(world):
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna = await world.add(100, "Anna A", gender="female")
    cia = await world.add(101, "Cia C", gender="female")
    kim = await world.add(200, "Kim Kil", area="kil", gender="male")
    hugo = await world.add(300, "Hugo Hammarö", area="hammaro", gender="male")
    return leader, anna, cia, kim, hugo


async def issue(world):
    leader = await world.member(1)
    issued = await world.services.callouts.issue(Actor.leader(leader), NewActivation(
        kind="traffic", area="karlstad", needed=2, summary="Trafikolycka",
        briefing="E18 avfart 12"))
    await world.settle()
    return issued.activation


async def status_of(world, leader, code: str) -> str:
    await leader.send(f"/status {code}")
    return (await leader.wait_for("Started", after=leader.last)).text


async def test_steps_back_and_forward_change_no_delay_and_no_duration(fake, tmp_path,
                                                                     caplog) -> None:
    caplog.set_level(logging.INFO)
    time = ControlledTime(datetime(2026, 11, 23, 2, 47, tzinfo=UTC))  # 03:47 in Stockholm
    async with running_world(fake, tmp_path, time=time, callout=LADDER) as world:
        leader, anna, cia, kim, hugo = await people(world)
        activation = await issue(world)
        assert count(anna, "Can you go?") == 1
        # Two seconds after the call-out went out, somebody sets the wall clock back an hour.
        await world.pass_time(seconds=2)
        time.step_wall(hours=-1)
        await world.pass_time(seconds=58)  # the clock watch looks at 1:00
        moved = [r.message for r in caplog.records if "wall clock stepped" in r.message]
        assert len(moved) == 1 and "-3600.0s" in moved[0]
        await world.pass_time(seconds=59)
        assert count(anna, "Reminder") == 0  # 1:59
        await world.pass_time(seconds=1)
        assert count(anna, "Reminder") == 1  # 2:00, not an hour later
        await world.pass_time(minutes=2, seconds=59)
        assert count(kim, f"Call-out {activation.code}") == 0  # 4:59
        await world.pass_time(seconds=1)
        assert count(kim, f"Call-out {activation.code}") == 1  # 5:00: the neighbours
        await world.pass_time(minutes=5)
        assert count(hugo, f"Call-out {activation.code}") == 1  # 10:00: everyone
        await world.pass_time(minutes=4, seconds=59)
        assert count(leader, "NOT STAFFED") == 0
        await world.pass_time(seconds=1)
        [alert] = [text for text in originals(leader) if "NOT STAFFED" in text]
        assert "has 0/2 after 15 minutes" in alert  # not "0 seconds", not negative
        # And forward again by an hour: nothing fires early, nothing is counted twice.
        await world.pass_time(seconds=30)
        time.step_wall(hours=1)
        await world.pass_time(seconds=30)  # 16:00, the clock watch follows
        assert "+3600.0s" in [r.message for r in caplog.records
                              if "wall clock stepped" in r.message][-1]
        await anna.press("Yes, I can")
        await world.settle()
        await world.pass_time(minutes=1)
        await cia.press("Yes, I can")
        await world.settle()
        await cia.wait_for("We try to send a woman and a man together")
        await world.pass_time(minutes=2, seconds=59)
        assert count(cia, "You are going") == 0  # the mixed-pair wait: 3 minutes
        await world.pass_time(seconds=1)
        assert count(cia, "You are going") == 1
        [staffed] = [text for text in originals(leader) if "staffed:" in text]
        assert "Anna A, Cia C (20 minutes)" in staffed
        assert any("after_s=1200" in r.message for r in caplog.records)
        # After a step back and one forward the start shows as it happened: 03:47.
        detail = await status_of(world, leader, activation.code)
        assert "Started 03:47." in detail and "Staffed after 20 minutes." in detail
        # Each step of the ladder came once, and nothing after it was staffed.
        await world.pass_time(minutes=20)
        assert count(anna, "Reminder") == 1 and count(kim, activation.code) == 1
        assert count(hugo, activation.code) == 1 and count(leader, "NOT STAFFED") == 1
        # The debrief comes two hours after the close, though the clock goes back meanwhile.
        briefing = await anna.wait_for("📋")
        await anna.press("Finished", message=briefing)
        await world.settle()
        await world.pass_time(minutes=30)
        time.step_wall(hours=-1)
        await world.pass_time(minutes=89, seconds=59)
        assert count(anna, "Thank you for your effort") == 0
        await world.pass_time(seconds=1)
        assert count(anna, "Thank you for your effort") == 1
        assert count(cia, "Thank you for your effort") == 1


async def test_restart_after_a_step_keeps_the_remaining_delays(fake, tmp_path) -> None:
    time = ControlledTime(datetime(2026, 11, 23, 2, 47, tzinfo=UTC))
    async with running_world(fake, tmp_path, time=time, callout=LADDER) as world:
        leader, anna, _, kim, _ = await people(world)
        activation = await issue(world)
        await world.pass_time(seconds=2)
        time.step_wall(hours=1)  # forward: an old wall-clock timer would fire everything now
        await world.pass_time(seconds=58)
        assert count(anna, "Reminder") == 0 and count(kim, activation.code) == 0
        await world.restart()  # the rows carry the step: the restart arms what is left
        await world.pass_time(seconds=59)
        assert count(anna, "Reminder") == 0
        await world.pass_time(seconds=1)
        assert count(anna, "Reminder") == 1
        await world.pass_time(minutes=2, seconds=59)
        assert count(kim, activation.code) == 0
        await world.pass_time(seconds=1)
        assert count(kim, activation.code) == 1
        overview = await leader_overview(world, leader)
        assert "– open, 5 minutes" in overview


async def leader_overview(world, leader) -> str:
    await leader.send("/status")
    return (await leader.wait_for("Available now:", after=leader.last)).text


async def test_the_night_summer_time_ends(fake, tmp_path) -> None:
    # 02:40 summer time; at 03:00 the clocks go back to 02:00, so 02:00-02:59 happens twice.
    time = ControlledTime(datetime(2026, 10, 25, 0, 40, tzinfo=UTC))
    async with running_world(fake, tmp_path, time=time, callout=NIGHT_LADDER) as world:
        leader, anna, cia, kim, hugo = await people(world)
        activation = await issue(world)
        await world.pass_time(minutes=4, seconds=59)
        assert count(anna, "Reminder") == 0
        await world.pass_time(seconds=1)  # 02:45 summer time
        assert count(anna, "Reminder") == 1
        await world.pass_time(minutes=10)  # 02:55 summer time
        assert count(kim, activation.code) == 1
        await world.pass_time(minutes=5)  # 03:00 summer time is 02:00 standard time
        assert count(hugo, activation.code) == 1
        await world.pass_time(minutes=10)  # 02:10 standard time
        [alert] = [text for text in originals(leader) if "NOT STAFFED" in text]
        assert "after 30 minutes" in alert
        await anna.press("Yes, I can")
        await world.settle()
        await world.pass_time(minutes=5)  # 02:15 standard time
        await cia.press("Yes, I can")
        await world.settle()
        await world.pass_time(minutes=2, seconds=59)
        assert count(cia, "You are going") == 0
        await world.pass_time(seconds=1)  # the mixed-pair wait ends at 02:18 standard time
        assert count(cia, "You are going") == 1
        [staffed] = [text for text in originals(leader) if "staffed:" in text]
        assert "(38 minutes)" in staffed  # 02:40 summer to 02:18 standard time
        detail = await status_of(world, leader, activation.code)
        # The same "02:xx" twice in one night: each carries its zone.
        assert "Started 02:40 summer time (CEST)." in detail
        assert "Anna A: confirmed 02:10 standard time (CET)" in detail
        assert "Cia C: confirmed 02:18 standard time (CET)" in detail
        assert "Staffed after 38 minutes." in detail
        briefing = await anna.wait_for("📋")
        await anna.press("Finished", message=briefing)
        await world.settle()
        await world.pass_time(hours=1, minutes=59, seconds=59)
        assert count(anna, "Thank you for your effort") == 0
        await world.pass_time(seconds=1)
        assert count(anna, "Thank you for your effort") == 1
        assert count(anna, "Reminder") == 1 and count(leader, "NOT STAFFED") == 1


async def test_the_night_summer_time_begins(fake, tmp_path) -> None:
    # 01:40 standard time; at 02:00 the clocks jump to 03:00.
    time = ControlledTime(datetime(2026, 3, 29, 0, 40, tzinfo=UTC))
    async with running_world(fake, tmp_path, time=time, callout=NIGHT_LADDER) as world:
        leader, anna, _, kim, hugo = await people(world)
        activation = await issue(world)
        await world.pass_time(minutes=5)
        assert count(anna, "Reminder") == 1  # 01:45
        await world.pass_time(minutes=14, seconds=59)
        assert count(kim, activation.code) == 1 and count(hugo, activation.code) == 0
        await world.pass_time(seconds=1)  # 03:00 summer time, twenty minutes after 01:40
        assert count(hugo, activation.code) == 1
        await world.pass_time(minutes=10)  # 03:10
        [alert] = [text for text in originals(leader) if "NOT STAFFED" in text]
        assert "after 30 minutes" in alert
        await anna.press("Yes, I can")
        await world.settle()
        await kim.press("Yes, I can")
        await world.settle()
        [staffed] = [text for text in originals(leader) if "staffed:" in text]
        assert "(30 minutes)" in staffed
        detail = await status_of(world, leader, activation.code)
        assert "Started 01:40." in detail and "Anna A: confirmed 03:10" in detail
        assert "summer time" not in detail and "standard time" not in detail
        assert count(anna, "Reminder") == 1 and count(leader, "NOT STAFFED") == 1
