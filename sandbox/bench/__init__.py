"""`posom bench`: measures the bot against the targets of DESIGN §9, beside a bare-client floor.

Everything runs on this machine in one process tree:

- this process runs the fake Telegram Bot API server (sandbox.fake_telegram) and plays the people;
- the bot runs in a child process (`python -m sandbox.bench bot-host`): the real BotRuntime
  with PTB, SQLite, the outbox and the deadlines, driven only through the fake Telegram, except
  that a call-out can also be issued straight through the call-out service;
- the floor runs in another child process (`python -m sandbox.bench floor-host`): a bare HTTP
  client (aiohttp) making the same HTTP calls with the same pacing and concurrency and no bot
  logic, so each bot figure comes with what the fake server and the loopback can do, and the bot's
  overhead is a ratio. Where the bot's own cost shows (unpaced fan-out, answers), the same calls
  are also made with a bare httpx client, the HTTP library PTB uses, to show that library's share.

Times are CLOCK_MONOTONIC, which all processes on the machine share. A message counts as
delivered when the fake server takes the call (ApiCall.time). Memory and CPU are read from
/proc/<pid> of the bot's own process, so the fake server is never counted in them.

Per roster size N the scenarios are:

fan-out      N volunteers in one area; the leader goes through /activate and presses [Send
             call-out]; from that press to the last person's request accepted. Pacing on (the
             configured rate, with the fake answering 429 above 30 messages in any second) and off.
latency      5 areas of 4 volunteers (a woman and a man answer Yes at once, so the pair is mixed
             and staffs at once), the rest of the roster (at most 1,000) in a background area.
             From the commit of the staffing Yes to both briefings accepted, over many call-outs,
             first alone, then while the background area's fan-out is going out (re-sent
             whenever it has gone out, so one is always under way).
capacity     N volunteers in 50 areas, one call-out per area, every request delivered. Start-up of
             a fresh bot process on that database (50 open call-outs, their deadlines re-armed),
             then every volunteer presses Yes or No at once: answers committed per second, peak
             memory.
"""

from sandbox.bench.run import run_bench

__all__ = ["run_bench"]
