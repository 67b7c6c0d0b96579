"""Reads for /intyg: the assignments one member went on in one year, as plain rows.

Only what an employer's certificate may show: the call-out's code, whether it was an exercise,
and the member's own times. No briefing, no place, nobody supported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.clock import from_db
from storage.database import Database

__all__ = ["AssignmentFacts", "CertificateReads"]


@dataclass(frozen=True, slots=True)
class AssignmentFacts:
    """One intervention, exercise or shift a member took part in."""

    code: str
    exercise: bool
    confirmed_at: datetime  # the Yes (or a shift's start): the time spent counts from here
    arrived_at: datetime | None
    ended_at: datetime  # [Avslutad], the close, or the end of the shift
    shift: int | None = None  # the shift's number at a support centre


class CertificateReads:
    """The member's assignments of a year (by the year of the call-out's code)."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def assignments(self, member_id: int, year: int) -> list[AssignmentFacts]:
        """Closed call-outs the member was confirmed on to the end, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT a.code, a.exercise, r.confirmed_at, r.arrived_at,"
            " coalesce(r.finished_at, a.closed_at) AS ended_at"
            " FROM requests AS r JOIN activations AS a ON a.id = r.activation_id"
            " WHERE r.member_id = ? AND a.year = ? AND a.state = 'closed'"
            " AND r.state = 'confirmed' AND r.confirmed_at IS NOT NULL"
            " ORDER BY r.confirmed_at", (member_id, year))
        return [AssignmentFacts(code=row["code"], exercise=bool(row["exercise"]),
                                confirmed_at=from_db(row["confirmed_at"]),
                                arrived_at=from_db(row["arrived_at"]),
                                ended_at=from_db(row["ended_at"]))
                for row in rows]
