"""SQL of the alarm intake: callers and their keys, requests, web sessions, callbacks owed.

Functions taking a `connection` run inside the caller's transaction (Database.transaction);
`IntakeStore` holds the reads and the small writes the HTTP side makes on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.callouts import NewActivation
from storage.clock import from_db, to_db
from storage.database import Database
from storage.sql import Connection, fetch_one

__all__ = [
    "RETENTION_DEADLINE",
    "CallbackRow",
    "Caller",
    "IntakeRecord",
    "IntakeStore",
    "NewIntake",
    "expire_intake",
    "insert_intake",
]

# The kind of the deadline that purges a request that did not become a call-out
# (bot.intake.retention): a leader's decision cancels the request's other timers, not this one.
RETENTION_DEADLINE = "intake_purge"

# A decided request keeps no briefing and no place: the call-out has its own copy (purged with
# it after the retention period), and a declined request needs none.
_DROP_SENSITIVE = ("briefing = NULL, location_lat = NULL, location_lon = NULL,"
                   " location_title = NULL, location_address = NULL")


@dataclass(frozen=True, slots=True)
class Caller:
    """A holder of an intake key, e.g. "SOS Alarm"."""

    id: int
    name: str
    key_hint: str
    signing_secret: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def audit(self) -> str:
        """How the audit log names this caller."""
        return f"requester:{self.id}"

    @classmethod
    def from_row(cls, row: Any) -> Caller:
        return cls(id=row["id"], name=row["name"], key_hint=row["key_hint"],
                   signing_secret=row["signing_secret"], created_at=from_db(row["created_at"]),
                   revoked_at=from_db(row["revoked_at"]),
                   last_used_at=from_db(row["last_used_at"]))


@dataclass(frozen=True, slots=True)
class NewIntake:
    """A request as it arrives: the call-out it asks for (checked by bot.callout.draft), who
    asks, and where to call back."""

    call_out: NewActivation
    requester_name: str
    requester_organisation: str
    requester_phone: str
    callback_url: str | None


@dataclass(frozen=True, slots=True)
class IntakeRecord:
    """One intake request with what became of it. Its `call_out` keeps no briefing or place once
    a leader decided (the call-out has its own copy, purged with it)."""

    id: int
    public_id: str
    caller_id: int
    caller_name: str
    state: str
    call_out: NewActivation
    requester_name: str
    requester_organisation: str
    requester_phone: str
    callback_url: str | None
    leader_id: int | None
    activation_id: int | None
    reminded_at: datetime | None
    alerted_at: datetime | None
    notified: str | None
    fingerprint: str
    created_at: datetime
    purged_at: datetime | None = None  # its details about people deleted (retention)

    @property
    def requested_by(self) -> str:
        """"Anna Berg, SOS Alarm, 010-123 45 67": who asked, as leaders and /status show it."""
        return ", ".join(part for part in (self.requester_name, self.requester_organisation,
                                           self.requester_phone) if part)

    @classmethod
    def from_row(cls, row: Any) -> IntakeRecord:
        call_out = NewActivation(
            kind=row["kind"], area=row["area"], needed=row["needed"], summary=row["summary"],
            briefing=row["briefing"], location_lat=row["location_lat"],
            location_lon=row["location_lon"], location_title=row["location_title"],
            location_address=row["location_address"], exercise=bool(row["exercise"]))
        return cls(
            id=row["id"], public_id=row["public_id"], caller_id=row["caller_id"],
            caller_name=row["caller_name"], state=row["state"], call_out=call_out,
            requester_name=row["requester_name"],
            requester_organisation=row["requester_organisation"],
            requester_phone=row["requester_phone"], callback_url=row["callback_url"],
            leader_id=row["leader_id"], activation_id=row["activation_id"],
            reminded_at=from_db(row["reminded_at"]), alerted_at=from_db(row["alerted_at"]),
            notified=row["notified"], fingerprint=row["fingerprint"],
            created_at=from_db(row["created_at"]), purged_at=from_db(row["purged_at"]))


@dataclass(frozen=True, slots=True)
class CallbackRow:
    id: int
    intake_id: int
    url: str
    secret: str
    payload: str
    attempts: int


_RECORD = ("SELECT r.*, c.name AS caller_name FROM intake_requests AS r"
           " JOIN intake_callers AS c ON c.id = r.caller_id")


# -- inside a transaction ----------------------------------------------------------------------

async def insert_intake(connection: Connection, new: NewIntake, *, public_id: str,
                        caller_id: int, idempotency_key: str, fingerprint: str,
                        now: datetime) -> IntakeRecord:
    """Records a request as received."""
    call_out = new.call_out
    row = await fetch_one(
        connection,
        "INSERT INTO intake_requests (public_id, caller_id, idempotency_key, fingerprint, state,"
        " kind, area, needed, summary, briefing, location_lat, location_lon, location_title,"
        " location_address, exercise, requester_name, requester_organisation, requester_phone,"
        " callback_url, created_at)"
        " VALUES (?, ?, ?, ?, 'received', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " RETURNING id",
        (public_id, caller_id, idempotency_key, fingerprint, call_out.kind, call_out.area,
         call_out.needed, call_out.summary, call_out.briefing, call_out.location_lat,
         call_out.location_lon, call_out.location_title, call_out.location_address,
         int(call_out.exercise), new.requester_name, new.requester_organisation,
         new.requester_phone, new.callback_url, to_db(now)))
    record = await intake_by_id(connection, row[0])
    assert record is not None
    return record


async def intake_by_id(connection: Connection, intake_id: int) -> IntakeRecord | None:
    """The request with this row id."""
    row = await fetch_one(connection, f"{_RECORD} WHERE r.id = ?", (intake_id,))
    return IntakeRecord.from_row(row) if row else None


async def intake_by_key(connection: Connection, caller_id: int,
                        idempotency_key: str) -> IntakeRecord | None:
    """The caller's request sent with this idempotency key, if any."""
    row = await fetch_one(connection, f"{_RECORD} WHERE r.caller_id = ? AND r.idempotency_key = ?",
                          (caller_id, idempotency_key))
    return IntakeRecord.from_row(row) if row else None


async def take_intake(connection: Connection, intake_id: int, state: str, leader_id: int | None,
                      now: datetime) -> bool:
    """Moves a request that is still waiting ('received') on; False if someone was first."""
    cursor = await connection.execute(
        "UPDATE intake_requests SET state = ?, leader_id = ?, decided_at = ?"
        " WHERE id = ? AND state = 'received'", (state, leader_id, to_db(now), intake_id))
    return cursor.rowcount > 0


async def release_intake(connection: Connection, intake_id: int, leader_id: int) -> bool:
    """A leader who took a request to change it gave up: it waits for a leader again."""
    cursor = await connection.execute(
        "UPDATE intake_requests SET state = 'received', leader_id = NULL, decided_at = NULL"
        " WHERE id = ? AND state = 'taken' AND leader_id = ?", (intake_id, leader_id))
    return cursor.rowcount > 0


async def link_activation(connection: Connection, intake_id: int, activation_id: int,
                          leader_id: int | None, now: datetime) -> bool:
    """The request became this call-out; its own copy of the sensitive details goes."""
    cursor = await connection.execute(
        f"UPDATE intake_requests SET state = 'activated', activation_id = ?,"
        f" leader_id = coalesce(?, leader_id), decided_at = coalesce(decided_at, ?),"
        f" {_DROP_SENSITIVE} WHERE id = ? AND state IN ('received', 'taken')",
        (activation_id, leader_id, to_db(now), intake_id))
    return cursor.rowcount > 0


async def drop_sensitive(connection: Connection, intake_id: int) -> None:
    """Deletes the request's briefing and place (declined: nobody goes)."""
    await connection.execute(f"UPDATE intake_requests SET {_DROP_SENSITIVE} WHERE id = ?",
                             (intake_id,))


async def stamp_intake(connection: Connection, intake_id: int, column: str,
                       now: datetime) -> None:
    """Sets reminded_at or alerted_at."""
    if column not in ("reminded_at", "alerted_at"):
        raise ValueError(column)
    await connection.execute(f"UPDATE intake_requests SET {column} = ? WHERE id = ?",
                             (to_db(now), intake_id))


async def cancel_intake_deadlines(connection: Connection, intake_id: int) -> int:
    """Cancels the request's pending timers (a leader decided); its purge stays."""
    cursor = await connection.execute(
        "UPDATE deadlines SET state = 'cancelled' WHERE intake_id = ? AND state = 'pending'"
        " AND kind != ?", (intake_id, RETENTION_DEADLINE))
    return cursor.rowcount


async def expire_intake(connection: Connection, intake_id: int, now: datetime) -> bool:
    """Closes a request nobody decided in time (still waiting, or taken and never sent): it
    ends as declined by nobody. False if a leader decided it meanwhile."""
    cursor = await connection.execute(
        "UPDATE intake_requests SET state = 'declined', leader_id = NULL, decided_at = ?"
        " WHERE id = ? AND state IN ('received', 'taken')", (to_db(now), intake_id))
    return cursor.rowcount > 0


async def touch_caller(connection: Connection, caller_id: int, now: datetime) -> None:
    """Remembers when a key was last used."""
    await connection.execute("UPDATE intake_callers SET last_used_at = ? WHERE id = ?",
                             (to_db(now), caller_id))


async def enqueue_callback(connection: Connection, intake_id: int, payload: str,
                           fingerprint: str, now: datetime) -> None:
    """Owes the caller a POST of this status, and remembers it as the last one owed."""
    await connection.execute(
        "INSERT INTO intake_callbacks (intake_id, payload, created_at) VALUES (?, ?, ?)",
        (intake_id, payload, to_db(now)))
    await connection.execute("UPDATE intake_requests SET notified = ? WHERE id = ?",
                             (fingerprint, intake_id))


# -- the store -----------------------------------------------------------------------------------

class IntakeStore:
    """Reads of the intake and the writes that stand alone (keys, sessions, callbacks)."""

    def __init__(self, database: Database) -> None:
        self.db = database

    # callers and keys
    async def add_caller(self, name: str, key_hash: str, key_hint: str, signing_secret: str,
                         now: datetime) -> Caller:
        """Stores a new key (as its hash) for a caller."""
        async with self.db.transaction() as tx:
            row = await fetch_one(
                tx, "INSERT INTO intake_callers (name, key_hash, key_hint, signing_secret,"
                    " created_at) VALUES (?, ?, ?, ?, ?) RETURNING *",
                (name, key_hash, key_hint, signing_secret, to_db(now)))
        return Caller.from_row(row)

    async def callers(self) -> list[Caller]:
        """Every key ever made, oldest first."""
        return [Caller.from_row(row) for row in await self.db.fetch_all(
            "SELECT * FROM intake_callers ORDER BY id")]

    async def caller_by_hash(self, key_hash: str) -> Caller | None:
        """The caller whose key has this hash (revoked ones included)."""
        row = await self.db.fetch_one("SELECT * FROM intake_callers WHERE key_hash = ?",
                                      (key_hash,))
        return Caller.from_row(row) if row else None

    async def revoke(self, caller_id: int, now: datetime) -> bool:
        """Revokes a key and ends its page sessions; False if unknown or already revoked."""
        async with self.db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE intake_callers SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (to_db(now), caller_id))
            await tx.execute("DELETE FROM intake_sessions WHERE caller_id = ?", (caller_id,))
            return cursor.rowcount > 0

    # requests
    async def by_public_id(self, public_id: str) -> IntakeRecord | None:
        """The request with this public id."""
        row = await self.db.fetch_one(f"{_RECORD} WHERE r.public_id = ?", (public_id,))
        return IntakeRecord.from_row(row) if row else None

    async def by_id(self, intake_id: int) -> IntakeRecord | None:
        """The request with this row id."""
        row = await self.db.fetch_one(f"{_RECORD} WHERE r.id = ?", (intake_id,))
        return IntakeRecord.from_row(row) if row else None

    async def by_activation(self, activation_id: int) -> IntakeRecord | None:
        """The request a call-out was issued for, if any."""
        row = await self.db.fetch_one(f"{_RECORD} WHERE r.activation_id = ?", (activation_id,))
        return IntakeRecord.from_row(row) if row else None

    async def recent(self, caller_id: int, limit: int = 10) -> list[IntakeRecord]:
        """The caller's latest requests, newest first."""
        rows = await self.db.fetch_all(f"{_RECORD} WHERE r.caller_id = ? ORDER BY r.id DESC"
                                       " LIMIT ?", (caller_id, limit))
        return [IntakeRecord.from_row(row) for row in rows]

    async def followed(self) -> list[IntakeRecord]:
        """Requests with a callback URL whose story is not over (their call-out still runs)."""
        rows = await self.db.fetch_all(
            f"{_RECORD} LEFT JOIN activations AS a ON a.id = r.activation_id"
            " WHERE r.callback_url IS NOT NULL AND (r.state IN ('received', 'taken')"
            " OR (r.state = 'activated' AND a.state IN ('open', 'staffed'))"
            " OR r.notified IS NULL OR r.notified NOT LIKE 'final:%')")
        return [IntakeRecord.from_row(row) for row in rows]

    async def count(self) -> int:
        """How many requests there are (tests: a refused call added none)."""
        row = await self.db.fetch_one("SELECT count(*) FROM intake_requests")
        return int(row[0])

    # page sessions
    async def add_session(self, token_hash: str, caller_id: int, csrf: str, now: datetime,
                          expires_at: datetime) -> None:
        """Opens a page session for a caller (and forgets that caller's expired ones)."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM intake_sessions WHERE expires_at <= ?", (to_db(now),))
            await tx.execute(
                "INSERT INTO intake_sessions (token_hash, caller_id, csrf, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?)",
                (token_hash, caller_id, csrf, to_db(now), to_db(expires_at)))

    async def session(self, token_hash: str, now: datetime) -> tuple[Caller, str] | None:
        """The caller and form token of a live session whose key is not revoked."""
        row = await self.db.fetch_one(
            "SELECT c.*, s.csrf AS session_csrf FROM intake_sessions AS s"
            " JOIN intake_callers AS c ON c.id = s.caller_id"
            " WHERE s.token_hash = ? AND s.expires_at > ? AND c.revoked_at IS NULL",
            (token_hash, to_db(now)))
        return (Caller.from_row(row), row["session_csrf"]) if row else None

    async def end_session(self, token_hash: str) -> None:
        """Logs a page session out."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM intake_sessions WHERE token_hash = ?", (token_hash,))

    # callbacks
    async def claim_callback(self, now: datetime) -> CallbackRow | None:
        """The oldest due callback whose request has no earlier one still pending."""
        row = await self.db.fetch_one(
            "SELECT b.id, b.intake_id, b.payload, b.attempts, r.callback_url, c.signing_secret"
            " FROM intake_callbacks AS b JOIN intake_requests AS r ON r.id = b.intake_id"
            " JOIN intake_callers AS c ON c.id = r.caller_id"
            " WHERE b.state = 'pending' AND (b.not_before IS NULL OR b.not_before <= ?)"
            " AND NOT EXISTS (SELECT 1 FROM intake_callbacks AS e WHERE e.intake_id = b.intake_id"
            "                 AND e.state = 'pending' AND e.id < b.id)"
            " ORDER BY b.id LIMIT 1", (to_db(now),))
        if row is None:
            return None
        return CallbackRow(row["id"], row["intake_id"], row["callback_url"],
                           row["signing_secret"], row["payload"], row["attempts"])

    async def callback_done(self, callback_id: int, state: str, now: datetime,
                            error: str | None = None) -> None:
        """Ends a callback as 'sent' or 'failed'."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE intake_callbacks SET state = ?, attempts = attempts + 1, error = ?,"
                " sent_at = ? WHERE id = ?", (state, error, to_db(now), callback_id))

    async def callback_later(self, callback_id: int, not_before: datetime, error: str) -> None:
        """Tries a callback again at not_before."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE intake_callbacks SET attempts = attempts + 1, not_before = ?, error = ?"
                " WHERE id = ?", (to_db(not_before), error, callback_id))

    async def next_callback_due(self) -> datetime | None:
        """When the earliest pending callback is due."""
        row = await self.db.fetch_one(
            "SELECT min(coalesce(not_before, created_at)) FROM intake_callbacks"
            " WHERE state = 'pending'")
        return from_db(row[0]) if row and row[0] else None

    async def callbacks_of(self, intake_id: int) -> list[dict[str, Any]]:
        """Every callback of a request, oldest first (tests and troubleshooting)."""
        rows = await self.db.fetch_all(
            "SELECT id, state, attempts, payload, error FROM intake_callbacks"
            " WHERE intake_id = ? ORDER BY id", (intake_id,))
        return [dict(row) for row in rows]

