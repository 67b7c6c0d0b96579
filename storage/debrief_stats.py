"""The one place that reads debrief answers (issue 5) for the report, /mydata, the archive
export, erasure and the retention purge.

The debrief questionnaire is built separately (migration 004). Until it is merged the table does
not exist, and every function here says so honestly: `debrief_rows` returns None ("no debrief
data") and the purge and erasure hooks change nothing. When the tables exist, this module expects
exactly this shape (adapt the SQL here, and only here, if issue 5 stores it differently):

    CREATE TABLE debriefs (
        id            INTEGER PRIMARY KEY,
        activation_id INTEGER NOT NULL REFERENCES activations (id),
        member_id     INTEGER NOT NULL REFERENCES members (id),  -- the volunteer who went
        answered_at   TEXT,      -- NULL until the volunteer answered (storage.clock format)
        hours         REAL,      -- hours the volunteer spent, travel included
        affected      INTEGER,   -- people supported: affected (drabbade)
        witnesses     INTEGER,   -- people supported: witnesses (vittnen)
        practical     INTEGER,   -- 0/1: practical support given
        social        INTEGER,   -- 0/1: social support given
        psychological INTEGER,   -- 0/1: psychological support given
        referrals     TEXT,      -- JSON list of referral keys, e.g. ["social_services", "church"]
        wellbeing     INTEGER,   -- the volunteer's own wellbeing afterwards, 1 (bad) .. 5 (good)
        support_talk  INTEGER,   -- 0/1: the volunteer wants a support talk (welfare follow-up)
        free_text     TEXT       -- SENSITIVE: purged by retention (DEBRIEF_FREE_TEXT_COLUMNS)
    );

One row per confirmed volunteer per closed activation. Both volunteers of a pair meet the same
people, so the report counts people supported per intervention as the largest answer of its team,
not the sum (see bot/report.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.clock import from_db
from storage.database import Database

__all__ = [
    "DEBRIEF_COLUMNS",
    "DEBRIEF_FREE_TEXT_COLUMNS",
    "DEBRIEF_TABLE",
    "DebriefRow",
    "DebriefShapeError",
    "activation_debriefs",
    "debrief_rows",
    "erase_member_debrief_text",
    "member_debriefs",
    "purge_debrief_free_text",
]

DEBRIEF_TABLE = "debriefs"
DEBRIEF_COLUMNS = ("id", "activation_id", "member_id", "answered_at", "hours", "affected",
                   "witnesses", "practical", "social", "psychological", "referrals", "wellbeing",
                   "support_talk", "free_text")
# Free-text answers: sensitive, emptied by the retention purge and by a member's erasure.
DEBRIEF_FREE_TEXT_COLUMNS = ("free_text",)


class DebriefShapeError(Exception):
    """The debriefs table exists but lacks columns this module reads: adapt the SQL here."""


@dataclass(frozen=True, slots=True)
class DebriefRow:
    """One volunteer's answered debrief, the numbers only (never the free text)."""

    activation_id: int
    member_id: int
    answered_at: datetime
    hours: float | None
    affected: int | None
    witnesses: int | None
    practical: bool
    social: bool
    psychological: bool
    referrals: tuple[str, ...]
    wellbeing: int | None
    support_talk: bool


async def _columns(connection: aiosqlite.Connection) -> set[str] | None:
    """The debriefs table's columns, or None while the table does not exist."""
    async with connection.execute(
            "SELECT name FROM pragma_table_info(?)", (DEBRIEF_TABLE,)) as cursor:
        names = {row[0] for row in await cursor.fetchall()}
    return names or None


async def _checked(connection: aiosqlite.Connection, needed: tuple[str, ...]) -> bool:
    """True if the table exists with these columns; False if it does not exist at all."""
    columns = await _columns(connection)
    if columns is None:
        return False
    missing = [name for name in needed if name not in columns]
    if missing:
        raise DebriefShapeError(f"table {DEBRIEF_TABLE} lacks column(s) {', '.join(missing)}; "
                                "adapt storage/debrief_stats.py")
    return True


def _referrals(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    try:
        value = json.loads(text)
    except ValueError:
        return (text,)
    return tuple(str(item) for item in value) if isinstance(value, list) else (str(value),)


async def debrief_rows(database: Database, year: int) -> list[DebriefRow] | None:
    """The answered debriefs of the year's activations; None if there is no debrief table."""
    if not await _checked(database.connection, DEBRIEF_COLUMNS):
        return None
    rows = await database.fetch_all(
        "SELECT d.activation_id, d.member_id, d.answered_at, d.hours, d.affected, d.witnesses,"
        " d.practical, d.social, d.psychological, d.referrals, d.wellbeing, d.support_talk"
        " FROM debriefs AS d JOIN activations AS a ON a.id = d.activation_id"
        " WHERE a.year = ? AND d.answered_at IS NOT NULL ORDER BY d.id", (year,))
    return [DebriefRow(
        activation_id=row["activation_id"], member_id=row["member_id"],
        answered_at=from_db(row["answered_at"]), hours=row["hours"], affected=row["affected"],
        witnesses=row["witnesses"], practical=bool(row["practical"]),
        social=bool(row["social"]), psychological=bool(row["psychological"]),
        referrals=_referrals(row["referrals"]), wellbeing=row["wellbeing"],
        support_talk=bool(row["support_talk"])) for row in rows]


async def purge_debrief_free_text(connection: aiosqlite.Connection, activation_id: int) -> int:
    """Retention hook: empties the free-text answers of one activation's debriefs.

    Runs inside the purge transaction; returns how many rows changed (0 with no debrief table).
    """
    if not await _checked(connection, ("activation_id", *DEBRIEF_FREE_TEXT_COLUMNS)):
        return 0
    assignments = ", ".join(f"{column} = NULL" for column in DEBRIEF_FREE_TEXT_COLUMNS)
    present = " OR ".join(f"{column} IS NOT NULL" for column in DEBRIEF_FREE_TEXT_COLUMNS)
    cursor = await connection.execute(
        f"UPDATE debriefs SET {assignments} WHERE activation_id = ? AND ({present})",
        (activation_id,))
    return cursor.rowcount


async def erase_member_debrief_text(connection: aiosqlite.Connection, member_id: int) -> int:
    """Erasure hook: empties a member's free-text answers; their numbers stay, anonymous."""
    if not await _checked(connection, ("member_id", *DEBRIEF_FREE_TEXT_COLUMNS)):
        return 0
    assignments = ", ".join(f"{column} = NULL" for column in DEBRIEF_FREE_TEXT_COLUMNS)
    cursor = await connection.execute(
        f"UPDATE debriefs SET {assignments} WHERE member_id = ?", (member_id,))
    return cursor.rowcount


async def _rows_as_dicts(database: Database, where: str, parameters: tuple) -> list[dict] | None:
    columns = await _columns(database.connection)
    if columns is None:
        return None
    rows = await database.fetch_all(f"SELECT * FROM debriefs WHERE {where} ORDER BY id",
                                    parameters)
    return [dict(zip(row.keys(), tuple(row), strict=True)) for row in rows]


async def member_debriefs(database: Database, member_id: int) -> list[dict[str, Any]] | None:
    """Every debrief row of one member, all columns (for /mydata); None with no table."""
    return await _rows_as_dicts(database, "member_id = ?", (member_id,))


async def activation_debriefs(database: Database,
                              activation_ids: list[int]) -> list[dict[str, Any]] | None:
    """Every debrief row of these activations, all columns (for the archive export)."""
    if not activation_ids:
        return [] if await _columns(database.connection) is not None else None
    placeholders = ", ".join("?" for _ in activation_ids)
    return await _rows_as_dicts(database, f"activation_id IN ({placeholders})",
                                tuple(activation_ids))
