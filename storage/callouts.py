"""SQL for activations and their requests.

Functions taking a `connection` run inside the caller's transaction (Database.transaction), so the
call-out service can read, decide and write as one atomic step; the others are plain reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.clock import to_db
from storage.database import Database
from storage.models import Activation, Member, Request

__all__ = ["CalloutReads", "NewActivation"]

Connection = aiosqlite.Connection


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


async def _one(connection: Connection, sql: str, parameters: Any = ()) -> Any:
    async with connection.execute(sql, parameters) as cursor:
        return await cursor.fetchone()


async def _all(connection: Connection, sql: str, parameters: Any = ()) -> list[Any]:
    async with connection.execute(sql, parameters) as cursor:
        return list(await cursor.fetchall())


async def insert_activation(connection: Connection, new: NewActivation, *, year: int,
                            created_by: int | None, now: datetime) -> Activation:
    """Creates an open activation with the next code of the year (2026-001, 2026-002, …)."""
    row = await _one(connection, "SELECT coalesce(max(seq), 0) + 1 FROM activations WHERE year = ?",
                     (year,))
    seq = row[0]
    created = await _one(
        connection,
        "INSERT INTO activations (code, year, seq, kind, area, needed, summary, briefing,"
        " location_lat, location_lon, location_title, location_address, exercise, state,"
        " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)"
        " RETURNING *",
        (f"{year}-{seq:03d}", year, seq, new.kind, new.area, new.needed, new.summary,
         new.briefing, new.location_lat, new.location_lon, new.location_title,
         new.location_address, int(new.exercise), created_by, to_db(now)),
    )
    return Activation.from_row(created)


# Who may be asked: active volunteers of the areas, reachable in Telegram, not away, not already
# confirmed on another running activation, and not already asked on this one.
_ELIGIBLE = """
SELECT m.* FROM members AS m
WHERE m.role = 'volunteer' AND m.status = 'active' AND m.telegram_id IS NOT NULL
  AND m.area IN ({areas})
  AND (m.away_until IS NULL OR m.away_until <= :now)
  AND NOT EXISTS (
      SELECT 1 FROM requests AS busy JOIN activations AS other ON other.id = busy.activation_id
      WHERE busy.member_id = m.id AND busy.state IN ('confirmed', 'tentative')
        AND other.state IN ('open', 'staffed') AND other.id != :activation_id)
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
    rows = await _all(connection, _ELIGIBLE.format(areas=placeholders), parameters)
    return [Member.from_row(row) for row in rows]


async def insert_request(connection: Connection, activation_id: int, member_id: int, *,
                         wave: int, now: datetime) -> int:
    """Records that a volunteer is being asked; returns the request id."""
    row = await _one(
        connection,
        "INSERT INTO requests (activation_id, member_id, state, wave, asked_at)"
        " VALUES (?, ?, 'pending', ?, ?) RETURNING id",
        (activation_id, member_id, wave, to_db(now)),
    )
    return int(row[0])


async def request_with_context(connection: Connection,
                               request_id: int) -> tuple[Request, Activation, Member] | None:
    """The request, its activation and its volunteer, read inside the transaction."""
    row = await _one(connection, "SELECT * FROM requests WHERE id = ?", (request_id,))
    if row is None:
        return None
    request = Request.from_row(row)
    activation = await activation_by_id(connection, request.activation_id)
    member_row = await _one(connection, "SELECT * FROM members WHERE id = ?", (request.member_id,))
    return request, activation, Member.from_row(member_row)


async def activation_by_id(connection: Connection, activation_id: int) -> Activation:
    """The activation with this id, read inside the transaction."""
    row = await _one(connection, "SELECT * FROM activations WHERE id = ?", (activation_id,))
    return Activation.from_row(row)


async def count_in_state(connection: Connection, activation_id: int, state: str) -> int:
    """How many requests of the activation are in this state."""
    row = await _one(connection,
                     "SELECT count(*) FROM requests WHERE activation_id = ? AND state = ?",
                     (activation_id, state))
    return int(row[0])


async def is_confirmed_elsewhere(connection: Connection, member_id: int,
                                 activation_id: int) -> str | None:
    """The code of another running activation the member is confirmed on, if any."""
    row = await _one(
        connection,
        "SELECT a.code FROM requests AS r JOIN activations AS a ON a.id = r.activation_id"
        " WHERE r.member_id = ? AND r.state IN ('confirmed', 'tentative')"
        " AND a.state IN ('open', 'staffed')"
        " AND a.id != ? LIMIT 1",
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
                                states: tuple[str, ...]) -> list[tuple[Request, Member]]:
    """The activation's requests in these states with their volunteers, oldest answer first."""
    placeholders = ", ".join("?" for _ in states)
    rows = await _all(
        connection,
        "SELECT r.*, m.id AS m_id, m.telegram_id, m.name, m.phone, m.area, m.gender, m.role,"
        " m.locale, m.telegram_locale, m.status, m.away_until, m.unreachable, m.source,"
        " m.created_at AS m_created_at"
        f" FROM requests AS r JOIN members AS m ON m.id = r.member_id"
        f" WHERE r.activation_id = ? AND r.state IN ({placeholders})"
        " ORDER BY coalesce(r.confirmed_at, r.answered_at, r.asked_at), r.id",
        (activation_id, *states),
    )
    return [(Request.from_row(row), _member_from_join(row)) for row in rows]


def _member_from_join(row: Any) -> Member:
    return Member.from_row({
        "id": row["m_id"], "telegram_id": row["telegram_id"], "name": row["name"],
        "phone": row["phone"], "area": row["area"], "gender": row["gender"], "role": row["role"],
        "locale": row["locale"], "telegram_locale": row["telegram_locale"],
        "status": row["status"], "away_until": row["away_until"],
        "unreachable": row["unreachable"], "source": row["source"],
        "created_at": row["m_created_at"],
    })


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


async def leaders(connection: Connection) -> list[Member]:
    """Active leaders reachable in Telegram."""
    rows = await _all(connection,
                      "SELECT * FROM members WHERE role = 'leader' AND status = 'active'"
                      " AND telegram_id IS NOT NULL ORDER BY id")
    return [Member.from_row(row) for row in rows]


async def member_by_id(connection: Connection, member_id: int) -> Member | None:
    """The member with this id, read inside the transaction."""
    row = await _one(connection, "SELECT * FROM members WHERE id = ?", (member_id,))
    return Member.from_row(row) if row else None


async def set_away(connection: Connection, member_id: int, until: datetime | None) -> None:
    """Marks a member away until a time (None: available again)."""
    await connection.execute("UPDATE members SET away_until = ? WHERE id = ?",
                             (to_db(until) if until else None, member_id))


async def mark_unreachable(connection: Connection, telegram_id: int,
                           unreachable: bool) -> list[int]:
    """Remembers that Telegram refused messages to this person; returns their member ids."""
    rows = await _all(connection, "UPDATE members SET unreachable = ? WHERE telegram_id = ?"
                                  " RETURNING id", (int(unreachable), telegram_id))
    return [row[0] for row in rows]


class CalloutReads:
    """Read-only queries for /status and the like."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def by_code(self, code: str) -> Activation | None:
        """The activation with this code."""
        row = await self.db.fetch_one("SELECT * FROM activations WHERE code = ?", (code,))
        return Activation.from_row(row) if row else None

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
        rows = await self.db.fetch_all(
            "SELECT state, count(*) AS n FROM requests WHERE activation_id = ? GROUP BY state",
            (activation_id,))
        return {row["state"]: row["n"] for row in rows}

    async def unreachable_count(self, activation_id: int) -> int:
        """How many people asked on this activation could not be reached by Telegram."""
        row = await self.db.fetch_one(
            "SELECT count(*) AS n FROM requests AS r JOIN members AS m ON m.id = r.member_id"
            " WHERE r.activation_id = ? AND m.unreachable = 1", (activation_id,))
        return int(row["n"])

    async def requests_with_members(self, activation_id: int) -> list[tuple[Request, Member]]:
        """Every request of the activation with its volunteer."""
        return await requests_with_members(
            self.db.connection, activation_id,
            ("pending", "tentative", "confirmed", "reserve", "declined", "stood_down",
             "withdrawn", "released"))

    async def assignments(self, member_id: int) -> list[tuple[Request, Activation]]:
        """The member's confirmed or reserve places on running activations."""
        rows = await self.db.fetch_all(
            "SELECT r.id AS request_id FROM requests AS r JOIN activations AS a"
            " ON a.id = r.activation_id WHERE r.member_id = ? AND r.state IN ('confirmed',"
            " 'tentative', 'reserve') AND a.state IN ('open', 'staffed') ORDER BY a.id",
            (member_id,))
        result = []
        for row in rows:
            found = await request_with_context(self.db.connection, row["request_id"])
            if found:
                result.append((found[0], found[1]))
        return result

    async def readiness(self, now: datetime) -> dict[str, int]:
        """Volunteers available right now per area (active, reachable, not away, not busy)."""
        rows = await self.db.fetch_all(
            "SELECT m.area, count(*) AS n FROM members AS m"
            " WHERE m.role = 'volunteer' AND m.status = 'active' AND m.telegram_id IS NOT NULL"
            " AND (m.away_until IS NULL OR m.away_until <= ?)"
            " AND NOT EXISTS (SELECT 1 FROM requests AS r JOIN activations AS a"
            "   ON a.id = r.activation_id WHERE r.member_id = m.id"
            "   AND r.state IN ('confirmed', 'tentative')"
            "   AND a.state IN ('open', 'staffed'))"
            " GROUP BY m.area", (to_db(now),))
        return {row["area"]: row["n"] for row in rows}


async def state_counts(connection: Connection, activation_id: int) -> dict[str, int]:
    """How many requests of the activation are in each state, read inside the transaction."""
    rows = await _all(connection, "SELECT state, count(*) FROM requests WHERE activation_id = ?"
                                  " GROUP BY state", (activation_id,))
    return {row[0]: row[1] for row in rows}


async def unreachable_asked(connection: Connection, activation_id: int) -> int:
    """How many people asked on this activation could not be reached, inside the transaction."""
    row = await _one(connection,
                     "SELECT count(*) FROM requests AS r JOIN members AS m ON m.id = r.member_id"
                     " WHERE r.activation_id = ? AND m.unreachable = 1", (activation_id,))
    return int(row[0])


async def highest_wave(connection: Connection, activation_id: int) -> int:
    """The highest wave number anyone on this activation was asked in."""
    row = await _one(connection, "SELECT coalesce(max(wave), 1) FROM requests"
                                 " WHERE activation_id = ?", (activation_id,))
    return int(row[0])


async def set_needed(connection: Connection, activation_id: int, needed: int) -> None:
    """Changes how many support persons the activation needs (a leader going with fewer)."""
    await connection.execute("UPDATE activations SET needed = ? WHERE id = ?",
                             (needed, activation_id))
