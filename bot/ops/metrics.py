"""Prometheus metrics through the official client library, in a registry of our own.

Counters are fed where things happen: every call a messenger makes is counted by result through
`ObservedMessenger` (the outbox sender needs no change for it), and anything else may call the
hook `Metrics.sent` itself. Gauges about what is owed and running are read from the database
just before each scrape (`refresh`), so they are never stale and cost nothing between scrapes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.delivery.messages import OutgoingMessage
from bot.delivery.messenger import (
    Messenger,
    NotModified,
    RetryLater,
    TransientFailure,
    Unreachable,
)
from bot.ops.health import TransportCalls
from storage.outbox import BRIEFING_LANE, BROADCAST_LANE
from storage.service_runs import ServiceRuns

__all__ = ["CONTENT_TYPE_LATEST", "RESULTS", "Metrics", "ObservedMessenger", "result_of"]

# Results of a call to a transport: answered, flood control, refused by the person (blocked),
# network or server trouble, and any other refusal.
RESULTS = ("ok", "429", "403", "network", "refused")
LANES = {BRIEFING_LANE: "urgent", BROADCAST_LANE: "broadcast"}
# A deadline firing right now is not late; one this much past its time is.
OVERDUE_SLACK = timedelta(minutes=1)
STAFFED_BUCKETS = (60, 120, 180, 300, 600, 900, 1200, 1800, 3600, 7200)


def result_of(error: BaseException | None) -> str:
    """The result label for a messenger call that raised `error` (None: it succeeded)."""
    if error is None or isinstance(error, NotModified):
        return "ok"
    if isinstance(error, RetryLater):
        return "429"
    if isinstance(error, Unreachable):
        return "403"
    if isinstance(error, TransientFailure):
        return "network"
    return "refused"


class Metrics:
    """Every metric /metrics shows; the hooks are `sent` and `watch_updates_waiting`."""

    def __init__(self, version: str, started_at: datetime) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        Gauge("posom_build_info", "The running posom version.", ["version"],
              registry=registry).labels(version).set(1)
        self.callouts = Gauge("posom_callouts", "Call-outs still running, by state.",
                              ["state"], registry=registry)
        self.outbox_unsent = Gauge("posom_outbox_unsent",
                                   "Messages waiting to be sent or being sent, by lane.",
                                   ["lane"], registry=registry)
        self.outbox_oldest = Gauge("posom_outbox_oldest_unsent_age_seconds",
                                   "Age of the oldest message not sent yet (0 when none).",
                                   registry=registry)
        self.sends = Counter("posom_sends", "Calls to a transport (send, edit, delete) by "
                             "result: ok, 429, 403, network, refused.",
                             ["transport", "op", "result"], registry=registry)
        self.time_to_staffed = Histogram("posom_time_to_staffed_seconds",
                                         "From sending a call-out to its team being complete.",
                                         buckets=STAFFED_BUCKETS, registry=registry)
        self.deadlines_overdue = Gauge("posom_deadlines_overdue",
                                       "Deadlines still pending a minute after they were due.",
                                       registry=registry)
        self.updates_waiting = Gauge("posom_updates_waiting",
                                     "Updates received from a transport, not handled yet.",
                                     ["transport"], registry=registry)
        self.transport_silence = Gauge("posom_transport_last_success_age_seconds",
                                       "Seconds since the last successful call to a transport.",
                                       ["transport"], registry=registry)
        self.loop_lag = Gauge("posom_event_loop_lag_seconds",
                              "How late the event loop's last tick came.", registry=registry)
        for lane in LANES.values():
            self.outbox_unsent.labels(lane)
        for state in ("open", "staffed"):
            self.callouts.labels(state)
        self._updates_waiting: dict[str, Callable[[], int]] = {}
        self._transports: set[str] = set()
        self._staffed_seen = started_at

    # -- hooks ---------------------------------------------------------------------------------

    def sent(self, transport: str, result: str, op: str = "send") -> None:
        """Counts one call to a transport by its result (one of RESULTS)."""
        self.sends.labels(transport, op, result).inc()

    def add_transport(self, transport: str) -> None:
        """Shows every result of a transport from the start, at 0."""
        self._transports.add(transport)
        for op in ("send", "edit", "delete"):
            for result in RESULTS:
                self.sends.labels(transport, op, result)

    def watch_updates_waiting(self, transport: str, count: Callable[[], int]) -> None:
        """Reads how many updates of a transport wait to be handled at each scrape."""
        self._updates_waiting[transport] = count

    # -- scrape --------------------------------------------------------------------------------

    async def refresh(self, runs: ServiceRuns, now: datetime, calls: TransportCalls,
                      loop_lag: float) -> None:
        """Reads the gauges from the database and the running parts, just before a scrape."""
        figures = await runs.figures(now, now - OVERDUE_SLACK)
        for state, count in figures.callouts_by_state.items():
            self.callouts.labels(state).set(count)
        for lane, name in LANES.items():
            self.outbox_unsent.labels(name).set(figures.outbox_by_lane.get(lane, 0))
        oldest = figures.oldest_unsent_at
        self.outbox_oldest.set(max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
        self.deadlines_overdue.set(figures.deadlines_overdue)
        for staffed_at, seconds in await runs.staffed_since(self._staffed_seen):
            self.time_to_staffed.observe(seconds)
            self._staffed_seen = max(self._staffed_seen, staffed_at)
        for transport, count in self._updates_waiting.items():
            self.updates_waiting.labels(transport).set(count())
        for transport in self._transports:
            silent = calls.silent_for(transport)
            if silent is not None:
                self.transport_silence.labels(transport).set(silent)
        self.loop_lag.set(loop_lag)

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)


class ObservedMessenger:
    """A messenger that counts each call by result and records when its transport last
    answered; it forwards everything else unchanged."""

    def __init__(self, inner: Messenger, metrics: Metrics, calls: TransportCalls) -> None:
        self.inner = inner
        self.transport = inner.transport
        self.capabilities = inner.capabilities
        self._metrics = metrics
        self._calls = calls
        metrics.add_transport(inner.transport)

    def _count(self, op: str, error: BaseException | None) -> None:
        result = result_of(error)
        self._metrics.sent(self.transport, result, op)
        # A 429 or a 403 is an answer too: the service is up. Only network trouble is silence.
        if result != "network":
            self._calls.ok(self.transport)

    async def send(self, chat: str, message: OutgoingMessage) -> str:
        """Sends through the transport's messenger, counted."""
        try:
            message_id = await self.inner.send(chat, message)
        except Exception as error:
            self._count("send", error)
            raise
        self._count("send", None)
        return message_id

    async def edit(self, chat: str, message_id: str, message: OutgoingMessage) -> str | None:
        """Edits through the transport's messenger, counted; returns what it returns (the new
        id of a message sent in parts whose parts changed)."""
        try:
            changed = await self.inner.edit(chat, message_id, message)
        except Exception as error:
            self._count("edit", error)
            raise
        self._count("edit", None)
        return changed

    async def delete(self, chat: str, message_id: str) -> None:
        """Deletes through the transport's messenger, counted."""
        try:
            await self.inner.delete(chat, message_id)
        except Exception as error:
            self._count("delete", error)
            raise
        self._count("delete", None)
