"""SQL for activations and their requests.

Functions taking a `connection` run inside the caller's transaction (Database.transaction), so the
call-out service can read, decide and write as one atomic step; `CalloutReads` runs the same
queries outside a transaction, for /status and the like.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.clock import to_db
from storage.database import Database
from storage.models import Activation, Member, Request
from storage.shifts import ShiftPlan
from storage.sql import Connection, fetch_all, fetch_one

__all__ = ["CalloutReads", "NewActivation"]

REQUEST_STATES = ("pending", "tentative", "confirmed", "reserve", "declined", "stood_down",
                  "withdrawn", "released")


@dataclass(frozen=True, slots=True)
class NewActivation:
    kind: str
    area: str
    needed: int
    summary: str
    briefing: str | None
    location_lat: float | None = None
    location_lon: float | None = None
    location_title: str | None = None
    location_address: str | None = None
    exercise: bool = False
    skills: tuple[str, ...] = ()  # skill keys the team should include (config [[skills]])
    shifts: ShiftPlan | None = None  # staffed as shifts (a support centre), `needed` per shift


# A volunteer is busy while they are confirmed on (or hold a place of) another running
# activation: they are not asked, cannot say yes, and do not count as ready.
_BUSY_ROWS = """FROM requests AS busy JOIN activations AS other ON other.id = busy.activation_id
      WHERE busy.member_id = {member} AND busy.state IN ('confirmed', 'tentative')
        AND other.state IN ('open', 'staffed') AND other.id != {activation}"""
# Who may be asked at all: active volunteers who can be reached somewhere and are not away.
_AVAILABLE = """m.role = 'volunteer' AND m.status = 'active' AND m.address_id IS NOT NULL
  AND (m.away_until IS NULL OR m.away_until <= :now)"""


EXERCISE_MARK = "Ö"  # övning: exercise codes read 2026-Ö01, 2026-Ö02, …


def typed_code(text: str) -> str:
    """A code as a person may type it ("2026-ö01", "2026-o01") in the form it is stored."""
    code = text.strip().upper()
    year, dash, rest = code.partition("-")
    if dash and rest[:1] == "O":
        code = f"{year}-{EXERCISE_MARK}{rest[1:]}"
    return code


async def _next_code(connection: Connection, year: int, exercise: bool) -> str:
    """The next code of the year: real call-outs 2026-001, 2026-002, … and exercises their own
    2026-Ö01, … so that an exercise never makes the real numbers skip."""
    if exercise:
        row = await fetch_one(
            connection, "SELECT coalesce(max(CAST(substr(code, 7) AS INTEGER)), 0) + 1"
                        " FROM activations WHERE year = ? AND substr(code, 6, 1) = ?",
            (year, EXERCISE_MARK))
        return f"{year}-{EXERCISE_MARK}{row[0]:02d}"
    # Real numbers continue after the highest plain number (older databases gave exercises
    # numbers of the same sequence, and those codes stay taken).
    row = await fetch_one(
        connection, "SELECT coalesce(max(CAST(substr(code, 6) AS INTEGER)), 0) + 1"
                    " FROM activations WHERE year = ? AND substr(code, 6, 1) != ?",
        (year, EXERCISE_MARK))
    return f"{year}-{row[0]:03d}"


async def insert_activation(connection: Connection, new: NewActivation, *, year: int,
                            created_by: int | None, requested_by: str | None,
                            now: datetime) -> Activation:
    """Creates an open activation with the next code of the year (2026-001, 2026-002, …;
    exercises 2026-Ö01, …); `seq` keeps every activation of the year in order."""
    row = await fetch_one(connection, "SELECT coalesce(max(seq), 0) + 1 FROM activations"
                                      " WHERE year = ?", (year,))
    seq = row[0]
    code = await _next_code(connection, year, new.exercise)
    created = await fetch_one(
        connection,
        "INSERT INTO activations (code, year, seq, kind, area, needed, summary, briefing,"
        " location_lat, location_lon, location_title, location_address, exercise, state,"
        " created_by, requested_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?) RETURNING *",
        (code, year, seq, new.kind, new.area, new.needed, new.summary,
         new.briefing, new.location_lat, new.location_lon, new.location_title,
         new.location_address, int(new.exercise), created_by, requested_by, to_db(now)),
    )
    return Activation.from_row(created)


_ELIGIBLE = f"""
SELECT m.* FROM member_contacts AS m
WHERE {_AVAILABLE}
  AND m.area IN ({{areas}})
  AND NOT EXISTS (SELECT 1 {_BUSY_ROWS.format(member="m.id", activation=":activation_id")})
  AND NOT EXISTS (
      SELECT 1 FROM requests AS asked
      WHERE asked.member_id = m.id AND asked.activation_id = :activation_id)
ORDER BY m.id
"""


async def eligible_volunteers(connection: Connection, activation_id: int, areas: list[str],
                              now: datetime) -> list[Member]:
    """Volunteers of these areas who can be asked now and have not been asked yet."""
    placeholders = ", ".join(f":area{index}" for index in range(len(areas)))
    parameters: dict[str, Any] = {"now": to_db(now), "activation_id": activation_id}
    parameters.update({f"area{index}": area for index, area in enumerate(areas)})
    rows = await fetch_all(connection, _ELIGIBLE.format(areas=placeholders), parameters)
    return [Member.from_row(row) for row in rows]


async def insert_request(connection: Connection, activation_id: int, member_id: int, *,
                         wave: int, now: datetime) -> int:
    """Records that a volunteer is being asked; returns the request id."""
    row = await fetch_one(
        connection,
        "INSERT INTO requests (activation_id, member_id, state, wave, asked_at)"
        " VALUES (?, ?, 'pending', ?, ?) RETURNING id",
        (activation_id, member_id, wave, to_db(now)),
    )
    return int(row[0])


async def request_with_context(connection: Connection,
                               request_id: int) -> tuple[Request, Activation, Member] | None:
    """The request, its activation and its volunteer, read inside the transaction."""
    row = await fetch_one(connection, "SELECT * FROM requests WHERE id = ?", (request_id,))
    if row is None:
        return None
    request = Request.from_row(row)
    activation = await activation_by_id(connection, request.activation_id)
    member = await fetch_one(connection, "SELECT * FROM member_contacts WHERE id = ?",
                             (request.member_id,))
    return request, activation, Member.from_row(member)


async def activation_by_id(connection: Connection, activation_id: int) -> Activation:
    """The activation with this id, read inside the transaction."""
    row = await fetch_one(connection, "SELECT * FROM activations WHERE id = ?", (activation_id,))
    return Activation.from_row(row)


async def activation_by_code(connection: Connection, code: str) -> Activation | None:
    """The activation with this code."""
    row = await fetch_one(connection, "SELECT * FROM activations WHERE code = ?", (code,))
    return Activation.from_row(row) if row else None


async def count_in_state(connection: Connection, activation_id: int, state: str) -> int:
    """How many requests of the activation are in this state."""
    row = await fetch_one(connection,
                          "SELECT count(*) FROM requests WHERE activation_id = ? AND state = ?",
                          (activation_id, state))
    return int(row[0])


async def is_confirmed_elsewhere(connection: Connection, member_id: int,
                                 activation_id: int) -> str | None:
    """The code of another running activation the member is confirmed on, if any."""
    row = await fetch_one(
        connection,
        f"SELECT other.code {_BUSY_ROWS.format(member='?', activation='?')} LIMIT 1",
        (member_id, activation_id),
    )
    return row[0] if row else None


async def set_request_state(connection: Connection, request_id: int, state: str, now: datetime,
                            *, answered: bool = False) -> None:
    """Moves a request to a new state, stamping the answer and confirmation times."""
    stamp = to_db(now)
    await connection.execute(
        "UPDATE requests SET state = :state,"
        " answered_at = CASE WHEN :answered AND answered_at IS NULL THEN :now ELSE answered_at END,"
        " confirmed_at = CASE WHEN :state = 'confirmed' THEN :now ELSE confirmed_at END"
        " WHERE id = :id",
        {"state": state, "answered": int(answered), "now": stamp, "id": request_id},
    )


async def stamp_request(connection: Connection, request_id: int, column: str,
                        now: datetime) -> bool:
    """Sets arrived_at or finished_at once; False if it was already set."""
    if column not in ("arrived_at", "finished_at"):
        raise ValueError(column)
    cursor = await connection.execute(
        f"UPDATE requests SET {column} = ? WHERE id = ? AND {column} IS NULL",
        (to_db(now), request_id),
    )
    return cursor.rowcount > 0


async def requests_with_members(connection: Connection, activation_id: int,
                                states: tuple[str, ...] = REQUEST_STATES,
                                ) -> list[tuple[Request, Member]]:
    """The activation's requests in these states with their volunteers, oldest answer first."""
    placeholders = ", ".join("?" for _ in states)
    rows = await fetch_all(
        connection,
        "SELECT m.*, r.id AS r_id, r.activation_id AS r_activation_id, r.state AS r_state,"
        " r.wave AS r_wave, r.asked_at AS r_asked_at, r.answered_at AS r_answered_at,"
        " r.confirmed_at AS r_confirmed_at, r.arrived_at AS r_arrived_at"
        " FROM requests AS r JOIN member_contacts AS m ON m.id = r.member_id"
        f" WHERE r.activation_id = ? AND r.state IN ({placeholders})"
        " ORDER BY coalesce(r.confirmed_at, r.answered_at, r.asked_at), r.id",
        (activation_id, *states),
    )
    return [(_request_from_join(row), Member.from_row(row)) for row in rows]


def _request_from_join(row: Any) -> Request:
    return Request.from_row({
        "id": row["r_id"], "activation_id": row["r_activation_id"], "member_id": row["id"],
        "state": row["r_state"], "wave": row["r_wave"], "asked_at": row["r_asked_at"],
        "answered_at": row["r_answered_at"], "confirmed_at": row["r_confirmed_at"],
        "arrived_at": row["r_arrived_at"],
    })


async def open_requests_of(connection: Connection,
                           member_id: int) -> list[tuple[Request, Activation]]:
    """The member's requests on running activations that do not hold a confirmed place:
    not answered yet, holding the last place, or reserve."""
    rows = await fetch_all(
        connection,
        "SELECT r.id FROM requests AS r JOIN activations AS a ON a.id = r.activation_id"
        " WHERE r.member_id = ? AND r.state IN ('pending', 'tentative', 'reserve')"
        " AND a.state IN ('open', 'staffed') ORDER BY r.id", (member_id,))
    found = [await request_with_context(connection, row[0]) for row in rows]
    return [(request, activation) for request, activation, _ in filter(None, found)]


async def confirmed_on(connection: Connection, member_id: int) -> list[str]:
    """The codes of running activations the member is confirmed on."""
    rows = await fetch_all(
        connection,
        "SELECT a.code FROM requests AS r JOIN activations AS a ON a.id = r.activation_id"
        " WHERE r.member_id = ? AND r.state = 'confirmed' AND a.state IN ('open', 'staffed')"
        " ORDER BY a.id", (member_id,))
    return [row[0] for row in rows]


async def set_activation_state(connection: Connection, activation_id: int, state: str,
                               now: datetime, *, by: str | None = None) -> None:
    """Moves an activation to a new state and stamps the time of it."""
    stamp = to_db(now)
    await connection.execute(
        "UPDATE activations SET state = :state,"
        " staffed_at = CASE WHEN :state = 'staffed' AND staffed_at IS NULL THEN :now"
        "                   ELSE staffed_at END,"
        " closed_at = CASE WHEN :state = 'closed' THEN :now ELSE closed_at END,"
        " cancelled_at = CASE WHEN :state = 'cancelled' THEN :now ELSE cancelled_at END,"
        " closed_by = CASE WHEN :state IN ('closed', 'cancelled') THEN :by ELSE closed_by END"
        " WHERE id = :id",
        {"state": state, "now": stamp, "by": by, "id": activation_id},
    )


async def set_away(connection: Connection, member_id: int, until: datetime | None) -> None:
    """Marks a member away until a time (None: available again)."""
    await connection.execute("UPDATE members SET away_until = ? WHERE id = ?",
                             (to_db(until) if until else None, member_id))


async def state_counts(connection: Connection, activation_id: int) -> dict[str, int]:
    """How many requests of the activation are in each state."""
    rows = await fetch_all(connection, "SELECT state, count(*) FROM requests"
                                       " WHERE activation_id = ? GROUP BY state", (activation_id,))
    return {row[0]: row[1] for row in rows}


async def unreachable_asked(connection: Connection, activation_id: int) -> int:
    """How many people asked on this activation could not be reached."""
    row = await fetch_one(connection,
                          "SELECT count(*) FROM requests AS r JOIN member_contacts AS m"
                          " ON m.id = r.member_id WHERE r.activation_id = ? AND m.unreachable = 1",
                          (activation_id,))
    return int(row[0])


async def highest_wave(connection: Connection, activation_id: int) -> int:
    """The highest wave number anyone on this activation was asked in."""
    row = await fetch_one(connection, "SELECT coalesce(max(wave), 1) FROM requests"
                                      " WHERE activation_id = ?", (activation_id,))
    return int(row[0])


async def set_needed(connection: Connection, activation_id: int, needed: int) -> None:
    """Changes how many support persons the activation needs (a leader going with fewer)."""
    await connection.execute("UPDATE activations SET needed = ? WHERE id = ?",
                             (needed, activation_id))


class CalloutReads:
    """Read-only queries for /status and the like, outside any write transaction."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def by_code(self, code: str) -> Activation | None:
        """The activation with this code (as typed: "2026-ö01" finds 2026-Ö01)."""
        return await activation_by_code(self.db.reader, typed_code(code))

    async def by_id(self, activation_id: int) -> Activation | None:
        """The activation with this id."""
        row = await self.db.fetch_one("SELECT * FROM activations WHERE id = ?", (activation_id,))
        return Activation.from_row(row) if row else None

    async def running(self) -> list[Activation]:
        """Open and staffed activations, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT * FROM activations WHERE state IN ('open', 'staffed') ORDER BY id")
        return [Activation.from_row(row) for row in rows]

    async def state_counts(self, activation_id: int) -> dict[str, int]:
        """How many requests of the activation are in each state."""
        return await state_counts(self.db.reader, activation_id)

    async def unreachable_count(self, activation_id: int) -> int:
        """How many people asked on this activation could not be reached."""
        return await unreachable_asked(self.db.reader, activation_id)

    async def requests_with_members(self, activation_id: int) -> list[tuple[Request, Member]]:
        """Every request of the activation with its volunteer."""
        return await requests_with_members(self.db.reader, activation_id)

    async def assignments(self, member_id: int) -> list[tuple[Request, Activation]]:
        """The member's confirmed, held or reserve places on running activations."""
        rows = await self.db.fetch_all(
            "SELECT r.id AS request_id FROM requests AS r"
            " JOIN activations AS a ON a.id = r.activation_id WHERE r.member_id = ?"
            " AND r.state IN ('confirmed', 'tentative', 'reserve')"
            " AND a.state IN ('open', 'staffed') ORDER BY a.id",
            (member_id,))
        result = []
        for row in rows:
            found = await request_with_context(self.db.reader, row["request_id"])
            if found:
                result.append((found[0], found[1]))
        return result

    async def readiness(self, now: datetime) -> dict[str, int]:
        """Volunteers available right now per area (active, reachable, not away, not busy)."""
        rows = await self.db.fetch_all(
            f"SELECT m.area, count(*) AS n FROM member_contacts AS m WHERE {_AVAILABLE}"
            f" AND NOT EXISTS (SELECT 1 {_BUSY_ROWS.format(member='m.id', activation='0')})"
            " GROUP BY m.area",
            {"now": to_db(now)})
        return {row["area"]: row["n"] for row in rows}
