"""A clean stop: SIGTERM while a fan-out is half sent and one send hangs in flight. The bot takes
no more updates, lets the send in flight end, exits 0 and loses nothing: after the next start
everyone is asked exactly once, and the leaders hear that the bot is back and what waited."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.service_harness import (
    BotProcess,
    issue_callout,
    originals,
    people,
    rows,
    seed_members,
    service_config,
    until,
)

VOLUNTEERS = 40
HELD = 105  # the sixth volunteer asked: her request hangs in flight for 3 s


@pytest.mark.skipif(sys.platform == "win32", reason="signals")
async def test_sigterm_lets_sends_in_flight_end_exits_0_and_loses_nothing(fake, tmp_path: Path):
    db = tmp_path / "posom.db"
    await seed_members(db, VOLUNTEERS)
    config = tmp_path / "config.toml"
    # 10 messages a second: the fan-out takes four seconds, so a stop lands in the middle.
    config.write_text(service_config(fake, db, rate=10, callout='reminder_after = "0s"\n'
                                     'unstaffed_alert_after = "1h"'), encoding="utf-8")
    leader, volunteers = people(fake, VOLUNTEERS)
    bot = BotProcess(config, tmp_path / "bot.log")
    await bot.start()
    try:
        # Telegram takes her request at once but answers only 3 s later.
        fake.fail(HELD, "timeout_after_delivery", hold=3, method="sendMessage")
        code = await issue_callout(leader)
        await until(lambda: any(call.method == "sendMessage" and call.chat_id == HELD
                                and call.status == 0 for call in fake.calls),
                    what="the held send")
        bot.terminate()
        assert await bot.wait(30) == 0, bot.log_text()
    finally:
        await bot.kill_machine()
    assert "Traceback" not in bot.log_text()

    # Nothing is left half-sent; what was not sent yet is still queued.
    states = dict(rows(db, "SELECT state, count(*) FROM outbox GROUP BY state"))
    assert states.get("sending", 0) == 0
    waiting = states.get("pending", 0)
    assert waiting > 0, "the stop came after the fan-out: the test did not test a stop"
    held = rows(db, "SELECT o.state FROM outbox o WHERE o.address = ? AND o.ref LIKE 'request:%'",
                (f"telegram:{HELD}",))
    assert [row["state"] for row in held] == ["sent"]  # the answer came back and was recorded
    assert [row["stopped_at"] is not None for row in rows(db, "SELECT * FROM service_runs")] == [
        True]

    # The next start sends the rest; nobody is asked twice (the held one included).
    await bot.start()
    try:
        back = await leader.wait_for("The bot is back", timeout=20)
        assert f"1 call-out resumed, {waiting} messages that waited are on their way" in back.text
        await until(lambda: all(originals(person, f"Call-out {code}") for person in volunteers),
                    limit=30, what="every volunteer asked")
        await fake.settle(quiet=1.0, timeout=30)
        bot.terminate()
        assert await bot.wait(30) == 0, bot.log_text()
    finally:
        await bot.kill_machine()
    for person in volunteers:
        assert len(originals(person, f"Call-out {code}")) == 1, person.first_name
    assert rows(db, "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')")[0][0] == 0
    assert len(originals(leader, "The bot is back")) == 1
