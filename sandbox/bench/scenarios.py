"""The parent's side of `posom bench`: rosters, people on the fake server, and the scenarios."""


from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.bench.common import (
    BACKGROUND_MAX,
    BOT_USERNAME,
    BRIEFING,
    BRIEFING_MARK,
    CODE,
    FIRST_VOLUNTEER_ID,
    FLOOD_LIMIT,
    LATENCY_AREA_SIZE,
    LATENCY_AREAS,
    LEADER_ID,
    NEEDED,
    NO_LADDER,
    PLACE,
    REQUEST_MARK,
    SUMMARY,
    TOKEN,
    Options,
    paced_rate,
    percentile,
)
from sandbox.bench.hosts import Child

# ----------------------------------------------------------------------------------------------
# The parent: rosters, people and the fake server
# ----------------------------------------------------------------------------------------------



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
    from sandbox.fake_telegram import FakeTelegram

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
    from storage.models import Address

    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    members = [NewMember(name="Lena Ledare", role="leader", phone="+46705550000", locale="en",
                         address=Address("telegram", str(LEADER_ID)), reported_locale="en")]
    areas: dict[str, list[int]] = {}
    user_id = FIRST_VOLUNTEER_ID
    for area, count in layout.items():
        areas[area] = []
        for index in range(count):
            members.append(NewMember(
                name=f"Stödperson {user_id - FIRST_VOLUNTEER_ID}", role="volunteer", area=area,
                gender="female" if index % 2 == 0 else "male",
                address=Address("telegram", str(user_id)), reported_locale="sv"))
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
    from bot.choices import ActivateChoice

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


def say(line: str) -> None:
    print(line, flush=True)


async def fanout(options: Options, floor: Child, size: int, paced: bool) -> dict:
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
    say(f"  fan-out {size:,} pacing {mode}: {result['seconds']:.2f} s "
         f"(floor {result['floor_seconds']:.2f} s), 429s {result['flood_429s']}")
    return result


@dataclass
class Run:
    code: str
    chats: tuple[int, int]
    requests: tuple[int, int]
    pressed: float


async def latency(options: Options, floor: Child, size: int) -> dict:
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
        say(f"  latency {size:,} {name}: p95 {percentile(figures['commit'], 95) * 1000:.0f} ms"
             f" (floor {percentile(figures['floor'], 95) * 1000:.0f} ms)")
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


async def capacity(options: Options, floor: Child, size: int) -> dict:
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
    say(f"  capacity {size:,}: start-up {starts[-1]['start_s']:.2f} s, "
         f"{result['rate']:.0f} answers/s (floor {result['floor_rate']:.0f}/s), "
         f"peak {result['peak_mb']:.0f} MB")
    return result


async def _floor_storm(floor: Child, fake: Any, presses: list, library: str) -> dict:
    watch, cpu = Watch(fake), floor.cpu()
    storm = asyncio.create_task(floor.request("storm", api_url=fake.api_url,
                                              expect=len(presses), rate=paced_rate(),
                                              library=library))
    first, _ = await _press_all(fake, presses)
    reply = await storm
    cpu = floor.cpu() - cpu
    toasts = [call.time for call in watch.new() if call.method == "answerCallbackQuery"]
    return {"rate": reply["toasts"] / (max(toasts) - first),
            "cpu_per_answer_ms": cpu / reply["toasts"] * 1000}



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


