"""Storage faults told to the leaders: a full disk, an I/O error, a file locked past the timeout,
and free space running low before that.

`StorageHealthRules` is the decision, plain and without SQL: which problems there are, when one
starts, when it is over. `StorageWatch` feeds it (every write transaction reports its outcome;
a small probe write and the free space are checked every minute, every few seconds while
something is wrong) and tells every leader once when a problem starts and once when it is over.
Those alerts cannot go through the outbox, which is in the very database that fails, so they go
straight to the messengers, to the leaders' addresses as last read while the database worked.
`StorageWatch.report()` is what a health endpoint shows.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.config import Settings
from bot.delivery.messages import OutgoingMessage
from bot.delivery.router import MessengerRouter
from bot.i18n import Translator, translator
from bot.people.persons import translator_for
from bot.timers import MonotonicTimers
from storage.clock import Clock
from storage.database import Database, FaultKind, StorageFault
from storage.health import free_bytes, write_probe
from storage.members import MemberStore
from storage.models import Address

__all__ = ["Notice", "StorageHealthRules", "StorageProblem", "StorageWatch"]

logger = logging.getLogger(__name__)

ProblemKind = Literal["full", "io", "locked", "low_space"]
WRITE_FAULTS: tuple[FaultKind, ...] = ("full", "io", "locked")
# A fault is over once writes have succeeded and none failed for this long: a disk that is
# almost full lets small writes through and refuses big ones, and the leaders should hear
# "over" once, not at every small write that happened to fit.
CLEAR_AFTER = timedelta(seconds=30)
# Free space must come back this much above the threshold before the warning is over.
LOW_SPACE_MARGIN = 1.1
MEGABYTE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StorageProblem:
    """A storage problem that is on now: what, since when, and SQLite's or the disk's words."""

    kind: ProblemKind
    since: datetime
    detail: str


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to tell the leaders: a problem started (`started`) or is over."""

    kind: ProblemKind
    started: bool
    detail: str = ""


@dataclass(slots=True)
class _Ongoing:
    since: datetime
    last_seen: datetime
    detail: str
    announced: bool = False
    over: bool = False  # free space came back (a write fault is over by time, see _is_over)


class StorageHealthRules:
    """Decides which storage problems are on and what the leaders are told, each thing once."""

    def __init__(self, low_space_bytes: int, *, clear_after: timedelta = CLEAR_AFTER) -> None:
        self.low_space_bytes = low_space_bytes
        self.clear_after = clear_after
        self._ongoing: dict[ProblemKind, _Ongoing] = {}
        self._last_success: datetime | None = None

    def write_failed(self, kind: FaultKind, detail: str, now: datetime) -> None:
        """A write transaction was refused."""
        ongoing = self._ongoing.get(kind)
        if ongoing is None:
            self._ongoing[kind] = _Ongoing(since=now, last_seen=now, detail=detail)
        else:
            ongoing.last_seen, ongoing.detail = now, detail

    def write_succeeded(self, now: datetime) -> None:
        """A write transaction committed."""
        self._last_success = now

    def free_space(self, free: int | None, now: datetime) -> None:
        """The free space on the database's disk, as just measured (None: not known)."""
        if free is None or not self.low_space_bytes:
            return
        ongoing = self._ongoing.get("low_space")
        detail = f"{free // MEGABYTE} MB"
        if free < self.low_space_bytes:
            if ongoing is None:
                self._ongoing["low_space"] = _Ongoing(since=now, last_seen=now, detail=detail)
            else:
                ongoing.last_seen, ongoing.detail = now, detail
        elif ongoing is not None and free >= self.low_space_bytes * LOW_SPACE_MARGIN:
            ongoing.detail, ongoing.over = detail, True

    @property
    def write_fault(self) -> bool:
        """Whether a write fault (full, io, locked) is on."""
        return any(kind in self._ongoing for kind in WRITE_FAULTS)

    def notices(self, now: datetime) -> list[Notice]:
        """What to tell the leaders now: each problem's start once, and its end once."""
        told: list[Notice] = []
        for kind, ongoing in list(self._ongoing.items()):
            if self._is_over(kind, ongoing, now):
                del self._ongoing[kind]
                if ongoing.announced:
                    told.append(Notice(kind, started=False, detail=ongoing.detail))
            elif not ongoing.announced:
                ongoing.announced = True
                told.append(Notice(kind, started=True, detail=ongoing.detail))
        return told

    def _is_over(self, kind: ProblemKind, ongoing: _Ongoing, now: datetime) -> bool:
        if kind == "low_space":
            return ongoing.over
        succeeded = self._last_success is not None and self._last_success > ongoing.last_seen
        return succeeded and now - ongoing.last_seen >= self.clear_after

    def problems(self) -> list[StorageProblem]:
        """The problems that are on now, oldest first."""
        return sorted((StorageProblem(kind, ongoing.since, ongoing.detail)
                       for kind, ongoing in self._ongoing.items() if not ongoing.over),
                      key=lambda problem: problem.since)


def notice_text(notice: Notice, t: Translator) -> str:
    """The leaders' words for a notice."""
    if notice.started:
        if notice.kind == "full":
            return "🔴 " + t.gettext(
                "The bot cannot save anything: the disk of its database is full. Answers are "
                "kept and tried again for a short while, but a call-out can fail. Free disk "
                "space on the server now.")
        if notice.kind == "io":
            return "🔴 " + t.gettext(
                "The bot cannot save anything: the disk of its database reports an error "
                "({detail}). Answers are kept and tried again for a short while. Check the "
                "server now.").format(detail=notice.detail)
        if notice.kind == "locked":
            return "🔴 " + t.gettext(
                "The bot cannot save anything: another program holds its database file "
                "locked. Answers are kept and tried again for a short while. Check the server "
                "(a backup or copy that hangs?).")
        return "⚠️ " + t.gettext(
            "The disk of the bot's database is nearly full: {free} free. When it is full, "
            "answers cannot be saved. Free disk space on the server.").format(free=notice.detail)
    if notice.kind == "low_space":
        return "✅ " + t.gettext("The disk of the bot's database has enough free space again "
                                 "({free}).").format(free=notice.detail)
    return "✅ " + t.gettext("The bot can save again: its database takes writes as before.")


class StorageWatch:
    """Feeds the rules, probes the file, and tells the leaders without needing the database."""

    def __init__(self, settings: Settings, database: Database, members: MemberStore,
                 router: MessengerRouter, clock: Clock, timers: MonotonicTimers, *,
                 free_space: Callable[[], int | None] | None = None) -> None:
        self.settings = settings
        self.db = database
        self.members = members
        self.router = router
        self.clock = clock
        self.timers = timers
        storage = settings.storage
        self.rules = StorageHealthRules(storage.low_space_warning_mb * MEGABYTE)
        self.free_space = free_space or (lambda: free_bytes(storage.path))
        self.every = settings.callout.watchdog_every
        self.while_faulty = timedelta(seconds=5)
        # Whom to tell, as last read while the database worked (address, their language).
        self.leaders: list[tuple[Address, Translator]] = []
        self._written_since_check = False
        database.fault_listeners.append(self.on_write)

    @property
    def write_fault(self) -> bool:
        """Whether the file refuses writes right now (as far as the last writes tell)."""
        return self.rules.write_fault

    def on_write(self, fault: StorageFault | None) -> None:
        """Database listener: the outcome of every write transaction."""
        self._written_since_check = True
        if fault is None:
            self.rules.write_succeeded(self.clock())
            return
        was_faulty = self.rules.write_fault
        self.rules.write_failed(fault.kind, fault.detail, self.clock())
        if not was_faulty and self.timers.started:
            self.timers.set("storage-watch", 0, self.check)  # tell the leaders now

    async def start(self) -> None:
        """Reads the leaders and starts checking."""
        await self._read_leaders()
        self.timers.set("storage-watch", 0, self.check)

    async def check(self) -> None:
        """One look: probe the file if nothing else wrote lately, measure free space, tell."""
        try:
            await self._check()
        finally:
            wait = self.while_faulty if self.rules.problems() else self.every
            self.timers.set("storage-watch", wait.total_seconds(), self.check)

    async def _check(self) -> None:
        if not self._written_since_check or self.rules.write_fault:
            with contextlib.suppress(StorageFault):  # the listener has recorded it
                await write_probe(self.db, self.clock())
        self._written_since_check = False
        try:
            self.rules.free_space(self.free_space(), self.clock())
        except OSError as error:
            logger.warning("storage: cannot measure free space: %s", error)
        if not self.rules.write_fault:
            await self._read_leaders()
        for notice in self.rules.notices(self.clock()):
            await self._tell(notice)

    async def _read_leaders(self) -> None:
        try:
            leaders = await self.members.leaders()
        except Exception as error:  # a failing disk can refuse reads too: keep the last list
            logger.warning("storage: could not read the leaders (%s); keeping %d known",
                           error, len(self.leaders))
            return
        known = [(leader.address, translator_for(self.settings, leader))
                 for leader in leaders if leader.address is not None]
        if known:
            self.leaders = known

    def _recipients(self) -> list[tuple[Address, Translator]]:
        if self.leaders:
            return self.leaders
        # Never read (the database failed from the start): the configured admins, at least.
        organisation = self.settings.organisation
        t = translator(organisation.default_locale, organisation.timezone)
        return [(address, t) for address in self.settings.admin_addresses]

    async def _tell(self, notice: Notice) -> None:
        await self._read_leaders()  # reads mostly work when writes fail; else the last list
        if notice.started:
            logger.error("storage problem started: %s (%s)", notice.kind, notice.detail)
        else:
            logger.warning("storage problem over: %s", notice.kind)
        for address, t in self._recipients():
            try:
                await self.router.send(address, OutgoingMessage(notice_text(notice, t)))
            except Exception as error:
                logger.warning("storage: could not tell %s about %s: %s", address.transport,
                               notice.kind, error)

    def problems(self) -> list[StorageProblem]:
        """The storage problems that are on now, oldest first (empty: all is well)."""
        return self.rules.problems()

    def report(self) -> dict:
        """The storage part of a health check: ok, and each problem that is on."""
        problems = self.rules.problems()
        return {"ok": not problems,
                "problems": [{"kind": problem.kind, "since": problem.since.isoformat(),
                              "detail": problem.detail} for problem in problems]}
