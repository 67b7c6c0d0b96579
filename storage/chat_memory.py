"""What a transport without buttons remembers about its chats: the choices each message offered
(so a typed "1", a quote-reply or a reaction can be read as a press), the receipts that came
back, the envelopes already handled, and which number a Signal uuid belongs to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.clock import from_db, to_db
from storage.database import Database
from storage.models import Address

__all__ = ["ChatMemory", "NewOffer", "OfferRow"]

# Families whose choices stay open until their message is edited or deleted (a request, a
# briefing, a questionnaire); every other offer (a dialogue step, /status buttons, /language)
# is read as answered-or-forgotten after a day.
LASTING_FAMILIES = ("a1:", "m1:", "d1:")
TRANSIENT_FOR = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class NewOffer:
    """One choice as shown: its number (None where the label is typed) and its packed id."""

    number: int | None
    label: str
    choice: str


@dataclass(frozen=True, slots=True)
class OfferRow:
    message_id: str
    part_id: str
    family: str
    number: int | None
    label: str
    choice: str
    title: str
    offered_at: datetime
    closed: bool


def _offer(row) -> OfferRow:
    return OfferRow(row["message_id"], row["part_id"], row["family"], row["number"],
                    row["label"], row["choice"], row["title"], from_db(row["offered_at"]),
                    row["closed_at"] is not None)


class ChatMemory:
    """Reads and writes chat_offers, message_receipts, seen_envelopes and signal_accounts."""

    def __init__(self, database: Database) -> None:
        self.db = database

    # -- offers --------------------------------------------------------------------------------

    async def remember(self, address: Address, message_id: str, parts: Sequence[str],
                       family: str, title: str, offers: Sequence[NewOffer],
                       now: datetime) -> None:
        """Stores what a message offered; older open offers of the same family in this chat
        close (a dialogue's next question replaces the previous one)."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "UPDATE chat_offers SET closed_at = ? WHERE address = ? AND family = ?"
                " AND closed_at IS NULL", (to_db(now), str(address), family))
            await connection.executemany(
                "INSERT INTO chat_offers (address, message_id, part_id, family, number, label,"
                " choice, title, offered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(str(address), message_id, part, family, offer.number, offer.label,
                  offer.choice, title, to_db(now)) for part in parts for offer in offers])

    async def close(self, address: Address, message_id: str, now: datetime) -> None:
        """The message was edited or deleted: what it offered is no longer open."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "UPDATE chat_offers SET closed_at = ? WHERE address = ? AND message_id = ?"
                " AND closed_at IS NULL", (to_db(now), str(address), message_id))

    async def open_offers(self, address: Address, now: datetime) -> list[OfferRow]:
        """The offers still open in a chat, newest message first."""
        rows = await self.db.fetch_all(
            "SELECT * FROM chat_offers WHERE address = ? AND closed_at IS NULL"
            " ORDER BY offered_at DESC, id", (str(address),))
        cutoff = now - TRANSIENT_FOR
        return [offer for offer in map(_offer, rows)
                if offer.family.startswith(LASTING_FAMILIES) or offer.offered_at >= cutoff]

    async def offers_of_part(self, address: Address, part_id: str) -> list[OfferRow]:
        """What the message containing this part offered last (open or not): a quote-reply
        or a reaction names the part."""
        rows = await self.db.fetch_all(
            "SELECT * FROM chat_offers WHERE address = ? AND part_id = ? AND offered_at = ("
            " SELECT max(offered_at) FROM chat_offers WHERE address = ? AND part_id = ?)"
            " ORDER BY id", (str(address), part_id, str(address), part_id))
        return [_offer(row) for row in rows]

    async def families_of(self, address: Address, message_id: str) -> set[str]:
        """The families a message ever offered (e.g. to know it was a briefing)."""
        rows = await self.db.fetch_all(
            "SELECT DISTINCT family FROM chat_offers WHERE address = ? AND message_id = ?",
            (str(address), message_id))
        return {row["family"] for row in rows}

    # -- receipts ------------------------------------------------------------------------------

    async def receipt(self, address: Address, part_ids: Sequence[str], kind: str,
                      when: datetime) -> None:
        """Records a delivery or read receipt (a read message was delivered too)."""
        column = "read_at" if kind == "read" else "delivered_at"
        async with self.db.transaction() as connection:
            for part in part_ids:
                await connection.execute(
                    "INSERT INTO message_receipts (address, message_id) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING", (str(address), part))
                await connection.execute(
                    f"UPDATE message_receipts SET {column} = coalesce({column}, ?),"
                    " delivered_at = coalesce(delivered_at, ?)"
                    " WHERE address = ? AND message_id = ?",
                    (to_db(when), to_db(when), str(address), part))

    async def request_receipts(self, activation_id: int) -> dict[int, str]:
        """Per request of an activation: 'read' or 'delivered' where a receipt says so."""
        rows = await self.db.fetch_all(
            "SELECT r.id AS request_id, max(rc.read_at IS NOT NULL) AS read,"
            " max(rc.delivered_at IS NOT NULL) AS delivered"
            " FROM requests AS r"
            " JOIN outbox AS o ON o.ref = 'request:' || r.id AND o.state = 'sent'"
            " JOIN message_receipts AS rc ON rc.address = o.address"
            "  AND rc.message_id = substr(o.message_id, 1,"
            "                             instr(o.message_id || ',', ',') - 1)"
            " WHERE r.activation_id = ? GROUP BY r.id", (activation_id,))
        return {row["request_id"]: "read" if row["read"] else "delivered"
                for row in rows if row["read"] or row["delivered"]}

    # -- envelopes and accounts ----------------------------------------------------------------

    async def claim_envelope(self, source: str, timestamp: int, now: datetime) -> bool:
        """True the first time an envelope (sender, timestamp) is seen, False afterwards."""
        async with self.db.transaction() as connection:
            cursor = await connection.execute(
                "INSERT INTO seen_envelopes (source, timestamp, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING", (source, timestamp, to_db(now)))
            return cursor.rowcount > 0

    async def forget_envelopes(self, before: datetime) -> int:
        """Drops the memory of envelopes older than `before` (none come back that late), and
        the numbers of people who wrote to the bot then but are no member."""
        async with self.db.transaction() as connection:
            cursor = await connection.execute("DELETE FROM seen_envelopes WHERE seen_at < ?",
                                              (to_db(before),))
            await connection.execute(
                "DELETE FROM signal_accounts WHERE seen_at < ? AND NOT EXISTS ("
                " SELECT 1 FROM member_addresses AS a WHERE a.transport = 'signal'"
                " AND a.address IN (signal_accounts.number, signal_accounts.uuid))",
                (to_db(before),))
            return cursor.rowcount

    async def note_account(self, uuid: str, number: str, now: datetime) -> None:
        """Remembers that a Signal uuid has this number."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "INSERT INTO signal_accounts (uuid, number, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (uuid) DO UPDATE SET number = excluded.number,"
                " seen_at = excluded.seen_at WHERE number != excluded.number",
                (uuid, number, to_db(now)))

    async def number_of(self, uuid: str) -> str | None:
        """The number last seen with this uuid, if any."""
        row = await self.db.fetch_one("SELECT number FROM signal_accounts WHERE uuid = ?",
                                      (uuid,))
        return row["number"] if row else None
