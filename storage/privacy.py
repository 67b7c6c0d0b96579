"""SQL for data protection: retention purges, erasure of a member, /mydata and the archive export.

Deleted and overwritten text does not linger in the file: the connection runs with
`PRAGMA secure_delete=ON` (storage.database), and after a purge or an erasure the caller
checkpoints the WAL (`Database.checkpoint`) so the old pages leave the -wal file as well.
The audit log is append-only and holds ids, never names, so erasing a member's row is enough.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import aiosqlite

from storage import debrief_stats
from storage.clock import from_db, to_db
from storage.database import Database
from storage.deadlines import add_deadline
from storage.models import Deadline
from storage.outbox import REPLY_REF
from storage.sql import fetch_all, fetch_one

__all__ = [
    "EndedActivation",
    "PurgeCounts",
    "UnpurgedIntake",
    "archive_year",
    "busy_on",
    "count_active_leaders",
    "ended_unpurged",
    "erase_member",
    "forget_failed_replies",
    "intakes_unpurged",
    "member_data",
    "pending_purges",
    "purge_activation",
    "purge_intake",
    "sync_purge_deadlines",
]

Connection = aiosqlite.Connection

# Sent outbox rows that carried an activation's sensitive details, per request id.
_SENSITIVE_REFS = ("briefing:{id}", "briefing-location:{id}")
# The same for the places on a support centre's shifts, per place id.
_SHIFT_SENSITIVE_REFS = ("shift-briefing:{id}", "shift-location:{id}")


@dataclass(frozen=True, slots=True)
class EndedActivation:
    id: int
    area: str
    ended_at: datetime


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    outbox_rows: int
    debrief_rows: int


@dataclass(frozen=True, slots=True)
class UnpurgedIntake:
    """An intake request that did not become a call-out and still holds details about people."""

    id: int
    area: str
    created_at: datetime


def _as_dict(row: Any) -> dict[str, Any]:
    return dict(zip(row.keys(), tuple(row), strict=True))


def _json_forms(text: str) -> set[str]:
    """The text as it appears inside stored JSON (escaped and not), for scrubbing payloads."""
    escaped = json.dumps(text)[1:-1]
    return {text, escaped, json.dumps(text, ensure_ascii=False)[1:-1]}


async def _scrub_quoting(connection: Connection, values: Iterable[str | None]) -> int:
    """Empties sent messages and requester callbacks that quote any of these texts (a person's
    name or phone), and the titles of offered choices (a Signal message's first line) that do,
    and returns how many messages; what is still to be sent is left alone. Texts shorter than
    three characters are not looked for (they would match anything)."""
    quoted: set[str] = set()
    for value in values:
        if value and len(value) >= 3:
            quoted |= _json_forms(value)
    scrubbed = 0
    for text in sorted(quoted):
        cursor = await connection.execute(
            "UPDATE outbox SET payload = '{}' WHERE state NOT IN ('pending', 'sending')"
            " AND instr(payload, ?) > 0", (text,))
        scrubbed += cursor.rowcount
        await connection.execute(
            "UPDATE intake_callbacks SET payload = '{}' WHERE state != 'pending'"
            " AND instr(payload, ?) > 0", (text,))
        await connection.execute("UPDATE chat_offers SET title = '–' WHERE instr(title, ?) > 0",
                                 (text,))
    return scrubbed


# -- retention ---------------------------------------------------------------------------------

async def ended_unpurged(connection: Connection) -> list[EndedActivation]:
    """Closed or cancelled activations whose sensitive details are still stored."""
    rows = await fetch_all(
        connection,
        "SELECT id, area, coalesce(closed_at, cancelled_at) AS ended_at FROM activations"
        " WHERE state IN ('closed', 'cancelled') AND purged_at IS NULL ORDER BY id")
    return [EndedActivation(row["id"], row["area"], from_db(row["ended_at"])) for row in rows]


async def pending_purges(connection: Connection, kind: str, *,
                         by: Literal["activation_id", "intake_id"] = "activation_id",
                         ) -> dict[int, tuple[int, datetime]]:
    """Activation (or intake request) id -> (deadline id, due time) of the pending purge
    deadlines of this kind."""
    rows = await fetch_all(connection,
                      f"SELECT id, {by} AS owner, due_at FROM deadlines WHERE kind = ?"
                      " AND state = 'pending' ORDER BY id", (kind,))
    return {row["owner"]: (row["id"], from_db(row["due_at"])) for row in rows}


async def sync_purge_deadlines(connection: Connection, kind: str, wanted: dict[int, datetime],
                               now: datetime, *,
                               by: Literal["activation_id", "intake_id"] = "activation_id",
                               ) -> list[Deadline]:
    """Gives each owner (activation or intake request id) in `wanted` a pending purge deadline
    of this kind at its wanted time: missing ones are added, moved ones replaced. Returns the
    deadlines added, to arm."""
    pending = await pending_purges(connection, kind, by=by)
    added: list[Deadline] = []
    for owner, due in wanted.items():
        existing = pending.get(owner)
        if existing is not None and to_db(existing[1]) == to_db(due):
            continue
        if existing is not None:
            await cancel_deadline(connection, existing[0])
        added.append(await add_deadline(connection, kind, due, now, **{by: owner}))
    return added


async def intakes_unpurged(connection: Connection) -> list[UnpurgedIntake]:
    """Intake requests that did not become a call-out (declined, or not decided yet) and still
    hold their details; a request that became one is purged with its call-out."""
    rows = await fetch_all(
        connection,
        "SELECT id, area, created_at FROM intake_requests WHERE state != 'activated'"
        " AND purged_at IS NULL ORDER BY id")
    return [UnpurgedIntake(row["id"], row["area"], from_db(row["created_at"])) for row in rows]


async def cancel_deadline(connection: Connection, deadline_id: int) -> None:
    """Cancels one pending deadline (a purge whose period changed)."""
    await connection.execute(
        "UPDATE deadlines SET state = 'cancelled' WHERE id = ? AND state = 'pending'",
        (deadline_id,))


async def purge_activation(connection: Connection, activation_id: int,
                           now: datetime) -> PurgeCounts | None:
    """Deletes an ended activation's briefing, address, location and free-text answers.

    The activation row, its requests and every time stamp stay, so the statistics do. Sent
    outbox rows that carried the briefing or the location are emptied too. Who requested it
    from outside (the alarm intake) keeps only their organisation: the requester's name and
    phone go from the call-out, its intake request, the messages that quoted them and the
    callbacks of its status. None if the activation is still running or was purged already.
    """
    requested = await fetch_one(connection,
                                "SELECT requested_by FROM activations WHERE id = ?",
                                (activation_id,))
    cursor = await connection.execute(
        "UPDATE activations SET briefing = NULL, location_lat = NULL, location_lon = NULL,"
        " location_title = NULL, location_address = NULL, purged_at = ?,"
        " requested_by = (SELECT i.requester_organisation FROM intake_requests AS i"
        "                 WHERE i.activation_id = activations.id)"
        " WHERE id = ? AND state IN ('closed', 'cancelled') AND purged_at IS NULL",
        (to_db(now), activation_id))
    if cursor.rowcount == 0:
        return None
    request_ids = [row[0] for row in await fetch_all(
        connection, "SELECT id FROM requests WHERE activation_id = ?", (activation_id,))]
    refs = [pattern.format(id=request_id) for request_id in request_ids
            for pattern in _SENSITIVE_REFS]
    # A support centre's shift briefings carried the same details (issue 16).
    place_ids = [row[0] for row in await fetch_all(
        connection, "SELECT p.id FROM shift_places AS p JOIN shifts AS s ON s.id = p.shift_id"
                    " WHERE s.activation_id = ?", (activation_id,))]
    refs += [pattern.format(id=place_id) for place_id in place_ids
             for pattern in _SHIFT_SENSITIVE_REFS]
    scrubbed = 0
    for start in range(0, len(refs), 400):  # stay far below SQLite's parameter limit
        chunk = refs[start:start + 400]
        placeholders = ", ".join("?" for _ in chunk)
        cursor = await connection.execute(
            "UPDATE outbox SET payload = '{}',"
            " state = CASE WHEN state IN ('pending', 'sending') THEN 'skipped' ELSE state END"
            f" WHERE (ref IN ({placeholders}) OR target_ref IN ({placeholders}))"
            " AND payload != '{}'", (*chunk, *chunk))
        scrubbed += cursor.rowcount
    scrubbed += await _scrub_quoting(connection, (requested["requested_by"],))
    for intake in await fetch_all(connection,
                                  "SELECT id FROM intake_requests WHERE activation_id = ?",
                                  (activation_id,)):
        scrubbed += await purge_intake(connection, intake["id"], now) or 0
    debriefs = await debrief_stats.purge_debrief_free_text(connection, activation_id)
    return PurgeCounts(outbox_rows=scrubbed, debrief_rows=debriefs)


async def purge_intake(connection: Connection, intake_id: int, now: datetime) -> int | None:
    """Deletes an intake request's briefing, place and the requester's name and phone (the
    organisation and the request's figures stay); the sent messages that quoted the requester
    and the callbacks already made are emptied. Returns how many messages were emptied, None
    if the request was purged already."""
    row = await fetch_one(
        connection, "SELECT requester_name, requester_phone FROM intake_requests"
                    " WHERE id = ? AND purged_at IS NULL", (intake_id,))
    if row is None:
        return None
    await connection.execute(
        "UPDATE intake_requests SET briefing = NULL, location_lat = NULL, location_lon = NULL,"
        " location_title = NULL, location_address = NULL, requester_name = '',"
        " requester_phone = '', purged_at = ? WHERE id = ?", (to_db(now), intake_id))
    # A status called back names the leader who decided and, where shared, the team.
    await connection.execute(
        "UPDATE intake_callbacks SET payload = '{}' WHERE intake_id = ? AND state != 'pending'"
        " AND payload != '{}'", (intake_id,))
    return await _scrub_quoting(connection, (row["requester_name"], row["requester_phone"]))


async def forget_failed_replies(connection: Connection, before: datetime) -> int:
    """Empties direct replies handed to the outbox (REPLY_REF) that no transport took, written
    before `before`; a delivered one is emptied at once (migration 012's trigger)."""
    cursor = await connection.execute(
        "UPDATE outbox SET payload = '{}' WHERE ref = ? AND state = 'failed'"
        " AND payload != '{}' AND created_at < ?", (REPLY_REF, to_db(before)))
    return cursor.rowcount


# -- people's rights ---------------------------------------------------------------------------

async def busy_on(connection: Connection, member_id: int) -> str | None:
    """The code of a running activation the member is confirmed, held or reserve on."""
    row = await fetch_one(
        connection,
        "SELECT a.code FROM requests AS r JOIN activations AS a ON a.id = r.activation_id"
        " WHERE r.member_id = ? AND r.state IN ('confirmed', 'tentative', 'reserve')"
        " AND a.state IN ('open', 'staffed') ORDER BY a.id LIMIT 1", (member_id,))
    return row[0] if row else None


async def count_active_leaders(connection: Connection, *, besides: int | None = None) -> int:
    """How many active leaders there are, not counting `besides`."""
    row = await fetch_one(connection,
                     "SELECT count(*) FROM members WHERE role = 'leader' AND status = 'active'"
                     " AND id IS NOT ?", (besides,))
    return int(row[0])


async def erase_member(connection: Connection, member_id: int, placeholder: str,
                       now: datetime) -> bool:
    """Erases a member's personal data and keeps the anonymous row for the statistics.

    Name becomes the placeholder, phone, language and away time are emptied, gender becomes
    undisclosed, status 'removed', and every address they were reached at is unlinked, with what
    a chat remembered of them (offers, receipts, Signal accounts and envelopes seen). Their open
    dialogues are deleted, the messages the bot sent them are emptied, and sent messages to
    others and requester callbacks that quoted their name or phone (team lists, leader notices)
    are emptied too. False if the member is unknown or was erased.
    """
    member = await fetch_one(connection,
                             "SELECT * FROM members WHERE id = ? AND status != 'removed'",
                             (member_id,))
    if member is None:
        return False
    addresses = await _address_keys(connection, member_id)
    # Who they were on Signal: their numbers and uuids (an envelope names either).
    senders = await _signal_identities(connection, addresses)
    await connection.execute(
        "UPDATE members SET name = ?, phone = NULL, locale = NULL, away_until = NULL,"
        " gender = 'undisclosed', status = 'removed', removed_at = ? WHERE id = ?",
        (placeholder, to_db(now), member_id))
    await connection.execute("DELETE FROM member_addresses WHERE member_id = ?", (member_id,))
    await connection.execute("DELETE FROM direct_invitations WHERE member_id = ?", (member_id,))
    # Skills (a language) can say something about where a person comes from.
    await connection.execute("DELETE FROM member_skills WHERE member_id = ?", (member_id,))
    await connection.execute("DELETE FROM member_training WHERE member_id = ?", (member_id,))
    for address in addresses:
        await connection.execute("DELETE FROM dialogues WHERE address = ?", (address,))
        # What a chat without buttons remembered (offered choices, receipts, a Signal uuid).
        await connection.execute("DELETE FROM chat_offers WHERE address = ?", (address,))
        await connection.execute("DELETE FROM message_receipts WHERE address = ?", (address,))
        await connection.execute(
            "UPDATE outbox SET payload = '{}', address = '',"
            " state = CASE WHEN state IN ('pending', 'sending') THEN 'skipped' ELSE state END"
            " WHERE address = ?", (address,))
    for ident in senders:
        await connection.execute("DELETE FROM signal_accounts WHERE uuid = ? OR number = ?",
                                 (ident, ident))
        await connection.execute("DELETE FROM seen_envelopes WHERE source = ?", (ident,))
    await _scrub_quoting(connection, (member["name"], member["phone"]))
    await debrief_stats.erase_member_debrief_text(connection, member_id)
    return True


async def _address_keys(connection: Connection, member_id: int) -> list[str]:
    """The member's addresses as the outbox and the chat tables key them ("signal:+4670…")."""
    return [f"{row['transport']}:{row['address']}" for row in await fetch_all(
        connection, "SELECT transport, address FROM member_addresses WHERE member_id = ?"
                    " ORDER BY id", (member_id,))]


async def _signal_identities(connection: Connection, addresses: list[str]) -> list[str]:
    """The Signal numbers and uuids behind these addresses, with the ones seen paired with
    them (signal_accounts)."""
    idents = [address.partition(":")[2] for address in addresses
              if address.startswith("signal:")]
    paired = set(idents)
    for ident in idents:
        for row in await fetch_all(
                connection, "SELECT uuid, number FROM signal_accounts WHERE uuid = ?"
                            " OR number = ?", (ident, ident)):
            paired |= {row["uuid"], row["number"]}
    return sorted(paired)


def _in(values: list[str]) -> str:
    """Placeholders for `IN (…)` (NULL for none, so the list matches nothing)."""
    return ", ".join("?" for _ in values) or "NULL"


async def member_data(database: Database, member_id: int) -> dict[str, Any]:
    """Everything stored about one member, for /mydata (the activations' sensitive details,
    which are about other people, are left out, and so is the text of the messages sent to
    them, which they have in their chat: those are listed by kind, state and time)."""
    member = await database.fetch_one("SELECT * FROM members WHERE id = ?", (member_id,))
    keys = await _address_keys(database.reader, member_id)
    senders = await _signal_identities(database.reader, keys)
    messages = await database.fetch_all(
        f"SELECT address, op, ref, state, created_at, sent_at FROM outbox"
        f" WHERE address IN ({_in(keys)}) ORDER BY id", tuple(keys))
    offers = await database.fetch_all(
        f"SELECT address, message_id, label, title, offered_at, closed_at FROM chat_offers"
        f" WHERE address IN ({_in(keys)}) ORDER BY id", tuple(keys))
    receipts = await database.fetch_all(
        f"SELECT address, message_id, delivered_at, read_at FROM message_receipts"
        f" WHERE address IN ({_in(keys)}) ORDER BY rowid", tuple(keys))
    signal_accounts = await database.fetch_all(
        f"SELECT uuid, number, seen_at FROM signal_accounts WHERE uuid IN ({_in(senders)})"
        f" OR number IN ({_in(senders)}) ORDER BY uuid", (*senders, *senders))
    envelopes = await database.fetch_all(
        f"SELECT source, timestamp, seen_at FROM seen_envelopes"
        f" WHERE source IN ({_in(senders)}) ORDER BY seen_at", tuple(senders))
    direct = await database.fetch_all(
        "SELECT address, created_at, answered_at FROM direct_invitations WHERE member_id = ?",
        (member_id,))
    issued = await database.fetch_all(
        "SELECT code, kind, area, exercise, state, created_at FROM activations"
        " WHERE created_by = ? ORDER BY id", (member_id,))
    decided = await database.fetch_all(
        "SELECT i.public_id, c.name AS caller, i.state, i.kind, i.area, i.created_at,"
        " i.decided_at, a.code AS activation FROM intake_requests AS i"
        " JOIN intake_callers AS c ON c.id = i.caller_id"
        " LEFT JOIN activations AS a ON a.id = i.activation_id"
        " WHERE i.leader_id = ? ORDER BY i.id", (member_id,))
    trainings_made = await database.fetch_all(
        "SELECT kind, starts_at, place, created_at FROM trainings WHERE created_by = ?"
        " ORDER BY id", (member_id,))
    requests = await database.fetch_all(
        "SELECT a.code, a.kind, a.area, a.exercise, a.state AS activation_state, r.state,"
        " r.wave, r.asked_at, r.answered_at, r.confirmed_at, r.arrived_at, r.finished_at"
        " FROM requests AS r JOIN activations AS a ON a.id = r.activation_id"
        " WHERE r.member_id = ? ORDER BY r.id", (member_id,))
    actor = f"member:{member_id}"
    audit = await database.fetch_all(
        "SELECT l.at, l.actor, a.code AS activation, l.event, l.detail FROM audit_log AS l"
        " LEFT JOIN activations AS a ON a.id = l.activation_id"
        " WHERE l.actor = ? OR json_extract(l.detail, '$.member_id') = ?"
        " OR json_extract(l.detail, '$.request_id') IN"
        "     (SELECT id FROM requests WHERE member_id = ?)"
        " ORDER BY l.id", (actor, member_id, member_id))
    invites = await database.fetch_all(
        "SELECT id, role, area, created_by, created_at, expires_at, used_at FROM invites"
        " WHERE used_by = ? OR created_by = ? ORDER BY id", (member_id, actor))
    addresses = await database.fetch_all(
        "SELECT transport, address, reported_locale, reachable, linked_at FROM member_addresses"
        " WHERE member_id = ? ORDER BY id", (member_id,))
    dialogues = await database.fetch_all(
        f"SELECT kind, step, data, updated_at FROM dialogues WHERE address IN ({_in(keys)})",
        tuple(keys))
    skills = await database.fetch_all(
        "SELECT skill FROM member_skills WHERE member_id = ? ORDER BY skill", (member_id,))
    training = await database.fetch_all(
        "SELECT introduction_on, last_training_on FROM member_training WHERE member_id = ?",
        (member_id,))
    invitations = await database.fetch_all(
        "SELECT t.kind, t.starts_at, t.place, i.answer, i.answered_at, i.attended"
        " FROM training_invites AS i JOIN trainings AS t ON t.id = i.training_id"
        " WHERE i.member_id = ? ORDER BY t.starts_at", (member_id,))
    shift_places = await database.fetch_all(
        "SELECT a.code, s.number AS shift, s.starts_at, s.ends_at, p.state, p.answered_at,"
        " p.confirmed_at, p.arrived_at FROM shift_places AS p JOIN shifts AS s"
        " ON s.id = p.shift_id JOIN activations AS a ON a.id = s.activation_id"
        " WHERE p.member_id = ? ORDER BY p.id", (member_id,))
    return {
        "member": _as_dict(member) if member else None,
        "skills": [row["skill"] for row in skills],
        "shifts": [_as_dict(row) for row in shift_places],
        "training_status": _as_dict(training[0]) if training else None,
        "trainings": [_as_dict(row) for row in invitations],
        "addresses": [_as_dict(row) for row in addresses],
        "requests": [_as_dict(row) for row in requests],
        "invites": [_as_dict(row) for row in invites],
        "open_dialogues": [_as_dict(row) for row in dialogues],
        "direct_invitations": [_as_dict(row) for row in direct],
        "messages": [_as_dict(row) for row in messages],
        "offered_choices": [_as_dict(row) for row in offers],
        "message_receipts": [_as_dict(row) for row in receipts],
        "signal_accounts": [_as_dict(row) for row in signal_accounts],
        "signal_envelopes_seen": [_as_dict(row) for row in envelopes],
        "call_outs_issued": [_as_dict(row) for row in issued],
        "intake_requests_decided": [_as_dict(row) for row in decided],
        "trainings_created": [_as_dict(row) for row in trainings_made],
        "audit_log": [{**_as_dict(row), "detail": json.loads(row["detail"])} for row in audit],
        "debriefs": await debrief_stats.member_debriefs(database, member_id),
    }


# -- archive -----------------------------------------------------------------------------------

async def archive_year(database: Database, year: int, *, since: datetime | None = None,
                       until: datetime | None = None) -> dict[str, Any]:
    """Everything about the year's activations, sensitive details included where not yet
    purged, for the municipality's archive: their requests, shifts and shift places, debriefs
    and audit rows, and the intake requests behind them; with `since`/`until` (the year's
    bounds) also the intake requests of the year that did not become a call-out."""
    activations = await database.fetch_all(
        "SELECT * FROM activations WHERE year = ? ORDER BY seq", (year,))
    ids = [row["id"] for row in activations]
    placeholders = ", ".join("?" for _ in ids) or "NULL"
    requests = await database.fetch_all(
        "SELECT r.*, m.name AS member_name, m.role AS member_role FROM requests AS r"
        " JOIN members AS m ON m.id = r.member_id"
        f" WHERE r.activation_id IN ({placeholders}) ORDER BY r.id", tuple(ids))
    audit = await database.fetch_all(
        f"SELECT * FROM audit_log WHERE activation_id IN ({placeholders}) ORDER BY id",
        tuple(ids))
    shifts = await database.fetch_all(
        f"SELECT * FROM shifts WHERE activation_id IN ({placeholders}) ORDER BY id", tuple(ids))
    shift_places = await database.fetch_all(
        "SELECT p.*, m.name AS member_name FROM shift_places AS p"
        " JOIN shifts AS s ON s.id = p.shift_id JOIN members AS m ON m.id = p.member_id"
        f" WHERE s.activation_id IN ({placeholders}) ORDER BY p.id", tuple(ids))
    bounds = (to_db(since), to_db(until)) if since and until else (None, None)
    intake = await database.fetch_all(
        "SELECT i.id, i.public_id, c.name AS caller, i.state, i.kind, i.area, i.needed,"
        " i.summary, i.briefing, i.location_lat, i.location_lon, i.location_title,"
        " i.location_address, i.exercise, i.requester_name, i.requester_organisation,"
        " i.requester_phone, i.leader_id, i.activation_id, a.code AS activation, i.created_at,"
        " i.reminded_at, i.alerted_at, i.decided_at, i.purged_at FROM intake_requests AS i"
        " JOIN intake_callers AS c ON c.id = i.caller_id"
        " LEFT JOIN activations AS a ON a.id = i.activation_id"
        f" WHERE i.activation_id IN ({placeholders})"
        " OR (i.activation_id IS NULL AND i.created_at >= ? AND i.created_at < ?)"
        " ORDER BY i.id", (*ids, *bounds))
    return {
        "year": year,
        "activations": [_as_dict(row) for row in activations],
        "requests": [_as_dict(row) for row in requests],
        "shifts": [_as_dict(row) for row in shifts],
        "shift_places": [_as_dict(row) for row in shift_places],
        "intake_requests": [_as_dict(row) for row in intake],
        "audit_log": [{**_as_dict(row), "detail": json.loads(row["detail"])} for row in audit],
        "debriefs": await debrief_stats.activation_debriefs(database, ids),
    }
