"""SQL for support centres staffed in shifts: the shifts of a call-out and the places on them.

Functions taking a connection run inside the caller's transaction, so a volunteer taking a
shift is read, decided and written as one atomic step under the write lock, like a Yes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage.certificates import AssignmentFacts
from storage.clock import from_db, to_db
from storage.database import Database
from storage.models import Member
from storage.reports import RequestFacts
from storage.sql import Connection, fetch_all, fetch_one

__all__ = ["Place", "Shift", "ShiftPlan", "ShiftReads", "insert_shift", "place_by_id",
           "place_of", "places_of_shift", "set_place_state", "set_shift_state", "shift_by_id",
           "shifts_of"]


@dataclass(frozen=True, slots=True)
class ShiftPlan:
    """How a call-out is staffed as shifts: the first start, each shift's length, how many
    (each shift needs the call-out's `needed` people)."""

    first_start: datetime
    length: timedelta
    count: int


@dataclass(frozen=True, slots=True)
class Shift:
    id: int
    activation_id: int
    number: int
    starts_at: datetime
    ends_at: datetime
    needed: int
    state: str  # 'open', 'staffed', 'ended', 'cancelled'
    briefed_at: datetime | None
    ended_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.state in ("open", "staffed")

    @classmethod
    def from_row(cls, row: Any) -> Shift:
        return cls(id=row["id"], activation_id=row["activation_id"], number=row["number"],
                   starts_at=from_db(row["starts_at"]), ends_at=from_db(row["ends_at"]),
                   needed=row["needed"], state=row["state"],
                   briefed_at=from_db(row["briefed_at"]), ended_at=from_db(row["ended_at"]))


@dataclass(frozen=True, slots=True)
class Place:
    """One volunteer on one shift."""

    id: int
    shift_id: int
    request_id: int
    member_id: int
    state: str  # 'confirmed', 'reserve', 'withdrawn', 'released', 'stood_down'
    answered_at: datetime
    confirmed_at: datetime | None
    arrived_at: datetime | None

    @classmethod
    def from_row(cls, row: Any, prefix: str = "") -> Place:
        return cls(id=row[f"{prefix}id"], shift_id=row[f"{prefix}shift_id"],
                   request_id=row[f"{prefix}request_id"], member_id=row[f"{prefix}member_id"],
                   state=row[f"{prefix}state"], answered_at=from_db(row[f"{prefix}answered_at"]),
                   confirmed_at=from_db(row[f"{prefix}confirmed_at"]),
                   arrived_at=from_db(row[f"{prefix}arrived_at"]))


# A place's columns beside a joined row's, prefixed "p_" (read by Place.from_row(row, "p_")).
_PLACE_COLUMNS = ", ".join(f"p.{column} AS p_{column}" for column in (
    "id", "shift_id", "request_id", "member_id", "state", "answered_at", "confirmed_at",
    "arrived_at"))


async def insert_shift(connection: Connection, activation_id: int, number: int,
                       starts_at: datetime, ends_at: datetime, needed: int) -> Shift:
    """Adds a shift to a call-out."""
    row = await fetch_one(
        connection, "INSERT INTO shifts (activation_id, number, starts_at, ends_at, needed)"
                    " VALUES (?, ?, ?, ?, ?) RETURNING *",
        (activation_id, number, to_db(starts_at), to_db(ends_at), needed))
    return Shift.from_row(row)


async def shifts_of(connection: Connection, activation_id: int) -> list[Shift]:
    """The call-out's shifts in order (none for an ordinary call-out)."""
    rows = await fetch_all(connection, "SELECT * FROM shifts WHERE activation_id = ?"
                                       " ORDER BY number", (activation_id,))
    return [Shift.from_row(row) for row in rows]


async def shift_by_id(connection: Connection, shift_id: int) -> Shift | None:
    """The shift with this id."""
    row = await fetch_one(connection, "SELECT * FROM shifts WHERE id = ?", (shift_id,))
    return Shift.from_row(row) if row else None


async def set_shift_state(connection: Connection, shift_id: int, state: str,
                          now: datetime) -> None:
    """Moves a shift to a state, stamping when it was first staffed or ended."""
    await connection.execute(
        "UPDATE shifts SET state = :state,"
        " staffed_at = CASE WHEN :state = 'staffed' AND staffed_at IS NULL THEN :now"
        "                   ELSE staffed_at END,"
        " ended_at = CASE WHEN :state IN ('ended', 'cancelled') THEN :now ELSE ended_at END"
        " WHERE id = :id", {"state": state, "now": to_db(now), "id": shift_id})


async def mark_briefed(connection: Connection, shift_id: int, now: datetime) -> bool:
    """Remembers that the shift's team got its briefing; False if it already had."""
    cursor = await connection.execute(
        "UPDATE shifts SET briefed_at = ? WHERE id = ? AND briefed_at IS NULL",
        (to_db(now), shift_id))
    return cursor.rowcount > 0


async def confirmed_counts(connection: Connection, activation_id: int) -> dict[int, int]:
    """How many are confirmed on each of the call-out's shifts (one query for a whole
    fan-out's worth of requests)."""
    rows = await fetch_all(
        connection, "SELECT s.id, count(p.id) FROM shifts AS s LEFT JOIN shift_places AS p"
                    " ON p.shift_id = s.id AND p.state = 'confirmed' WHERE s.activation_id = ?"
                    " GROUP BY s.id", (activation_id,))
    return {row[0]: row[1] for row in rows}


async def place_of(connection: Connection, shift_id: int, member_id: int) -> Place | None:
    """The member's place on the shift, if any."""
    row = await fetch_one(connection, "SELECT * FROM shift_places WHERE shift_id = ?"
                                      " AND member_id = ?", (shift_id, member_id))
    return Place.from_row(row) if row else None


async def place_by_id(connection: Connection, place_id: int) -> Place | None:
    """The place with this id."""
    row = await fetch_one(connection, "SELECT * FROM shift_places WHERE id = ?", (place_id,))
    return Place.from_row(row) if row else None


async def add_place(connection: Connection, shift_id: int, request_id: int, member_id: int,
                    state: str, now: datetime) -> Place:
    """Gives a volunteer a place (confirmed or reserve) on a shift, or a new one after leaving."""
    row = await fetch_one(
        connection,
        "INSERT INTO shift_places (shift_id, request_id, member_id, state, answered_at,"
        " confirmed_at) VALUES (:shift, :request, :member, :state, :now,"
        " CASE WHEN :state = 'confirmed' THEN :now END)"
        " ON CONFLICT (shift_id, member_id) DO UPDATE SET state = excluded.state,"
        " answered_at = excluded.answered_at, confirmed_at = excluded.confirmed_at,"
        " arrived_at = NULL RETURNING *",
        {"shift": shift_id, "request": request_id, "member": member_id, "state": state,
         "now": to_db(now)})
    return Place.from_row(row)


async def set_place_state(connection: Connection, place_id: int, state: str,
                          now: datetime) -> None:
    """Moves a place to a new state (a reserve promoted is stamped confirmed)."""
    await connection.execute(
        "UPDATE shift_places SET state = :state, confirmed_at = CASE WHEN :state ="
        " 'confirmed' THEN :now ELSE confirmed_at END WHERE id = :id",
        {"state": state, "now": to_db(now), "id": place_id})


async def stamp_arrived(connection: Connection, place_id: int, now: datetime) -> bool:
    """Records [Framme] once; False if it was already recorded."""
    cursor = await connection.execute(
        "UPDATE shift_places SET arrived_at = ? WHERE id = ? AND arrived_at IS NULL",
        (to_db(now), place_id))
    return cursor.rowcount > 0


async def places_of_shift(connection: Connection, shift_id: int,
                          states: tuple[str, ...] = ("confirmed", "reserve"),
                          ) -> list[tuple[Place, Member]]:
    """A shift's places in these states with their volunteers, in the order they answered."""
    rows = await fetch_all(
        connection,
        f"SELECT m.*, {_PLACE_COLUMNS} FROM shift_places AS p"
        " JOIN member_contacts AS m ON m.id = p.member_id"
        f" WHERE p.shift_id = ? AND p.state IN ({', '.join('?' for _ in states)})"
        " ORDER BY coalesce(p.confirmed_at, p.answered_at), p.id", (shift_id, *states))
    return [(Place.from_row(row, "p_"), Member.from_row(row)) for row in rows]


async def places_of_member(connection: Connection, activation_id: int,
                           member_id: int) -> list[tuple[Place, Shift]]:
    """The member's confirmed and reserve places on the call-out's shifts, in shift order."""
    rows = await fetch_all(
        connection,
        f"SELECT s.*, {_PLACE_COLUMNS} FROM shift_places AS p JOIN shifts AS s ON s.id = p.shift_id"
        " WHERE s.activation_id = ? AND p.member_id = ? AND p.state IN ('confirmed', 'reserve')"
        " ORDER BY s.number", (activation_id, member_id))
    return [(Place.from_row(row, "p_"), Shift.from_row(row)) for row in rows]


class ShiftReads:
    """Reads outside a write transaction: the shift board, certificates, the report."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def shifts(self, activation_id: int) -> list[Shift]:
        """The call-out's shifts (none for an ordinary call-out)."""
        return await shifts_of(self.db.connection, activation_id)

    async def places(self, shift_id: int) -> list[tuple[Place, Member]]:
        """A shift's confirmed and reserve places."""
        return await places_of_shift(self.db.connection, shift_id)

    async def of_member(self, activation_id: int, member_id: int) -> list[tuple[Place, Shift]]:
        """The member's confirmed and reserve places on the call-out's shifts."""
        return await places_of_member(self.db.connection, activation_id, member_id)

    async def totals(self, activation_id: int) -> tuple[int, int]:
        """(places taken, places needed) on the shifts still to come."""
        row = await self.db.fetch_one(
            "SELECT coalesce(sum(s.needed), 0) AS needed, (SELECT count(*) FROM shift_places"
            " AS p JOIN shifts AS t ON t.id = p.shift_id WHERE t.activation_id = :id"
            " AND t.state IN ('open', 'staffed') AND p.state = 'confirmed') AS taken"
            " FROM shifts AS s WHERE s.activation_id = :id AND s.state IN ('open', 'staffed')",
            {"id": activation_id})
        return int(row["taken"]), int(row["needed"])

    async def centre_ids(self, activation_ids: list[int]) -> set[int]:
        """Which of these call-outs are staffed in shifts."""
        if not activation_ids:
            return set()
        rows = await self.db.fetch_all(
            "SELECT DISTINCT activation_id FROM shifts WHERE activation_id IN"
            f" ({', '.join('?' for _ in activation_ids)})", tuple(activation_ids))
        return {row[0] for row in rows}

    async def assignments(self, member_id: int, year: int) -> list[AssignmentFacts]:
        """/intyg: the shifts the member worked on closed call-outs of the year."""
        rows = await self.db.fetch_all(
            "SELECT a.code, a.exercise, s.number, s.starts_at, p.arrived_at,"
            " coalesce(s.ended_at, s.ends_at) AS ended_at FROM shift_places AS p"
            " JOIN shifts AS s ON s.id = p.shift_id JOIN activations AS a"
            " ON a.id = s.activation_id WHERE p.member_id = ? AND a.year = ?"
            " AND p.state = 'confirmed' AND s.state = 'ended' ORDER BY s.starts_at",
            (member_id, year))
        return [AssignmentFacts(code=row["code"], exercise=bool(row["exercise"]),
                                confirmed_at=from_db(row["starts_at"]),
                                arrived_at=from_db(row["arrived_at"]),
                                ended_at=max(from_db(row["ended_at"]), from_db(row["starts_at"])),
                                shift=row["number"]) for row in rows]

    async def report_facts(self, year: int) -> list[RequestFacts]:
        """The annual report: each place worked on a shift, as a confirmed volunteer from the
        shift's start to its end (not counted again as an answer)."""
        rows = await self.db.fetch_all(
            "SELECT s.activation_id, p.member_id, p.answered_at, p.arrived_at, s.starts_at,"
            " coalesce(s.ended_at, s.ends_at) AS ended_at FROM shift_places AS p"
            " JOIN shifts AS s ON s.id = p.shift_id JOIN activations AS a"
            " ON a.id = s.activation_id WHERE a.year = ? AND p.state = 'confirmed'"
            " AND s.state = 'ended'", (year,))
        return [RequestFacts(activation_id=row["activation_id"], member_id=row["member_id"],
                             state="confirmed", answered_at=from_db(row["answered_at"]),
                             confirmed_at=from_db(row["starts_at"]),
                             arrived_at=from_db(row["arrived_at"]),
                             finished_at=max(from_db(row["ended_at"]),
                                             from_db(row["starts_at"])),
                             counts_answer=False) for row in rows]
