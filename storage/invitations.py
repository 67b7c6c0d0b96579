"""Direct invitations: a roster member the bot writes to first on a transport that allows it
(Signal). The greeting is queued when the roster is imported; their "JA" links the address."""

from __future__ import annotations

from datetime import datetime

from storage.clock import to_db
from storage.database import Database
from storage.models import Address
from storage.sql import Connection, fetch_one

__all__ = ["InvitationStore", "invite_directly"]


async def invite_directly(connection: Connection, member_id: int, address: Address,
                          now: datetime) -> None:
    """Records, inside the caller's transaction, that the bot wrote first to this address."""
    await connection.execute(
        "INSERT INTO direct_invitations (member_id, address, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (member_id) DO UPDATE SET address = excluded.address,"
        " created_at = excluded.created_at, answered_at = NULL",
        (member_id, str(address), to_db(now)))


class InvitationStore:
    """The pending direct invitations."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def pending_member(self, address: Address) -> int | None:
        """The member invited at this address who has not answered yet, if any."""
        row = await self.db.fetch_one(
            "SELECT i.member_id FROM direct_invitations AS i JOIN members AS m"
            " ON m.id = i.member_id WHERE i.address = ? AND i.answered_at IS NULL"
            " AND m.status != 'removed'", (str(address),))
        return row["member_id"] if row else None

    @staticmethod
    async def answered(connection: Connection, member_id: int, now: datetime) -> bool:
        """Marks the invitation answered inside the caller's transaction; False if it was
        already (an answer delivered twice links once)."""
        row = await fetch_one(
            connection, "UPDATE direct_invitations SET answered_at = ? WHERE member_id = ?"
                        " AND answered_at IS NULL RETURNING member_id", (to_db(now), member_id))
        return row is not None
