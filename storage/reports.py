"""Reads for the annual report: one year's activations and their requests, as plain rows.

No figure is computed here: bot/report.py turns these rows into the report's numbers, so the
rules of counting are in one place and tested without SQL. Debrief answers come from
storage/debrief_stats.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.clock import from_db
from storage.database import Database

__all__ = ["ActivationFacts", "ReportReads", "RequestFacts"]


@dataclass(frozen=True, slots=True)
class ActivationFacts:
    """What the report needs of one activation (no briefing, no address)."""

    id: int
    code: str
    kind: str
    area: str
    exercise: bool
    state: str
    created_at: datetime
    staffed_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """One volunteer asked on one activation: the answer and its times."""

    activation_id: int
    member_id: int
    state: str
    answered_at: datetime | None
    confirmed_at: datetime | None
    arrived_at: datetime | None
    finished_at: datetime | None
    # False for a shift worked at a support centre: its hours count, the answer was counted on
    # the call-out's own request.
    counts_answer: bool = True


class ReportReads:
    """The year's activations and requests (the year of the activation's code)."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def activations(self, year: int) -> list[ActivationFacts]:
        """Every activation of the year, exercises and cancelled ones included, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT id, code, kind, area, exercise, state, created_at, staffed_at, closed_at,"
            " cancelled_at FROM activations WHERE year = ? ORDER BY seq", (year,))
        return [ActivationFacts(
            id=row["id"], code=row["code"], kind=row["kind"], area=row["area"],
            exercise=bool(row["exercise"]), state=row["state"],
            created_at=from_db(row["created_at"]), staffed_at=from_db(row["staffed_at"]),
            closed_at=from_db(row["closed_at"]), cancelled_at=from_db(row["cancelled_at"]))
            for row in rows]

    async def requests(self, year: int) -> list[RequestFacts]:
        """Every request of the year's activations."""
        rows = await self.db.fetch_all(
            "SELECT r.activation_id, r.member_id, r.state, r.answered_at, r.confirmed_at,"
            " r.arrived_at, r.finished_at FROM requests AS r"
            " JOIN activations AS a ON a.id = r.activation_id WHERE a.year = ? ORDER BY r.id",
            (year,))
        return [RequestFacts(
            activation_id=row["activation_id"], member_id=row["member_id"], state=row["state"],
            answered_at=from_db(row["answered_at"]), confirmed_at=from_db(row["confirmed_at"]),
            arrived_at=from_db(row["arrived_at"]), finished_at=from_db(row["finished_at"]))
            for row in rows]
