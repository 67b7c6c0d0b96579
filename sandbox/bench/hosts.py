"""The child processes of `posom bench`: the bot host (the real BotRuntime) and the floor host
(a bare HTTP client), their /proc readings, and the parent's handle on them."""


from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from sandbox.bench.common import (
    BRIEFING,
    LEADER_ID,
    NEEDED,
    PLACE,
    SENDER_WORKERS,
    SUMMARY,
    TOAST,
    TOKEN,
    UPDATE_CONCURRENCY,
)

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


def machine_busy() -> float:
    """CPU seconds all processes on the machine have used since boot (from /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
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
        """Starts `python -m sandbox.bench <role>` with its stderr in workdir/<name>.log."""
        log = workdir / f"{name}.log"
        with log.open("ab") as stderr:
            spawned_at = time.monotonic()
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "sandbox.bench", role, stdin=asyncio.subprocess.PIPE,
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
        """Pending deadline rows and the jobs armed for them."""
        services = self.runtime.services
        return {"deadlines_pending": await services.deadlines.store.pending_count(),
                "deadline_jobs": services.deadlines.armed_count()}

    def _time_answers(self) -> None:
        """Notes when each answer's transaction committed (the service's public hook is called
        right after the COMMIT, so this is the commit as the bot's event loop sees it)."""
        answers = self.answers

        def committed(answered: Any) -> None:
            answers.append((answered.request_id, answered.yes, answered.changed,
                            time.monotonic()))

        self.runtime.services.callouts.on_answered.append(committed)

    async def _issue(self, area: str, count: int = 1, needed: int = NEEDED) -> dict:
        from bot.callout.draft import Actor
        from storage.callouts import NewActivation
        from storage.models import Address

        services = self.runtime.services
        leader = Actor.leader(await services.members.by_address(Address("telegram",
                                                                            str(LEADER_ID))))
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


def child_main(role: str) -> None:
    host = BotHost() if role == "bot-host" else FloorHost()
    asyncio.run(_serve(host.handle))


