"""`posom bench`: measures the bot against the targets of DESIGN §9, beside a bare-client floor.

Everything runs on this machine in one process tree:

- this process runs the fake Telegram Bot API server (bot.fake_telegram) and plays the people;
- the bot runs in a child process (`python -m bot.bench bot-host`): the real BotRuntime with PTB,
  SQLite, the outbox and the deadlines, driven only through the fake Telegram, except that a
  call-out can also be issued straight through the call-out service;
- the floor runs in another child process (`python -m bot.bench floor-host`): a bare HTTP client
  (aiohttp) making the same HTTP calls with the same pacing and concurrency and no bot logic, so
  each bot figure comes with what the fake server and the loopback can do, and the bot's
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

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["run_bench"]

TOKEN = "424242:BENCH-TOKEN-NOT-A-SECRET"
BOT_USERNAME = "posom_bench_bot"
LEADER_ID = 7
FIRST_VOLUNTEER_ID = 1_000_000
FLOOD_LIMIT = 30  # Telegram's own limit, as the fake enforces it (429 beyond it in any second)
SENDER_WORKERS = 8  # BotRuntime's default; the floor uses as many
UPDATE_CONCURRENCY = 64  # PTB's concurrent_updates in bot.app
LATENCY_AREAS = 5
LATENCY_AREA_SIZE = 4
BACKGROUND_MAX = 1000
NEEDED = 2
SUMMARY = "Brand i villa, familj behöver stöd"
BRIEFING = "Storgatan 12 B, ring Eva på 070-555 12 34. Villabrand, familj på fyra."
PLACE = {"location_lat": 59.3793, "location_lon": 13.5036,
         "location_title": "Storgatan 12 B", "location_address": "Karlstad"}
REQUEST_MARK = "🚨"
BRIEFING_MARK = "📋"
TOAST = "Tack för ditt svar."
MEMORY_TARGET_MB = 120
STARTUP_TARGET_S = 5.0
LATENCY_TARGET_S = 1.0
ANSWERS_TARGET = 500
# The escalation ladder switched off (--no-escalation), to measure the sender on its own.
NO_LADDER = {"reminder_after": "0s", "waves": [], "unstaffed_alert_after": "365d"}
CODE = re.compile(r"\b\d{4}-\d{3,}\b")


# ----------------------------------------------------------------------------------------------
# /proc readings
# ----------------------------------------------------------------------------------------------


def _memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process, in MB of 10^6 bytes."""
    found = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) * 1024 / 1e6
    return {"rss": found.get("VmRSS", math.nan), "hwm": found.get("VmHWM", math.nan)}


def _machine_busy() -> float:
    """CPU seconds all processes on the machine have used since boot (from /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the bench's tree)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (all its threads)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------------------------
# The child processes (bot host and floor host) and the parent's handle on them
# ----------------------------------------------------------------------------------------------


class Child:
    """A bench child process that answers one JSON line per JSON command line."""

    def __init__(self, process: asyncio.subprocess.Process, name: str, log: Path,
                 spawned_at: float) -> None:
        self.process = process
        self.name = name
        self.log = log
        self.spawned_at = spawned_at
        self._turn = asyncio.Lock()  # one command at a time: answers come back in order

    @classmethod
    async def spawn(cls, role: str, name: str, workdir: Path) -> Child:
        """Starts `python -m bot.bench <role>` with its stderr in workdir/<name>.log."""
        log = workdir / f"{name}.log"
        with log.open("ab") as stderr:
            spawned_at = time.monotonic()
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.bench", role, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=stderr, limit=1 << 28)
        return cls(process, name, log, spawned_at)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def request(self, command: str, limit: float = 900, **arguments: Any) -> dict:
        """Sends a command and waits for its answer."""
        assert self.process.stdin is not None and self.process.stdout is not None
        async with self._turn:
            self.process.stdin.write(json.dumps({"cmd": command, **arguments}).encode() + b"\n")
            await self.process.stdin.drain()
            async with asyncio.timeout(limit):
                line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} exited during {command!r}; see {self.log}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.name}: {command!r} failed: {reply['error']} "
                               f"(see {self.log})")
        return reply

    def memory(self) -> dict[str, float]:
        return _memory_mb(self.pid)

    def cpu(self) -> float:
        return _cpu_seconds(self.pid)

    async def close(self) -> None:
        """Asks the child to exit; kills it (this child only) if it does not."""
        if self.process.returncode is None:
            with contextlib.suppress(Exception):
                await self.request("exit", limit=30)
            try:
                async with asyncio.timeout(30):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def _protocol_stream():
    """The original stdout for the protocol; anything printed later goes to stderr."""
    stream = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    return stream


async def _serve(handle: Callable[[dict], Any]) -> None:
    """Reads commands from stdin and answers each on the protocol stream, until 'exit'."""
    out = _protocol_stream()
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        command = json.loads(line)
        name = command.pop("cmd")
        try:
            reply = await handle(name, command) if name != "exit" else {}
        except Exception as error:  # reported to the parent, which stops the bench
            import traceback

            traceback.print_exc()
            reply = {"error": f"{type(error).__name__}: {error}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
        if name == "exit":
            return


class BotHost:
    """The child that runs the real bot (BotRuntime) and records when each answer committed."""

    def __init__(self) -> None:
        self.runtime = None
        self.answers: list[tuple[int, bool, bool, float]] = []
        self._logging = False

    async def handle(self, name: str, arguments: dict) -> dict:
        return await getattr(self, "_" + name)(**arguments)

    async def _start(self, settings: dict) -> dict:
        import logging

        from bot.app import BotRuntime
        from bot.config import Settings
        from bot.logs import configure_logging

        if not self._logging:
            configure_logging(logging.INFO, secrets=[TOKEN])  # as `posom run` does
            self._logging = True
        config = Settings(**settings)
        self.runtime = BotRuntime(config, sender_workers=SENDER_WORKERS)
        began = time.monotonic()
        await self.runtime.start()
        ready = time.monotonic()
        self._time_answers()
        return {"start_s": ready - began, "ready_at": ready,
                "rate": config.telegram.max_messages_per_second, **await self._deadlines()}

    async def _deadlines(self) -> dict:
        """Pending deadline rows and the jobs armed for them (None where there are none yet)."""
        database = self.runtime.database
        table = await database.fetch_one(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'deadlines'")
        pending = None
        if table is not None:
            row = await database.fetch_one(
                "SELECT count(*) AS n FROM deadlines WHERE state = 'pending'")
            pending = int(row["n"])
        runner = getattr(self.runtime.services, "deadlines", None)
        scheduler = getattr(runner, "_scheduler", None)
        jobs = None
        if scheduler is not None:
            jobs = sum(1 for job in scheduler.get_jobs() if job.id.startswith("deadline-"))
        return {"deadlines_pending": pending, "deadline_jobs": jobs}

    def _time_answers(self) -> None:
        """Wraps CalloutService.answer to note when each answer's transaction committed.

        answer() returns right after its COMMIT (logging and waking the sender are synchronous,
        nothing is awaited in between), so the return is the commit as the bot's event loop
        sees it.
        """
        import inspect

        callouts = self.runtime.services.callouts
        original = callouts.answer
        signature = inspect.signature(original)
        answers = self.answers

        async def timed(*args: Any, **kwargs: Any):
            result = await original(*args, **kwargs)
            done = time.monotonic()
            given = signature.bind(*args, **kwargs).arguments
            answers.append((int(given["request_id"]), bool(given["yes"]),
                            bool(getattr(result, "changed", False)), done))
            return result

        callouts.answer = timed

    async def _issue(self, area: str, count: int = 1, needed: int = NEEDED) -> dict:
        from storage.callouts import NewActivation

        services = self.runtime.services
        leader = await services.members.by_telegram_id(LEADER_ID)
        issued = []
        began = time.monotonic()
        for _ in range(count):
            result = await services.callouts.issue(leader, NewActivation(
                kind="fire", area=area, needed=needed, summary=SUMMARY, briefing=BRIEFING,
                **PLACE))
            issued.append({"id": result.activation.id, "code": result.activation.code,
                           "asked": result.asked})
        return {"began": began, "activations": issued}

    async def _answers(self) -> dict:
        taken, self.answers[:] = list(self.answers), []
        return {"answers": taken}

    async def _drain(self, limit: float = 600) -> dict:
        await self.runtime.services.sender.drain(limit)
        return {}

    async def _stop(self) -> dict:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None
        return {}


class FloorHost:
    """The child with no bot logic: a bare HTTP client making the calls it is given.

    By default the client is aiohttp, the cheapest one at hand, so the floor is what the fake
    server and the loopback can do; with library="httpx" it is the HTTP library PTB uses, to show
    how much of the bot's cost is that library's own.
    """

    def __init__(self) -> None:
        self.status: Counter[int] = Counter()

    async def handle(self, name: str, arguments: dict) -> dict:
        return await getattr(self, "_" + name)(**arguments)

    @contextlib.asynccontextmanager
    async def _client(self, api_url: str, rate: float, library: str = "aiohttp",
                      pool: int = 16) -> AsyncIterator[Callable]:
        """call(method, params): one Bot API call, paced like the bot when it names a chat."""
        from aiolimiter import AsyncLimiter

        base = f"{api_url}/bot{TOKEN}/"
        # As bot.app sets up PTB's AIORateLimiter: one message per 1/rate seconds.
        limiter = AsyncLimiter(1, 1 / rate) if rate else None
        status = self.status
        async with contextlib.AsyncExitStack() as stack:
            if library == "httpx":
                import httpx

                client = await stack.enter_async_context(httpx.AsyncClient(
                    limits=httpx.Limits(max_connections=pool), timeout=60))

                async def post(method: str, data: dict) -> tuple[int, Any]:
                    response = await client.post(base + method, data=data)
                    return response.status_code, response.json()
            else:
                import aiohttp

                session = await stack.enter_async_context(aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=pool),
                    timeout=aiohttp.ClientTimeout(total=60)))

                async def post(method: str, data: dict) -> tuple[int, Any]:
                    async with session.post(base + method, data=data) as response:
                        return response.status, await response.json()

            async def call(method: str, params: dict) -> Any:
                # Form-encoded with JSON for complex fields, as PTB sends them.
                data = {key: value if isinstance(value, str) else json.dumps(value)
                        for key, value in params.items() if value is not None}
                if limiter is not None and "chat_id" in params:
                    async with limiter:
                        code, body = await post(method, data)
                else:
                    code, body = await post(method, data)
                status[code] += 1
                return body

            yield call

    @staticmethod
    async def _groups(call: Callable, groups: list, workers: int,
                      stop: asyncio.Event | None = None, repeat: bool = False) -> None:
        """Sends each chat's calls in order, `workers` chats at a time (as the outbox does)."""
        queue = list(reversed(groups))

        async def worker() -> None:
            while queue and not (stop is not None and stop.is_set()):
                for method, params in queue.pop():
                    await call(method, params)
                if repeat and not queue:
                    queue.extend(reversed(groups))

        await asyncio.gather(*(worker() for _ in range(workers)))

    def _result(self, **values: Any) -> dict:
        result = {**values, "status": dict(self.status)}
        self.status.clear()
        return result

    async def _send(self, api_url: str, groups: list, rate: float, library: str = "aiohttp",
                    workers: int = SENDER_WORKERS) -> dict:
        async with self._client(api_url, rate, library) as call:
            began = time.monotonic()
            await self._groups(call, groups, workers)
        return self._result(began=began)

    async def _briefings(self, api_url: str, runs: list, rate: float, gap: float,
                         background: list | None = None) -> dict:
        """Each run's briefing calls one run after another, optionally beside a fan-out."""
        async with self._client(api_url, rate) as call:
            stop = asyncio.Event()
            behind = (asyncio.create_task(self._groups(call, background, SENDER_WORKERS - 1,
                                                       stop, repeat=True))
                      if background else None)
            if behind is not None:
                await asyncio.sleep(1.0)  # let the fan-out get under way first
            began = []
            for groups in runs:
                began.append(time.monotonic())
                await asyncio.gather(*(self._groups(call, [group], 1) for group in groups))
                await asyncio.sleep(gap)
            stop.set()
            if behind is not None:
                await behind
        return self._result(began=began)

    async def _storm(self, api_url: str, expect: int, rate: float,
                     library: str = "aiohttp") -> dict:
        """Takes `expect` button presses by getUpdates, answers each, and queues an edit each.

        The toast is sent at once (answerCallbackQuery names no chat, so it is not paced); the
        edit goes through the paced workers, as the bot's outbox does. Timing ends at the last
        toast; the edits still queued then are dropped.
        """
        async with self._client(api_url, rate, library) as call, \
                self._client(api_url, 0, library, pool=1) as poll_call:
            edits: asyncio.Queue = asyncio.Queue()
            done = asyncio.Event()
            slots = asyncio.Semaphore(UPDATE_CONCURRENCY)
            toasts = 0
            tasks: set[asyncio.Task] = set()

            async def handle(query: dict) -> None:
                nonlocal toasts
                async with slots:
                    await call("answerCallbackQuery", {"callback_query_id": query["id"],
                                                       "text": TOAST})
                toasts += 1
                if toasts >= expect:
                    done.set()
                message = query["message"]
                edits.put_nowait({"chat_id": message["chat"]["id"],
                                  "message_id": message["message_id"],
                                  "text": message.get("text", "") + " ·",
                                  "reply_markup": message.get("reply_markup")})

            async def edit_worker() -> None:
                while True:
                    await call("editMessageText", await edits.get())

            offset = 0

            async def poll() -> None:
                nonlocal offset
                while not done.is_set():
                    body = await poll_call("getUpdates", {
                        "offset": offset, "timeout": 10, "limit": 100,
                        "allowed_updates": ["message", "callback_query"]})
                    for update in body["result"]:
                        offset = update["update_id"] + 1
                        if "callback_query" in update:
                            task = asyncio.create_task(handle(update["callback_query"]))
                            tasks.add(task)
                            task.add_done_callback(tasks.discard)

            began = time.monotonic()
            workers = [asyncio.create_task(edit_worker()) for _ in range(SENDER_WORKERS)]
            poller = asyncio.create_task(poll())
            await done.wait()
            finished = time.monotonic()
            for task in (poller, *workers):
                task.cancel()
            await asyncio.gather(poller, *workers, return_exceptions=True)
            # Confirm what was fetched, so the next bot does not see these presses again.
            await poll_call("getUpdates", {"offset": offset, "timeout": 0})
        return self._result(began=began, finished=finished, toasts=toasts)

    async def _replay(self, api_url: str, calls: list) -> dict:
        """Makes the given calls one after another (the bot's start-up calls)."""
        async with self._client(api_url, 0) as call:
            for method, params in calls:
                await call(method, params)
        return self._result(done_at=time.monotonic())


def _child_main(role: str) -> None:
    host = BotHost() if role == "bot-host" else FloorHost()
    asyncio.run(_serve(host.handle))


# ----------------------------------------------------------------------------------------------
# The parent: rosters, people and the fake server
# ----------------------------------------------------------------------------------------------


@dataclass
class Options:
    sizes: list[int]
    runs: int
    activations: int
    startups: int
    parts: set[str]
    escalation: bool
    workdir: Path


@dataclass
class World:
    """One fake server with its people, and the database the bot will open."""

    fake: Any
    database: Path
    areas: dict[str, list[int]]
    names: dict[str, str]
    leader: Any = None
    people: dict[int, Any] = field(default_factory=dict)

    def settings(self, options: Options, *, paced: bool) -> dict:
        """The bot's configuration: production defaults except what the bench must set."""
        telegram: dict[str, Any] = {"token": TOKEN, "api_url": self.fake.api_url,
                                    "bot_username": BOT_USERNAME, "poll_timeout": 10}
        if not paced:
            telegram["max_messages_per_second"] = 0
        values: dict[str, Any] = {
            "admins": [], "telegram": telegram,
            "organisation": {"name": "POSOM Bench", "duty_phone": "+46 54 100 00"},
            "areas": [{"key": key, "name": name} for key, name in self.names.items()],
            "storage": {"path": str(self.database)},
        }
        if not options.escalation:
            values["callout"] = NO_LADDER
        return values


@contextlib.asynccontextmanager
async def _world(path: Path, layout: dict[str, int],
                 names: dict[str, str] | None = None) -> AsyncIterator[World]:
    """A fake Telegram with the roster's people, and the roster in a fresh database."""
    from bot.fake_telegram import FakeTelegram

    areas = await _seed(path, layout)
    fake = FakeTelegram(token=TOKEN, bot_username=BOT_USERNAME)
    await fake.start()
    try:
        world = World(fake, path, areas, names or {key: key.capitalize() for key in layout})
        world.leader = fake.person(LEADER_ID, "Lena", "Ledare", language_code="en",
                                   started=True)
        for members in areas.values():
            for user_id in members:
                world.people[user_id] = fake.person(user_id, "Stödperson",
                                                    str(user_id - FIRST_VOLUNTEER_ID),
                                                    language_code="sv", started=True)
        yield world
    finally:
        await fake.stop()


async def _seed(path: Path, layout: dict[str, int]) -> dict[str, list[int]]:
    """Writes a leader and the volunteers of each area (women and men in turn) to a new file."""
    from storage.database import Database
    from storage.members import MemberStore, NewMember

    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    members = [NewMember(name="Lena Ledare", role="leader", phone="+46705550000", locale="en",
                         telegram_id=LEADER_ID, telegram_locale="en")]
    areas: dict[str, list[int]] = {}
    user_id = FIRST_VOLUNTEER_ID
    for area, count in layout.items():
        areas[area] = []
        for index in range(count):
            members.append(NewMember(
                name=f"Stödperson {user_id - FIRST_VOLUNTEER_ID}", role="volunteer", area=area,
                gender="female" if index % 2 == 0 else "male", telegram_id=user_id,
                telegram_locale="sv"))
            areas[area].append(user_id)
            user_id += 1
    database = await Database.open(path)
    try:
        await MemberStore(database).import_roster(members, actor="bench", now=datetime.now(UTC))
    finally:
        await database.close()
    return areas


class Watch:
    """Reads the fake's call log from a mark onwards, a slice at a time."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.index = len(fake.calls)

    def new(self) -> list:
        calls = self.fake.calls[self.index:]
        self.index += len(calls)
        return calls


def _text(call: Any) -> str:
    value = call.params.get("text")
    return value if isinstance(value, str) else ""


def _is_request(call: Any) -> bool:
    return call.method == "sendMessage" and call.status == 200 and REQUEST_MARK in _text(call)


async def _until(condition: Callable[[], bool], limit: float, every: float = 0.02) -> None:
    """Polls a condition on the fake's call log (which has no event to wait on)."""
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(every)


async def _first_requests(watch: Watch, chats: Iterable[int], limit: float) -> dict[int, Any]:
    """Waits until every chat got a request (the first one counts); chat → that call."""
    wanted = set(chats)
    reached: dict[int, Any] = {}

    def scan() -> bool:
        for call in watch.new():
            if call.chat_id in wanted and call.chat_id not in reached and _is_request(call):
                reached[call.chat_id] = call
        return len(reached) >= len(wanted)

    try:
        await _until(scan, limit, every=0.05)
    except TimeoutError:
        raise RuntimeError(f"only {len(reached)} of {len(wanted)} requests arrived within "
                           f"{limit:.0f} s") from None
    return reached


def _replayable(call: Any) -> list:
    return [call.method, dict(call.params)]


async def _send_call_out(world: World, area: str) -> tuple[float, str]:
    """The leader's /activate dialogue up to [Send call-out]; returns that press's time, code."""
    from bot.callbacks import ActivateChoice

    fake, leader = world.fake, world.leader
    last = leader.last

    async def step(name: str, value: str | None = None):
        nonlocal last
        key = ActivateChoice(name, value or "abort").pack()
        message = await leader.wait_for(lambda m: m.find_button(callback_data=key) is not None,
                                        timeout=60, after=last)
        last = message
        if value is None:
            return None
        return await fake.press_as(leader, message, callback_data=key)

    await leader.send("/activate")
    await step("kind", "fire")
    await step("area", area)
    await step("needed", str(NEEDED))
    await step("summary")
    await leader.send(SUMMARY)
    await step("briefing")
    await leader.send(BRIEFING)
    await step("location")
    await leader.share_location(PLACE["location_lat"], PLACE["location_lon"])
    press = await step("preview", "send")
    sent = await leader.wait_for(lambda m: CODE.search(m.text or "") is not None, after=last,
                                 timeout=600)
    return press.pressed_at, CODE.search(sent.text).group(0)


# ----------------------------------------------------------------------------------------------
# Scenarios
# ----------------------------------------------------------------------------------------------


def _say(line: str) -> None:
    print(line, flush=True)


async def _fanout(options: Options, floor: Child, size: int, paced: bool) -> dict:
    """[Send call-out] → last request accepted, for N volunteers of one area."""
    mode = "on" if paced else "off"
    path = options.workdir / f"fanout-{size}-{mode}.db"
    names = {"fan": "Fan-out", "other": "Elsewhere"}
    async with _world(path, {"fan": size, "other": 0}, names) as world:
        fake = world.fake
        fake.flood_limit(FLOOD_LIMIT if paced else None)
        bot = await Child.spawn("bot-host", f"bot-fanout-{size}-{mode}", options.workdir)
        try:
            started = await bot.request("start", settings=world.settings(options, paced=paced))
            watch, refused = Watch(fake), fake.stats.flood_429s
            cpu = bot.cpu()
            pressed, _ = await _send_call_out(world, "fan")
            reached = await _first_requests(watch, world.areas["fan"], size / 10 + 300)
            cpu = bot.cpu() - cpu
            last = max(call.time for call in reached.values())
            result = {"seconds": last - pressed, "rate": started["rate"],
                      "flood_429s": fake.stats.flood_429s - refused,
                      "cpu_per_message_ms": cpu / size * 1000, "messages": size}
            await bot.request("stop")
            result["bot_peak_mb"] = bot.memory()["hwm"]
        finally:
            await bot.close()
        groups = [[_replayable(call)] for call in sorted(reached.values(), key=lambda c: c.time)]
        # Unpaced, the bare client also runs with httpx: how much is PTB's HTTP library alone.
        for library, prefix in (("aiohttp", "floor"), ("httpx", "httpx_floor"))[:1 + (not paced)]:
            watch, refused, cpu = Watch(fake), fake.stats.flood_429s, floor.cpu()
            began = (await floor.request("send", api_url=fake.api_url, groups=groups,
                                         rate=started["rate"], library=library))["began"]
            cpu = floor.cpu() - cpu
            floor_last = max(call.time for call in watch.new() if call.method == "sendMessage")
            result.update({f"{prefix}_seconds": floor_last - began,
                           f"{prefix}_429s": fake.stats.flood_429s - refused,
                           f"{prefix}_cpu_per_message_ms": cpu / size * 1000})
    _say(f"  fan-out {size:,} pacing {mode}: {result['seconds']:.2f} s "
         f"(floor {result['floor_seconds']:.2f} s), 429s {result['flood_429s']}")
    return result


@dataclass
class Run:
    code: str
    chats: tuple[int, int]
    requests: tuple[int, int]
    pressed: float


async def _latency(options: Options, floor: Child, size: int) -> dict:
    """Commit of the last needed Yes → both briefings accepted, alone and beside a fan-out."""
    small = min(LATENCY_AREAS, max(1, size // LATENCY_AREA_SIZE))
    rest = size - small * LATENCY_AREA_SIZE
    background = min(BACKGROUND_MAX, rest)
    layout = {f"lat{index}": LATENCY_AREA_SIZE for index in range(small)}
    layout.update(background=background, rest=rest - background)
    path = options.workdir / f"latency-{size}.db"
    async with _world(path, layout) as world:
        fake = world.fake
        fake.flood_limit(FLOOD_LIMIT)
        bot = await Child.spawn("bot-host", f"bot-latency-{size}", options.workdir)
        try:
            started = await bot.request("start", settings=world.settings(options, paced=True))
            watch = Watch(fake)
            alone = [await _one_run(world, bot, index % small, drain=True)
                     for index in range(options.runs)]
            behind = _Background(world, bot)
            task = asyncio.create_task(behind.run())
            await behind.under_way.wait()
            during = [await _one_run(world, bot, index % small, drain=False)
                      for index in range(options.runs)]
            behind.stop = True
            await task
            calls = watch.new()
            committed = {request: at for request, _, _, at in
                         (await bot.request("answers"))["answers"]}
            await bot.request("stop")
            peak = bot.memory()["hwm"]
        finally:
            await bot.close()
        result = {"rate": started["rate"], "background": background, "bot_peak_mb": peak,
                  "background_fanouts": len(behind.codes)}
        for name, runs in (("alone", alone), ("during", during)):
            result[name] = _latencies(runs, calls, committed)
        result["during"]["overlapping"] = sum(
            1 for run in during if any(start <= run.pressed <= end
                                       for start, end in behind.spans(calls)))
        first_background = [_replayable(call) for call in calls if _is_request(call)
                            and behind.codes and behind.codes[0] in _text(call)]
        for name, runs in (("alone", alone), ("during", during)):
            replays = [_briefing_calls(run, calls) for run in runs]
            watch = Watch(fake)
            began = (await floor.request(
                "briefings", api_url=fake.api_url, runs=replays, rate=started["rate"],
                gap=0.05, background=[[c] for c in first_background] if name == "during"
                else None))["began"]
            floor_calls = watch.new()
            result[name]["floor"] = [_accepted(run, floor_calls, start) - start
                                     for run, start in zip(runs, began, strict=True)]
    for name in ("alone", "during"):
        figures = result[name]
        _say(f"  latency {size:,} {name}: p95 {_percentile(figures['commit'], 95) * 1000:.0f} ms"
             f" (floor {_percentile(figures['floor'], 95) * 1000:.0f} ms)")
    return result


class _Background:
    """Keeps a fan-out to the background area going out: a new one as soon as one is out."""

    def __init__(self, world: World, bot: Child) -> None:
        self.world = world
        self.bot = bot
        self.stop = False
        self.codes: list[str] = []
        self.under_way = asyncio.Event()

    async def run(self) -> None:
        chats = self.world.areas["background"]
        if not chats:
            self.under_way.set()
            return
        while not self.stop:
            watch = Watch(self.world.fake)
            issued = await self.bot.request("issue", area="background")
            self.codes.append(issued["activations"][0]["code"])
            reached: set[int] = set()
            while not self.stop and len(reached) < len(chats):
                reached.update(call.chat_id for call in watch.new() if _is_request(call)
                               and self.codes[-1] in _text(call))
                if len(reached) >= min(10, len(chats)):
                    self.under_way.set()
                await asyncio.sleep(0.05)

    def spans(self, calls: list) -> list[tuple[float, float]]:
        """When each background fan-out was going out: first to last request accepted."""
        spans = []
        for code in self.codes:
            times = [call.time for call in calls if _is_request(call) and code in _text(call)]
            if times:
                spans.append((min(times), max(times)))
        return spans


async def _one_run(world: World, bot: Child, area: int, *, drain: bool) -> Run:
    """A small call-out to 4: once all have it, a woman and a man press Yes together; then one
    of them closes it with [Avslutad]."""
    fake = world.fake
    members = world.areas[f"lat{area}"]
    first, second = members[:2]
    people = (world.people[first], world.people[second])
    code = (await bot.request("issue", area=f"lat{area}"))["activations"][0]["code"]
    requests = []
    for member in members:
        requests.append(await world.people[member].wait_for(
            lambda m: REQUEST_MARK in (m.text or "") and code in m.text, timeout=120))
    requests = requests[:2]
    yes = [next(b.callback_data for b in message.buttons[0]) for message in requests]
    presses = await asyncio.gather(*(fake.press_as(person, message, callback_data=data)
                                     for person, message, data in zip(people, requests, yes,
                                                                       strict=True)))
    briefings = []
    for person in people:
        briefings.append(await person.wait_for(
            lambda m: BRIEFING_MARK in (m.text or "") and code in m.text, timeout=120))
    for person, briefing in zip(people, briefings, strict=True):
        await person.wait_for(lambda m: m.venue is not None, after=briefing, timeout=120)
    request_ids = tuple(int(data.split(":")[1]) for data in yes)
    # [Avslutad] under the first briefing closes the call-out and frees the area.
    finished = next(b.callback_data for row in briefings[0].buttons for b in row
                    if b.callback_data and b.callback_data.endswith(":finished"))
    closing = await fake.press_as(people[0], briefings[0], callback_data=finished)
    await closing.answer(timeout=120)
    if drain:
        await bot.request("drain")
    return Run(code, (first, second), request_ids, max(press.pressed_at for press in presses))


def _briefing_calls(run: Run, calls: list) -> list:
    """The run's briefing and location calls, per chat in the order the bot made them."""
    groups = []
    for chat in run.chats:
        briefing = next(call for call in calls if call.chat_id == chat
                        and call.method == "sendMessage" and call.status == 200
                        and BRIEFING_MARK in _text(call) and run.code in _text(call))
        pin = next(call for call in calls if call.chat_id == chat and call.status == 200
                   and call.method in ("sendVenue", "sendLocation") and call.time > briefing.time)
        groups.append([_replayable(briefing), _replayable(pin)])
    return groups


def _accepted(run: Run, calls: list, after: float) -> float:
    """When the last of the run's two briefings was accepted (after a given time)."""
    return max(next(call.time for call in calls if call.chat_id == chat and call.time >= after
                    and call.method == "sendMessage" and call.status == 200
                    and BRIEFING_MARK in _text(call) and run.code in _text(call))
               for chat in run.chats)


def _latencies(runs: list[Run], calls: list, committed: dict[int, float]) -> dict:
    commit, pressed, pins = [], [], []
    for run in runs:
        briefed = _accepted(run, calls, run.pressed)
        pinned = max(next(call.time for call in calls if call.chat_id == chat
                          and call.time > run.pressed and call.status == 200
                          and call.method in ("sendVenue", "sendLocation"))
                     for chat in run.chats)
        staffed = max(committed[request] for request in run.requests)
        commit.append(briefed - staffed)
        pressed.append(briefed - run.pressed)
        pins.append(pinned - staffed)
    return {"commit": commit, "press": pressed, "pins": pins}


async def _capacity(options: Options, floor: Child, size: int) -> dict:
    """50 open call-outs over N volunteers: start-up, then everyone answers at once."""
    count = min(options.activations, size)
    layout = {f"cap{index:02d}": size // count + (index < size % count)
              for index in range(count)}
    path = options.workdir / f"capacity-{size}.db"
    result: dict[str, Any] = {"activations": count}
    async with _world(path, layout) as world:
        fake = world.fake
        # 1. Issue the call-outs and deliver every request (unpaced: this is only the set-up).
        setup = await Child.spawn("bot-host", f"bot-capacity-{size}-setup", options.workdir)
        try:
            await setup.request("start", settings=world.settings(options, paced=False))
            watch = Watch(fake)
            for area in layout:
                await setup.request("issue", area=area)
            await _first_requests(watch, world.people, size / 50 + 300)
            await setup.request("drain")
            await setup.request("stop")
            result["setup_peak_mb"] = setup.memory()["hwm"]
        finally:
            await setup.close()
        presses = _ballot(world, size)
        fake.flood_limit(FLOOD_LIMIT)
        # 2. The bare clients take the same presses first (their edits keep the buttons).
        for library, prefix in (("aiohttp", "floor"), ("httpx", "httpx_floor")):
            result.update({f"{prefix}_{key}": value for key, value in
                           (await _floor_storm(floor, fake, presses, library)).items()})
        # 3. Start-up of fresh processes on the open call-outs; the last one stays up.
        starts: list[dict] = []
        startup_calls: list = []
        bot = None
        for index in range(options.startups):
            if bot is not None:
                await bot.request("stop")
                await bot.close()
            watch = Watch(fake)
            bot = await Child.spawn("bot-host", f"bot-capacity-{size}-{index}", options.workdir)
            try:
                started = await bot.request("start", settings=world.settings(options, paced=True))
            except BaseException:
                await bot.close()
                raise
            started["process_s"] = started["ready_at"] - bot.spawned_at
            started["rss_mb"] = bot.memory()["rss"]
            starts.append(started)
            startup_calls = [_replayable(call) for call in watch.new()
                             if call.method != "getUpdates"]
        result["startup"] = starts
        # 4. Everyone answers at once; the bot commits each answer.
        try:
            result["floor_startup"] = await _floor_startup(options, fake, startup_calls)
            watch = Watch(fake)
            cpu = bot.cpu()
            first, expected = await _press_all(fake, presses)
            answered: list[float] = []

            def all_answered() -> bool:
                answered.extend(call.time for call in watch.new()
                                if call.method == "answerCallbackQuery")
                return len(answered) >= expected

            await _until(all_answered, expected / 20 + 300, every=0.1)
            cpu = bot.cpu() - cpu
            answers = (await bot.request("answers"))["answers"]
            memory = bot.memory()
            await bot.request("stop")
        finally:
            await bot.close()
        commits = [at for *_, at in answers]
        result.update(
            presses=expected, answers=len(answers),
            changed=sum(1 for _, _, changed, _ in answers if changed),
            rate=len(answers) / (max(commits) - first),
            toast_rate=expected / (max(answered) - first),
            cpu_per_answer_ms=cpu / expected * 1000,
            peak_mb=memory["hwm"], rss_mb=memory["rss"],
            late_toasts=sum(1 for call in fake.calls if call.method == "answerCallbackQuery"
                            and call.status == 400 and call.time >= first),
            states=await asyncio.to_thread(_states, path))
    _say(f"  capacity {size:,}: start-up {starts[-1]['start_s']:.2f} s, "
         f"{result['rate']:.0f} answers/s (floor {result['floor_rate']:.0f}/s), "
         f"peak {result['peak_mb']:.0f} MB")
    return result


async def _floor_storm(floor: Child, fake: Any, presses: list, library: str) -> dict:
    watch, cpu = Watch(fake), floor.cpu()
    storm = asyncio.create_task(floor.request("storm", api_url=fake.api_url,
                                              expect=len(presses), rate=_paced_rate(),
                                              library=library))
    first, _ = await _press_all(fake, presses)
    reply = await storm
    cpu = floor.cpu() - cpu
    toasts = [call.time for call in watch.new() if call.method == "answerCallbackQuery"]
    return {"rate": reply["toasts"] / (max(toasts) - first),
            "cpu_per_answer_ms": cpu / reply["toasts"] * 1000}


def _paced_rate() -> float:
    from bot.config import TelegramSettings

    return TelegramSettings().max_messages_per_second


def _ballot(world: World, size: int) -> list[tuple[Any, Any, str]]:
    """Each volunteer's press on their request: Yes or No at random, in random order."""
    chooser = random.Random(size)
    presses = []
    for person in world.people.values():
        request = next(m for m in person.messages if REQUEST_MARK in (m.text or ""))
        yes, no = (button.callback_data for button in request.buttons[0])
        presses.append((person, request, yes if chooser.random() < 0.5 else no))
    chooser.shuffle(presses)
    return presses


async def _press_all(fake: Any, presses: list) -> tuple[float, int]:
    """Presses every button as fast as the fake takes them: the first press's time, how many.

    A button the bot has already taken away (a stand-down edit that got there first) cannot be
    pressed any more, as on a real phone; that press is left out.
    """
    first, pressed = None, 0
    for person, message, data in presses:
        if message.find_button(callback_data=data) is None:
            continue
        press = await fake.press_as(person, message, callback_data=data)
        first = first or press.pressed_at
        pressed += 1
    return first, pressed


async def _floor_startup(options: Options, fake: Any, calls: list) -> dict:
    """A fresh bare-client process making the bot's start-up calls: spawn → last call done."""
    floor = await Child.spawn("floor-host", "floor-startup", options.workdir)
    try:
        done = (await floor.request("replay", api_url=fake.api_url, calls=calls))["done_at"]
        return {"process_s": done - floor.spawned_at, "calls": len(calls),
                "rss_mb": floor.memory()["rss"]}
    finally:
        await floor.close()


def _states(path: Path) -> dict:
    """Request states, and the most confirmed on any one call-out, read from the file."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        states = dict(connection.execute(
            "SELECT state, count(*) FROM requests GROUP BY state").fetchall())
        most = connection.execute(
            "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM requests"
            " WHERE state = 'confirmed' GROUP BY activation_id)").fetchone()[0]
    finally:
        connection.close()
    return {"requests": states, "most_confirmed": most, "needed": NEEDED}


# ----------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------


def _percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def _ms(values: list[float]) -> str:
    return "/".join(f"{_percentile(values, p) * 1000:.0f}" for p in (50, 95, 99)) + " ms"


def _ratio(bot: float, floor: float) -> str:
    return f"×{bot / floor:.2f}" if floor > 0 else "×–"


def _cells(results: dict, sizes: list[int], cell: Callable[[dict, int], str]) -> str:
    parts = []
    for size in sizes:
        try:
            parts.append(cell(results[size], size))
        except KeyError:
            parts.append("–")
    return " | ".join(parts)


def _table(results: dict, sizes: list[int]) -> list[str]:
    def fan_on(r: dict, n: int) -> str:
        f = r["fanout_on"]
        return (f"{f['seconds']:.2f} s (floor {f['floor_seconds']:.2f} s, "
                f"{_ratio(f['seconds'], f['floor_seconds'])}); limit {n / 28 + 1:.2f} s; "
                f"429: {f['flood_429s']} (floor {f['floor_429s']})")

    def fan_off(r: dict, n: int) -> str:
        f = r["fanout_off"]
        return (f"{f['seconds']:.2f} s = {f['seconds'] / n * 1000:.2f} ms/msg "
                f"(floor {f['floor_seconds'] / n * 1000:.2f} ms/msg, "
                f"{_ratio(f['seconds'], f['floor_seconds'])}; bare httpx "
                f"{f['httpx_floor_seconds'] / n * 1000:.2f} ms/msg)")

    def fan_cpu(r: dict, n: int) -> str:
        f = r["fanout_off"]
        return (f"{f['cpu_per_message_ms']:.2f} ms/msg (floor client "
                f"{f['floor_cpu_per_message_ms']:.2f} ms/msg, "
                f"{_ratio(f['cpu_per_message_ms'], f['floor_cpu_per_message_ms'])}; bare httpx "
                f"{f['httpx_floor_cpu_per_message_ms']:.2f} ms/msg)")

    def latency(name: str) -> Callable[[dict, int], str]:
        def cell(r: dict, n: int) -> str:
            f = r["latency"][name]
            return (f"{_ms(f['commit'])} (floor {_ms(f['floor'])}; "
                    f"p95 {_ratio(_percentile(f['commit'], 95), _percentile(f['floor'], 95))})")
        return cell

    def latency_more(r: dict, n: int) -> str:
        f = r["latency"]
        return (f"press → briefings p95 {_percentile(f['alone']['press'], 95) * 1000:.0f} / "
                f"{_percentile(f['during']['press'], 95) * 1000:.0f} ms; commit → location pins "
                f"p95 {_percentile(f['alone']['pins'], 95) * 1000:.0f} / "
                f"{_percentile(f['during']['pins'], 95) * 1000:.0f} ms; background fan-out "
                f"{f['background']:,} people, re-sent {f['background_fanouts']}×, "
                f"{f['during']['overlapping']}/{len(f['during']['commit'])} runs inside one")

    def answers(r: dict, n: int) -> str:
        f = r["capacity"]
        return (f"{f['rate']:,.0f}/s (floor {f['floor_rate']:,.0f}/s, "
                f"{_ratio(f['floor_rate'], f['rate'])} slower; bare httpx "
                f"{f['httpx_floor_rate']:,.0f}/s); to last toast {f['toast_rate']:,.0f}/s")

    def answers_cpu(r: dict, n: int) -> str:
        f = r["capacity"]
        return (f"{f['cpu_per_answer_ms']:.2f} ms (floor client "
                f"{f['floor_cpu_per_answer_ms']:.2f} ms, "
                f"{_ratio(f['cpu_per_answer_ms'], f['floor_cpu_per_answer_ms'])}; bare httpx "
                f"{f['httpx_floor_cpu_per_answer_ms']:.2f} ms)")

    def answers_check(r: dict, n: int) -> str:
        f = r["capacity"]
        states = ", ".join(f"{k} {v:,}" for k, v in sorted(f["states"]["requests"].items()))
        return (f"{f['answers']:,} answers of {f['presses']:,} presses, {f['changed']:,} "
                f"changed state; rows: {states}; most confirmed on one call-out "
                f"{f['states']['most_confirmed']} (needed {f['states']['needed']}); "
                f"toasts too late: {f['late_toasts']:,}")

    def startup(r: dict, n: int) -> str:
        f = r["capacity"]
        starts = f["startup"]
        runtime = statistics.median(s["start_s"] for s in starts)
        process = statistics.median(s["process_s"] for s in starts)
        deadlines = starts[-1]["deadlines_pending"]
        jobs = starts[-1]["deadline_jobs"]
        armed = ("no deadlines table yet" if deadlines is None else
                 f"{deadlines} deadlines pending, {jobs} armed")
        return (f"{runtime:.2f} s in BotRuntime.start, {process:.2f} s from process spawn "
                f"(floor {f['floor_startup']['process_s']:.2f} s); {armed}")

    def memory(r: dict, n: int) -> str:
        f = r["capacity"]
        return (f"peak {f['peak_mb']:.0f} MB, after start-up "
                f"{f['startup'][-1]['rss_mb']:.0f} MB, at the end {f['rss_mb']:.0f} MB "
                f"(floor client {f['floor_startup']['rss_mb']:.0f} MB)")

    def other_peaks(r: dict, n: int) -> str:
        peaks = [f"{name} {r[key]['bot_peak_mb']:.0f} MB" for key, name in
                 (("fanout_on", "fan-out on"), ("fanout_off", "fan-out off"),
                  ("latency", "latency")) if key in r]
        if "capacity" in r:
            peaks.append(f"capacity set-up {r['capacity']['setup_peak_mb']:.0f} MB")
        return ", ".join(peaks) or "–"

    header = " | ".join(f"{size:,} volunteers" for size in sizes)
    lines = [f"| measurement (target) | {header} |",
             "|---|" + "---|" * len(sizes)]
    rows = [
        ("Fan-out, pacing on: [Send call-out] → last request accepted (≤ N/28 s + 1 s, no 429)",
         fan_on),
        ("Fan-out, pacing off: same, wall time per message", fan_off),
        ("Fan-out, pacing off: the bot's CPU per message", fan_cpu),
        ("Commit of the last needed Yes → both briefings accepted, alone: p50/p95/p99 "
         "(p95 < 1 s)", latency("alone")),
        ("… while a fan-out is going out (p95 < 1 s)", latency("during")),
        ("… more about those runs (alone / during)", latency_more),
        ("Answers committed per second, all volunteers at once over the open call-outs "
         "(≥ 500/s)", answers),
        ("… CPU per answer", answers_cpu),
        ("… what the answers did", answers_check),
        ("Start-up with N members and the open call-outs, deadlines re-armed (< 5 s); median",
         startup),
        ("Bot memory (RSS) with N members and the open call-outs (< 120 MB)", memory),
        ("Bot peak RSS in the other scenarios", other_peaks),
    ]
    for title, cell in rows:
        lines.append(f"| {title} | {_cells(results, sizes, cell)} |")
    return lines


def _verdicts(results: dict, sizes: list[int]) -> list[str]:
    lines = []
    for size in sizes:
        r = results[size]
        checks = []
        if "fanout_on" in r:
            f = r["fanout_on"]
            limit = size / 28 + 1
            checks.append(("fan-out within N/28 s + 1 s and no 429",
                           f["seconds"] <= limit and f["flood_429s"] == 0,
                           f"{f['seconds']:.2f} s vs {limit:.2f} s, {f['flood_429s']} × 429"))
        if "latency" in r:
            for name in ("alone", "during"):
                p95 = _percentile(r["latency"][name]["commit"], 95)
                checks.append((f"briefings p95 < 1 s ({name})", p95 < LATENCY_TARGET_S,
                               f"{p95 * 1000:.0f} ms"))
        if "capacity" in r:
            f = r["capacity"]
            checks.append(("≥ 500 answers/s", f["rate"] >= ANSWERS_TARGET,
                           f"{f['rate']:.0f}/s"))
            starts = f["startup"]
            slowest = max(s["process_s"] for s in starts)
            checks.append(("start-up < 5 s (from process spawn, slowest)",
                           slowest < STARTUP_TARGET_S, f"{slowest:.2f} s"))
            steady = f["startup"][-1]["rss_mb"]
            checks.append(("RSS < 120 MB, steady after start-up", steady < MEMORY_TARGET_MB,
                           f"{steady:.0f} MB"))
            checks.append(("RSS < 120 MB, peak over start-up and the answer storm",
                           f["peak_mb"] < MEMORY_TARGET_MB, f"{f['peak_mb']:.0f} MB"))
            checks.append(("never more than needed confirmed",
                           f["states"]["most_confirmed"] <= NEEDED,
                           f"{f['states']['most_confirmed']}"))
        for name, met, figure in checks:
            lines.append(f"- {size:,}: {name}: **{'met' if met else 'MISSED'}** ({figure})")
    return lines


@dataclass
class Load:
    """How busy the machine was with other work while the bench ran."""

    began: float = field(default_factory=time.monotonic)
    busy: float = field(default_factory=_machine_busy)
    own: float = field(default_factory=_own_cpu)
    loadavg: float = field(default_factory=lambda: os.getloadavg()[0])

    def describe(self) -> str:
        elapsed = time.monotonic() - self.began
        others = (_machine_busy() - self.busy - (_own_cpu() - self.own)) / elapsed
        return (f"other processes used {max(others, 0):.2f} of the {os.cpu_count()} cores on "
                f"average during the run (1-min load average {self.loadavg:.2f} at the start, "
                f"{os.getloadavg()[0]:.2f} at the end)")


def _environment(options: Options, load: Load) -> list[str]:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        root = Path(__file__).resolve().parent.parent
        commit = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, timeout=10).stdout.strip() \
            or commit
    return [f"- machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}",
            f"- code: {commit}; pacing on = {_paced_rate():g} messages/s (the configured "
            f"default), the fake answers 429 above {FLOOD_LIMIT} in any second",
            f"- escalation ladder: {'production defaults' if options.escalation else 'off'}; "
            f"latency runs: {options.runs} per condition; open call-outs: "
            f"{options.activations}; start-ups: {options.startups}",
            f"- machine load: {load.describe()}"]


def _report(results: dict, options: Options, command: str, load: Load) -> str:
    sizes = [size for size in options.sizes if size in results]
    elapsed = time.monotonic() - load.began
    lines = ["## Results", "", f"Command: `{command}` ({elapsed / 60:.1f} min)", "",
             *_environment(options, load), "", *_table(results, sizes), "", "## Targets", "",
             *_verdicts(results, sizes), ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Entry points
# ----------------------------------------------------------------------------------------------

PARTS = ("fanout", "latency", "capacity")


@contextlib.contextmanager
def _referee_without_pauses() -> Iterator[None]:
    """Keeps this process's garbage collector still during a scenario.

    This process is the fake Telegram, the referee that stamps each call and answers 429 above 30
    in any second. With 15,000 people its heap is large, and a full collection stops it for tens
    of milliseconds; the calls that queue up meanwhile are then stamped together, and the fake
    could answer 429 for its own pause. Telegram has no such pauses, so the referee must not
    either. (The bot's and the floor's processes keep their collectors as they are.)
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


async def _bench(options: Options) -> dict:
    results: dict[int, dict] = {}
    for size in options.sizes:
        _say(f"# {size:,} volunteers")
        results[size] = current = {}
        floor = await Child.spawn("floor-host", f"floor-{size}", options.workdir)
        try:
            if "fanout" in options.parts:
                _say("## Fan-out")
                with _referee_without_pauses():
                    current["fanout_on"] = await _fanout(options, floor, size, paced=True)
                with _referee_without_pauses():
                    current["fanout_off"] = await _fanout(options, floor, size, paced=False)
            if "latency" in options.parts:
                _say("## Briefing latency")
                with _referee_without_pauses():
                    current["latency"] = await _latency(options, floor, size)
            if "capacity" in options.parts:
                _say("## Answers, start-up and memory")
                with _referee_without_pauses():
                    current["capacity"] = await _capacity(options, floor, size)
        finally:
            await floor.close()
    return results


def run_bench(args: Any) -> int:
    """`posom bench`: runs the scenarios, prints the table, optionally writes it to a file."""
    quick = bool(args.quick)
    try:
        sizes = [int(part) for part in
                 (args.sizes or ("40" if quick else "55,1000,15000")).split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 2:
        print("posom: --sizes: give roster sizes of at least 2, e.g. 55,1000", file=sys.stderr)
        return 2
    parts = set((args.parts or ",".join(PARTS)).split(","))
    if not parts <= set(PARTS):
        print(f"posom: --parts: choose from {', '.join(PARTS)}", file=sys.stderr)
        return 2
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="posom-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    options = Options(
        sizes=sizes, runs=args.runs or (3 if quick else 100),
        activations=args.activations or (5 if quick else 50),
        startups=args.startups or (1 if quick else 3), parts=parts,
        escalation=not args.no_escalation, workdir=workdir)
    command = "posom " + " ".join(sys.argv[1:]) if sys.argv[1:] else "posom bench"
    load = Load()
    try:
        results = asyncio.run(_bench(options))
    except (RuntimeError, TimeoutError, AssertionError) as error:
        # A scenario that stalls (e.g. a dialogue step the driver does not know) says what and
        # where the bot's logs are, instead of a traceback.
        print(f"posom bench: {type(error).__name__}: {error} (work files and bot logs in "
              f"{workdir})", file=sys.stderr)
        return 1
    report = _report(results, options, command, load)
    print()
    print(report)
    if args.output:
        Path(args.output).write_text(report, encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    _child_main(sys.argv[1])
