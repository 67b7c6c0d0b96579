"""The outbox: messages owed to people because of a committed state change.

Rows are added inside the transaction of the change (`enqueue`), so a crash between commit and
send loses nothing: the sender claims them afterwards, and at start-up rows left 'sending' by a
crash are put back. A sent row keeps the transport's message id under its `ref`, so later edits
(stand-down, close) know which message to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.clock import from_db, to_db
from storage.database import Database
from storage.models import Address

__all__ = [
    "BRIEFING_LANE",
    "BROADCAST_LANE",
    "REPLY_REF",
    "OutboxRow",
    "OutboxStore",
    "enqueue",
    "record_sent",
    "sent_message",
    "sent_message_id",
    "supersede",
]

BRIEFING_LANE = 0
BROADCAST_LANE = 1
# The ref of a direct reply handed over by a transport (`OutboxStore.defer`): its text is emptied
# once it is delivered (migration 012's trigger), as the bot keeps no text of direct replies.
REPLY_REF = "reply"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    lane: int
    address: Address
    op: str
    payload: str
    ref: str | None
    target_ref: str | None
    attempts: int
    created_at: datetime


async def enqueue(connection: aiosqlite.Connection, *, address: Address, payload: str,
                  now: datetime,
                  lane: int = BRIEFING_LANE, ref: str | None = None, op: str = "send",
                  target_ref: str | None = None, position: int = 0) -> None:
    """Adds a message inside the caller's transaction.

    `position` is the message's place in its fan-out; the broadcast lane is served by position,
    so a second call-out's requests go out alongside a first one's long fan-out, not after it.
    """
    await connection.execute(
        "INSERT INTO outbox (lane, position, address, op, payload, ref, target_ref, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (lane, position, str(address), op, payload, ref, target_ref, to_db(now)),
    )


async def supersede(connection: aiosqlite.Connection, ref: str) -> bool:
    """Drops a not-yet-sent message (e.g. a request overtaken by staffing); True if one was."""
    cursor = await connection.execute(
        "UPDATE outbox SET state = 'superseded' WHERE ref = ? AND state = 'pending'", (ref,)
    )
    return cursor.rowcount > 0


async def sent_message_id(connection: aiosqlite.Connection, ref: str) -> str | None:
    """The transport's id of the newest delivered message with this ref, if one was delivered."""
    async with connection.execute(
        "SELECT message_id FROM outbox WHERE ref = ? AND state = 'sent'"
        " ORDER BY id DESC LIMIT 1", (ref,)
    ) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


async def record_sent(connection: aiosqlite.Connection, *, address: Address, ref: str,
                      message_id: str, now: datetime) -> None:
    """Records a message delivered outside the outbox (a direct reply, e.g. the /activate
    preview) under a ref, so that later edits through the outbox can find it. Its text is not
    kept."""
    await connection.execute(
        "INSERT INTO outbox (lane, position, address, op, payload, ref, state, message_id,"
        " created_at, sent_at) VALUES (?, 0, ?, 'send', '{}', ?, 'sent', ?, ?, ?)",
        (BRIEFING_LANE, str(address), ref, message_id, to_db(now), to_db(now)))


async def sent_message(connection: aiosqlite.Connection,
                       ref: str) -> tuple[Address, str] | None:
    """Where the newest delivered message with this ref went, and its id."""
    async with connection.execute(
        "SELECT address, message_id FROM outbox WHERE ref = ? AND state = 'sent'"
        " AND message_id IS NOT NULL AND address != '' ORDER BY id DESC LIMIT 1", (ref,)
    ) as cursor:
        row = await cursor.fetchone()
    return (Address.parse(row[0]), row[1]) if row else None


_CLAIM = """
UPDATE outbox SET state = 'sending', attempts = attempts + 1
WHERE id = (
    SELECT id FROM outbox AS o
    WHERE state = 'pending' AND (not_before IS NULL OR not_before <= :now)
      AND address NOT IN (SELECT address FROM outbox WHERE state = 'sending')
      -- An edit or delete waits until the message it changes has been sent (or never will be);
      -- one that names the message id itself (no target_ref) can go at once.
      AND (op = 'send' OR target_ref IS NULL OR NOT EXISTS (
          SELECT 1 FROM outbox AS target
          WHERE target.ref = o.target_ref AND target.state IN ('pending', 'sending')))
    ORDER BY lane, position, id
    LIMIT 1
)
RETURNING id, lane, address, op, payload, ref, target_ref, attempts, created_at
"""


class OutboxStore:
    """The sender's view of the outbox."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def claim_next(self, now: datetime) -> OutboxRow | None:
        """Marks the most urgent due message as being sent and returns it.

        One chat never has two messages in flight, so a person's messages arrive in order, and an
        edit is only claimed once the message it changes is out.
        """
        async with (self.db.transaction() as connection,
                    connection.execute(_CLAIM, {"now": to_db(now)}) as cursor):
            row = await cursor.fetchone()
        if row is None:
            return None
        return OutboxRow(row["id"], row["lane"], Address.parse(row["address"]), row["op"],
                         row["payload"], row["ref"], row["target_ref"], row["attempts"],
                         from_db(row["created_at"]))

    async def target_of(self, target_ref: str) -> tuple[str, str | None, Address | None]:
        """Where an edit's target stands: ('sent', id, the address it went to), ('waiting',
        None, None) or ('gone', None, None). A message can only be changed where it was sent,
        which need not be the member's preferred address any more."""
        row = await self.db.fetch_one(
            "SELECT state, message_id, address FROM outbox WHERE ref = ?"
            " AND state != 'superseded' ORDER BY (state = 'sent') DESC, id DESC LIMIT 1",
            (target_ref,),
        )
        if row is None or row["state"] in ("failed", "skipped"):
            return "gone", None, None
        if row["state"] == "sent":
            return "sent", row["message_id"], Address.parse(row["address"])
        return "waiting", None, None

    async def reroute(self, row: OutboxRow) -> Address | None:
        """A message its address refused goes to the member's next reachable address (on
        another transport), as a new pending row; returns that address, None if there is none.
        """
        async with self.db.transaction() as connection:
            async with connection.execute(
                    "SELECT c.address_transport, c.address_id FROM member_addresses AS a"
                    " JOIN member_contacts AS c ON c.id = a.member_id"
                    " WHERE a.transport = ? AND a.address = ? AND c.unreachable = 0"
                    " AND c.status != 'removed'",
                    (row.address.transport, row.address.id)) as cursor:
                found = await cursor.fetchone()
            if found is None or found[0] is None:
                return None
            other = Address(found[0], found[1])
            if other == row.address:
                return None
            await connection.execute(
                "INSERT INTO outbox (lane, position, address, op, payload, ref, target_ref,"
                " created_at) SELECT lane, position, ?, op, payload, ref, target_ref, created_at"
                " FROM outbox WHERE id = ?", (str(other), row.id))
        return other

    async def mark_sent(self, row_id: int, message_id: str | None, now: datetime) -> None:
        """Records a delivered message and the transport's id for it."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "UPDATE outbox SET state = 'sent', message_id = ?, sent_at = ?, error = NULL"
                " WHERE id = ?",
                (message_id, to_db(now), row_id),
            )

    async def defer(self, address: Address, payloads: list[str], *, not_before: datetime,
                    now: datetime) -> None:
        """Adds messages (in this order) to send in the urgent lane from `not_before` on, under
        REPLY_REF: direct replies, whose text is not kept once they are out."""
        async with self.db.transaction() as connection:
            for payload in payloads:
                await connection.execute(
                    "INSERT INTO outbox (lane, position, address, op, payload, ref, not_before,"
                    " created_at) VALUES (?, 0, ?, 'send', ?, ?, ?, ?)",
                    (BRIEFING_LANE, str(address), payload, REPLY_REF, to_db(not_before),
                     to_db(now)))

    async def retarget(self, ref: str, old_id: str, new_id: str) -> None:
        """Records a delivered message's new id (an edit changed the parts it was sent in)."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "UPDATE outbox SET message_id = ? WHERE ref = ? AND state = 'sent'"
                " AND message_id = ?", (new_id, ref, old_id))

    async def mark_done(self, row_id: int, state: str, error: str | None = None) -> None:
        """Ends a message as 'failed' or 'skipped', with the reason."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "UPDATE outbox SET state = ?, error = ? WHERE id = ?", (state, error, row_id)
            )

    async def retry_later(self, row_id: int, not_before: datetime, error: str | None,
                          *, count_attempt: bool = True) -> None:
        """Puts a message back in the queue, due again at not_before."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "UPDATE outbox SET state = 'pending', not_before = ?, error = ?,"
                " attempts = attempts - ? WHERE id = ?",
                (to_db(not_before), error, 0 if count_attempt else 1, row_id),
            )

    async def release_in_flight(self) -> int:
        """At start-up: messages a crash left 'sending' go back to the queue (at least once)."""
        async with self.db.transaction() as connection:
            cursor = await connection.execute(
                "UPDATE outbox SET state = 'pending' WHERE state = 'sending'"
            )
            return cursor.rowcount

    async def next_due(self) -> datetime | None:
        """When the earliest deferred message becomes due, if any is pending."""
        row = await self.db.fetch_one(
            "SELECT min(coalesce(not_before, created_at)) AS due FROM outbox"
            " WHERE state = 'pending'"
        )
        return from_db(row["due"]) if row and row["due"] else None

    async def pending_count(self) -> int:
        """How many messages wait to be sent."""
        row = await self.db.fetch_one(
            "SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'sending')"
        )
        return int(row["n"])
