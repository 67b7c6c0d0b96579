"""Health as a registry of named checks, each answering "ok" or saying what is wrong.

Anything may register a check (the database, each transport, the replication, a storage-health
object of its own): /healthz runs them all, each within a time limit, and is healthy only when
every one is. The heartbeat to the outside monitor is sent only while it is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.ops.background import Background

__all__ = ["CheckResult", "Health", "HealthCheck", "HealthReport", "LoopWatch",
           "TransportCalls"]

logger = logging.getLogger(__name__)

# A check returns None when all is well, else one line saying what is wrong (no secrets).
HealthCheck = Callable[[], Awaitable[str | None]]
CHECK_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class HealthReport:
    checks: dict[str, CheckResult]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.checks.values())

    @property
    def problems(self) -> list[str]:
        """Each failing check as "name: what is wrong"."""
        return [f"{name}: {result.detail}" for name, result in self.checks.items()
                if not result.ok]

    def as_json(self) -> dict:
        return {"status": "ok" if self.ok else "sick",
                "checks": {name: {"ok": result.ok, "detail": result.detail}
                           for name, result in self.checks.items()}}


class Health:
    """The registry: named checks, run together."""

    def __init__(self, timeout: float = CHECK_TIMEOUT) -> None:
        self.timeout = timeout
        self._checks: dict[str, HealthCheck] = {}

    def add(self, name: str, check: HealthCheck) -> None:
        """Registers (or replaces) a named check."""
        self._checks[name] = check

    def remove(self, name: str) -> None:
        """Drops a check (e.g. a transport that was switched off)."""
        self._checks.pop(name, None)

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def run(self) -> HealthReport:
        """Runs every check at once; one that raises or takes too long is a problem."""
        names = list(self._checks)
        results = await asyncio.gather(*(self._run_one(self._checks[name]) for name in names))
        return HealthReport(dict(zip(names, results, strict=True)))

    async def _run_one(self, check: HealthCheck) -> CheckResult:
        try:
            async with asyncio.timeout(self.timeout):
                problem = await check()
        except TimeoutError:
            return CheckResult(False, f"no answer within {self.timeout:g}s")
        except Exception as error:
            logger.warning("health check failed: %s", error, exc_info=True)
            return CheckResult(False, f"check failed: {type(error).__name__}")
        return CheckResult(problem is None, problem or "ok")


class LoopWatch(Background):
    """Ticks on the event loop and remembers how late each tick was: a loop held up by blocking
    work shows as lag, one that stopped shows as no tick at all."""

    def __init__(self, interval: float = 1.0, *, max_lag: float = 5.0) -> None:
        self.interval = interval
        self.max_lag = max_lag
        self.lag = 0.0
        self.last_tick = time.monotonic()

    def start(self) -> None:
        """Starts ticking."""
        self.last_tick = time.monotonic()
        self._launch(self._run(), "loop-watch")

    async def _run(self) -> None:
        while True:
            expected = time.monotonic() + self.interval
            await asyncio.sleep(self.interval)
            now = time.monotonic()
            self.lag = max(now - expected, 0.0)
            self.last_tick = now

    async def check(self) -> str | None:
        """The loop answered (this check runs on it) and its ticks come on time."""
        silent = time.monotonic() - self.last_tick
        if silent > self.interval + self.max_lag:
            return f"no tick for {silent:.1f}s"
        if self.lag > self.max_lag:
            return f"running {self.lag:.1f}s late"
        return None


class TransportCalls:
    """The last successful call to each transport, by transport name (telegram, signal, …)."""

    def __init__(self) -> None:
        self._last_ok: dict[str, float] = {}

    def ok(self, transport: str) -> None:
        """Records a successful call (a send, an edit, a probe) to the transport now."""
        self._last_ok[transport] = time.monotonic()

    def silent_for(self, transport: str) -> float | None:
        """Seconds since the last successful call, None if none was ever made."""
        last = self._last_ok.get(transport)
        return None if last is None else time.monotonic() - last
